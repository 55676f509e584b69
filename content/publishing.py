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
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from positioning.models import ConnectionState, WeiboConnection
from positioning.weibo import account_client
from team.services import notice_send
from weibo_ops.weibo.client import WeiboClient
from weibo_ops.weibo.errors import APP_RETRY_AFTER, Outcome, WeiboError
from weibo_ops.weibo.types import Status

from .models import DUE_STATES, PostState, PostTarget, PublishAttempt, TargetState

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500  # targets queued per dispatcher run; the next run takes the rest
LOOKAHEAD = timedelta(seconds=5)  # targets due this soon are queued with their due time as ETA
PACE_WINDOW = timedelta(minutes=1)  # CONTENT_POSTS_PER_MINUTE counts shares in this window
PACE_MARGIN = timedelta(seconds=2)  # our clock and Weibo's, and the time a call takes to arrive
CONFIRM_DELAY = timedelta(seconds=20)  # 20032 means "visible within 1-2 minutes": look again after this
# A lost answer (timeout, dropped connection, 5xx after a write): a stored post is on the timeline at
# once. Should it show later than this, the new share gets "duplicate", which is looked up again.
LOST_ANSWER_DELAY = timedelta(seconds=5)
CONFIRM_LOOKUPS = 6  # look-ups for a pending post (about two minutes) before it is posted again
LOOKUP_SLACK = timedelta(seconds=5)  # clock difference tolerated between us and Weibo
FIRST_READING = timedelta(minutes=10)  # the first count of a new post's reposts, comments and likes
RESUME_WITHIN = timedelta(hours=12)  # a paused post whose slot is older than this is not sent late by itself
# Waits after consecutive "platform busy" answers (10001-10003, 5xx on a read); after the last, it fails.
RETRY_BACKOFF = [timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
                 timedelta(minutes=30)]

FINAL_ERROR_STATES = {
    Outcome.DUPLICATE: TargetState.DUPLICATE,
    Outcome.FORBIDDEN: TargetState.FORBIDDEN,
    Outcome.REAUTH: TargetState.NEEDS_REAUTH,
}


def redispatch_after() -> timedelta:
    """How long a queued target may go unclaimed (its task lost with a killed worker) before it is queued again."""
    return timedelta(seconds=settings.CONTENT_REDISPATCH_SECONDS)


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
    # A post sent back to review meanwhile waits for its approval; the others keep their slot.
    resumed += paused.exclude(post__state=PostState.APPROVED).update(
        state=TargetState.WAITING, message=_("Waiting for approval."))
    resumed += paused.filter(scheduled_at__gte=now - RESUME_WITHIN).update(
        state=TargetState.SCHEDULED, next_attempt_at=Greatest(F("scheduled_at"), Value(now)), dispatched_at=None,
        message="")
    resumed += paused.update(
        state=TargetState.FAILED, message=_("Not published: the account needed re-authorisation for more than "
                                            "%(hours)s hours after the slot. Schedule it again.")
        % {"hours": int(RESUME_WITHIN.total_seconds() // 3600)})
    return resumed


@dataclass(frozen=True)
class Queued:
    target_id: int
    at: datetime  # when the task may run: the target's due time (never before it)


def targets_dispatch(*, now: datetime | None = None) -> list[Queued]:
    """Due targets, and those due within ``LOOKAHEAD``, marked as queued so that the next run does
    not queue them again; one queued but never claimed (its task lost) is queued again after
    ``CONTENT_REDISPATCH_SECONDS``. The tasks carry the due time (an ETA): a worker holds them and starts at
    the second, instead of when the next dispatcher run happens to come.

    Each account is paced to ``CONTENT_POSTS_PER_MINUTE``: Weibo answers faster posting with 20016
    and an hour's block, so a target beyond the pace is moved by a minute instead, and says so.
    """
    now = now or timezone.now()
    due = list(
        PostTarget.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now + LOOKAHEAD)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch_after()))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "account_id", "next_attempt_at", "needs_lookup")[:DISPATCH_BATCH]
    )
    if not due:
        return []
    limit = settings.CONTENT_POSTS_PER_MINUTE
    sent = _recent_posts({account_id for _pk, account_id, _at, _look in due}, now)
    queued: list[Queued] = []
    paced: dict[tuple[datetime, datetime], list[int]] = {}
    for pk, account_id, at, look_first in due:
        if look_first:
            # A look-up for a share already counted; if Weibo lacks the post, the new share replaces it.
            queued.append(Queued(pk, at))
            continue
        times = sent.setdefault(account_id, [])
        when = max(at, now)
        in_window = [t for t in times if t > when - PACE_WINDOW]
        if len(in_window) >= limit:
            # The earliest moment the window holds fewer than ``limit`` posts again.
            when = sorted(in_window)[-limit] + PACE_WINDOW + PACE_MARGIN
            paced.setdefault((when.replace(microsecond=0) + timedelta(seconds=1), at), []).append(pk)
        else:
            queued.append(Queued(pk, at))
        times.append(when)
    PostTarget.objects.filter(pk__in=[q.target_id for q in queued]).update(dispatched_at=now)
    for (later, due_at), ids in paced.items():
        # Only if nobody moved it meanwhile: a person's new slot wins over the pace.
        PostTarget.objects.filter(pk__in=ids, state__in=DUE_STATES, next_attempt_at=due_at).update(
            next_attempt_at=later, dispatched_at=None,
            message=_("Paced: Weibo takes at most %(n)s posts a minute from one account; moved to %(time)s.")
            % {"n": settings.CONTENT_POSTS_PER_MINUTE, "time": date_format(timezone.localtime(later), "H:i:s")})
    return queued


