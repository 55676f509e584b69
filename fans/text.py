"""Text features of fans' messages, read without a model: questions, praise, defending the brand,
who a repost came through, and whether a reply is a bare template.

These are word lists, not sentiment analysis: the monitoring duty brings the trained model. They
feed routing conditions and the loyalty score, and each hit is shown as a reason, so a wrong one is
easy to see.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Indel

QUESTION_MARKS = ("?", "？")
QUESTION_WORDS = ("吗", "怎么", "为什么", "能不能", "可不可以", "是否", "多久", "哪里", "请问", "什么时候", "如何",
                  "有没有")
PRAISE_WORDS = ("好喝", "好吃", "喜欢", "推荐", "点赞", "赞", "支持", "回购", "满意", "好评", "太棒", "爱了", "真香",
                "感谢", "谢谢", "贴心", "给力", "靠谱", "放心")
DEFEND_WORDS = ("造谣", "别黑", "黑粉", "水军", "不实", "辟谣", "一直在喝", "一直喝", "喝了好多年", "相信鲜牧",
                "挺鲜牧", "支持鲜牧", "别带节奏", "带节奏")
# What did not come is said many ways ("没送到", "三天没送了", "还没收到"): the stems are listed, not one phrasing.
COMPLAINT_WORDS = ("投诉", "变质", "过期", "漏", "破损", "坏了", "发酸", "异味", "退款", "退货", "差评", "没送",
                   "没收到", "还没到", "没到货", "没发货", "待发货", "送错", "太慢", "客服不理", "没人理", "拉肚子",
                   "虫", "失望", "骗")
# "//@name:" marks who a repost came through; the first one is the direct parent.
REPOST_VIA = re.compile(r"//@([^:：\s]{1,30})[:：]")
MENTION = re.compile(r"@([\w\u4e00-\u9fff-]{1,30})")
BOILERPLATE_SIMILARITY = 0.9  # a reply this close to its template is the template: not answering the fan


def own_words(text: str) -> str:
    """What the fan wrote: a repost's text without the chain it came through ("//@name: ...")."""
    return text.split("//@", 1)[0]


def is_complaint(text: str) -> bool:
    """A complaint in the fan's own words, whatever the item is (a comment, an @, a message): the same text
    is the same complaint. An @name is nobody's complaint ("@投诉小助手")."""
    return bool(hits(MENTION.sub("", own_words(text)), COMPLAINT_WORDS))


def is_question(text: str) -> bool:
    return any(mark in text for mark in QUESTION_MARKS) or any(word in text for word in QUESTION_WORDS)


def hits(text: str, words: tuple[str, ...]) -> list[str]:
    return [word for word in words if word in text]


def is_praise(text: str) -> bool:
    # "不好喝" is not praise: a negation right before the word cancels it.
    return any(word in text and f"不{word}" not in text and f"没{word}" not in text for word in PRAISE_WORDS) \
        and not hits(text, COMPLAINT_WORDS)


def defends(text: str) -> bool:
    return bool(hits(text, DEFEND_WORDS))


def reposted_via(text: str) -> str:
    match = REPOST_VIA.search(text)
    return match.group(1) if match else ""


def _bare(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", MENTION.sub("", text))


def is_boilerplate(reply: str, template: str) -> bool:
    """A reply that is its template, give or take punctuation and an @name."""
    if not template.strip():
        return False
    return Indel.normalized_similarity(_bare(reply), _bare(template)) >= BOILERPLATE_SIMILARITY
