"""Near-duplicate detection: Weibo rejects content too close to what the brand posted lately.

Texts are compared without links (Weibo rewrites them to t.cn), spaces, punctuation or case, with
rapidfuzz's normalised Indel similarity (0-100), which suits Chinese text character by character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

SIMILAR_WARN = 70  # % similarity from which the composer warns: Weibo's own check rejects such repeats
_LINK = re.compile(r"https?://\S+")


def normalise(text: str) -> str:
    text = _LINK.sub("", unicodedata.normalize("NFKC", text)).lower()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZ"))


@dataclass(frozen=True)
class Similar:
    key: object  # what the caller keyed the candidate with (a post id)
    text: str
    score: float  # 0-100


def closest(text: str, candidates: dict[object, str], *, cutoff: float = SIMILAR_WARN) -> Similar | None:
    """The candidate most similar to ``text`` at ``cutoff`` % or more, or None."""
    query = normalise(text)
    if not query or not candidates:
        return None
    choices = {key: normalise(body) for key, body in candidates.items()}
    best = process.extractOne(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
    if best is None:
        return None
    _choice, score, key = best
    return Similar(key=key, text=candidates[key], score=round(score, 1))
