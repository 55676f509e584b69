"""Repost trees: who reposted from whom, how deep a cascade went, and which reposters carried it.

Weibo's ``statuses/repost_timeline`` returns every repost of a root post, newest first, and each repost's
``retweeted_status`` is always the root: the parent of a repost of a repost is known only from the text chain,
because reposting a repost writes ``remark//@parentname:parent's text``. So a parent is resolved from an explicit
``parent_mid`` when the caller knows it (the CED sample data has it), else from the first ``//@name:`` of the
text, as the most recent earlier repost in this cascade by that screen name (the root when the name is the root
author's or nobody's in the cascade). Pure Python and no database: the caller fetches, this module computes.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

CHAIN_RE = re.compile(r"//@([^:：\s/]{1,30})[:：]")  # a Weibo screen name is 4-30 bytes with no colon or space
TOP_KEY_NODES = 10  # reposters listed as key nodes: a screenful
TREE_JSON_LIMIT = 300  # nodes drawn by default: an indented HTML tree stays readable and light at this size
ROOT_DEPTH = 0


@dataclass(frozen=True, slots=True)
class Repost:
    """One repost of a root post, as the repost timeline gives it (times in unix seconds)."""

    mid: str
    uid: str
    screen_name: str
    at: float  # unix seconds
    text: str = ""
    parent_mid: str | None = None  # the reposted post when known; None = resolve from the text chain
    followers: int | None = None
    friends: int | None = None
    statuses: int | None = None
    account_created: float | None = None  # unix seconds
    verified: bool = False


@dataclass(slots=True)
class Node:
    """A post in the tree: the root (``repost`` None) or one repost, with its resolved place."""

    mid: str
    screen_name: str
    uid: str
    at: float
    text: str
    depth: int
    parent: int | None  # index into Tree.nodes; None for the root
    repost: Repost | None = None
    children: list[int] = field(default_factory=list)  # indices, in time order
    downstream: int = 0  # reposts in this node's subtree, itself not counted


@dataclass(frozen=True, slots=True)
class KeyNode:
    """A reposter who carried the cascade further: the reposts that came through them."""

    mid: str
    screen_name: str
    uid: str
    followers: int | None
    downstream: int
    direct: int  # reposts of this repost itself (children)
    depth: int


@dataclass(slots=True)
class Tree:
    """A rebuilt cascade. ``nodes[0]`` is the root; the rest are reposts in time order."""

    nodes: list[Node]
    total: int  # reposts (the root not counted)
    direct: int  # depth 1: reposts of the root itself
    second_level: int  # depth >= 2: reposts of reposts
    max_depth: int
    key_nodes: list[KeyNode]
    by_text: int  # parents resolved from a //@ chain
    by_mid: int  # parents given explicitly by parent_mid

    @property
    def root(self) -> Node:
        return self.nodes[0]


def first_chain_name(text: str) -> str | None:
    """The screen name of the reposted post: the first ``//@name:`` of the chain (later ones are its ancestors)."""
    match = CHAIN_RE.search(text or "")
    return match.group(1) if match else None


def tree_build(
    root_mid: str,
    root_screen_name: str,
    reposts: Iterable[Repost],
    *,
    root_uid: str = "",
    root_at: float | None = None,
    root_text: str = "",
    top: int = TOP_KEY_NODES,
) -> Tree:
    """Rebuild the repost tree of one root post. Reposts may come in any order (the timeline is newest first);
    they are placed in time order, so a ``//@name`` resolves to the most recent EARLIER repost by that name.
    A parent that cannot be found in the cascade (deleted, beyond the fetched pages) is the root. O(n log n)."""
    ordered = sorted(reposts, key=lambda r: (r.at, r.mid))
    start = root_at if root_at is not None else (ordered[0].at if ordered else 0.0)
    nodes = [Node(root_mid, root_screen_name, root_uid, start, root_text, ROOT_DEPTH, None)]
    index_of_mid = {root_mid: 0}
    latest_by_name: dict[str, int] = {}
    by_text = by_mid = 0
    for repost in ordered:
        parent, how = _resolve_parent(repost, root_screen_name, index_of_mid, latest_by_name)
        by_text += how == "text"
        by_mid += how == "mid"
        position = len(nodes)
        nodes.append(
            Node(repost.mid, repost.screen_name, repost.uid, repost.at, repost.text, nodes[parent].depth + 1, parent,
                 repost)
        )
        nodes[parent].children.append(position)
        index_of_mid.setdefault(repost.mid, position)
        if repost.screen_name:
            latest_by_name[repost.screen_name] = position
    _count_downstream(nodes)
    depths = [node.depth for node in nodes[1:]]
    direct = sum(1 for d in depths if d == 1)
    return Tree(
        nodes=nodes,
        total=len(depths),
        direct=direct,
        second_level=len(depths) - direct,
        max_depth=max(depths, default=0),
        key_nodes=key_nodes(nodes, top=top),
        by_text=by_text,
        by_mid=by_mid,
    )


