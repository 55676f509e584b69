"""Ingest: what fans send to the matrix becomes inbox items, each exactly once.

Polling (beat, every ``FANS_POLL_SECONDS``) reads three sources per connected account with
``since_id`` cursors: ``statuses/mentions``, ``comments/to_me`` and ``comments/mentions``. One poll of
one source:

1. takes the source's lease with a conditional update (two workers never poll the same source; a
   killed worker's lease runs out after ``FANS_INGEST_LEASE_SECONDS``);
2. reads pages newest first down to the cursor, at most ``FANS_POLL_PAGES`` of them;
3. stores fans and items and moves the cursor **in one transaction**: a crash before the commit
   stores nothing and moves nothing, so the next poll reads the same items again; a redelivered or
   overlapping read finds them stored (unique by account, object type and platform id).

When more than the page limit is waiting, the cursor does not jump over the unread rest: the poll
keeps where it stopped (``gap_max_id``) and the next poll reads on from there before moving the cursor
past the gap. Pushed private messages and follow events (``weibo_ops.weibo.push`` stores them) are
turned into items by ``pushes_ingest`` the same way: items and the push's ``processed_at`` in one
transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from positioning.models import Account, ConnectionState, PlaybookVersion
from positioning.weibo import account_client
from sentiment.services import mentions_hand_over
from weibo_ops.weibo.budget import account_scope, default_budget
from weibo_ops.weibo.errors import AppRefused, NeedsReauthorisation, RateLimited, WeiboError
from weibo_ops.weibo.models import PushEvent
from weibo_ops.weibo.types import Comment, Status
from weibo_ops.weibo.types import User as WeiboUser

from . import text as features
from .models import ANSWERABLE, AccountFan, Fan, IngestCursor, Interaction, Kind, Source, State
from .routing import items_route
from .scoring import fans_locked, fans_rescore, profile_score

logger = logging.getLogger(__name__)

PAGE_COUNT = 200  # the API's maximum per list call
PUSH_BATCH = 500  # pushes turned into items per transaction
PROFILE_REFRESH_AFTER = timedelta(hours=6)  # a profile seen in a status is rewritten at most this often
HISTORY_HORIZON = timedelta(hours=72)  # on an account's first poll, older items arrive as closed history

POLLED = {
    Source.MENTIONS: ("mentions", Kind.MENTION, "status"),
    Source.COMMENTS_TO_ME: ("comments_to_me", Kind.COMMENT, "comment"),
    Source.COMMENTS_MENTIONS: ("comments_mentions", Kind.COMMENT_MENTION, "comment"),
}


@dataclass
class PollResult:
    source: str
    stored: int = 0
    read: int = 0
    pages: int = 0
    skipped: str = ""  # why nothing was read: leased, paused, budget, not connected


@dataclass
class Incoming:
    """One item as read from Weibo, before it is stored."""

    kind: str
    source: str
    object_type: str
    platform_id: str
    user: WeiboUser | None
    uid: str
    text: str
    created_at: datetime
    status_id: str = ""
    status_text: str = ""
    status_author: str = ""
    reply_to_id: str = ""
    reply_to_text: str = ""
    thread_key: str = ""


def _from_status(status: Status, source: str) -> Incoming | None:
    if status.user is None:
        return None
    return Incoming(
        kind=Kind.MENTION, source=source, object_type="status", platform_id=status.id, user=status.user,
        uid=status.user.id, text=status.text, created_at=status.created_at or timezone.now(),
        status_id=status.id, status_text=status.retweeted_status.text if status.retweeted_status else "",
        status_author=(status.retweeted_status.user.screen_name
                       if status.retweeted_status and status.retweeted_status.user else ""),
        thread_key=f"s:{status.id}",
    )


def _from_comment(comment: Comment, source: str, kind: str) -> Incoming | None:
    if comment.user is None:
        return None
    status = comment.status
    return Incoming(
        kind=kind, source=source, object_type="comment", platform_id=comment.id, user=comment.user,
        uid=comment.user.id, text=comment.text, created_at=comment.created_at or timezone.now(),
        status_id=status.id if status else "", status_text=status.text if status else "",
        status_author=status.user.screen_name if status and status.user else "",
        reply_to_id=comment.reply_comment.id if comment.reply_comment else "",
        reply_to_text=comment.reply_comment.text if comment.reply_comment else "",
        thread_key=f"s:{status.id}" if status else f"c:{comment.id}",
    )


# --- fans ----------------------------------------------------------------------------------------

def _apply_profile(fan: Fan, user: WeiboUser, now: datetime) -> None:
    fan.screen_name = user.screen_name[:200]
    fan.description = user.description[:1000]
    fan.location = user.location[:200]
    fan.gender = user.gender[:2]
    fan.avatar_url = user.profile_image_url[:1000]
    fan.followers_count = max(user.followers_count, 0)
    fan.friends_count = max(user.friends_count, 0)
    fan.statuses_count = max(user.statuses_count, 0)
    fan.verified = user.verified
    fan.verified_reason = user.verified_reason[:500]
    fan.registered_at = user.created_at
    fan.profile_at = now
    fan.profile_problem = ""
    score = profile_score(fan, now=now)
    fan.influence, fan.zombie, fan.hunter = score.influence, score.zombie, score.hunter
    fan.score_reasons = {**(fan.score_reasons or {}), **score.reasons}


PROFILE_FIELDS = ["screen_name", "description", "location", "gender", "avatar_url", "followers_count",
                  "friends_count", "statuses_count", "verified", "verified_reason", "registered_at", "profile_at",
                  "profile_problem", "influence", "zombie", "hunter", "score_reasons"]


@transaction.atomic
def fans_upsert(*, users: dict[str, WeiboUser | None]) -> dict[str, Fan]:
    """The fans of these uids, created when new, their profiles refreshed from the user objects
    Weibo sent along (at most every ``PROFILE_REFRESH_AFTER``). A constant number of queries.

    The fans are locked (``fans_locked``) until the caller's transaction ends: a score written here or by a
    ``fans_rescore`` later in it is computed from the row as it is, never over a lottery count or a profile
    another worker stored meanwhile."""
    now = timezone.now()
    found = {fan.uid: fan for fan in fans_locked(Fan.objects.filter(uid__in=list(users)))}
    new = []
    for uid, user in users.items():
        if uid in found:
            continue
        fan = Fan(uid=uid)
        if user is not None:
            _apply_profile(fan, user, now)
        new.append(fan)
    if new:
        # Another worker may create the same fan meanwhile: the unique uid keeps one.
        Fan.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        found |= {fan.uid: fan for fan in fans_locked(Fan.objects.filter(uid__in=[f.uid for f in new]))}
    created = {fan.uid for fan in new}
    stale = []
    for uid, user in users.items():
        fan = found[uid]
        if user is not None and uid not in created and (
                fan.profile_at is None or now - fan.profile_at > PROFILE_REFRESH_AFTER):
            _apply_profile(fan, user, now)
            stale.append(fan)
    if stale:
        Fan.objects.bulk_update(stale, PROFILE_FIELDS, batch_size=500)
    return found


# --- storing -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clocks:
    reply: timedelta
    resolve: timedelta


def clocks_for(accounts: list[Account]) -> dict[int, Clocks]:
    """Each account's SLA targets from its current playbook (the defaults where it has none)."""
    defaults = PlaybookVersion._meta
    reply_default = defaults.get_field("reply_within_hours").default
    resolve_default = defaults.get_field("resolve_within_hours").default
    latest: dict[int, PlaybookVersion] = {}
    for version in PlaybookVersion.objects.filter(account__in=accounts).order_by("account_id", "-number"):
        latest.setdefault(version.account_id, version)
    return {
        account.pk: Clocks(
            timedelta(hours=latest[account.pk].reply_within_hours if account.pk in latest else reply_default),
            timedelta(hours=latest[account.pk].resolve_within_hours if account.pk in latest else resolve_default),
        )
        for account in accounts
    }


