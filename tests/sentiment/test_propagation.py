"""Repost trees from the repost timeline: parents from //@ chains and explicit mids, counts, key nodes, json."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sentiment.ced import load_sample
from sentiment.propagation import Repost, first_chain_name, tree_build, tree_json

pytestmark = pytest.mark.platform_free  # pure logic: the same on SQLite and PostgreSQL

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ROOT = "root-mid"


def rp(mid: str, name: str, at: float, text: str = "转发微博", parent: str | None = None, followers: int = 10
       ) -> Repost:
    return Repost(mid, f"u-{name}", name, at, text, parent_mid=parent, followers=followers)


def chain(remark: str, *names: str) -> str:
    """The text Weibo composes: the remark, then //@name:text for each ancestor, nearest first."""
    return remark + "".join(f"//@{n}:上一层" for n in names)


def by_mid(tree, mid):
    return next(n for n in tree.nodes if n.mid == mid)


def parent_mid(tree, mid):
    node = by_mid(tree, mid)
    return tree.nodes[node.parent].mid


def test_first_chain_name_reads_the_nearest_parent():
    assert first_chain_name("好//@小红:哈哈//@小明:转发") == "小红"
    assert first_chain_name("转发微博") is None
    assert first_chain_name("说得对//@小红：全角冒号") == "小红"


def test_parents_from_chains_newest_first_input():
    reposts = [
        rp("a", "小明", 10),
        rp("b", "小红", 20, chain("同意", "小明")),
        rp("c", "小刚", 30, chain("", "小红", "小明")),
        rp("d", "品牌", 40, chain("", "品牌")),  # the root author's name: the root
        rp("e", "路人", 50, chain("", "不在这里")),  # unknown name: the root
    ]
    tree = tree_build(ROOT, "品牌", list(reversed(reposts)))  # the timeline is newest first
    assert [parent_mid(tree, m) for m in "abcde"] == [ROOT, "a", "b", ROOT, ROOT]
    assert [by_mid(tree, m).depth for m in "abcde"] == [1, 2, 3, 1, 1]
    assert (tree.total, tree.direct, tree.second_level, tree.max_depth) == (5, 3, 2, 3)
    assert (tree.by_text, tree.by_mid) == (2, 0)
    assert by_mid(tree, "a").downstream == 2
    assert tree.root.downstream == 5


def test_repeated_name_resolves_to_the_most_recent_earlier_repost():
    reposts = [
        rp("a1", "小明", 10),
        rp("x", "小红", 15, chain("", "小明")),  # -> a1
        rp("a2", "小明", 20, chain("又转", "小红")),  # 小明 reposts again, from 小红
        rp("y", "小刚", 25, chain("", "小明")),  # -> a2, the latest 小明 before it
        rp("z", "老王", 5, chain("", "小明")),  # earlier than any 小明: the root
    ]
    tree = tree_build(ROOT, "品牌", reposts)
    assert parent_mid(tree, "x") == "a1"
    assert parent_mid(tree, "a2") == "x"
    assert parent_mid(tree, "y") == "a2"
    assert parent_mid(tree, "z") == ROOT
    assert by_mid(tree, "y").depth == 4


def test_explicit_parent_mid_wins_over_the_text():
    reposts = [
        rp("a", "小明", 10),
        rp("b", "小红", 20),
        rp("c", "小刚", 30, chain("", "小明"), parent="b"),
        rp("d", "老王", 40, parent="gone"),  # unknown mid, no chain: the root
        rp("e", "老李", 50, parent=ROOT),
    ]
    tree = tree_build(ROOT, "品牌", reposts)
    assert [parent_mid(tree, m) for m in "cde"] == ["b", ROOT, ROOT]
    assert (tree.by_mid, tree.by_text) == (1, 0)


def _fan_tree():
    """a has 3 children, one of which (a1) has 2; b has 1; c none."""
    reposts = [
        rp("a", "大V", 1, followers=90000),
        rp("b", "小号", 2, followers=3),
        rp("c", "路人", 3),
        rp("a1", "粉丝1", 4, chain("", "大V")),
        rp("a2", "粉丝2", 5, chain("", "大V")),
        rp("a3", "粉丝3", 6, chain("", "大V")),
        rp("a1x", "粉丝4", 7, chain("", "粉丝1", "大V")),
        rp("a1y", "粉丝5", 8, chain("", "粉丝1", "大V")),
        rp("b1", "粉丝6", 9, chain("", "小号")),
    ]
    return tree_build(ROOT, "品牌", reposts, root_uid="u-brand", root_at=0.0, root_text="原文")


def test_key_nodes_ranked_by_downstream():
    tree = _fan_tree()
    assert [(k.screen_name, k.downstream, k.direct, k.depth) for k in tree.key_nodes] == [
        ("大V", 5, 3, 1),
        ("粉丝1", 2, 2, 2),
        ("小号", 1, 1, 1),
    ]
    assert tree.key_nodes[0].followers == 90000
    assert tree_build(ROOT, "品牌", [rp("x", "路人", 1)]).key_nodes == []  # nobody reposted a repost
    assert len(tree_build(ROOT, "品牌", [n.repost for n in tree.nodes[1:]], top=1).key_nodes) == 1


def test_tree_json_whole_and_trimmed():
    tree = _fan_tree()
    whole = tree_json(tree)
    assert (whole["mid"], whole["downstream"], whole["hidden"], whole["text"]) == (ROOT, 9, 0, "原文")
    assert [c["mid"] for c in whole["children"]] == ["a", "b", "c"]  # biggest branch first
    assert [c["mid"] for c in whole["children"][0]["children"]] == ["a1", "a2", "a3"]
    assert set(whole) == {"mid", "screen_name", "uid", "at", "text", "downstream", "children", "hidden"}

    trimmed = tree_json(tree, limit=4)  # root, a, a1, then b (downstream 1) beats the leaves
    assert [c["mid"] for c in trimmed["children"]] == ["a", "b"]
    assert trimmed["hidden"] == 1  # c
    a = trimmed["children"][0]
    assert [c["mid"] for c in a["children"]] == ["a1"]
    assert a["hidden"] == 2
    assert (a["children"][0]["hidden"], trimmed["children"][1]["hidden"]) == (2, 1)
    assert tree_json(tree, limit=1) == {**whole, "children": [], "hidden": 3}


def test_sample_cascade_with_explicit_parents():
    key, reposts = next(load_sample(DATA, limit=1))
    tree = tree_build(f"root-{key}", "", reposts)
    earlier: set[str] = set()
    via_repost = 0
    for r in sorted(reposts, key=lambda r: (r.at, r.mid)):
        via_repost += r.parent_mid in earlier
        earlier.add(r.mid)
    assert (key, len(reposts)) == ("27", 523)
    assert via_repost > 100  # the sample's cascades are deep: a real check, not 0 == 0
    assert tree.second_level == via_repost == tree.by_mid
    assert tree.total == tree.root.downstream == len(reposts)
    assert tree.direct + tree.second_level == tree.total


def test_hundred_thousand_reposts_build_fast():
    names = [f"用户{i}" for i in range(100_000)]
    reposts = [
        Repost(str(i), str(i), names[i], float(i), chain("", names[(i * 7) // 10]) if i % 3 else "转发微博")
        for i in range(100_000)
    ]
    started = time.perf_counter()
    tree = tree_build(ROOT, "品牌", reposts)
    tree_json(tree)
    elapsed = time.perf_counter() - started
    assert tree.total == 100_000
    assert tree.root.downstream == 100_000
    assert elapsed < 10.0  # about 2 s on an idle 2-core machine: a quadratic step would take minutes
