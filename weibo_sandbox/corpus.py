"""Demo corpus of the Weibo sandbox: what fans, hunters, bots, opinion leaders and the brand itself write.

The traffic generator asks ``text(kind, rng)`` for a post, comment or private message about the fictional
dairy brand 鲜牧乳业 and ``screen_name`` / ``location`` / ``description`` for the users who write them.
Everything is composed from the fragment lists below with slots (``{product}``, ``{order}``, ...) so one
kind yields thousands of distinct texts, and every choice goes through the caller's ``random.Random`` so a
seeded generator replays exactly. All text is written for this module; none comes from a data set.

Texts never contain ``@`` (the generator adds mentions of the own accounts itself) nor ``#`` (the sandbox
rejects ``#topic#`` on share), and stay within ``MAX_TEXT_LENGTH`` so the generator still has room for a
mention or a ``//@parent:`` cascade prefix under Weibo's 140.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence

BRAND = "鲜牧乳业"
BRAND_SHORT = "鲜牧"

PRODUCTS: list[str] = [
    "鲜牧纯牛奶", "鲜牧低脂奶", "鲜牧原味酸奶", "鲜牧希腊酸奶",
    "鲜牧儿童成长奶", "鲜牧有机奶", "鲜牧巴氏鲜奶", "鲜牧零蔗糖酸奶",
]
# Invented names; none is a real dairy company, so the "scandal" texts defame no one.
COMPETITORS: list[str] = ["澜山乳业", "禾露牧场", "北溪乳品", "悦犇乳业"]

KINDS: tuple[str, ...] = (
    "praise", "complaint", "question", "neutral", "repost", "bot_copy", "lottery",
    "collateral", "private_message", "kol", "brand_post", "reply",
)
NAME_STYLES: tuple[str, ...] = ("normal", "default", "kol", "hunter")

# Weibo characters (see weibo_length); 30 below the platform's 140 so "@鲜牧乳业 " or "//@name:" still fits.
MAX_TEXT_LENGTH = 110
# Re-draws before clipping a text that came out too long; compositions rarely need more than one.
_MAX_TRIES = 12
# Share of casual texts carrying one input-method typo; real timelines have a few, polished voices none.
_TYPO_RATE = 0.07
_CASUAL = frozenset({"praise", "complaint", "question", "neutral", "collateral", "private_message"})
_PUNCT = "，。！？：~～、…!?,. "


def weibo_length(text: str) -> int:
    """Length as Weibo counts it: a non-ASCII character 1, an ASCII character 0.5, rounded up."""
    ascii_chars = sum(1 for c in text if ord(c) < 128)
    return len(text) - ascii_chars + math.ceil(ascii_chars / 2)


# ------------------------------------------------------------------------------------------- locations
# Weibo shows "province city" (municipalities: "city district"); East China is weighted up because the
# brand and the 鲜牧华东 account sell mostly there.
_REGIONS: dict[str, tuple[int, list[str]]] = {
    "上海": (14, ["浦东新区", "徐汇区", "静安区", "闵行区", "杨浦区", "长宁区", "普陀区", "宝山区", "松江区"]),
    "江苏": (12, ["南京", "苏州", "无锡", "常州", "南通", "扬州", "徐州", "镇江"]),
    "浙江": (12, ["杭州", "宁波", "温州", "绍兴", "嘉兴", "金华", "湖州", "台州"]),
    "安徽": (4, ["合肥", "芜湖", "马鞍山", "安庆"]),
    "北京": (6, ["朝阳区", "海淀区", "东城区", "丰台区", "通州区"]),
    "广东": (7, ["广州", "深圳", "东莞", "佛山", "珠海"]),
    "山东": (4, ["济南", "青岛", "烟台", "潍坊"]),
    "四川": (3, ["成都", "绵阳", "宜宾"]),
    "湖北": (3, ["武汉", "宜昌", "襄阳"]),
    "福建": (3, ["福州", "厦门", "泉州"]),
    "天津": (2, ["和平区", "南开区", "滨海新区"]),
    "河南": (2, ["郑州", "洛阳"]),
    "湖南": (2, ["长沙", "株洲"]),
    "陕西": (2, ["西安", "咸阳"]),
    "重庆": (2, ["渝中区", "江北区", "沙坪坝区"]),
    "海外": (2, ["其他", "美国", "日本", "英国", "澳大利亚", "新加坡"]),
}
_MUNICIPALITIES = frozenset({"上海", "北京", "天津", "重庆"})
# Weibo's province codes (users/show ``province``, the search's ``province``): the first two digits of
# China's administrative division codes, 400 abroad, 100 "其他". City codes are the sandbox's own: a
# place's position in its province's list above (Weibo numbers them per province too, in its own order).
PROVINCE_CODES = {
    "北京": 11, "天津": 12, "上海": 31, "江苏": 32, "浙江": 33, "安徽": 34, "福建": 35, "山东": 37, "河南": 41,
    "湖北": 42, "湖南": 43, "广东": 44, "重庆": 50, "四川": 51, "陕西": 61, "海外": 400, "其他": 100,
}
OTHER_CITY = 1000  # Weibo's city code for "其他"
_DOMESTIC = [p for p in _REGIONS if p != "海外"]
# Share of users whose profile says just "其他" (never filled in), as Weibo shows it.
_UNSET_LOCATION_RATE = 0.03


def location(rng: random.Random) -> str:
    """A profile location as Weibo shows it: "上海 浦东新区", "江苏 南京", "海外 其他", rarely "其他"."""
    if rng.random() < _UNSET_LOCATION_RATE:
        return "其他"
    province = rng.choices(list(_REGIONS), weights=[w for w, _ in _REGIONS.values()])[0]
    return f"{province} {rng.choice(_REGIONS[province][1])}"


def region_codes(location: str) -> tuple[int, int]:
    """``(province, city)`` codes of a profile location like "江苏 南京"; (100, 1000) when unknown."""
    province, _, city = location.partition(" ")
    code = PROVINCE_CODES.get(province, PROVINCE_CODES["其他"])
    cities = _REGIONS.get(province, (0, []))[1]
    return code, cities.index(city) + 1 if city in cities else OTHER_CITY


def _city(rng: random.Random) -> str:
    """A city as people name it in a sentence: the municipality itself, else a prefecture city."""
    province = rng.choices(_DOMESTIC, weights=[_REGIONS[p][0] for p in _DOMESTIC])[0]
    return province if province in _MUNICIPALITIES else rng.choice(_REGIONS[province][1])


def _area(rng: random.Random) -> str:
    """A delivery address fragment: "上海浦东新区", "浙江杭州"."""
    province = rng.choices(_DOMESTIC, weights=[_REGIONS[p][0] for p in _DOMESTIC])[0]
    return province + rng.choice(_REGIONS[province][1])


# ---------------------------------------------------------------------------------------------- slots
EMO_POS = ["[哈哈]", "[心]", "[赞]", "[good]", "[鼓掌]", "[馋嘴]", "[憧憬]", "[爱你]", "[太开心]", "[打call]",
           "[嘻嘻]", "[可爱]"]
EMO_NEG = ["[怒]", "[泪]", "[抓狂]", "[生病]", "[吐]", "[衰]", "[失望]", "[委屈]", "[哼]", "[悲伤]", "[怒骂]",
           "[允悲]", "[晕]"]
EMO_NEU = ["[doge]", "[二哈]", "[吃瓜]", "[思考]", "[费解]", "[允悲]", "[笑cry]", "[微笑]", "[疑问]", "[并不简单]",
           "[摊手]"]

WHO = ["孩子", "我家娃", "我妈", "我爸", "老公", "老婆", "室友", "女儿", "儿子", "宝宝", "我对象", "婆婆", "同事"]
WHEN = ["今天早上", "今早", "昨晚", "刚才", "中午", "前天", "周末", "早上七点", "下班回来"]
# Shops with a street address ("{city}{store}买的") and every channel, online ones included.
STORE = ["超市", "便利店", "楼下生鲜店", "小区门口的奶站", "菜场边上的小店", "公司楼下的便利店", "商场超市"]
WHERE = [*STORE, "官方旗舰店", "直播间", "社区团购", "官方小程序"]
SMELL = ["酸臭味", "馊味", "怪味", "发酵的味道", "说不上来的臭味", "哈喇味"]
FOREIGN = ["黑色小颗粒", "一根头发", "一小片塑料", "不明絮状物", "像虫子一样的东西", "一团灰色的东西"]
FOOD = ["燕麦", "全麦面包", "水煮蛋", "香蕉", "蓝莓", "玉米", "红薯", "贝果", "坚果", "麦片", "三明治", "包子"]
SNACK = ["曲奇", "蛋糕", "水果", "格兰诺拉", "饼干", "芒果干"]
SHOP = ["咖啡店", "烘焙工作室", "社区便利店", "幼儿园", "健身房", "轻食餐厅", "茶饮店"]
AUDIENCE = ["健身人群", "有孩子的家庭", "控糖人群", "上班族", "老年人", "学生党"]

_SLOTS: dict[str, Callable[[random.Random], str]] = {
    "emo_pos": lambda r: r.choice(EMO_POS),
    "emo_neg": lambda r: r.choice(EMO_NEG),
    "emo_neu": lambda r: r.choice(EMO_NEU),
    "haha": lambda r: "哈" * r.randint(3, 8),
    "who": lambda r: r.choice(WHO),
    "when": lambda r: r.choice(WHEN),
    "where": lambda r: r.choice(WHERE),
    "store": lambda r: r.choice(STORE),
    "smell": lambda r: r.choice(SMELL),
    "foreign": lambda r: r.choice(FOREIGN),
    "food": lambda r: r.choice(FOOD),
    "snack": lambda r: r.choice(SNACK),
    "fruit": lambda r: r.choice(FRUIT),  # FRUIT lives with the name parts below; looked up at call time
    "shop": lambda r: r.choice(SHOP),
    "audience": lambda r: r.choice(AUDIENCE),
    "city": _city,
    "area": _area,
    # Batch numbers as printed on the carton: production date, line letter, shift digit.
    "batch": lambda r: f"{r.randint(2023, 2025)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.choice('ABCDEF')}"
                       f"{r.randint(1, 9)}",
    # Shop order numbers are 16–18 digits and never start with 0.
    "order": lambda r: str(r.randint(1, 9)) + "".join(str(r.randint(0, 9)) for _ in range(r.randint(15, 17))),
    "mdate": lambda r: r.choice(["{}月{}日", "{}.{}", "{}月{}号"]).format(r.randint(1, 12), r.randint(1, 28)),
    "n": lambda r: str(r.randint(2, 9)),
    "cn": lambda r: r.choice("两三四五六七八"),
    "few": lambda r: r.choice("两三四五"),
    "mins": lambda r: str(r.choice([20, 25, 30, 40, 45, 50, 60, 90])),
    "diff": lambda r: str(r.randint(5, 30)),
    "protein": lambda r: r.choice(["3.2", "3.4", "3.6", "3.8", "4.0"]),
    "pct": lambda r: str(r.choice([10, 15, 20, 25, 30])),
    "fans": lambda r: str(r.choice([3, 5, 8, 12, 20, 36, 50])),
    "brand": lambda r: r.choice([BRAND, BRAND_SHORT]),
}


def _fill(template: str, rng: random.Random, ctx: dict[str, str]) -> str:
    """Replace each ``{slot}`` left to right: per-text facts from ``ctx``, everything else drawn fresh."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return ctx[name] if name in ctx else _SLOTS[name](rng)

    return re.sub(r"\{(\w+)\}", one, template)


