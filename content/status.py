"""One status word per post and per account of a post, derived here and nowhere else.

A post's ``state`` says where it is in approval (draft, in review, approved, sent back); its
targets' states say what became of it on each account. Shown side by side they contradicted each
other (an approved post whose accounts still read "waiting for approval", a published post that
read "approved"), so pages, the API and other apps' pages show these labels instead of either raw
state. Every function takes what lists prefetch and costs no query then.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Post, PostState, PostTarget, TargetState


@dataclass(frozen=True)
class Status:
    key: str  # a stable word for CSS and the API: draft, in_review, approved, scheduled, published, ...
    label: str
    tone: str = ""  # "ok", "warn", "bad" or "" (the tag's colour)
    note: str = ""  # the target's message when it adds to the label


POST_LABELS = {
    "draft": _("Draft"), "rejected": _("Sent back"), "in_review": _("In review"), "approved": _("Approved"),
    "fast_tracked": _("Fast-tracked"), "scheduled": _("Scheduled"), "publishing": _("Publishing"),
    "published": _("Published"), "partly_published": _("Partly published"), "failed": _("Failed"),
    "cancelled": _("Cancelled"),
}
TONES = {"published": "ok", "approved": "ok", "fast_tracked": "ok", "scheduled": "ok", "in_review": "warn",
         "partly_published": "warn", "rejected": "bad", "failed": "bad"}
# Weibo refused or the account lost its token: a person has to act.
PROBLEMS = [TargetState.FAILED, TargetState.DUPLICATE, TargetState.FORBIDDEN, TargetState.NEEDS_REAUTH]
IN_FLIGHT = [TargetState.PUBLISHING, TargetState.CONFIRMING]
# Messages the services write that only repeat a state in words ("等待审核 · 等待审核").
REPEATS = ["Waiting for approval."]


def _status(key: str) -> Status:
    return Status(key, str(POST_LABELS[key]), TONES.get(key, ""))


def post_status(post: Post, targets: list[PostTarget] | None = None) -> Status:
    """The post's one word: its approval until it is approved, then what happened on its accounts
    (``targets``: those shown; default all, prefetched or not)."""
    if post.state != PostState.APPROVED:
        return _status(post.state)
    targets = list(post.targets.all()) if targets is None else targets
    return _status(_approved_key(post, [t.state for t in targets]))


def _approved_key(post: Post, states: list[str]) -> str:
    live = [state for state in states if state != TargetState.CANCELLED]
    published = live.count(TargetState.PUBLISHED)
    if states and not live:
        key = "cancelled"
    elif live and published == len(live):
        key = "published"
    elif any(state in PROBLEMS for state in live):
        key = "failed"
    elif any(state in IN_FLIGHT for state in live):
        key = "publishing"
    elif published:
        key = "partly_published"
    elif TargetState.SCHEDULED in live:
        key = "scheduled"
    else:
        key = "fast_tracked" if post.urgent else "approved"
    return key


def target_status(target: PostTarget, post: Post | None = None) -> Status:
    """The post's word on one account. A target that waits shows why it waits: the post is a draft,
    in review, sent back, or approved and without a time yet."""
    post = post or target.post
    if target.state == TargetState.WAITING:
        if post.state == PostState.APPROVED:
            status = Status("unscheduled", str(_("Not scheduled")), "warn")
        elif post.state == PostState.IN_REVIEW:
            status = Status("in_review", str(TargetState.WAITING.label), "warn")
        else:
            status = _status(post.state)
    else:
        key = str(target.state)
        status = Status(key, str(TargetState(target.state).label),
                        "ok" if key in ("published", "scheduled") else "bad" if target.state in PROBLEMS else "")
    message = target.message.strip()
    if message and message not in _repeats():
        status = Status(status.key, status.label, status.tone, message)
    return status


@lru_cache(maxsize=1)
def _repeats() -> frozenset[str]:
    """The repeating messages in every language: a message is stored in its writer's language."""
    words = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words |= {translation.gettext(message) for message in REPEATS}
    return frozenset(words)