def _resolve_parent(
    repost: Repost, root_screen_name: str, index_of_mid: dict[str, int], latest_by_name: dict[str, int]
) -> tuple[int, str]:
    """The parent's index and how it was found ("mid", "text" or "root"). An explicit parent_mid wins; a name
    in the chain that is the root author's, or nobody's earlier in this cascade, means the root."""
    if repost.parent_mid is not None:
        found = index_of_mid.get(repost.parent_mid)
        if found is not None:
            return found, "mid" if found else "root"
    name = first_chain_name(repost.text)
    if name is None or name == root_screen_name:
        return 0, "root"
    found = latest_by_name.get(name)
    return (found, "text") if found is not None else (0, "root")


def _count_downstream(nodes: list[Node]) -> None:
    """Subtree sizes in one backward pass: a child always comes after its parent in time order."""
    for node in reversed(nodes[1:]):
        assert node.parent is not None
        nodes[node.parent].downstream += node.downstream + 1


def key_nodes(nodes: list[Node], *, top: int = TOP_KEY_NODES) -> list[KeyNode]:
    """Reposters ranked by the reposts that came through them (downstream), then by direct children, then
    earliest first; reposters nobody reposted are not key nodes."""
    carried = [n for n in nodes[1:] if n.downstream > 0]
    carried.sort(key=lambda n: (-n.downstream, -len(n.children), n.at, n.mid))
    return [
        KeyNode(
            mid=n.mid,
            screen_name=n.screen_name,
            uid=n.uid,
            followers=n.repost.followers if n.repost else None,
            downstream=n.downstream,
            direct=len(n.children),
            depth=n.depth,
        )
        for n in carried[:top]
    ]


def tree_json(tree: Tree, limit: int = TREE_JSON_LIMIT) -> dict:
    """A nested, JSON-able tree for drawing: ``{"mid","screen_name","uid","at","text","downstream","children",
    "hidden"}``. Children come biggest branch first; at most ``limit`` nodes are kept (the root counts), chosen
    best-first by downstream so the important branches survive, and ``hidden`` says how many reposts directly
    under a node were left out (their subtrees went with them)."""
    nodes = tree.nodes
    kept = _keep_best(nodes, max(1, limit))
    out: dict[int, dict] = {}
    for index in sorted(kept):
        node = nodes[index]
        out[index] = {
            "mid": node.mid,
            "screen_name": node.screen_name,
            "uid": node.uid,
            "at": node.at,
            "text": node.text,
            "downstream": node.downstream,
            "children": [],
            "hidden": 0,
        }
    for index in sorted(kept):
        node = nodes[index]
        shown = [c for c in _ranked_children(nodes, index) if c in kept]
        out[index]["children"] = [out[c] for c in shown]
        out[index]["hidden"] = len(node.children) - len(shown)
    return out[0]


def _ranked_children(nodes: list[Node], index: int) -> list[int]:
    """Children biggest branch first, then earliest."""
    return sorted(nodes[index].children, key=lambda c: (-nodes[c].downstream, nodes[c].at, c))


def _keep_best(nodes: list[Node], limit: int) -> set[int]:
    """The ``limit`` nodes reached best-first from the root: always expand the biggest waiting branch, so a
    kept node's parent is always kept. A heap keeps it O(n log n)."""
    kept: set[int] = set()
    waiting = [(-nodes[0].downstream, nodes[0].at, 0)]
    while waiting and len(kept) < limit:
        _, _, index = heapq.heappop(waiting)
        kept.add(index)
        for child in nodes[index].children:
            heapq.heappush(waiting, (-nodes[child].downstream, nodes[child].at, child))
    return kept