def _context(rng: random.Random, product: str | None) -> dict[str, str]:
    """Facts that must agree within one text: the product, its container, the other product, two prices."""
    chosen = product or rng.choice(PRODUCTS)
    unit = "杯" if "酸奶" in chosen else rng.choice(["盒", "瓶", "袋"])
    price = rng.choice([39.9, 45, 49.9, 52, 59, 59.9, 65, 69.9, 79])
    return {
        "product": chosen, "unit": unit,
        "other": rng.choice([p for p in PRODUCTS if p != chosen]),
        "comp": rng.choice(COMPETITORS),
        "price": f"{price:g}", "price2": f"{price + rng.choice([5, 6, 8, 10, 12, 15]):g}",
    }


# ------------------------------------------------------------------------------------------- fragments
PRAISE_OPEN = ["yyds！", "绝绝子！", "吹爆", "自来水安利一下：", "回购第{n}次了", "不是广告", "今天必须夸一下",
               "谁懂啊", "家人们", "挖到宝了", "已经回购无数次", "忍不住来夸"]
PRAISE_CORE = [
    # taste
    "{product}奶味超浓，喝完嘴里还有奶香", "{product}一点都不腥，口感顺滑到犯规",
    "{product}甜度刚好不齁，比之前喝的那些强太多", "{product}浓到挂杯{haha}",
    "{who}说{product}有小时候喝的那种奶味", "冰箱里的{product}每次都被{who}偷喝完",
    # freshness
    "{product}日期都是当天的，新鲜看得见", "{product}保质期短反而放心，一喝就知道是鲜奶",
    "{when}买的{product}，生产日期就是昨天，太新鲜了",
    # packaging
    "{product}新包装好看到舍不得扔", "{product}的瓶盖设计很贴心，单手就能拧开",
    "{product}这个{unit}子拿在手里质感满分", "{product}的包装终于不漏了，好评",
    # delivery
    "{product}冷链送到门口还冰冰的", "{city}次日达，{product}{when}就放进奶箱了",
    "订了一个月{product}，每天准时送到从没迟过", "{product}配送小哥超好，下雨天还用袋子包好",
    # value
    "{product}活动价{price}一箱，性价比绝了", "同样的钱，{product}比那些网红奶实在多了",
    "{where}{product}第二件半价，{price}到手一大箱",
    # kids
    "我家娃以前不爱喝奶，现在天天追着要{product}", "{product}成了{who}的早餐标配",
    "我家娃挑食，就{product}肯喝，当妈的泪目", "{product}一家三口都能喝，{who}最爱",
    # fitness
    "健身完来一{unit}{product}，蛋白质够还不胖", "减脂期全靠{product}续命",
    "{product}配{food}，我的健身早餐固定搭配", "{product}低糖又扛饿，跑完步喝刚刚好",
]
PRAISE_TAIL = ["会一直回购的", "鲜牧冲鸭", "无限回购", "已经推荐给同事了", "希望别涨价{emo_neu}", "爱了爱了",
               "{emo_pos}", "{emo_pos}{emo_pos}", "{haha}", "真香", "谁喝谁知道", "建议囤货", "回购预定",
               "不接受反驳", "好喝到跺脚"]

