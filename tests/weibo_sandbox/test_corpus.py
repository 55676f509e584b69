"""The sandbox's demo corpus: every kind of text, the people who write them, and the promises the traffic
generator relies on (length, no @ or #, variety, determinism, the forced product)."""

from __future__ import annotations

import itertools
import math
import random
import re
import statistics

import pytest

from weibo_sandbox import corpus

DRAWS = 400  # per kind: enough to hit every template of every kind many times over
EMPTYISH_REPOSTS = {"转发微博", "//", "转", "。", "1", "mark"}
# What the sandbox would reject (advertising 20020, links 20018/10017) and what only the generator adds.
NEVER_IN_TEXT = ["@", "#", "http", "加微信", "VX", "vx", "代购", "微信号"]


def rng(seed: int = 0) -> random.Random:
    return random.Random(seed)  # noqa: S311 — seeded replay is the point; nothing here is secret


def weibo_chars(text: str) -> int:
    """Counted independently of the module: non-ASCII 1, ASCII half, rounded up."""
    half = sum(1 for c in text if c.isascii())
    return len(text) - half + math.ceil(half / 2)


def draws(kind: str, n: int = DRAWS, seed: int = 1, **kwargs) -> list[str]:
    r = rng(seed)
    return [corpus.text(kind, r, **kwargs) for _ in range(n)]


def test_api_constants():
    assert corpus.BRAND == "鲜牧乳业"
    assert len(corpus.PRODUCTS) >= 8 and len(set(corpus.PRODUCTS)) == len(corpus.PRODUCTS)
    assert all(p.startswith("鲜牧") for p in corpus.PRODUCTS)
    named = {"鲜牧纯牛奶", "鲜牧低脂奶", "鲜牧原味酸奶", "鲜牧希腊酸奶", "鲜牧儿童成长奶", "鲜牧有机奶"}
    assert named <= set(corpus.PRODUCTS)
    assert len(corpus.COMPETITORS) >= 4 and not any("鲜牧" in c for c in corpus.COMPETITORS)
    assert set(corpus.KINDS) == {"praise", "complaint", "question", "neutral", "repost", "bot_copy", "lottery",
                                 "collateral", "private_message", "kol", "brand_post", "reply"}


@pytest.mark.parametrize(("text", "length"), [("", 0), ("abc", 2), ("abcd", 2), ("中文", 2), ("a中", 2),
                                               ("转发微博", 4), ("[哈哈]", 3), ("yyds！", 3)])
def test_weibo_length_counts_like_weibo(text, length):
    assert corpus.weibo_length(text) == length == weibo_chars(text)


@pytest.mark.parametrize("kind", corpus.KINDS)
def test_every_kind_is_non_empty_within_length_and_clean(kind):
    for text in draws(kind):
        assert text.strip(), kind
        assert weibo_chars(text) <= corpus.MAX_TEXT_LENGTH <= 110, text
        assert not [bad for bad in NEVER_IN_TEXT if bad in text], text
        assert "{" not in text and "}" not in text, f"unfilled slot: {text}"


@pytest.mark.parametrize("kind", [k for k in corpus.KINDS if k != "repost"])
def test_kinds_vary_and_rarely_repeat_back_to_back(kind):
    texts = draws(kind, n=1000)
    assert len(set(texts)) >= 300, kind
    assert sum(a == b for a, b in itertools.pairwise(texts)) <= 10, kind


def test_complaints_are_thousands_of_distinct_texts():
    assert len(set(draws("complaint", n=1000))) >= 600


def test_complaints_carry_concrete_details():
    texts = draws("complaint", n=1000)
    share = sum(bool(re.search(r"\d{6,}", t)) for t in texts) / len(texts)
    assert share > 0.2  # batch or order numbers in a good part of them
    assert any("订单" in t for t in texts) and any("批号" in t for t in texts)
    assert any(city in t for t in texts for city in ("上海", "杭州", "南京", "苏州"))


@pytest.mark.parametrize("kind", ["praise", "complaint", "question"])
@pytest.mark.parametrize("product", corpus.PRODUCTS)
def test_forced_product_is_the_one_named(kind, product):
    for text in draws(kind, n=40, product=product):
        assert product in text, text


def test_without_product_the_product_varies():
    texts = draws("complaint", n=300)
    assert {p for p in corpus.PRODUCTS if any(p in t for t in texts)} == set(corpus.PRODUCTS)


@pytest.mark.parametrize("kind", corpus.KINDS)
def test_same_seed_same_texts(kind):
    assert draws(kind, n=50, seed=7) == draws(kind, n=50, seed=7)
    assert draws(kind, n=50, seed=7) != draws(kind, n=50, seed=8)


def test_same_seed_same_people():
    def people(seed):
        r = rng(seed)
        return [(corpus.screen_name(r, style=s), corpus.description(r, style=s), corpus.location(r))
                for s in corpus.NAME_STYLES for _ in range(30)]

    assert people(3) == people(3)
    assert people(3) != people(4)


def test_unknown_kind_raises_listing_the_kinds():
    with pytest.raises(ValueError, match="gossip") as info:
        corpus.text("gossip", rng())
    assert all(kind in str(info.value) for kind in corpus.KINDS)