def fan_accounts_record(*, items: list[Interaction]) -> None:
    """Keep each (account, fan)'s first interaction (``AccountFan``) for ``items`` just stored. Call in the
    transaction that stored them; safe to run twice."""
    firsts: dict[tuple[int, int], datetime] = {}
    for item in items:
        key = (item.account_id, item.fan_id)
        if key not in firsts or item.created_at < firsts[key]:
            firsts[key] = item.created_at
    if not firsts:
        return
    AccountFan.objects.bulk_create([AccountFan(account_id=account_id, fan_id=fan_id, first_interaction_at=at)
                                    for (account_id, fan_id), at in firsts.items()],
                                   ignore_conflicts=True, batch_size=500)
    # A backlog read after newer items can be older than the first kept: move it back, conditionally, so that
    # two sources of one account stored at once cannot move it forward again.
    kept = AccountFan.objects.filter(account_id__in={a for a, _f in firsts},
                                     fan_id__in={f for _a, f in firsts}).values_list("account_id", "fan_id",
                                                                                    "first_interaction_at")
    for account_id, fan_id, first in kept:
        at = firsts.get((account_id, fan_id))
        if at is not None and at < first:
            AccountFan.objects.filter(account_id=account_id, fan_id=fan_id,
                                      first_interaction_at__gt=at).update(first_interaction_at=at)