COMPLAINT_OPEN = ["真的无语了", "气死我了！", "避雷！", "踩雷了家人们", "第一次在微博投诉", "实名吐槽",
                  "忍不住来说一下", "服了", "救命", "大家评评理", "说实话有点失望", "又来了", "本来不想发的",
                  "心态崩了", "emmm"]
COMPLAINT_CORE = [
    # spoiled / swollen / off
    "{when}打开一{unit}{product}，整{unit}都胀起来了，一股{smell}",
    "{where}买的{product}，批号{batch}，保质期内就胀袋了",
    "{product}倒出来全是豆腐渣一样的凝块，生产日期{mdate}，明明还没过期",
    "给{who}热了一{unit}{product}，喝两口说是酸的，我一尝真变质了",
    "{product}刚开封就有{smell}，批号{batch}",
    "最近的{product}味道不对，喝起来水水的，跟以前完全两个东西",
    # foreign object
    "{product}喝到最后发现{unit}底有{foreign}",
    "{product}里喝出{foreign}，批号{batch}，照片都拍了",
    # delivery
    "订单号{order}，{product}下单{n}天了还显示待发货",
    "说好的冷链次日达，{product}在路上走了{cn}天，到手都是温的",
    "快递送来的{product}箱子全湿了，漏了{n}{unit}，{city}这边的配送也太糙了",
    "{product}订了月卡，这周已经{few}天没送了，奶箱空空的",
    # wrong item
    "买的{product}，收到的是{other}，订单{order}",
    "下单{n}箱{product}只到了一箱，订单{order}",
    # price
    "{product}又涨价了？上个月{price}一箱，今天一看{price2}",
    "{product}活动买的，第二天就降价{diff}块，找客服不给保价",
    # customer service
    "找客服说{product}的问题，排队{mins}分钟没人理",
    "{product}的问题反映{cn}天了，客服只会说已登记请耐心等待",
    # expiry
    "收到的{product}离过期只剩{n}天，这是在清库存吧",
    "{product}外箱的生产日期像是重新打过的，批号{batch}",
    # refund
    "{product}变质了申请退款被拒，理由是已拆封不支持退",
    "{product}胀袋要求退款，客服让我自己寄回去还不包运费",
    # cold chain at the shop, packaging
    "{city}{store}买的{product}，冷柜根本没开，摸着是常温的",
    "{who}喝了{product}之后拉肚子，批号{batch}，不知道是不是奶的问题",
    "{product}一拿起来就漏，包装都裂了",
    "{product}拧开发现没有封口膜，谁敢喝啊",
]
# (marker, detail): a detail is added only when the core does not already carry that kind of fact.
COMPLAINT_DETAIL = [("批号", "批号{batch}"), ("订单", "订单号{order}"), ("买的", "{city}{store}买的"),
                    ("买的", "昨天刚买的"), ("买的", "前天才买的"), ("箱", "一次买了{cn}箱"),
                    ("照片", "照片视频都留着"), ("日期", "生产日期{mdate}")]
COMPLAINT_FEEL = ["白花了{price}块", "心累", "以后再也不买了", "回购过好几次，太寒心了", "孩子天天喝这个，想想就后怕",
                  "差评", "一言难尽", "这品控真的让人担心", "这就是所谓的高端鲜奶？", "质量越来越差了", "无语子",
                  "气到吃不下饭", "踩雷踩到麻了", "钱是小事，恶心是真的"]
COMPLAINT_ASK = ["{brand}能不能给个说法？", "希望官方出来解释一下", "已经打12315了", "等一个官方回复", "求退款！",
                 "麻烦尽快处理", "不解决就一直发", "请给个处理结果", "我就想知道这批还有多少在卖", "客服看到回一下"]

