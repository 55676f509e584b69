"""Publishing a target to Weibo exactly once, whatever the worker, the broker or the platform do.

- A target is **claimed** with a conditional update (``scheduled``/``confirming`` → ``publishing``)
  before anything is sent, so a redelivered or duplicated task finds nothing to claim and does nothing.
- Before every ``statuses/share`` the target is marked ``needs_lookup`` (committed): if the answer is
  lost (timeout, dropped connection, 5xx, 20032) or the worker dies during the call, the next step is
  to **look the post up** on the account's timeline, and only if Weibo does not have it, to post again.
- A ``publishing`` target whose worker died is **swept** back to ``confirming`` after a timeout.
- Every call and look-up is kept as a ``PublishAttempt``; every outcome of the gateway maps to a state
  people see (rate limited until T, needs re-authorisation, duplicate, forbidden, failed with reason).

These are services (CONVENTIONS: only services call the Weibo client); tasks call them by id.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from positioning.models import ConnectionState
from positioning.weibo import account_client
from team.services import notice_send
from weibo_ops.weibo.client import WeiboClient
from weibo_ops.weibo.errors import Outcome, WeiboError
from weibo_ops.weibo.types import Status

from .models import DUE_STATES, PostTarget, PublishAttempt, TargetState

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500  # targets queued per dispatcher run; the next run takes the rest
REDISPATCH_AFTER = timedelta(minutes=1)  # a queued target nobody claimed is queued again after this
CONFIRM_DELAY = timedelta(seconds=20)  # 20032 means "visible within 1-2 minutes": look again after this
CONFIRM_LOOKUPS = 6  # look-ups for a pending post (about two minutes) before it is posted again
LOOKUP_SLACK = timedelta(seconds=5)  # clock difference tolerated between us and Weibo
FIRST_READING = timedelta(minutes=10)  # the first count of a new post's reposts, comments and likes
RESUME_WITHIN = timedelta(hours=12)  # a paused post whose slot is older than this is not sent late by itself
RETRY_BACKOFF = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30)]

FINAL_ERROR_STATES = {
    Outcome.DUPLICATE: TargetState.DUPLICATE,
    Outcome.FORBIDDEN: TargetState.FORBIDDEN,
    Outcome.REAUTH: TargetState.NEEDS_REAUTH,
}


def stale_after() -> timedelta:
    """How long a ``publishing`` target may stay so before its worker is presumed dead."""
    return timedelta(seconds=settings.CONTENT_PUBLISH_STALE_SECONDS)


def post_url(status: Status) -> str:
    return f"https://m.weibo.cn/status/{status.mid or status.id}"


def targets_sweep(*, now: datetime | None = None) -> int:
    """Targets left ``publishing`` by a killed worker go to ``confirming``: look first, then post."""
    now = now or timezone.now()
    return PostTarget.objects.filter(state=TargetState.PUBLISHING, claimed_at__lt=now - stale_after()).update(
        state=TargetState.CONFIRMING, needs_lookup=True, next_attempt_at=now,
        message=_("The worker stopped while publishing; checking with Weibo before anything is sent again."),
    )


def targets_resume(*, now: datetime | None = None) -> int:
    """Targets paused because their account needed re-authorisation go on once it is connected again:
    at once if their slot is recent, after a look-up if a post may be out there; a slot older than
    ``RESUME_WITHIN`` is not published late by surprise but left to a person to schedule again."""
    now = now or timezone.now()
    paused = PostTarget.objects.filter(state=TargetState.NEEDS_REAUTH,
                                       account__weibo_connection__state=ConnectionState.CONNECTED)
    resumed = paused.filter(needs_lookup=True).update(
        state=TargetState.CONFIRMING, next_attempt_at=now, dispatched_at=None,
        message=_("The account is connected again; checking with Weibo before anything is sent."))
    resumed += paused.filter(needs_lookup=False, scheduled_at__gte=now - RESUME_WITHIN).update(
        state=TargetState.SCHEDULED, next_attempt_at=now, dispatched_at=None, message="")
    resumed += paused.filter(needs_lookup=False).update(
        state=TargetState.FAILED, message=_("Not published: the account needed re-authorisation for more than "
                                            "%(hours)s hours after the slot. Schedule it again.")
        % {"hours": int(RESUME_WITHIN.total_seconds() // 3600)})
    return resumed


def targets_dispatch(*, now: datetime | None = None) -> list[int]:
    """The ids of due targets, marked as queued so that the next run does not queue them again;
    one queued but never claimed (its task lost) is queued again after ``REDISPATCH_AFTER``."""
    now = now or timezone.now()
    ids = list(
        PostTarget.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
        .order_by("next_attempt_at").values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    if ids:
        PostTarget.objects.filter(pk__in=ids).update(dispatched_at=now)
    return ids


def target_publish(*, target_id: int) -> PostTarget | None:
    """Publish one due target, or confirm it. Safe to run any number of times, in parallel too.

    Precondition: no transaction is open; each step commits on its own before Weibo is called.
    """
    now = timezone.now()
    claimed = PostTarget.objects.filter(pk=target_id, state__in=DUE_STATES, next_attempt_at__lte=now).update(
        state=TargetState.PUBLISHING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None  # not due, already taken, or done: a redelivered task ends here
    target = PostTarget.objects.select_related("post", "account").get(pk=target_id)
    try:
        client = account_client(account=target.account)
    except WeiboError as error:
        return _settle(target, error)
    if target.needs_lookup:
        started = timezone.now()
        try:
            found = client.find_own_post(target.text, since=(target.first_call_at or started) - LOOKUP_SLACK)
        except WeiboError as error:
            _attempt(target, "lookup", started, error=error)
            return _settle(target, error)
        _attempt(target, "lookup", started, outcome="found" if found else "not_found")
        if found is not None:
            return _published(target, found)
        if target.pending and target.lookups + 1 < CONFIRM_LOOKUPS:
            # Weibo accepted it (20032) and said it would show within minutes: keep looking a while.
            return _save(target, state=TargetState.CONFIRMING, lookups=target.lookups + 1,
                         next_attempt_at=timezone.now() + CONFIRM_DELAY)
    return _share(target, client)


def _share(target: PostTarget, client: WeiboClient) -> PostTarget:
    started = timezone.now()
    if not target.rip:
        return _save(target, state=TargetState.FAILED, message=_(
            "No approver's IP is stored with this post; Weibo requires it (rip). Schedule it again."))
    try:
        pic = _picture(target)
    except OSError:
        return _save(target, state=TargetState.FAILED, message=_(
            "The post's picture file cannot be read; attach the picture again, then schedule the post."))
    # Committed before the call: if this process dies mid-call, whoever comes next looks first.
    _save(target, needs_lookup=True, pending=False, lookups=0, first_call_at=target.first_call_at or started)
    try:
        status = client.share(target.text, rip=target.rip, pic=pic,
                              pic_name=target.post.image.name.rsplit("/", 1)[-1] if pic else "pic.jpg")
    except WeiboError as error:
        _attempt(target, "share", started, error=error)
        return _settle(target, error, after_share=True)
    _attempt(target, "share", started, outcome="published")
    return _published(target, status)


def _picture(target: PostTarget) -> bytes | None:
    if not target.post.image:
        return None
    with target.post.image.open("rb") as image:
        return image.read()


def _published(target: PostTarget, status: Status) -> PostTarget:
    return _save(target, state=TargetState.PUBLISHED, mid=status.mid or status.id, url=post_url(status),
                 published_at=status.created_at or timezone.now(), needs_lookup=False, pending=False, message="",
                 metrics_next_at=timezone.now() + FIRST_READING)


def _settle(target: PostTarget, error: WeiboError, *, after_share: bool = False) -> PostTarget:
    """The state a gateway error leaves the target in, with a message people can act on."""
    now = timezone.now()
    if error.outcome in (Outcome.PENDING, Outcome.UNCONFIRMED):
        return _save(target, state=TargetState.CONFIRMING, needs_lookup=True,
                     pending=error.outcome == Outcome.PENDING, next_attempt_at=now + CONFIRM_DELAY,
                     message=error.describe())
    if after_share:
        # A definite answer to the share (and the look-up before it found nothing): nothing is out there.
        target.needs_lookup = False
    waiting = TargetState.CONFIRMING if target.needs_lookup else TargetState.SCHEDULED
    if error.outcome == Outcome.RATE_LIMITED:
        until = error.retry_at or now + timedelta(hours=1)
        return _save(target, state=waiting, next_attempt_at=until, needs_lookup=target.needs_lookup,
                     message=_("Rate limited until %(until)s: moved to then.") % {
                         "until": date_format(timezone.localtime(until), "Y-m-d H:i")})
    if error.outcome == Outcome.RETRY and target.attempts <= len(RETRY_BACKOFF):
        return _save(target, state=waiting, next_attempt_at=now + RETRY_BACKOFF[target.attempts - 1],
                     needs_lookup=target.needs_lookup, message=error.describe())
    if (error.outcome == Outcome.DUPLICATE and after_share and target.attempts > 1
            and target.publish_attempts.filter(outcome=Outcome.DUPLICATE.value).count() == 1):
        # After a lost attempt, the duplicate Weibo sees may be our own post: look once more first.
        return _save(target, state=TargetState.CONFIRMING, needs_lookup=True, next_attempt_at=now,
                     message=error.describe())
    # Final: the post stays editable with the reason shown; nothing is retried by itself.
    # needs_lookup stays as it is: a post that may be out there is looked for before any new attempt.
    _save(target, state=FINAL_ERROR_STATES.get(error.outcome, TargetState.FAILED), needs_lookup=target.needs_lookup,
          pending=False, message=error.describe()[:500])
    notice_send(recipients=[target.post.created_by], kind="publish",
                title=_("Not published on %(account)s") % {"account": target.account.name},
                body=target.message, url=reverse("content:post", args=[target.post_id]), account_id=target.account_id,
                dedupe_key=f"publish-failed:{target.pk}:{target.attempts}")
    return target


def _save(target: PostTarget, **fields) -> PostTarget:
    for name, value in fields.items():
        setattr(target, name, value)
    target.save(update_fields=list(fields))
    return target


def _attempt(target: PostTarget, action: str, started: datetime, *, outcome: str = "",
             error: WeiboError | None = None) -> None:
    PublishAttempt.objects.create(
        target=target, action=action, started_at=started, finished_at=timezone.now(),
        outcome=outcome or (error.outcome.value if error else ""),
        error_code=error.code if error else None,
        error_body=(error.raw or error.message)[:5000] if error else "",
    )