def _recent_posts(accounts: set[int], now: datetime) -> dict[int, list[datetime]]:
    """Per account, when its recent posts went or will go: shares of the last minute, targets being
    published, and targets queued (at their due time)."""
    times: dict[int, list[datetime]] = {}
    shares = (PublishAttempt.objects.filter(action="share", started_at__gte=now - PACE_WINDOW,
                                            target__account_id__in=accounts)
              .values_list("target__account_id", "started_at"))
    busy = (PostTarget.objects.filter(account_id__in=accounts)
            .filter(Q(state=TargetState.PUBLISHING)
                    | Q(state__in=DUE_STATES, dispatched_at__gte=now - redispatch_after(), needs_lookup=False))
            .values_list("account_id", "next_attempt_at", "claimed_at", "state"))
    for account_id, started in shares:
        times.setdefault(account_id, []).append(started)
    for account_id, due, claimed, state in busy:
        times.setdefault(account_id, []).append(claimed if state == TargetState.PUBLISHING else due)
    return times


def target_publish(*, target_id: int) -> PostTarget | None:
    """Publish one due target, or confirm it. Safe to run any number of times, in parallel too.

    Precondition: no transaction is open; each step commits on its own before Weibo is called.
    """
    now = timezone.now()
    # dispatched_at is cleared: whatever comes of this attempt, its next step is queued afresh.
    claimed = PostTarget.objects.filter(pk=target_id, state__in=DUE_STATES, next_attempt_at__lte=now).update(
        state=TargetState.PUBLISHING, claimed_at=now, attempts=F("attempts") + 1, dispatched_at=None)
    if not claimed:
        # Not due (a task that ran early, or a redelivery after a reschedule), already taken, or
        # done: nothing happens. A target still waiting may be queued again by the next dispatch.
        PostTarget.objects.filter(pk=target_id, state__in=DUE_STATES, next_attempt_at__gt=now).update(
            dispatched_at=None)
        return None
    target = PostTarget.objects.select_related("post", "account", "account__weibo_connection").get(pk=target_id)
    if target.post.state != PostState.APPROVED and not target.needs_lookup:
        # Sent back to review after it was queued (an edit, a rejection): it waits for the new approval.
        # (A post Weibo may already hold is still looked for: that is confirming, not publishing.)
        return _save(target, state=TargetState.WAITING, message=_("Waiting for approval."))
    try:
        client = account_client(account=target.account, connection=_connection(target.account))
    except WeiboError as error:
        return _settle(target, error)
    if target.needs_lookup:
        settled = _look_up(target, client)
        if settled is not None:
            return settled
        if target.post.state != PostState.APPROVED:
            return _save(target, state=TargetState.WAITING, needs_lookup=False, message=_("Waiting for approval."))
    return _share(target, client)


def _look_up(target: PostTarget, client: WeiboClient) -> PostTarget | None:
    """Look for a post Weibo may hold: the settled target, or None when it is not there (share it)."""
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
    return None


def _connection(account) -> WeiboConnection | None:
    """The connection loaded with the target (select_related), or None when the account has none."""
    try:
        return account.weibo_connection
    except WeiboConnection.DoesNotExist:
        return None


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
        pending = error.outcome == Outcome.PENDING
        return _save(target, state=TargetState.CONFIRMING, needs_lookup=True, pending=pending,
                     next_attempt_at=now + (CONFIRM_DELAY if pending else LOST_ANSWER_DELAY),
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
    if error.outcome == Outcome.APP:
        # Weibo refuses the app, not this post (managers are alerted once): it waits, it has not failed.
        return _save(target, state=waiting, next_attempt_at=error.retry_at or now + APP_RETRY_AFTER,
                     needs_lookup=target.needs_lookup, message=error.describe())
    busy = max(_busy_in_a_row(target), 1) if error.outcome == Outcome.RETRY else 0
    if error.outcome == Outcome.RETRY and busy <= len(RETRY_BACKOFF):
        return _save(target, state=waiting, next_attempt_at=now + RETRY_BACKOFF[busy - 1],
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


def _busy_in_a_row(target: PostTarget) -> int:
    """How many of the target's last calls in a row were answered "busy, retry" (this one included)."""
    outcomes = target.publish_attempts.order_by("-started_at", "-pk").values_list("outcome", flat=True)
    count = 0
    for outcome in outcomes[: len(RETRY_BACKOFF) + 1]:
        if outcome != Outcome.RETRY.value:
            break
        count += 1
    return count


def _save(target: PostTarget, **fields) -> PostTarget:
    for name, value in fields.items():
        setattr(target, name, value)
    PostTarget.objects.filter(pk=target.pk).update(**fields)  # an UPDATE of these columns, nothing else
    return target


def _attempt(target: PostTarget, action: str, started: datetime, *, outcome: str = "",
             error: WeiboError | None = None) -> None:
    PublishAttempt.objects.create(
        target=target, action=action, started_at=started, finished_at=timezone.now(),
        outcome=outcome or (error.outcome.value if error else ""),
        error_code=error.code if error else None,
        error_body=(error.raw or error.message)[:5000] if error else "",
    )