QUESTION_OPEN = ["请问", "求问", "有人知道", "小白问一下", "弱弱问一句", "急！", "问下大家", "蹲一个答案"]
QUESTION_CORE = [
    # shelf life / storage
    "{product}开封后能放多久啊", "{product}保质期几天，冬天放阳台可以吗",
    "{product}一定要冷藏吗，路上带三个小时会坏吗", "{product}可以冷冻吗，解冻了还能喝吗",
    "{product}能直接用微波炉热吗",
    # lactose
    "乳糖不耐受能喝{product}吗，喝普通牛奶会拉肚子", "{product}有没有无乳糖的版本",
    # where to buy
    "{city}哪里能买到{product}啊，超市找了好几家都没有", "{product}在{city}有线下门店吗",
    "{product}线下和旗舰店是一个价吗",
    # promotion rules
    "{product}买二送一是每人限一次吗", "{product}的满减券怎么领不了", "{product}的月卡中途能暂停吗",
    "{product}会员积分能换什么",
    # delivery area
    "{product}能送到{city}吗", "{area}在配送范围内吗，想订{product}", "{product}早上几点前能送到啊",
    # ingredients, suitability
    "{product}配料表里有添加剂吗", "{product}加糖了吗，控糖人士想知道", "{product}和{other}有什么区别",
    "一岁半宝宝能喝{product}吗", "孕妇适合喝{product}吗", "{product}是巴氏杀菌还是常温奶",
]
QUESTION_END = ["？", "？", "?", "？？", "？？？", "呀？", "啊？"]
QUESTION_TAIL = ["在线等", "谢谢", "{emo_neu}", "求解答", "急", "有懂的吗", "谢谢各位", "求回复"]

NEUTRAL_CORE = [
    "今天在{store}顺手买了{product}", "早餐：{product}+{food}", "下午茶是{product}配{snack}",
    "冰箱里只剩最后一{unit}{product}了", "第一次喝{product}，还在品", "{who}让我带两箱{product}回去",
    "{where}的{product}打折，{price}一箱，囤了点", "对比了一下{product}和{comp}的，{compare}",
    "看新闻说{brand}在{city}新建了牧场", "{brand}的奶站开到我们小区门口了", "刷到{brand}的广告了，{ad}",
    "今天的早餐拍得还挺好看：{food}、{fruit}和{product}", "刷到{brand}{news}的新闻",
    "{who}非说{comp}比{brand}好喝，我觉得差不多", "{store}新上了{product}，看着还行", "{city}下雨了，窝在家喝{product}",
    "听说{brand}要出新口味", "{brand}和{comp}到底选哪个，纠结", "超市里{brand}的货架又变大了",
]
NEUTRAL_EXTRA = ["打工人的一天开始了", "今天也要元气满满", "周一综合症犯了", "吃完去上班", "光线不错随手一拍",
                 "没什么特别的感觉", "看看再说", "先记一笔", "有人喝过吗", "{emo_neu}", "就这样", "明天继续",
                 "还挺期待的"]
COMPARE = ["口感差不多，{brand}稍微贵一点", "说不上哪个更好，看心情买", "{comp}更浓，{brand}更清爽",
           "价格差不多，选了日期新的那个", "包装{brand}好看，味道各有各的好"]
NEWS = ["在{city}开了第一家体验店", "拿了个乳品质量奖", "和动画片出了联名款", "要在{city}建新工厂", "换了新代言人"]
AD = ["拍得还挺有食欲", "代言人有点眼熟", "广告词挺洗脑的", "看完真有点想喝"]

REPOST_EMPTYISH = ["//", "转", "。", "1", "mark"]
REPOST_REMARK = ["马克", "真的假的？", "蹲一个后续", "支持{brand}", "说得太对了", "学到了", "转给我妈看看",
                 "有人喝过吗", "同款经历", "+1", "吃瓜{emo_neu}", "希望是真的", "赞", "好家伙", "这个必须转",
                 "哈哈哈哈", "先转了再说", "喝过，确实", "转发就完事了", "关注一下"]

BOT_OPEN = ["曝光！", "扩散！", "大家注意！", "血泪教训！", "震惊！", "必须说出来！"]
BOT_CORE = ["{product}喝出问题了", "{product}这批有严重质量问题", "{product}被查出菌落超标",
            "{brand}用复原乳冒充鲜奶", "{product}批号{batch}全部胀包"]
BOT_DETAIL = ["孩子喝完上吐下泻进了医院", "厂家拒不承认还删评论", "客服态度恶劣还威胁删帖",
              "{city}已经好几个家长中招", "投诉无门只能发微博"]
BOT_CALL = ["大家千万别买了，转起来！", "求扩散，让更多人看到！", "抵制黑心{brand}！", "家里有的赶紧扔！",
            "有孩子的家长一定要看！"]

LOTTERY_BASE = ["抽我抽我", "许愿中奖", "好运来", "我要中奖", "求中", "锦鲤附体", "万一呢", "分母来了",
                "陪跑第{n}次", "中奖绝缘体求破", "这次一定是我", "希望被翻牌", "想要{product}", "冲冲冲",
                "参与一下", "许愿好运", "{brand}宠我", "从没中过，求一次", "来了来了", "转发许愿"]
LOTTERY_TAIL = ["[哈哈]", "[心]", "[憧憬]", "[鼓掌]", "[doge]", "[哈哈][哈哈]", "好运来", "拜托拜托", "求求了",
                "！", "！！！", "~", "冲", "锦鲤保佑"]

# Other brands' prize draws, which lottery hunters repost by the dozen: who runs them and what they give away.
LOTTERY_BRANDS = ["元气零食铺", "喵星宠物粮", "悦动耳机", "花漾美妆", "拾光咖啡", "轻跑运动", "云朵家纺", "橙子数码",
                  "糖果KTV", "小熊电器"]
LOTTERY_PRIZES = ["iPhone 15", "iPad", "无线耳机", "200元京东卡", "零食大礼包", "猫粮一年份", "口红套装", "咖啡券十张",
                  "跑鞋一双", "加湿器"]
HUNTER_TAGS = ["#转发抽奖# ", "#抽奖# ", "转发抽奖 ", "抽奖抽奖 "]  # what hunters tag their reposts with


