"""The keyword matcher (one Aho-Corasick pass over every group's terms), jieba learning the monitored
terms, and the near-duplicate key of a text."""

from __future__ import annotations

import itertools
import time

import jieba
import pytest

from sentiment.matching import SHORTEST_FOLDED, GroupSpec, Hit, Matcher, fold, matcher_for, text_key

pytestmark = pytest.mark.platform_free  # pure logic: the same on SQLite and PostgreSQL


def hits(matcher: Matcher, text: str) -> dict[int, list[str]]:
    return {hit.group_id: hit.terms for hit in matcher.match(text)}


# --- include, exclude, context -------------------------------------------------------------------

def test_an_include_term_matches_and_reports_every_include_term_found():
    matcher = Matcher([GroupSpec(1, ("鲜牧", "鲜牧酸奶"))])
    assert matcher.match("鲜牧酸奶今天打折") == [Hit(1, ["鲜牧", "鲜牧酸奶"])]
    assert matcher.match("光明牛奶今天打折") == []


def test_an_exclude_term_vetoes_the_group():
    matcher = Matcher([GroupSpec(1, ("鲜牧",), exclude=("招聘", "鲜牧路"))])
    assert hits(matcher, "鲜牧的酸奶真好喝") == {1: ["鲜牧"]}
    assert hits(matcher, "鲜牧招聘冷链司机") == {}
    assert hits(matcher, "鲜牧路堵车了") == {}


def test_required_context_must_be_there_when_given():
    matcher = Matcher([GroupSpec(1, ("鲜牧",), context=("牛奶", "酸奶"))])
    assert hits(matcher, "鲜牧大道今天封路") == {}
    assert hits(matcher, "鲜牧的牛奶涨价了") == {1: ["鲜牧"]}
    assert hits(matcher, "鲜牧酸奶") == {1: ["鲜牧"]}
    # A context word alone is no match: the include term is what the group is about.
    assert hits(matcher, "今天的牛奶涨价了") == {}


def test_exclude_beats_context():
    matcher = Matcher([GroupSpec(1, ("鲜牧",), exclude=("广告",), context=("酸奶",))])
    assert hits(matcher, "鲜牧酸奶广告拍得真好") == {}


def test_full_width_and_case_are_folded_on_both_sides():
    matcher = Matcher([GroupSpec(1, ("XianMu",)), GroupSpec(2, ("ＡＢＣ奶",))])
    assert hits(matcher, "ｘｉａｎｍｕ的酸奶") == {1: ["xianmu"]}
    assert hits(matcher, "XIANMU yogurt") == {1: ["xianmu"]}
    assert hits(matcher, "我喝了abc奶") == {2: ["abc奶"]}
    assert hits(matcher, "我喝了ＡＢＣ奶") == {2: ["abc奶"]}
    assert fold("ＸＩＡＮ ｍｕ！") == "xian mu!"


def test_blank_and_repeated_terms_are_ignored():
    matcher = Matcher([GroupSpec(1, ("鲜牧", " 鲜牧 ", "", "  "), exclude=("",), context=())])
    assert matcher.terms == ["鲜牧"]
    assert hits(matcher, "鲜牧") == {1: ["鲜牧"]}
    assert Matcher([]).match("鲜牧") == []
    assert Matcher([GroupSpec(1, ("", " "))]).match("鲜牧") == []


def test_many_groups_share_one_automaton_and_each_keeps_its_own_roles():
    groups = [
        GroupSpec(1, ("鲜牧",), exclude=("招聘",)),
        GroupSpec(2, ("光明", "蒙牛"), context=("酸奶",)),  # competitors, only about yogurt
        GroupSpec(3, ("招聘",)),  # HR watches what group 1 excludes
        GroupSpec(4, ("张总",), exclude=("鲜牧",)),  # a key person, not in the brand's own news
    ]
    matcher = Matcher(groups)
    assert matcher.terms == ["鲜牧", "招聘", "光明", "蒙牛", "酸奶", "张总"]
    assert hits(matcher, "鲜牧招聘，光明酸奶也招聘") == {2: ["光明"], 3: ["招聘"]}
    assert hits(matcher, "鲜牧和蒙牛的酸奶，张总都爱喝") == {1: ["鲜牧"], 2: ["蒙牛"]}
    assert hits(matcher, "张总今天接受了采访") == {4: ["张总"]}