def items_store(*, account: Account, incoming: list[Incoming], history_before: datetime | None = None,
                clocks: Clocks | None = None) -> list[Interaction]:
    """Store what is not stored yet and route it; returns the new items. Call inside a transaction.

    ``history_before`` (an account's first poll): items older than this arrive closed, and the SLA clocks
    of the rest of the backlog start now.
    """
    own_uid = account.weibo_uid
    incoming = [item for item in incoming if item.uid and item.uid != own_uid]
    if not incoming:
        return []
    clocks = clocks or clocks_for([account])[account.pk]
    users: dict[str, WeiboUser | None] = {}
    for item in incoming:
        if item.user is not None or item.uid not in users:
            users[item.uid] = item.user
    fans = fans_upsert(users=users)
    rows = []
    now = timezone.now()
    for item in incoming:
        answerable = item.kind in ANSWERABLE
        history = history_before is not None and item.created_at < history_before
        # The backlog an account brings on its first poll waited before anyone here could see it: its
        # clocks start now, so that the team is measured on what it could answer.
        start = now if history_before is not None else item.created_at
        rows.append(Interaction(
            account=account, kind=item.kind, source=item.source, object_type=item.object_type,
            platform_id=item.platform_id[:64], fan=fans[item.uid], text=item.text, created_at=item.created_at,
            status_id=item.status_id, status_text=item.status_text, status_author=item.status_author[:200],
            reply_to_id=item.reply_to_id, reply_to_text=item.reply_to_text, thread_key=item.thread_key[:80],
            reposted_from=features.reposted_via(item.text)[:200],
            is_question=features.is_question(item.text), is_praise=features.is_praise(item.text),
            defends=features.defends(item.text),
            # A complaint is read from its text, as a question is: not left to whichever routing rule came first.
            is_complaint=answerable and features.is_complaint(item.text),
            needs_answer=answerable and not history,
            state=State.OPEN if answerable and not history else State.CLOSED,
            first_response_due=start + clocks.reply if answerable and not history else None,
            resolution_due=start + clocks.resolve if answerable and not history else None,
        ))
    Interaction.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    keys = Q()
    for object_type in {row.object_type for row in rows}:
        ids = [r.platform_id for r in rows if r.object_type == object_type]
        keys |= Q(object_type=object_type, platform_id__in=ids)
    # Rows not yet routed are the ones this call stored (or a crashed call stored and never routed).
    new = list(Interaction.objects.filter(keys, account=account, routed_at__isnull=True)
               .select_related("fan", "account"))
    if new:
        fan_accounts_record(items=new)
        items_route(items=new)
        fans_rescore(fan_ids=list({item.fan_id for item in new}))
        items_monitor(account=account, items=new)
    return new


# Opinion monitoring hears what the inbox reads: the items go on to the monitoring pipeline from here,
# so Weibo is never read twice for them.
MONITORED = {Source.MENTIONS: "mentions", Source.COMMENTS_TO_ME: "comments", Source.COMMENTS_MENTIONS: "comments",
             Source.PUSH: "push"}  # sentiment.models.MentionSource


def _raw(item: Interaction) -> dict:
    fan = item.fan
    # Private messages and comments have their own id spaces: keep them apart from status ids.
    pid = item.platform_id if item.object_type == "status" else f"{item.object_type}:{item.platform_id}"
    return {
        "text": item.text, "platform_id": pid, "object_type": item.object_type,
        "url": f"https://weibo.com/{fan.uid}/{item.platform_id}" if item.object_type == "status" else "",
        "author_uid": fan.uid, "author_name": fan.screen_name, "author_followers": fan.followers_count,
        "author_verified": fan.verified,
        "author_created_at": fan.registered_at.isoformat() if fan.registered_at else "",
        "posted_at": item.created_at.isoformat(), "root_id": item.status_id if item.object_type == "comment" else "",
    }