def lottery_post(rng: random.Random, *, brand: str) -> str:
    """Another brand's 【转发抽奖】 post: follow, repost, win a generic prize."""
    prize, when, winners = rng.choice(LOTTERY_PRIZES), rng.choice(["周五", "下周一", "月底"]), rng.choice([1, 3, 5, 10])
    tail = rng.choice(["", "@3位好友中奖率更高", "转发越多机会越大"])
    return f"【转发抽奖】关注@{brand} 并转发本条，{when}抽{winners}位送{prize}！{tail}"


SCANDAL = ["被曝用过期奶粉做复原乳", "抽检菌落总数超标", "旗下牧场虐牛视频上热搜了", "被查出蛋白质含量虚标",
           "临期奶改日期重新上架", "工厂被曝卫生问题", "黄曲霉毒素M1超标被通报", "被曝奶源掺水"]
SCANDAL_REACT = ["看得我心惊肉跳", "我家冰箱里还有两箱", "吃瓜{emo_neu}", "这都第几回了", "细思极恐",
                 "喝了好几年的牌子", "真的会谢", "行业是不是都这样", "刚给{who}买的"]
SCANDAL_MENTION = ["{brand}会不会也有这问题？", "还好我一直喝{brand}的", "{brand}是不是也该说说自己的奶源",
                   "求{brand}公开一下检测报告", "准备换成{brand}了，希望别让我失望", "不知道{brand}怎么样",
                   "同一个产区的{brand}估计也悬", "{brand}稳住，别出事", "有人对比过{brand}吗"]

PM_CORE = [
    "你好，订单{order}显示已签收，但我没收到{product}，麻烦查一下",
    "你好，订单{order}的{product}有{n}{unit}破损了，照片怎么发给你们",
    "请问{product}能开电子发票吗？订单号{order}", "想改一下收货地址，订单{order}，改到{area}",
    "{product}胀袋了，批号{batch}，要怎么处理", "订单{order}退款申请好几天了还没到账",
    "月卡能不能暂停{cn}天？要出差，订单{order}", "你好，{product}开封后能放几天？",
    "请问{city}能送{product}吗？", "乳糖不耐受喝{product}会不会不舒服？",
    "您好，我们是{city}的一家{shop}，想咨询{product}的进货渠道",
    "你好，我是美食博主，粉丝{fans}万，想和{brand}合作一期{product}测评，方便回复一下吗？",
    "你好，我们{shop}想批量订{product}，每周大概{cn}十箱，有团购价吗？", "客服在吗？{product}的问题一直没人回",
]
PM_TAIL = ["谢谢", "麻烦了", "急", "在线等", "辛苦了", "谢谢啦", "{emo_neu}"]

KOL_INTRO = ["最近后台很多人问{brand}", "认真研究了一下{product}", "说说我对{product}的看法",
             "关于{brand}这两天的讨论，谈几点看法", "盲测了{product}和{comp}的同类产品", "翻了{product}的配料表"]
KOL_POINT = [
    "配料只有生牛乳，蛋白质{protein}g/100ml，在同价位里算扎实", "巴氏杀菌保留了更多活性蛋白，但对冷链要求极高",
    "投诉集中在配送和售后，产品抽检记录目前没有问题", "口感偏清爽，喜欢厚重奶味的人可能会失望",
    "价格比同类高出约{pct}%，溢价主要来自自有牧场和短保冷链", "盲测中它的奶香最自然，回味干净",
    "包装和日期标注清楚，这点值得同行学习", "华东以外的配送时效仍是短板",
]
KOL_END = ["理性看待，按需选择", "建议品牌尽快公开批次检测结果，回应比沉默更有力", "对于{audience}，值得考虑",
           "总体值得一试，但不必神化", "短保鲜奶的竞争，最终拼的是供应链", "品牌口碑要靠每一批货守住"]

# (template, takes a sign-off): notices and thank-yous end as written; product and recipe posts may add one.
BRAND_POST = [
    ("【新品上市】{product}来啦！{selling}，现已在官方旗舰店和各大超市上架，快来尝鲜吧～", True),
    ("早餐灵感｜{product}+{food}+{fruit}，五分钟搞定一份元气早餐。", True),
    ("【福利】转发本条微博，{day}抽{n}位朋友送出{product}月卡一张！", False),
    ("【牧场日记】{ranch}", True),
    ("{season}，{product}开封后请冷藏并在48小时内饮用完，守护每一口新鲜。", False),
    ("感谢每一位鲜牧的朋友，{milestone}，我们会继续用心做好每一瓶奶。", False),
    ("一周食谱｜用{product}做{recipe}，简单又好吃，周末试试吧～", True),
    ("{product}从挤奶到上架不超过36小时，{selling}。", True),
    ("【温馨提示】近期{city}等地{weather}，配送可能略有延迟，请留意奶箱，给您带来不便敬请谅解。", False),
]
SELLING = ["每100ml含{protein}g优质乳蛋白", "自有牧场奶源，全程冷链", "口感更醇厚，奶香更自然", "新鲜看得见"]
# A product's own claim, keyed by the word in its name, so no post calls the low-fat milk sugar-free.
SELLING_OWN = {"纯牛奶": "只有生牛乳，零添加", "低脂": "脂肪减半，奶香不减", "原味": "经典原味，酸甜刚好",
               "希腊": "三倍生牛乳浓缩，口感浓稠", "儿童": "添加钙和维生素D，守护孩子成长",
               "有机": "有机认证牧场，每一口都安心", "巴氏": "低温巴氏杀菌，保留更多活性蛋白",
               "零蔗糖": "零蔗糖配方，轻松无负担"}
RANCH = ["今天牧场迎来了{n}头小牛犊，大家帮忙起个名字吧～", "清晨五点，牧场的奶牛们开始了新的一天。",
         "每一头奶牛都有自己的健康档案，鲜牧坚持科学养殖。", "牧场的苜蓿草丰收啦，奶牛们的口粮又有保障了。",
         "今天给奶牛们做了体检，{n}号牛棚全员健康～", "牧场的自动挤奶厅每天运转{n}个班次，每一滴奶都全程检测。"]