def test_ten_thousand_terms_match_exactly_and_in_one_pass():
    syllables = "鲜牧酸奶牛乳品冷链配送门店会员草莓蓝桂花乌龙燕麦茶"  # 24 distinct characters
    terms = ["".join(p) for p in itertools.permutations(syllables, 3)][:10_000]
    assert len(set(terms)) == 10_000
    groups = [GroupSpec(n, tuple(terms[n * 100:(n + 1) * 100])) for n in range(100)]
    matcher = Matcher(groups)
    assert len(matcher.terms) == 10_000
    text = f"今天买了{terms[4242]}和{terms[9999]}"
    found = hits(matcher, text)
    expected = {}
    for index, term in enumerate(terms):  # every term the text holds, the two written in and any overlap
        if term in text:
            expected.setdefault(index // 100, []).append(term)
    assert found == {group: sorted(words) for group, words in expected.items()}
    assert terms[4242] in found[42] and terms[9999] in found[99]
    # One pass whatever the number of terms: 10,000 texts in well under a second.
    started = time.perf_counter()
    for _ in range(10_000):
        matcher.match(text)
    assert time.perf_counter() - started < 2.0


# --- the per-process cache and jieba -------------------------------------------------------------------

def test_the_matcher_is_built_once_per_set_of_groups_and_rebuilt_when_one_changes():
    groups = [GroupSpec(901, ("鲜牧",))]
    assert matcher_for(groups) is matcher_for([GroupSpec(901, ("鲜牧",))])
    changed = matcher_for([GroupSpec(901, ("鲜牧", "xianmu"))])
    assert changed is not matcher_for(groups)
    assert hits(changed, "XIANMU") == {901: ["xianmu"]}


def test_jieba_keeps_a_monitored_term_whole_once_the_matcher_is_built():
    text = "我买了鲜牧芝士杯，还有晨光燕麦碗"
    assert "鲜牧芝士杯" not in jieba.lcut(text)  # a made-up product name: jieba would cut it
    assert "晨光燕麦碗" not in jieba.lcut(text)
    matcher_for([GroupSpec(902, ("鲜牧芝士杯",), exclude=("晨光燕麦碗",), context=("酸奶",))])
    tokens = jieba.lcut(text)
    assert "鲜牧芝士杯" in tokens
    assert "晨光燕麦碗" not in tokens  # exclude terms are not taught: they are not what we talk about


def test_folded_terms_are_taught_to_jieba_in_their_folded_form():
    matcher_for([GroupSpec(903, ("ＭＩＬＫ星球杯",))])
    assert "milk星球杯" in jieba.lcut(fold("喝了ＭＩＬＫ星球杯"))


# --- the near-duplicate key -------------------------------------------------------------------------

def test_copies_with_other_links_names_emoticons_and_punctuation_share_one_key():
    first = text_key("鲜牧酸奶喝出了异物，太恶心了！ http://t.cn/abc @小明 [怒]")
    assert first[1] is True
    assert text_key("鲜牧酸奶喝出了异物太恶心了 https://t.cn/xyz @小红") == first
    assert text_key("鲜牧酸奶喝出了异物……太恶心了!!!//@小刚:转发 @小李") == first
    assert text_key("ＸＩＡＮＭＵ酸奶喝出了异物，太恶心了") == text_key("xianmu酸奶喝出了异物太恶心了")
    assert text_key("鲜牧酸奶喝出了头发，太恶心了！")[0] != first[0]


def test_short_texts_are_never_foldable():
    assert text_key("好喝！")[1] is False
    assert text_key("好喝！") == text_key("好喝！！！ http://t.cn/x @某人")
    nine = "一二三四五六七八九"
    assert len(nine) == SHORTEST_FOLDED - 1
    assert text_key(nine + "！！@小明 http://t.cn/a")[1] is False
    assert text_key(nine + "十")[1] is True
