"""Coordinated-attack detection for one repost cascade, against the organic baseline of the real CED cascades.

A coordinated attack (a bot army reposting an accusation) stands out from organic reposting in ways that can be
measured and shown to a person: many reposts in one second (burst), reposts arriving at a machine-even pace
(regular), the same pasted line (copy), the same accounts turning up in the brand's other negative cascades
(recurring), and young or fan-less accounts (young). Each signal is compared with what 3,387 organic CED cascades
do (figures in ``Params``), and the cascade is flagged when two signals fire or one fires far beyond anything
organic. Signals that lack their data (no text, no account info, no other cascades given) are "not measured" and
never fire. Pure Python and numpy; no database.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from sentiment.propagation import Repost

DAY = 86400.0  # seconds
MINUTE = 60.0  # seconds
SHOW_TZ = timezone(timedelta(hours=8))  # evidence times are shown in Beijing time, as Weibo shows them
EXAMPLES = 5  # uids and times quoted as evidence: enough to look up by hand
MAX_STRENGTH = 4.0  # strengths are clipped here: a CV of exactly 0 would otherwise be infinitely strong
CHAIN_MARK = "//@"  # the repost chain: the repost's own remark is the text before it
EMOTICON_RE = re.compile(r"\[[^\[\]\s]{1,10}\]")  # Weibo emoticons like [蜡烛]: organic mass reactions, not pastes
DEFAULT_REMARKS = frozenset({"转发微博", "轉發微博", "转发", "轉發", "repost", "repostweibo"})  # after normalising
NOT_MEASURED = "not measured"
NEAR_BLOCK = 1024  # remarks per row block of the near-copy similarity matrix: 1024 x n bytes at a time

BURST, REGULAR, COPY, RECURRING, YOUNG = "burst", "regular", "copy", "recurring", "young"
CODES = (BURST, REGULAR, COPY, RECURRING, YOUNG)


@dataclass(frozen=True, slots=True)
class Params:
    """Thresholds, each set against the organic CED figures (README "propagation/"; the windowed figures were
    measured on the same 3,380 cascades with >= 20 reposts by bench/attack_detection.py's method). A signal fires
    at ``*`` and alone flags the cascade at ``*_strong`` (None: it can only corroborate another signal)."""

    min_reposts: int = 20  # below this a cascade is too small for any rate or share to mean anything
    burst: float = 5.0  # reposts in one second: organic >= 5 in only 0.47 % of cascades
    burst_strong: float | None = 12.0  # organic maximum is 10 (>= 8 in 0.15 %)
    window: int = 20  # consecutive reposts in a regularity window: the size of the smallest attack we look for
    regular_cv: float = 0.25  # minimum windowed CV of gaps: organic <= 0.25 in 0.15 %, <= 0.3 in 0.21 %, median 0.6
    regular_cv_strong: float | None = 0.1  # organic minimum over all cascades is 0.11
    even_minutes: int = 4  # consecutive whole minutes with the very same count: organic never (3 in 0.71 %)
    even_minutes_strong: int | None = 6  # six identical busy minutes in a row: far beyond any organic cascade
    even_min_count: int = 10  # reposts per minute, for evenness: at 5 a minute, 4 equal minutes occur in 0.8 %
    copy_share: float = 0.25  # of the cascade with one non-trivial remark: organic p99 0.17-0.18, 2 of 399 above
    copy_strong: float | None = 0.6  # the most copied organic cascade (a restaurant promotion) reaches 0.57
    copy_min_chars: int = 4  # a remark shorter than this ("哈哈", "顶") is a reaction, not a pasted line
    copy_similarity: float | None = 0.8  # normalised remarks this similar (rapidfuzz Indel ratio, 0-1) count as one
    # reworded line; None: identical remarks only (the detector before paraphrase-aware copy)
    copy_near_min_chars: int = 12  # only remarks this long are compared loosely: short reactions look alike
    recurring_share: float = 0.3  # seen in the brand's other negative cascades: organic accounts are 89.8 % one-off
    recurring_strong: float | None = None  # the brand's cascades may share a loyal (or angry) audience: corroborates
    young_days: float = 30.0  # account age at the repost, days: sandbox bots are 1-9 days old, zombies 5-120
    fanless_followers: int = 5  # fewer followers than this: sandbox bots have 0, zombies 0-6
    young_share: float = 0.5  # no CED baseline (CED has no reposter accounts): set well above ordinary users
    young_strong: float | None = None  # without a baseline it only corroborates another signal
    min_suspects: int = 10  # accounts in a suspect group before its own young/recurring share counts


DEFAULTS = Params()


@dataclass(frozen=True, slots=True)
class Signal:
    """One measured signal. ``fired`` never holds for a signal that was not measured (``value`` is NaN then)."""

    code: str
    value: float
    threshold: float
    baseline: str
    fired: bool
    evidence: dict
    strength: float = -MAX_STRENGTH  # 0 at the threshold, 1 at the strong threshold; log scale; for the score

    @property
    def measured(self) -> bool:
        return not math.isnan(self.value)


@dataclass(frozen=True, slots=True)
class Report:
    """``score`` >= 0 exactly when flagged: the larger of (second-strongest strength) and (strongest - 1)."""

    flagged: bool
    score: float
    signals: list[Signal]

    def signal(self, code: str) -> Signal:
        return next(s for s in self.signals if s.code == code)


@dataclass(slots=True)
class Cascade:
    """The columns the signals read, sorted by time. Built once from the reposts."""

    at: np.ndarray  # unix seconds, float64, ascending
    uids: list[str]
    texts: list[str]
    followers: list[int | None]
    created: list[float | None]
    suspects: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, reposts: Sequence[Repost]) -> Cascade:
        ordered = sorted(reposts, key=lambda r: r.at)
        return cls(
            at=np.fromiter((r.at for r in ordered), dtype=np.float64, count=len(ordered)),
            uids=[r.uid for r in ordered],
            texts=[r.text for r in ordered],
            followers=[r.followers for r in ordered],
            created=[r.account_created for r in ordered],
        )


    @classmethod
    def of_columns(
        cls,
        at: Sequence[float],
        uids: Sequence[str],
        texts: Sequence[str] | None = None,
        followers: Sequence[int | None] | None = None,
        created: Sequence[float | None] | None = None,
    ) -> Cascade:
        """From parallel columns in any order (missing text and account columns: not known)."""
        order = np.argsort(np.asarray(at, dtype=np.float64), kind="stable")
        n = len(order)
        pick = order.tolist()
        return cls(
            at=np.asarray(at, dtype=np.float64)[order],
            uids=[uids[i] for i in pick],
            texts=[texts[i] for i in pick] if texts is not None else [""] * n,
            followers=[followers[i] for i in pick] if followers is not None else [None] * n,
            created=[created[i] for i in pick] if created is not None else [None] * n,
        )


def detect(reposts: Sequence[Repost], *, elsewhere: set[str] | None = None, params: Params = DEFAULTS) -> Report:
    """Measure every signal on one cascade and combine them. ``elsewhere``: uids that reposted the brand's
    OTHER negative cascades (None: recurring is not measured)."""
    return detect_cascade(Cascade.of(reposts), elsewhere=elsewhere, params=params)


def detect_cascade(cascade: Cascade, *, elsewhere: set[str] | None = None, params: Params = DEFAULTS) -> Report:
    """``detect`` on prepared columns (the bench replays millions of reposts this way)."""
    n = len(cascade.uids)
    if n < params.min_reposts:
        reason = {"reason": f"{n} reposts, fewer than {params.min_reposts}"}
        signals = [_unmeasured(code, params, reason) for code in CODES]
        return Report(flagged=False, score=-MAX_STRENGTH, signals=signals)
    signals = [burst_signal(cascade, params), regular_signal(cascade, params), copy_signal(cascade, params)]
    signals.append(recurring_signal(cascade, elsewhere, params))
    signals.append(young_signal(cascade, params))
    score = combine(signals)
    return Report(flagged=score >= 0, score=score, signals=signals)


def combine(signals: list[Signal]) -> float:
    """Two fired signals, or one beyond its strong threshold: the second-strongest strength, or the strongest
    minus 1 (strength 1 = the strong threshold). Unmeasured signals do not take part."""
    strengths = sorted((s.strength for s in signals if s.measured), reverse=True)
    if not strengths:
        return -MAX_STRENGTH
    second = strengths[1] if len(strengths) > 1 else -MAX_STRENGTH
    return max(second, strengths[0] - 1.0)


def _strength(value: float, threshold: float, strong: float | None, *, lower_is_worse: bool = False) -> float:
    """Log-scale distance past the threshold: 0 at it, 1 at the strong threshold (corroborating-only signals use
    one doubling as their unit but are capped below 1, so they never flag alone)."""
    if math.isnan(value):
        return -MAX_STRENGTH
    ratio_strong = (threshold / strong if lower_is_worse else strong / threshold) if strong else 0.0
    if ratio_strong <= 1.0:  # no strong threshold, or one not beyond the threshold: corroborate only
        strong, ratio_strong = None, 2.0
    if lower_is_worse:
        raw = math.log(threshold / value) if value > 0 else math.inf
    else:
        raw = math.log(value / threshold) if value > 0 else -math.inf
    strength = max(-MAX_STRENGTH, min(MAX_STRENGTH, raw / math.log(ratio_strong)))
    return min(strength, 0.99) if strong is None else strength


def _unmeasured(code: str, params: Params, evidence: dict) -> Signal:
    threshold = {
        BURST: params.burst,
        REGULAR: params.regular_cv,
        COPY: params.copy_share,
        RECURRING: params.recurring_share,
        YOUNG: params.young_share,
    }[code]
    return Signal(code, math.nan, threshold, NOT_MEASURED, False, evidence)


def shown_time(at: float) -> str:
    """Beijing time to the second, as a person reads it next to the Weibo page."""
    return datetime.fromtimestamp(at, SHOW_TZ).strftime("%Y-%m-%d %H:%M:%S")


# --- burst -------------------------------------------------------------------------------------------------------


def burst_signal(cascade: Cascade, params: Params) -> Signal:
    """The busiest single second. Organic cascades almost never have 5 reposts within one second."""
    seconds = np.floor(cascade.at)
    values, first, counts = np.unique(seconds, return_index=True, return_counts=True)
    top = int(np.argmax(counts))
    count, start = int(counts[top]), int(first[top])
    uids = cascade.uids[start : start + count]
    fired = count >= params.burst
    if fired:
        cascade.suspects.update(uids)
    evidence = {
        "second": float(values[top]),
        "second_shown": shown_time(float(values[top])),
        "count": count,
        "seconds_at_threshold": int(np.sum(counts >= params.burst)),
        "example_uids": uids[:EXAMPLES],
    }
    baseline = "organic CED: >= 5 reposts in one second in 0.47 % of cascades, never more than 10"
    strength = _strength(float(count), params.burst, params.burst_strong)
    return Signal(BURST, float(count), params.burst, baseline, fired, evidence, strength)


# --- regular -----------------------------------------------------------------------------------------------------


def window_cvs(at: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient of variation of the gaps inside every run of ``window`` consecutive reposts, and the mean gap,
    by running sums in O(n). Windows whose reposts all share one second have mean 0 (that is a burst) and CV NaN."""
    gaps = np.diff(at)
    k = window - 1
    if k < 1 or len(gaps) < k:
        return np.empty(0), np.empty(0)
    s1 = np.concatenate(([0.0], np.cumsum(gaps)))
    s2 = np.concatenate(([0.0], np.cumsum(gaps * gaps)))
    mean = (s1[k:] - s1[:-k]) / k
    var = np.maximum((s2[k:] - s2[:-k]) / k - mean * mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean > 0, np.sqrt(var) / np.where(mean > 0, mean, 1.0), np.nan)
    return cv, mean


def even_minutes(at: np.ndarray, min_count: int) -> tuple[int, float, int]:
    """The longest run of consecutive whole minutes holding the very same number (>= ``min_count``) of reposts:
    (minutes, first minute's start in unix seconds, per-minute count). This is how a person spots a timer on a
    per-minute chart. Vectorised: a minute continues a run when it follows the previous one with the same count."""
    minutes, counts = np.unique(np.floor(at / MINUTE), return_counts=True)
    eligible = counts >= min_count
    if not eligible.any():
        return 0, math.nan, 0
    cont = np.zeros(len(minutes), dtype=bool)
    cont[1:] = eligible[1:] & eligible[:-1] & (np.diff(minutes) == 1) & (counts[1:] == counts[:-1])
    group = np.cumsum(~cont)  # a new group at every minute that does not continue the previous run
    sizes = np.bincount(group[eligible])
    best = int(np.argmax(sizes))
    start = int(np.argmax(group == best))
    return int(sizes[best]), float(minutes[start] * MINUTE), int(counts[start])


def regular_signal(cascade: Cascade, params: Params) -> Signal:
    """The most machine-even stretch: the lowest CV of inter-arrival gaps over ``window`` consecutive reposts.
    Organic gaps are bursty (whole-cascade CV median 8-11, windowed CV median 0.6); bots on a timer are near 0.
    The whole-cascade CV, comparable with the README figure, is given as evidence; so is per-minute evenness,
    which also fires the signal."""
    at = cascade.at
    cvs, means = window_cvs(at, params.window)
    gaps = np.diff(at)
    whole_cv = float(gaps.std() / gaps.mean()) if gaps.size and gaps.mean() > 0 else math.nan
    minutes, minute_start, per_minute = even_minutes(at, params.even_min_count)
    if cvs.size == 0 or np.all(np.isnan(cvs)):
        return Signal(REGULAR, math.nan, params.regular_cv, NOT_MEASURED, False, {"reason": "no spread in time"})
    best = int(np.nanargmin(cvs))
    cv = float(cvs[best])
    window = slice(best, best + params.window)
    by_cv = cv <= params.regular_cv
    by_minutes = minutes >= params.even_minutes
    if by_cv:
        cascade.suspects.update(cascade.uids[window])
    if by_minutes:
        in_run = (at >= minute_start) & (at < minute_start + minutes * MINUTE)
        cascade.suspects.update(u for u, inside in zip(cascade.uids, in_run, strict=True) if inside)
    evidence = {
        "cv": round(cv, 4),
        "window_reposts": params.window,
        "window_start": shown_time(float(at[window][0])),
        "window_end": shown_time(float(at[window][-1])),
        "mean_gap_seconds": round(float(means[best]), 3),
        "gaps_seconds": [round(float(g), 3) for g in np.diff(at[window])],
        "example_uids": cascade.uids[window][:EXAMPLES],
        "whole_cascade_cv": round(whole_cv, 3) if not math.isnan(whole_cv) else None,
        "gaps": int(gaps.size),
        "even_minutes": minutes,
        "even_minutes_start": shown_time(minute_start) if minutes else None,
        "even_per_minute": per_minute,
        "fired_by": [name for name, hit in (("cv", by_cv), ("even_minutes", by_minutes)) if hit],
    }
    baseline = (
        "organic CED: lowest CV over 20 consecutive reposts <= 0.25 in 0.15 % of cascades (median 0.6); "
        "4 equal minutes of >= 10 reposts in none"
    )
    strength = max(
        _strength(cv, params.regular_cv, params.regular_cv_strong, lower_is_worse=True),
        _strength(float(minutes), float(params.even_minutes), params.even_minutes_strong) if minutes else -MAX_STRENGTH,
    )
    return Signal(REGULAR, cv, params.regular_cv, baseline, by_cv or by_minutes, evidence, strength)


# --- copy --------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)  # remarks repeat (that is the point): normalise each distinct one once
def remark_key(text: str, min_chars: int) -> str | None:
    """The repost's own remark, normalised for comparison (before the first ``//@``; no emoticons, whitespace,
    punctuation or symbols; NFKC, lower case), or None when it is trivial: empty, a default remark such as
    "转发微博", or shorter than ``min_chars``."""
    if not text:
        return None
    remark = EMOTICON_RE.sub("", text.split(CHAIN_MARK, 1)[0])
    kept = "".join(ch for ch in unicodedata.normalize("NFKC", remark) if unicodedata.category(ch)[0] not in "PSZC")
    key = kept.lower()
    if len(key) < min_chars or key in DEFAULT_REMARKS:
        return None
    return key


def near_copies(counted: Counter, params: Params) -> tuple[str, set[str], int] | None:
    """The largest group of long remarks within ``copy_similarity`` of one of them (a line and its rewordings:
    synonyms swapped, characters inserted; punctuation, emoji and emoticons are already gone from the keys), as
    (that remark, the group's remarks, their reposts); None when no two long remarks exist. Row blocks keep the
    similarity matrix small."""
    if params.copy_similarity is None:
        return None
    long = [k for k in counted if len(k) >= params.copy_near_min_chars]
    if len(long) < 2:
        return None
    weights = np.fromiter((counted[k] for k in long), dtype=np.int64, count=len(long))
    cutoff = params.copy_similarity * 100
    best, best_count, best_row = -1, 0, None
    for lo in range(0, len(long), NEAR_BLOCK):
        block = process.cdist(long[lo : lo + NEAR_BLOCK], long, scorer=fuzz.ratio, score_cutoff=cutoff,
                              dtype=np.uint8, workers=1)
        near = (block > 0).astype(np.int64) @ weights
        top = int(np.argmax(near))
        if near[top] > best_count:
            best, best_count, best_row = lo + top, int(near[top]), block[top] > 0
        del block
    assert best_row is not None
    return long[best], {long[j] for j in np.flatnonzero(best_row)}, best_count


def copy_signal(cascade: Cascade, params: Params) -> Signal:
    """The share of the cascade that carries one and the same non-trivial remark, or (with ``copy_similarity``)
    one remark and its light rewordings."""
    if not any(cascade.texts):
        return Signal(COPY, math.nan, params.copy_share, NOT_MEASURED, False, {"reason": "no repost text"})
    keys = [remark_key(t, params.copy_min_chars) for t in cascade.texts]
    counted = Counter(k for k in keys if k is not None)
    n = len(keys)
    key, count = counted.most_common(1)[0] if counted else ("", 0)
    exact = count
    group = {key} if count else set()
    near = near_copies(counted, params)
    if near is not None and near[2] > count:
        key, group, count = near
    share = count / n
    members = [i for i, k in enumerate(keys) if k in group]
    first = next((i for i, k in enumerate(keys) if count and k == key), None)
    fired = share >= params.copy_share
    if fired:
        cascade.suspects.update(cascade.uids[i] for i in members)
    evidence = {
        "text": cascade.texts[first].split(CHAIN_MARK, 1)[0] if first is not None else "",
        "count": count,
        "share": round(share, 4),
        "identical": exact,
        "wordings": len(group),
        "reposts": n,
        "non_trivial": sum(counted.values()),
        "example_uids": [cascade.uids[i] for i in members[:EXAMPLES]],
        "example_texts": list(dict.fromkeys(cascade.texts[i].split(CHAIN_MARK, 1)[0] for i in members))[:EXAMPLES],
    }
    baseline = "organic CED: the most common non-trivial remark covers at most 18 % of a cascade at the 99th percentile"
    strength = _strength(share, params.copy_share, params.copy_strong)
    return Signal(COPY, share, params.copy_share, baseline, fired, evidence, strength)


# --- recurring and young: over the cascade and over the suspects of the timing and copy signals -------------------


def _group_share(uids: list[str], hit: dict[str, bool]) -> tuple[float, int, list[str]]:
    """Share of the distinct measured accounts among ``uids`` that hit, their number, and examples that hit."""
    distinct = [u for u in dict.fromkeys(uids) if u in hit]
    hits = [u for u in distinct if hit[u]]
    return (len(hits) / len(distinct) if distinct else math.nan), len(distinct), hits[:EXAMPLES]


def _scoped(
    cascade: Cascade, hit: dict[str, bool], params: Params
) -> tuple[float, dict]:
    """The share over the whole cascade, and over the suspect group (accounts in a fired burst, regular stretch or
    copy group) when it has ``min_suspects`` measured accounts; the larger one is the value. An attack inside a
    big organic cascade is a small share of it but most of its suspect group."""
    share, measured, examples = _group_share(cascade.uids, hit)
    evidence = {"share": round(share, 4), "accounts": measured, "example_uids": examples, "scope": "cascade"}
    value = share
    suspects = [u for u in cascade.uids if u in cascade.suspects]
    s_share, s_measured, s_examples = _group_share(suspects, hit)
    if s_measured >= params.min_suspects:
        evidence |= {"suspects_share": round(s_share, 4), "suspects_accounts": s_measured}
        if s_share > value:
            value = s_share
            evidence |= {"scope": "suspects", "example_uids": s_examples}
    return value, evidence


def recurring_signal(cascade: Cascade, elsewhere: set[str] | None, params: Params) -> Signal:
    """The share of this cascade's reposters who also reposted the brand's other negative cascades."""
    if elsewhere is None:
        return Signal(RECURRING, math.nan, params.recurring_share, NOT_MEASURED, False,
                      {"reason": "no other cascades given"})
    hit = {u: u in elsewhere for u in cascade.uids}
    value, evidence = _scoped(cascade, hit, params)
    fired = value >= params.recurring_share
    baseline = "organic CED: 89.8 % of reposting accounts appear in exactly one cascade"
    strength = _strength(value, params.recurring_share, params.recurring_strong)
    return Signal(RECURRING, value, params.recurring_share, baseline, fired, evidence, strength)


def young_signal(cascade: Cascade, params: Params) -> Signal:
    """The share of reposters younger than ``young_days`` at the repost or with fewer than ``fanless_followers``
    followers, among reposters whose account is known."""
    hit: dict[str, bool] = {}
    for uid, at, followers, created in zip(cascade.uids, cascade.at, cascade.followers, cascade.created, strict=True):
        if followers is None and created is None:
            continue
        young = created is not None and (at - created) < params.young_days * DAY
        fanless = followers is not None and followers < params.fanless_followers
        hit[uid] = hit.get(uid, False) or young or fanless
    if len(hit) < params.min_reposts:
        return Signal(YOUNG, math.nan, params.young_share, NOT_MEASURED, False,
                      {"reason": f"account info for {len(hit)} reposters, fewer than {params.min_reposts}"})
    value, evidence = _scoped(cascade, hit, params)
    evidence |= {"young_days": params.young_days, "fanless_followers": params.fanless_followers}
    fired = value >= params.young_share
    baseline = "no CED baseline: CED has no reposter accounts; threshold set well above ordinary accounts"
    strength = _strength(value, params.young_share, params.young_strong)
    return Signal(YOUNG, value, params.young_share, baseline, fired, evidence, strength)