MILESTONE = ["鲜牧华东服务家庭突破十万户", "官方微博粉丝突破十万", "今年累计配送超过一千万瓶",
             "鲜牧陪伴大家走过第十个年头", "{city}的第{n}个奶站今天开业", "本月好评率再创新高"]
SEASON = ["天气转热", "入夏了", "三伏天到了", "梅雨季节", "秋老虎来了"]
RECIPE = {"yoghurt": ["酸奶水果杯", "酸奶燕麦碗", "酸奶松饼", "酸奶水果沙拉"],
          "milk": ["牛奶布丁", "双皮奶", "奶香燕麦粥", "牛奶西米露", "姜撞奶"]}
DAY = ["周五", "本周日", "下周一", "三天后"]
# Optional sign-offs; the brand voice stays clean, so no netspeak and no typos here.
BRAND_TAIL = ["[心]", "[太开心]", "鲜牧，每一滴都来自自有牧场。", "大家喜欢吗？", "一起来试试吧！", "欢迎留言分享～"]
WEATHER = ["大幅降温", "持续暴雨", "出现大雾", "迎来降雪", "台风过境"]

REPLY_OPEN = ["亲，", "您好，", "亲亲，", "亲爱的鲜牧家人，", "您好呀，"]
# Customer-service replies by tone, so an apology never closes a thank-you and vice versa.
REPLY_CORE: dict[str, list[str]] = {
    "sorry": ["非常抱歉给您带来不好的体验，麻烦私信我们订单号和产品照片", "已私信您，请注意查收",
              "已为您登记，专员会在24小时内联系您", "您反馈的{product}问题我们非常重视，已同步质检部门核查",
              "已为您安排补发，预计{n}天内送达", "退款已为您加急处理，请留意到账信息",
              "配送延误非常抱歉，已催促{city}站点优先为您派送"],
    "info": ["{product}开封后请冷藏，建议48小时内饮用完", "配送范围可以在官方小程序输入地址查询",
             "{product}不含添加蔗糖，可以放心饮用", "活动规则以活动页面为准，每个账号限参与一次",
             "{product}在{city}的各大超市和官方旗舰店都有售", "乳糖不耐受的朋友可以先少量饮用试试"],
    "thanks": ["感谢您的喜爱[心]", "谢谢您的支持，看到您喜欢{product}我们也很开心", "被您夸到了，小鲜开心一整天",
               "收到您的好评啦[哈哈]"],
}
REPLY_CLOSE: dict[str, list[str]] = {
    "sorry": ["给您添麻烦了。", "再次向您致歉。", "感谢您的理解与支持。", "有进展会第一时间告诉您。"],
    "info": ["有问题随时私信小鲜哦～", "祝您生活愉快～", "感谢您的关注！", ""],
    "thanks": ["鲜牧会继续努力的！", "祝您生活愉快～", "欢迎常来～", ""],
}

TYPOS = [("已经", "以经"), ("再也", "在也"), ("哪里", "那里"), ("觉得", "觉的"), ("反映", "反应"),
         ("收到", "受到"), ("订单", "定单"), ("怎么", "怎摸"), ("喝了", "和了"), ("这么", "这莫")]


# ------------------------------------------------------------------------------------------ composition
def _maybe(rng: random.Random, options: Sequence[str], p: float) -> list[str]:
    """One of ``options`` with probability ``p``, as a list to splice into the parts."""
    return [rng.choice(options)] if rng.random() < p else []


def _join(rng: random.Random, parts: list[str], seps: Sequence[str]) -> str:
    """Glue parts with a drawn separator, skipping it where a part already ends in punctuation."""
    out = ""
    for part in (p for p in parts if p):
        if out and out[-1] not in _PUNCT:
            # An emoticon sticks to the sentence before it ("好评[赞]"), at most after a space.
            out += rng.choice(["", " "]) if part.startswith(("[", "{emo")) else rng.choice(seps)
        out += part
    return out


def _praise(rng: random.Random, ctx: dict[str, str]) -> str:
    cores = [rng.choice(PRAISE_CORE)]
    if rng.random() < 0.3:  # a second point, about the same product, so "它"/"而且" instead of its name again
        second = rng.choice([c for c in PRAISE_CORE if c.startswith("{product}") and c != cores[0]])
        cores.append(second.replace("{product}", rng.choice(["它", "而且", "关键是"]), 1))
    parts = _maybe(rng, PRAISE_OPEN, 0.55) + cores + _maybe(rng, PRAISE_TAIL, 0.75)
    body = _join(rng, parts, ["，", "！", " ", "。"])
    return _fill(body + ("" if body.endswith("}") else rng.choice(["", "！", "！！", "~", "。"])), rng, ctx)


def _complaint(rng: random.Random, ctx: dict[str, str]) -> str:
    core = rng.choice(COMPLAINT_CORE)
    details = [detail for marker, detail in COMPLAINT_DETAIL if marker not in core]
    parts = [*_maybe(rng, COMPLAINT_OPEN, 0.5), core, *_maybe(rng, details, 0.45), *_maybe(rng, COMPLAINT_FEEL, 0.7),
             *_maybe(rng, COMPLAINT_ASK, 0.6)]
    emoticons = "".join(_maybe(rng, ["{emo_neg}", "{emo_neg}{emo_neg}", " {emo_neg}"], 0.4))  # no comma before one
    return _fill(_join(rng, parts, ["，", "。", "！", "。。。", " "]) + emoticons, rng, ctx)


def _question(rng: random.Random, ctx: dict[str, str]) -> str:
    core = rng.choice(QUESTION_CORE)
    # "吗呀？" is not Chinese: a core that already ends in a question particle takes a bare question mark.
    end = rng.choice(QUESTION_END[:5] if core.endswith(("吗", "呢")) else QUESTION_END)
    head = _join(rng, [*_maybe(rng, QUESTION_OPEN, 0.5), core], ["", " "])
    return _fill(head + end + "".join(_maybe(rng, QUESTION_TAIL, 0.45)), rng, ctx)