def items_monitor(*, account: Account, items: list[Interaction]) -> int:
    by_source: dict[str, list[dict]] = {}
    for item in items:
        if item.text and item.source in MONITORED:
            by_source.setdefault(MONITORED[item.source], []).append(_raw(item))
    return sum(mentions_hand_over(brand_id=account.brand_id, source=source, items=items)
               for source, items in by_source.items())


# --- polling -------------------------------------------------------------------------------------

def _lease(cursor: IngestCursor, now: datetime) -> bool:
    until = now + timedelta(seconds=settings.FANS_INGEST_LEASE_SECONDS)
    return bool(IngestCursor.objects.filter(pk=cursor.pk).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(lease_until=until))


@dataclass
class _Page:
    items: list[Incoming]
    size: int  # what Weibo sent, readable or not: a full page means more may wait below it
    oldest_id: int | None  # the oldest readable id on the page, where the next page starts


def _read(client, source: str, *, since_id: str, max_id: str | None) -> _Page:
    method, kind, _object_type = POLLED[source]
    page = getattr(client, method)(since_id=since_id or None, max_id=max_id or None, count=PAGE_COUNT)
    convert = (lambda s: _from_status(s, source)) if source == Source.MENTIONS else (
        lambda c: _from_comment(c, source, kind))
    items = [item for item in (convert(obj) for obj in page.items) if item is not None]
    ids = [int(obj.id) for obj in page.items]
    return _Page(items, len(page.items) + page.dropped, min(ids) if ids else None)


def _read_down(client, source: str, cursor: IngestCursor, result: PollResult, *, first_poll: bool):
    """Pages newest first from where the last poll stopped down to the cursor, within the page limit.
    Returns (items, newest id seen, where to go on below, whether the cursor was reached)."""
    max_id = cursor.gap_max_id or None
    top = cursor.gap_top_id
    read: list[Incoming] = []
    for _page in range(settings.FANS_POLL_PAGES):
        page = _read(client, source, since_id=cursor.since_id, max_id=max_id)
        result.pages += 1
        read += page.items
        if page.items:
            top = max(top or "0", max(page.items, key=lambda i: int(i.platform_id)).platform_id, key=int)
        # A short page (counting what could not be read: an unreadable status or one without its user
        # is still a place on the page): nothing older waits above the cursor. A first poll takes the
        # newest page only.
        if page.size < PAGE_COUNT or page.oldest_id is None or first_poll:
            result.read = len(read)
            return read, top, max_id, True
        max_id = str(page.oldest_id - 1)
    result.read = len(read)
    return read, top, max_id, False


def source_poll(*, account: Account, source: str) -> PollResult:
    """Poll one source of one account (see the module's docstring). Safe to run any number of times."""
    result = PollResult(source)
    now = timezone.now()
    cursor, _created = IngestCursor.objects.get_or_create(account=account, source=source)
    if cursor.paused_until and cursor.paused_until > now:
        result.skipped = "paused"
        return result
    status = default_budget().status(account_scope(account.pk), now=now)
    calls = next(k for k in status.kinds if k.kind == "calls")
    if calls.remaining <= settings.FANS_POLL_RESERVE_CALLS:
        # Leave room for replies and publishing: polling waits for the next hour's budget.
        result.skipped = "budget"
        return result
    if not _lease(cursor, now):
        result.skipped = "leased"
        return result
    try:
        first_poll = not cursor.since_id and not cursor.gap_top_id
        read, top, max_id, reached = _read_down(account_client(account=account), source, cursor, result,
                                                first_poll=first_poll)
        with transaction.atomic():
            new = items_store(account=account, incoming=read,
                              history_before=now - HISTORY_HORIZON if first_poll else None)
            result.stored = len(new)
            fields = {"lease_until": None, "polled_at": timezone.now(), "problem": "", "paused_until": None,
                      "stored_total": cursor.stored_total + len(new)}
            if reached:
                fields |= {"since_id": top or cursor.since_id, "gap_max_id": "", "gap_top_id": ""}
            else:
                fields |= {"gap_max_id": max_id or "", "gap_top_id": top or ""}
            IngestCursor.objects.filter(pk=cursor.pk).update(**fields)
    except RateLimited as error:
        IngestCursor.objects.filter(pk=cursor.pk).update(lease_until=None, paused_until=error.retry_at,
                                                         polled_at=timezone.now(), problem=error.describe()[:300])
        result.skipped = "rate_limited"
    except NeedsReauthorisation as error:
        IngestCursor.objects.filter(pk=cursor.pk).update(lease_until=None, problem=error.describe()[:300])
        result.skipped = "not_connected"
    except AppRefused as error:  # the app, not this account: managers are alerted; polling waits
        IngestCursor.objects.filter(pk=cursor.pk).update(lease_until=None, paused_until=error.retry_at,
                                                         polled_at=timezone.now(), problem=error.describe()[:300])
        result.skipped = "app"
    except WeiboError as error:
        logger.info("Polling %s of account %s failed, the next poll tries again: %s", source, account.pk, error)
        IngestCursor.objects.filter(pk=cursor.pk).update(lease_until=None, polled_at=timezone.now(),
                                                         problem=error.describe()[:300])
        result.skipped = "error"
    except BaseException:
        IngestCursor.objects.filter(pk=cursor.pk).update(lease_until=None)
        raise
    return result