def test_repost_remarks_are_short_and_about_forty_percent_empty():
    texts = draws("repost", n=2000)
    empty = sum(t in EMPTYISH_REPOSTS for t in texts) / len(texts)
    assert 0.33 < empty < 0.47
    assert 0.22 < texts.count("转发微博") / len(texts) < 0.38
    assert max(weibo_chars(t) for t in texts) <= 20
    assert len(set(texts) - EMPTYISH_REPOSTS) >= 50


def test_collateral_names_a_competitor_and_our_brand():
    for text in draws("collateral"):
        assert any(c in text for c in corpus.COMPETITORS), text
        assert "鲜牧" in text, text


def test_lottery_comments_are_short_hunter_talk():
    texts = draws("lottery")
    assert max(weibo_chars(t) for t in texts) <= 30
    words = ("抽", "中", "好运", "锦鲤", "许愿", "万一", "翻牌", "分母")
    assert sum(any(w in t for w in words) for t in texts) > 0.6 * len(texts)


def test_bot_copy_is_an_accusation():
    for text in draws("bot_copy", n=100):
        assert "鲜牧" in text and "！" in text, text


def test_kol_commentary_is_longer_and_polished():
    kol, praise = draws("kol"), draws("praise")
    assert statistics.mean(map(weibo_chars, kol)) > statistics.mean(map(weibo_chars, praise)) + 20
    for text in kol:
        assert text.endswith("。") and not [w for w in ("yyds", "绝绝子", "[", "哈哈哈") if w in text], text


def test_brand_voice_has_no_typos_or_netspeak():
    typos = [wrong for _, wrong in corpus.TYPOS]
    for kind in ("brand_post", "reply", "kol"):
        for text in draws(kind):
            assert not [w for w in [*typos, "yyds", "绝绝子", "无语", "踩雷", "哈哈哈"] if w in text], text


def test_replies_sound_like_customer_service():
    texts = draws("reply")
    assert all(t.startswith(("亲", "您好")) for t in texts)
    assert any("私信" in t for t in texts)


def test_casual_texts_read_like_weibo():
    texts = [t for kind in ("praise", "complaint", "question", "neutral") for t in draws(kind, n=1000)]
    joined = "".join(texts)
    assert re.search(r"\[[^\]]{1,5}\]", joined)  # bracket emoticons
    for marker in ("哈哈哈", "。。。", "yyds", "绝绝子", "无语", "踩雷", "回购"):
        assert marker in joined, marker
    typos = [wrong for _, wrong in corpus.TYPOS]
    assert 0 < sum(any(w in t for w in typos) for t in texts) < 0.1 * len(texts)


def test_private_messages_cover_orders_questions_and_collaboration():
    texts = draws("private_message", n=600)
    assert any(re.search(r"订单号?\d{15,}", t) for t in texts)
    assert any("？" in t for t in texts)
    assert any("合作" in t or "进货" in t for t in texts)


def test_default_names_are_auto_generated():
    r = rng(5)
    names = [corpus.screen_name(r, style="default") for _ in range(300)]
    assert all(re.fullmatch(r"用户\d{10}", n) for n in names)
    assert len(set(names)) == len(names)


def test_normal_names_look_like_people_and_are_many():
    r = rng(6)
    names = [corpus.screen_name(r) for _ in range(3000)]
    assert len(set(names)) > 1500
    for name in names:
        assert re.fullmatch(r"[\w\-]+", name) and not name.startswith("用户"), name
        assert 2 <= weibo_chars(name) <= 15, name


@pytest.mark.parametrize(("style", "markers"), [
    ("kol", ("观察", "营养", "医生", "博主", "科普", "侦探", "工程师", "博士", "测评")),
    ("hunter", ("中奖", "锦鲤", "抽奖", "欧气", "好运", "欧皇", "翻牌")),
])
def test_kol_and_hunter_names_read_their_part(style, markers):
    r = rng(8)
    names = [corpus.screen_name(r, style=style) for _ in range(300)]
    assert len(set(names)) > 60
    for name in names:
        assert any(m in name for m in markers) and re.fullmatch(r"[\w\-]+", name), name


def test_unknown_name_style_raises():
    with pytest.raises(ValueError, match="styles are: normal, default, kol, hunter"):
        corpus.screen_name(rng(), style="celebrity")
    with pytest.raises(ValueError, match="celebrity"):
        corpus.description(rng(), style="celebrity")


def test_locations_are_weibo_style():
    r = rng(9)
    places = [corpus.location(r) for _ in range(2000)]
    for place in places:
        assert place == "其他" or re.fullmatch(r"\w{2,3} \w{2,5}", place), place
    east = sum(p.split()[0] in ("上海", "江苏", "浙江") for p in places) / len(places)
    assert 0.3 < east < 0.6  # the brand sells mostly in East China
    assert any(p.startswith("海外 ") for p in places)


@pytest.mark.parametrize("style", corpus.NAME_STYLES)
def test_descriptions_per_style(style):
    r = rng(10)
    bios = [corpus.description(r, style=style) for _ in range(300)]
    assert all("@" not in b and "#" not in b and "{" not in b and weibo_chars(b) <= 70 for b in bios)
    blank = bios.count("") / len(bios)
    if style == "kol":
        assert blank == 0
    elif style == "default":
        assert blank > 0.7
    else:
        assert 0 < blank < 0.5