def _neutral(rng: random.Random, ctx: dict[str, str]) -> str:
    ctx = {**ctx, "compare": _fill(rng.choice(COMPARE), rng, ctx), "ad": rng.choice(AD),
           "news": _fill(rng.choice(NEWS), rng, ctx)}
    parts = [rng.choice(NEUTRAL_CORE), *_maybe(rng, NEUTRAL_EXTRA, 0.6)]
    return _fill(_join(rng, parts, ["，", "。", " ", "～"]), rng, ctx)


def _repost(rng: random.Random, ctx: dict[str, str]) -> str:
    roll = rng.random()
    if roll < 0.3:  # Weibo's own default text when the reposter types nothing
        return "转发微博"
    if roll < 0.4:
        return rng.choice(REPOST_EMPTYISH)
    remark = rng.choice(REPOST_REMARK)
    ending = "" if remark.endswith(("}", "？")) else rng.choice(["", "", "！", "{emo_neu}", "{emo_pos}"])
    return _fill(remark + ending, rng, ctx)


def _bot_copy(rng: random.Random, ctx: dict[str, str]) -> str:
    parts = [rng.choice(BOT_OPEN), rng.choice(BOT_CORE), rng.choice(BOT_DETAIL), rng.choice(BOT_CALL)]
    return _fill(_join(rng, parts, ["，", "！"]), rng, ctx)


def _lottery(rng: random.Random, ctx: dict[str, str]) -> str:
    first = rng.choice(LOTTERY_BASE)
    second = _maybe(rng, [b for b in LOTTERY_BASE if b != first], 0.35)
    return _fill(_join(rng, [first, *second], ["，", " ", ""]) + rng.choice(["", *LOTTERY_TAIL]), rng, ctx)


def _collateral(rng: random.Random, ctx: dict[str, str]) -> str:
    parts = [f"{{comp}}{rng.choice(SCANDAL)}", *_maybe(rng, SCANDAL_REACT, 0.7), rng.choice(SCANDAL_MENTION)]
    ctx = {**ctx, "brand": BRAND_SHORT if rng.random() < 0.7 else BRAND}
    return _fill(_join(rng, parts, ["，", "。", " "]), rng, ctx)


def _private_message(rng: random.Random, ctx: dict[str, str]) -> str:
    parts = [rng.choice(PM_CORE), *_maybe(rng, PM_TAIL, 0.5)]
    return _fill(_join(rng, parts, ["，", "。", " "]), rng, ctx)


def _kol(rng: random.Random, ctx: dict[str, str]) -> str:
    points = rng.sample(KOL_POINT, 2 if rng.random() < 0.6 else 1)
    body = "：" + "；".join(points) + "。" + rng.choice(KOL_END) + "。"
    return _fill(rng.choice(KOL_INTRO) + body, rng, ctx)


def _brand_post(rng: random.Random, ctx: dict[str, str]) -> str:
    own = [claim for word, claim in SELLING_OWN.items() if word in ctx["product"]]
    recipes = RECIPE["yoghurt" if "酸奶" in ctx["product"] else "milk"]
    ctx = {**ctx, "selling": _fill(rng.choice(SELLING + own * 3), rng, ctx), "recipe": rng.choice(recipes),
           "ranch": _fill(rng.choice(RANCH), rng, ctx), "milestone": _fill(rng.choice(MILESTONE), rng, ctx),
           "day": rng.choice(DAY), "weather": rng.choice(WEATHER), "season": rng.choice(SEASON)}
    post, takes_tail = rng.choice(BRAND_POST)
    return _fill(post + "".join(_maybe(rng, BRAND_TAIL, 0.5 if takes_tail else 0)), rng, ctx)


def _reply(rng: random.Random, ctx: dict[str, str]) -> str:
    tone = rng.choice(["sorry", "sorry", "info", "thanks"])  # most replies the brand writes are apologies
    parts = [rng.choice(REPLY_OPEN), rng.choice(REPLY_CORE[tone]), rng.choice(REPLY_CLOSE[tone])]
    return _fill(_join(rng, parts, ["，"]), rng, ctx)


_COMPOSERS: dict[str, Callable[[random.Random, dict[str, str]], str]] = {
    "praise": _praise, "complaint": _complaint, "question": _question, "neutral": _neutral,
    "repost": _repost, "bot_copy": _bot_copy, "lottery": _lottery, "collateral": _collateral,
    "private_message": _private_message, "kol": _kol, "brand_post": _brand_post, "reply": _reply,
}


def _tidy(text: str) -> str:
    """Drop a dangling comma and the separator a closing part made redundant ("，。" → "。")."""
    text = re.sub(r"[，,]([。！？~～])", r"\1", text).strip()
    return text.rstrip("，、：")


def _typo(text: str, rng: random.Random) -> str:
    """Now and then one input-method slip, as real people leave them."""
    found = [pair for pair in TYPOS if pair[0] in text]
    if not found or rng.random() >= _TYPO_RATE:
        return text
    right, wrong = rng.choice(found)
    return text.replace(right, wrong, 1)


def _clip(text: str) -> str:
    """Last resort after _MAX_TRIES long draws: cut at the last sentence end that fits, else hard."""
    while weibo_length(text) > MAX_TEXT_LENGTH:
        text = text[:-1]
    cut = max(text.rfind(mark) for mark in "。！？")
    return text[: cut + 1] if cut > len(text) // 2 else text


def text(kind: str, rng: random.Random, *, product: str | None = None) -> str:
    """A text of ``kind`` about the brand, drawn with ``rng``; ``product`` forces the product named."""
    compose = _COMPOSERS.get(kind)
    if compose is None:
        raise ValueError(f"unknown text kind {kind!r}; kinds are: {', '.join(KINDS)}")
    out = ""
    for _ in range(_MAX_TRIES):
        out = _tidy(compose(rng, _context(rng, product)))
        if kind in _CASUAL:
            out = _typo(out, rng)
        if 0 < weibo_length(out) <= MAX_TEXT_LENGTH:
            return out
    return _clip(out)


# ---------------------------------------------------------------------------------------------- people
SURNAME = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
EN_NAME = ["Momo", "Coco", "Lily", "Kiki", "Jason", "Tony", "Echo", "Vivi", "Sunny", "Amy", "Leo", "Mia", "Ivy",
           "Zoe", "Kevin", "Aaron", "Yuki", "Nina", "Luna", "Max"]
