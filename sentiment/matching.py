"""Matching a brand's keyword groups against text: one Aho-Corasick automaton (pyahocorasick) over every
include, exclude and context term of the brand, so a text is read once whatever the number of terms,
and jieba's dictionary learns the terms so that segmentation keeps them whole.

Terms are matched on the normalised text (lower case, full-width folded), as people type brand names
in every form.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import ahocorasick
import jieba

INCLUDE, EXCLUDE, CONTEXT = 0, 1, 2
JIEBA_TERM_FREQ = 2_000_000  # high enough that jieba never splits a monitored term
SHORTEST_FOLDED = 10  # characters: shorter texts are alike by chance ("好喝！"), not copies of each other

_URL = re.compile(r"https?://\S+")
_AT = re.compile(r"@[\w\-\u4e00-\u9fff]{1,30}")
_CHAIN = re.compile(r"//@.*$", re.S)
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,10}\]")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Full-width to half-width and lower case: ＸＩＡＮ and xian match alike."""
    return unicodedata.normalize("NFKC", text).lower()


def text_key(text: str) -> tuple[str, bool]:
    """The near-duplicate key of a text and whether it is long enough to fold copies onto.

    Links, @names, emoticons, punctuation and the repost chain are set aside: bots that paste one line
    with a different link or @ each time are still one text."""
    core = _CHAIN.sub("", fold(text))
    core = _NOT_WORD.sub("", _EMOTICON.sub("", _AT.sub("", _URL.sub("", core))))
    return hashlib.sha1(core.encode(), usedforsecurity=False).hexdigest(), len(core) >= SHORTEST_FOLDED


@dataclass(frozen=True)
class GroupSpec:
    id: int
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    context: tuple[str, ...] = ()


@dataclass
class Hit:
    group_id: int
    terms: list[str] = field(default_factory=list)


def _clean_terms(terms) -> tuple[str, ...]:
    return tuple(dict.fromkeys(fold(t).strip() for t in terms if t and fold(t).strip()))


class Matcher:
    """Built once per set of groups (cached by their content); ``match`` is then one pass over a text."""

    def __init__(self, groups: list[GroupSpec]):
        self.groups = [GroupSpec(g.id, _clean_terms(g.include), _clean_terms(g.exclude), _clean_terms(g.context))
                       for g in groups]
        self.automaton = ahocorasick.Automaton()
        roles: dict[str, list[tuple[int, int]]] = {}
        for index, group in enumerate(self.groups):
            for role, terms in ((INCLUDE, group.include), (EXCLUDE, group.exclude), (CONTEXT, group.context)):
                for term in terms:
                    roles.setdefault(term, []).append((index, role))
        for term, owners in roles.items():
            self.automaton.add_word(term, (term, tuple(owners)))
        self.empty = not roles
        if not self.empty:
            self.automaton.make_automaton()
        self.terms = list(roles)

    def match(self, text: str) -> list[Hit]:
        """The groups the text matches: an include term, no exclude term, a context term when asked."""
        if self.empty:
            return []
        found: dict[int, list[set[str]]] = {}
        for _end, (term, owners) in self.automaton.iter(fold(text)):
            for index, role in owners:
                found.setdefault(index, [set(), set(), set()])[role].add(term)
        hits = []
        for index, (include, exclude, context) in found.items():
            group = self.groups[index]
            if include and not exclude and (not group.context or context):
                hits.append(Hit(group.id, sorted(include)))
        return hits


_lock = threading.Lock()
_matchers: dict[str, Matcher] = {}
_jieba_terms: set[str] = set()


def _signature(groups: list[GroupSpec]) -> str:
    raw = repr([(g.id, g.include, g.exclude, g.context) for g in groups])
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def matcher_for(groups: list[GroupSpec]) -> Matcher:
    """The matcher for these groups, built once per worker process and rebuilt when a group changes."""
    key = _signature(groups)
    with _lock:
        matcher = _matchers.get(key)
        if matcher is None:
            matcher = Matcher(groups)
            if len(_matchers) > 64:  # brands × edits: keep memory bounded
                _matchers.clear()
            _matchers[key] = matcher
            _teach_jieba(t for g in matcher.groups for t in (*g.include, *g.context))
    return matcher


def _teach_jieba(terms) -> None:
    for term in terms:
        if term not in _jieba_terms and len(term) > 1:
            jieba.add_word(term, freq=JIEBA_TERM_FREQ)
            _jieba_terms.add(term)