def account_poll(*, account_id: int) -> list[PollResult]:
    account = Account.objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        return []
    return [source_poll(account=account, source=source) for source in POLLED]


def accounts_to_poll(*, now: datetime | None = None) -> list[int]:
    """Connected accounts due for a poll: never polled (just connected), or polled more than
    ``FANS_POLL_SECONDS`` ago. Beat asks every ``FANS_POLL_TICK_SECONDS``, so a newly connected account
    is read within that tick while every account is still read only once per interval."""
    now = now or timezone.now()
    # A little slack: a poll that took a few seconds must not push the next one a whole tick later.
    due = now - timedelta(seconds=settings.FANS_POLL_SECONDS) + timedelta(seconds=settings.FANS_POLL_TICK_SECONDS / 2)
    fresh = IngestCursor.objects.filter(account=OuterRef("pk"), polled_at__gte=due)
    return list(Account.objects.filter(is_active=True, weibo_connection__state=ConnectionState.CONNECTED)
                .exclude(Exists(fresh)).values_list("pk", flat=True))


# --- pushes --------------------------------------------------------------------------------------

def _from_push(push: PushEvent) -> tuple[Incoming | None, str]:
    created = push.created_at or push.received_at
    if push.msg_type == "mention":  # the post itself arrives through statuses/mentions
        return None, "an @mention event only opens the reply window"
    if push.msg_type == "event":
        kind = {"follow": Kind.FOLLOW, "unfollow": Kind.UNFOLLOW}.get(push.subtype)
        if kind is None:
            return None, f"event {push.subtype!r} is not a fan action"
        return Incoming(kind=kind, source=Source.PUSH, object_type="event", platform_id=push.digest, user=None,
                        uid=push.sender_id, text="", created_at=created,
                        thread_key=f"f:{push.receiver_id}:{push.sender_id}"), ""
    return Incoming(kind=Kind.MESSAGE, source=Source.PUSH, object_type="message", platform_id=push.digest, user=None,
                    uid=push.sender_id, text=push.text, created_at=created,
                    thread_key=f"dm:{push.receiver_id}:{push.sender_id}"), ""


def pushes_ingest(*, limit: int = PUSH_BATCH) -> int:
    """Turn verified pushes into items; returns how many items were stored."""
    stored = 0
    with transaction.atomic():
        pushes = list(PushEvent.objects.select_for_update(skip_locked=True)
                      .filter(processed_at__isnull=True).order_by("id")[:limit])
        if not pushes:
            return 0
        uids = {p.receiver_id for p in pushes}
        accounts = {}
        for account in Account.objects.filter(Q(weibo_uid__in=uids) | Q(weibo_connection__uid__in=uids)).select_related(
                "weibo_connection"):
            accounts[account.weibo_uid or account.weibo_connection.uid] = account
        by_account: dict[int, list[Incoming]] = {}
        for push in pushes:
            account = accounts.get(push.receiver_id)
            item, why = _from_push(push)
            if account is None or item is None:
                logger.info("Push %s kept without an inbox item: %s", push.pk,
                            why or f"uid {push.receiver_id} is no matrix account")
                continue
            by_account.setdefault(account.pk, []).append(item)
        targets = {a.pk: a for a in accounts.values()}
        clocks = clocks_for(list(targets.values()))
        for account_id, items in by_account.items():
            stored += len(items_store(account=targets[account_id], incoming=items, clocks=clocks[account_id]))
        PushEvent.objects.filter(pk__in=[p.pk for p in pushes]).update(processed_at=timezone.now())
    return stored