NICK = ["阿杰", "小鹿", "大宝", "阿飞", "小雨", "阿楠", "小七", "阿月", "小满", "大橙子", "阿琪", "小树", "糖糖",
        "豆豆", "阿瑶", "小北", "圆圆", "阿哲", "丸子", "十一"]
DRINK = ["奶茶", "咖啡", "豆浆", "柠檬茶", "美式", "拿铁", "可乐"]
FRUIT = ["草莓", "芒果", "西瓜", "橘子", "葡萄", "桃子", "榴莲", "樱桃"]
ANIMAL = ["猫", "橘猫", "柴犬", "兔子", "熊猫", "小狗", "考拉", "仓鼠", "企鹅", "鲸鱼"]
ADJ = ["胖胖的", "困困的", "不想上班的", "爱睡觉的", "快乐的", "佛系的", "暴躁的", "努力的", "迷路的"]
MOOD = ["减肥", "早睡", "加油", "喝奶", "开心", "搬砖"]
NORMAL_NAMES = ["{drink}不加糖的小{surname}", "{en}在{ncity}", "{nick}_{year}", "爱吃{fruit}的{animal}",
                "{adj}{animal}", "是{nick}呀", "{nick}今天{mood}了吗", "{ncity}{nick}", "{animal}不想上班{d2}",
                "{en}_{d4}", "一只{adj}{animal}", "{surname}{nick}{suffix}", "{nick}的{fruit}日记", "{en}{nick}",
                "{fruit}味的{en}", "{nick}{d3}"]
KOL_NAMES = ["食品安全观察", "营养师{surname}姐", "{surname}医生谈营养", "乳业观察者{nick}", "育儿博主{en}",
             "科普君{nick}", "{ncity}美食侦探", "营养科普{surname}老师", "食品工程师{nick}", "消费观察{en}",
             "快消行业观察", "{surname}博士说健康", "健身营养师{en}", "宝妈测评{nick}"]
HUNTER_NAMES = ["锦鲤附体{year}", "抽奖小能手_{d2}", "每天都想中奖", "中奖绝缘体{d3}", "欧气满满{nick}",
                "好运{nick}{d2}", "转发锦鲤{d4}", "抽奖专业户{en}", "求中奖的{animal}", "今天也想被翻牌",
                "锦鲤本鲤{d3}", "中奖{surname}{nick}", "欧皇{en}{d2}", "一定会中奖_{d4}"]

_NAME_SLOTS: dict[str, Callable[[random.Random], str]] = {
    "surname": lambda r: r.choice(SURNAME), "en": lambda r: r.choice(EN_NAME), "nick": lambda r: r.choice(NICK),
    "drink": lambda r: r.choice(DRINK), "fruit": lambda r: r.choice(FRUIT), "animal": lambda r: r.choice(ANIMAL),
    "adj": lambda r: r.choice(ADJ), "mood": lambda r: r.choice(MOOD),
    "suffix": lambda r: r.choice(["酱", "同学", "本人", "吖", ""]),
    "ncity": _city,
    "year": lambda r: str(r.randint(1975, 2008)),
    "d2": lambda r: str(r.randint(10, 99)), "d3": lambda r: str(r.randint(100, 999)),
    "d4": lambda r: str(r.randint(1000, 9999)),
}


def _name(template: str, rng: random.Random) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _NAME_SLOTS[m.group(1)](rng), template)


def screen_name(rng: random.Random, *, style: str = "normal") -> str:
    """A nickname: "normal" people, "default" auto-named (用户 + 10 digits), "kol" pundits, "hunter" prize hunters."""
    if style == "default":  # what Weibo assigns to accounts that never picked a name
        return "用户" + str(rng.randint(1, 7)) + "".join(str(rng.randint(0, 9)) for _ in range(9))
    templates = {"normal": NORMAL_NAMES, "kol": KOL_NAMES, "hunter": HUNTER_NAMES}.get(style)
    if templates is None:
        raise ValueError(f"unknown name style {style!r}; styles are: {', '.join(NAME_STYLES)}")
    return _name(rng.choice(templates), rng)


BIO_NORMAL = ["热爱生活，热爱美食", "一个普通上班族", "{ncity}人｜喜欢猫", "不定期更新日常", "宝妈一枚，记录娃的成长",
              "健身ing", "天蝎座", "摄影爱好者", "吃货一枚", "努力搬砖中", "在{ncity}打工的{nick}", "慢慢来，比较快",
              "今天也要好好吃饭", "一枚程序员", "喜欢旅行和咖啡", "两个娃的妈", "狮子座女孩",
              "佛系青年", "做一个温柔的人", "早睡早起身体好"]
BIO_DEFAULT = ["这个人很懒，什么也没留下", "你好", "生活"]
BIO_KOL = ["注册营养师｜关注膳食健康", "食品安全科普｜不收钱不站队", "快消行业观察者，合作请私信",
           "儿科营养方向｜科学育儿", "微博签约自媒体｜美食测评", "{nick}，十年食品行业从业者", "健身教练｜运动营养"]
BIO_HUNTER = ["转发抽奖专用号", "中奖绝缘体求破", "锦鲤请附身", "每天转发，总会中的", "已中：耳机一副、零食礼包",
              "抽奖是一种生活态度", "好运会来的", "逢抽必转"]
# Share of profiles left blank, per style: auto-named accounts almost never write one, pundits always do.
_BLANK_BIO = {"normal": 0.3, "default": 0.85, "kol": 0.0, "hunter": 0.2}


def description(rng: random.Random, *, style: str = "normal") -> str:
    """A profile bio in the voice of ``style`` (same styles as screen_name); may be ""."""
    bios = {"normal": BIO_NORMAL, "default": BIO_DEFAULT, "kol": BIO_KOL, "hunter": BIO_HUNTER}.get(style)
    if bios is None:
        raise ValueError(f"unknown description style {style!r}; styles are: {', '.join(NAME_STYLES)}")
    if rng.random() < _BLANK_BIO[style]:
        return ""
    picked = rng.sample(bios, 2) if style == "normal" and rng.random() < 0.35 else [rng.choice(bios)]
    return _name(" ".join(picked), rng)
