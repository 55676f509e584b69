"""The coordinated-reposting detector's evidence (``Cascade.signals``, ``sentiment.attack``) in the words of the
page's language: the organic baselines, why a check was not measured, the evidence's figures under names a
person reads, the score explained, and the example accounts by name with a link to their Weibo profile.

The detector stores English notes for engineers (``Signal.baseline``, ``evidence["reason"]``); pages never show
them, they show the sentences here, chosen by the signal's code and the reason's shape."""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WEIBO_PROFILE = "https://weibo.com/u/%s"  # a person's Weibo page by uid, as Weibo links it
UID_RE = re.compile(r"^\d{1,20}$")  # Weibo uids are digits; anything else gets no link

BASELINES = {  # what organic reposting does, per check (figures: sentiment.attack.Params, from 3,387 CED cascades)
    "burst": gettext_lazy("In organic reposting, 5 or more reposts within one second happen in 0.47 % of "
                          "cascades, and never more than 10."),
    "regular": gettext_lazy("In organic reposting, 20 reposts in a row as evenly spaced as this (variation 0.25 "
                            "or less) happen in 0.15 % of cascades (typical variation 0.6); 4 minutes in a row "
                            "with the same 10 or more reposts each never happen."),
    "copy": gettext_lazy("In organic reposting, the most common remark of one's own covers at most 18 % of a "
                         "cascade (99 cascades in 100)."),
    "recurring": gettext_lazy("In organic reposting, 89.8 % of reposting accounts appear in just one cascade."),
    "young": gettext_lazy("No organic figure: the public cascades hold no account ages; the threshold is set well "
                          "above ordinary accounts."),
}

EVIDENCE_LABELS = {  # the evidence's figures worth showing, by key; other keys are the detector's own bookkeeping
    "second_shown": gettext_lazy("Busiest second (Beijing time)"),
    "count": gettext_lazy("Reposts counted"),
    "seconds_at_threshold": gettext_lazy("Seconds at or above the threshold"),
    "cv": gettext_lazy("Variation of the gaps (0 = perfectly even)"),
    "window_reposts": gettext_lazy("Reposts in the even stretch"),
    "window_start": gettext_lazy("Even stretch from"),
    "window_end": gettext_lazy("Even stretch until"),
    "mean_gap_seconds": gettext_lazy("Average gap, seconds"),
    "whole_cascade_cv": gettext_lazy("Variation over the whole cascade"),
    "even_minutes": gettext_lazy("Minutes in a row with the same count"),
    "even_per_minute": gettext_lazy("Reposts in each of those minutes"),
    "share": gettext_lazy("Share of the cascade"),
    "identical": gettext_lazy("Word-for-word copies"),
    "wordings": gettext_lazy("Different wordings of the remark"),
    "reposts": gettext_lazy("Reposts"),
    "non_trivial": gettext_lazy("Reposts with a remark of their own"),
    "accounts": gettext_lazy("Accounts measured"),
    "suspects_share": gettext_lazy("Share among the suspect accounts"),
    "suspects_accounts": gettext_lazy("Suspect accounts measured"),
    "young_days": gettext_lazy("Young: fewer days on Weibo than"),
    "fanless_followers": gettext_lazy("Fan-less: fewer followers than"),
}
SHARE_KEYS = {"share", "suspects_share"}

_FEWER_REPOSTS = re.compile(r"^(\d+) reposts, fewer than (\d+)$")
_FEWER_ACCOUNTS = re.compile(r"^account info for (\d+) reposters, fewer than (\d+)$")
_REASONS = {
    "no spread in time": gettext_lazy("all reposts came at the same moment"),
    "no repost text": gettext_lazy("the reposts' texts are not known"),
    "no other cascades given": gettext_lazy("the brand has no other negative cascade to compare with"),
}


def reason_words(reason: str) -> str:
    """Why a check was not measured, from the detector's note."""
    if found := _FEWER_REPOSTS.match(reason):
        return _("%(n)s reposts, fewer than the %(min)s a check needs") % {"n": found[1], "min": found[2]}
    if found := _FEWER_ACCOUNTS.match(reason):
        return _("account details for %(n)s reposters, fewer than the %(min)s the check needs") % {
            "n": found[1], "min": found[2]}
    return str(_REASONS.get(reason, _("the data it needs is missing")))


def baseline_words(code: str) -> str:
    return str(BASELINES.get(code, ""))


def evidence_facts(evidence: dict) -> list[tuple[str, str]]:
    """The evidence's figures as (label, value) for the "all the evidence" list."""
    facts = []
    for key, label in EVIDENCE_LABELS.items():
        value = evidence.get(key)
        if value is None or value == "" or isinstance(value, list | dict | bool):
            continue
        if key in SHARE_KEYS and isinstance(value, int | float):
            value = f"{value * 100:.1f} %"
        facts.append((str(label), str(value)))
    return facts


def score_words(score: float | None) -> str:
    """The detector's score in a sentence: where the cascade stands against the line for flagging."""
    if score is None or not math.isfinite(score):
        return ""
    return _("Score %(score).2f: 0 is the line for flagging (two checks fired, or one far beyond organic "
             "reposting); 1 means two checks each reached their strong threshold; the score stops at 4. The "
             "higher, the less likely the reposting is organic.") % {"score": score}


def profile_url(uid: str) -> str:
    return WEIBO_PROFILE % uid if UID_RE.match(uid) else ""


def example_accounts(uids: list[str], names: dict[str, str]) -> list[dict]:
    """The evidence's example accounts: name where known (``names``: uid -> screen name), uid otherwise, and the
    link to the Weibo profile. Escaping is the template's."""
    return [{"uid": uid, "name": names.get(uid, ""), "url": profile_url(uid)} for uid in uids]
