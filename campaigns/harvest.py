"""Harvesting a campaign's participants: the reposts and comments of its published posts, read through the gateway
within the account's budget, stored once each with their place in the repost tree, and added to the roll-ups the
report reads.

One ``Harvest`` cursor per published campaign post (a content ``PostTarget`` with a Weibo id whose post belongs
to the campaign). A poll, under a lease so that two workers never read one post at once:

1. reads new reposts (``statuses/repost_timeline``) and comments (``comments/show``) newest first down to the
   cursor, at most ``HARVEST_PAGES`` pages each; a poll that stops at the page limit keeps the cursor where it was
   and the next poll reads on below the oldest entry stored (the gap), as ``sentiment.cascades`` does;
2. stores in one transaction what was not stored yet, the depth resolved as it arrives (below), and adds exactly
   those new entries to ``CampaignStats`` and ``CampaignDay`` with F() increments, and to the ``Participant``
   rows: running the poll twice counts nothing twice;
3. reads, for up to ``PROFILE_CHECKS`` entrants not checked yet, their lottery posts of the last 30 days
   through the business search (Weibo shows nobody else's timeline), so that the fan CRM's lottery-hunter
   score exists for them (``fans.scoring``).

Depth: Weibo points every repost at the root; the reposted repost is known only from the text chain
``remark//@name:...``. The parent is the most recent earlier entry of this campaign by the first ``//@name``
(``sentiment.propagation``'s rule), else the post itself (depth 1); depth is the parent's + 1; comments are
depth 1. A backlog is read newest first over several polls, so a repost may come before the one it reposted:
when that one arrives, the reposts below it are placed again and the roll-ups corrected. A rate limit or a lost
authorisation is the cursor's problem with a retry time, never a crash.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, F, Max, Min, Q, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from fans.services import LOTTERY_DAYS, fans_lottery_record, fans_profile_upsert
from positioning.models import Account
from positioning.weibo import account_client
from sentiment.selectors import repost_parent_name
from weibo_ops.weibo.budget import account_scope, default_budget
from weibo_ops.weibo.errors import NeedsReauthorisation, RateLimited, WeiboError
from weibo_ops.weibo.types import Comment, Status
from weibo_ops.weibo.types import User as WeiboUser

from .models import (
    Campaign,
    CampaignDay,
    CampaignKind,
    CampaignState,
    CampaignStats,
    Entry,
    EntryKind,
    Harvest,
    Participant,
)

logger = logging.getLogger(__name__)

PAGE = 200  # statuses/repost_timeline's and comments/show's largest page
HARVEST_PAGES = 5  # pages per source per poll: 1,000 entries; a bigger backlog is read over the next polls
HARVEST_LEASE = timedelta(minutes=5)  # a killed worker's lease runs out after this
RESERVE_CALLS = 20  # calls of the account's hour left to replies and publishing: harvesting waits below it
PROFILE_CHECKS = 20  # entrants whose lottery posts are searched per poll (the business search's own budget)
PROFILE_RECHECK = timedelta(days=7)  # an entrant's lottery posts are searched again after this
LOTTERY_QUERY = "抽奖"  # what 转发抽奖 / #抽奖# reposts have in common
SEARCH_COUNT = 50  # the business search's largest page
MENTION_RE = re.compile(r"@[\w\-\u4e00-\u9fff]{1,30}")  # an @name in the entrant's own words
DUE_BATCH = 100  # harvests handed out per beat tick
TOPIC_OVERLAP = timedelta(minutes=10)  # a topic search starts this long before the last: posts indexed late


def _poll_every() -> timedelta:
    """Between two reads of one campaign post (``CAMPAIGNS_HARVEST_SECONDS``)."""
    return timedelta(seconds=settings.CAMPAIGNS_HARVEST_SECONDS)


def harvest_sources_sync(*, campaign: Campaign, now: datetime | None = None) -> list[Harvest]:
    """A cursor for every published post of the campaign (content ``PostTarget`` with a Weibo id), due at
    ``now``; returns the campaign's cursors. Safe to run any number of times."""
    now = now or timezone.now()
    targets = (Campaign.objects.filter(pk=campaign.pk, posts__targets__mid__gt="")  # published: has a Weibo id
               .values_list("posts__targets__account_id", "posts__targets__mid"))
    for account_id, mid in targets:
        Harvest.objects.get_or_create(campaign=campaign, status_id=mid,
                                      defaults={"account_id": account_id, "next_poll_at": now})
    account = campaign.accounts.order_by("pk").first()
    if campaign.kind == CampaignKind.PHOTO_UGC and campaign.topic and account is not None:
        # Photo UGC: entrants' own posts with the topic are entries too, found by searching the topic.
        Harvest.objects.get_or_create(campaign=campaign, status_id="",
                                      defaults={"account": account, "topic": campaign.topic, "next_poll_at": now})
    return list(Harvest.objects.filter(campaign=campaign).order_by("pk"))


def harvests_due(*, now: datetime | None = None) -> list[int]:
    """Cursors of live campaigns whose next poll is due and that no worker holds. A live campaign's post
    published since the last tick gets its cursor here first, so it is read within a tick of going out."""
    now = now or timezone.now()
    published = set(Campaign.objects.filter(state=CampaignState.LIVE, posts__targets__mid__gt="")
                    .values_list("pk", "posts__targets__mid"))
    published |= set(Campaign.objects.filter(state=CampaignState.LIVE, kind=CampaignKind.PHOTO_UGC)
                     .exclude(topic="").values_list("pk", Value("")))  # the topic search: status_id blank
    if published:
        known = set(Harvest.objects.filter(campaign_id__in={pk for pk, _mid in published})
                    .values_list("campaign_id", "status_id"))
        published -= known
    for campaign in Campaign.objects.filter(pk__in={pk for pk, _mid in published}):
        harvest_sources_sync(campaign=campaign, now=now)
    return list(Harvest.objects.filter(campaign__state=CampaignState.LIVE, next_poll_at__lte=now)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                .order_by("next_poll_at").values_list("pk", flat=True)[:DUE_BATCH])


def _lease(harvest: Harvest, now: datetime) -> bool:
    return bool(Harvest.objects.filter(pk=harvest.pk).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(lease_until=now + HARVEST_LEASE))


@dataclass
class Read:
    """What one source gave in one poll."""

    entries: list[Entry] = field(default_factory=list)
    users: dict[str, WeiboUser] = field(default_factory=dict)
    since_id: str = ""  # where the cursor stands after this read
    gap: bool = False  # read below entries stored before: reposts may have come before their parents
    problem: WeiboError | None = None


@dataclass
class PollResult:
    stored: int = 0
    read: int = 0
    profiles: int = 0
    skipped: str = ""  # why nothing was read: leased, budget, problem


def _own_words(text: str) -> str:
    return (text or "").split("//@", 1)[0]


def _entry(harvest: Harvest, kind: str, item: Status | Comment) -> Entry:
    user = item.user
    assert user is not None
    return Entry(campaign_id=harvest.campaign_id, kind=kind, platform_id=item.id, status_id=harvest.status_id,
                 uid=user.id, screen_name=user.screen_name[:200], text=item.text,
                 posted_at=item.created_at or timezone.now(), mentions=min(len(MENTION_RE.findall(_own_words(
                     item.text))), 32767), has_picture=bool(getattr(item, "pic_urls", ())),
                 followers=max(user.followers_count, 0))


def _stored_above(harvest: Harvest, kind: str, since_id: str) -> tuple[int | None, int | None]:
    """The oldest and newest entries stored above ``since_id``: there are some only when an earlier poll stopped
    at its page limit, leaving the entries between ``since_id`` and the oldest of them still to read."""
    found = (Entry.objects.filter(campaign_id=harvest.campaign_id, status_id=harvest.status_id, kind=kind)
             .annotate(n=Cast("platform_id", BigIntegerField())).filter(n__gt=int(since_id or 0))
             .aggregate(low=Min("n"), high=Max("n")))
    return found["low"], found["high"]


def _read(client, harvest: Harvest, kind: str) -> Read:
    since_id = harvest.reposts_since_id if kind == EntryKind.REPOST else harvest.comments_since_id
    out = Read(since_id=since_id)
    low, high = _stored_above(harvest, kind, since_id)
    max_id = str(low - 1) if low is not None else None
    out.gap = low is not None
    top = max(int(since_id or 0), high or 0)
    read = client.repost_timeline if kind == EntryKind.REPOST else client.comments
    try:
        for _page in range(HARVEST_PAGES):
            page = read(harvest.status_id, since_id=since_id or None, max_id=max_id, count=PAGE)
            for item in page.items:
                if item.user is not None:
                    out.entries.append(_entry(harvest, kind, item))
                    out.users[item.user.id] = item.user
            ids = [int(item.id) for item in page.items]
            top = max(top, *ids) if ids else top
            if len(page.items) + page.dropped < PAGE or not ids:
                out.since_id = str(top) if top else ""
                return out
            max_id = str(min(ids) - 1)
    except (RateLimited, NeedsReauthorisation, WeiboError) as error:
        out.problem = error  # what was read before it is kept; the cursor stays for the next poll
    return out


def _read_topic(client, harvest: Harvest, now: datetime) -> Read:
    """Entrants' own posts with the campaign's #topic# (and a picture, for photo UGC), searched by time from a
    little before the last search to now, within the campaign's window; stored once however often seen."""
    campaign = harvest.campaign
    out = Read()
    start = max(campaign.starts_at, (harvest.polled_at or campaign.starts_at) - TOPIC_OVERLAP)
    end = min(now, campaign.ends_at)
    tag = f"#{harvest.topic}#"
    try:
        for page_no in range(1, HARVEST_PAGES + 1):
            if end <= start:
                break
            page = client.search(harvest.topic, start=start, end=end, count=SEARCH_COUNT, page=page_no,
                                 filters={"haspic": True} if campaign.kind == CampaignKind.PHOTO_UGC else None)
            for item in page.items:
                if item.user is not None and not item.is_repost and tag in _own_words(item.text):
                    out.entries.append(_entry(harvest, EntryKind.POST, item))
                    out.users[item.user.id] = item.user
            if len(page.items) + page.dropped < SEARCH_COUNT:
                break
    except (RateLimited, NeedsReauthorisation, WeiboError) as error:
        out.problem = error
    return out


def harvest_poll(*, harvest_id: int) -> PollResult:
    """Read one campaign post's new reposts and comments and store them (see the module's docstring). Safe to
    run any number of times."""
    result = PollResult()
    harvest = Harvest.objects.select_related("account").filter(pk=harvest_id).first()
    now = timezone.now()
    if harvest is None or not _lease(harvest, now):
        result.skipped = "leased"
        return result
    try:
        status = default_budget().status(account_scope(harvest.account_id), now=now)
        calls = next(k for k in status.kinds if k.kind == "calls")
        if calls.remaining <= RESERVE_CALLS:
            Harvest.objects.filter(pk=harvest.pk).update(
                lease_until=None, next_poll_at=status.limited_until or now + _poll_every(),
                problem=_("The account's hourly Weibo budget is kept for replies and publishing."))
            result.skipped = "budget"
            return result
        client = account_client(account=harvest.account)
        if harvest.topic:
            reads = {EntryKind.POST: _read_topic(client, harvest, now)}
        else:
            reads = {kind: _read(client, harvest, kind) for kind in (EntryKind.REPOST, EntryKind.COMMENT)}
    except (RateLimited, NeedsReauthorisation, WeiboError) as error:
        retry = error.retry_at or now + _poll_every()
        Harvest.objects.filter(pk=harvest.pk).update(lease_until=None, next_poll_at=retry,
                                                     problem=error.describe()[:300])
        result.skipped = "problem"
        return result
    except BaseException:
        Harvest.objects.filter(pk=harvest.pk).update(lease_until=None)
        raise
    problem = next((r.problem for r in reads.values() if r.problem is not None), None)
    own_uids = set(Account.objects.exclude(weibo_uid="").values_list("weibo_uid", flat=True))  # the matrix itself
    users = {uid: user for r in reads.values() for uid, user in r.users.items() if uid not in own_uids}
    entries = [e for r in reads.values() for e in r.entries if e.uid not in own_uids]
    result.read = len(entries)
    result.skipped = "problem" if problem is not None else ""
    with transaction.atomic():
        new = entries_store(campaign_id=harvest.campaign_id, entries=entries, users=users,
                            gap=any(r.gap for r in reads.values()))
        result.stored = len(new)
        retry = (problem.retry_at or now + _poll_every()) if problem is not None else now + _poll_every()
        cursors = ({"reposts_since_id": reads[EntryKind.REPOST].since_id,
                    "comments_since_id": reads[EntryKind.COMMENT].since_id} if not harvest.topic else {})
        Harvest.objects.filter(pk=harvest.pk).update(
            **cursors, lease_until=None, polled_at=now if problem is None or not harvest.topic else harvest.polled_at,
            next_poll_at=retry,
            problem=problem.describe()[:300] if problem is not None else "")
    if problem is None or not isinstance(problem, RateLimited | NeedsReauthorisation):
        try:
            result.profiles = entrants_check(campaign_id=harvest.campaign_id, account=harvest.account)
        except NeedsReauthorisation as error:  # lost since the reads: the next poll finds it
            logger.info("Entrants of campaign %s not checked: %s", harvest.campaign_id, error)
    return result


# --- storing ------------------------------------------------------------------------------------------------

def _local_day(at: datetime) -> date:
    return timezone.localtime(at).date()


def _resolve_depths(campaign_id: int, new: list[Entry]) -> None:
    """Parent and depth of each new repost, in time order: the most recent earlier entry of the campaign by the
    first ``//@name`` of the text (stored before, or new in this batch), else the post itself."""
    names = {name for e in new if e.kind == EntryKind.REPOST and (name := repost_parent_name(e.text))}
    earlier: dict[str, list[tuple[datetime, str, int]]] = defaultdict(list)
    if names:
        for name, at, pid, depth in (Entry.objects.filter(campaign_id=campaign_id, kind=EntryKind.REPOST,
                                                          screen_name__in=names)
                                     .values_list("screen_name", "posted_at", "platform_id", "depth")):
            earlier[name].append((at, pid, depth))
    for entry in sorted(new, key=lambda e: (e.posted_at, int(e.platform_id))):
        entry.parent_id, entry.depth = "", 1
        name = repost_parent_name(entry.text) if entry.kind == EntryKind.REPOST else None
        candidates = [c for c in earlier.get(name, ()) if c[0] < entry.posted_at] if name else []
        if candidates:
            _at, pid, depth = max(candidates, key=lambda c: (c[0], int(c[1])))
            entry.parent_id, entry.depth = pid, min(depth + 1, 32767)
        if entry.kind == EntryKind.REPOST and entry.screen_name:
            earlier[entry.screen_name].append((entry.posted_at, entry.platform_id, entry.depth))


def entries_store(*, campaign_id: int, entries: list[Entry], users: dict[str, WeiboUser],
                  gap: bool = False) -> list[Entry]:
    """Store the entries not stored yet and add exactly those to the roll-ups and participants; returns them.
    ``gap``: they were read below entries stored before (a backlog read over several polls), so stored reposts
    may repost some of them and are placed again. Call inside a transaction."""
    if not entries:
        return []
    unique = {(e.kind, e.platform_id): e for e in entries}
    keys = Q()
    for kind in {k for k, _pid in unique}:
        keys |= Q(kind=kind, platform_id__in=[pid for k, pid in unique if k == kind])
    stored = set(Entry.objects.filter(keys, campaign_id=campaign_id).values_list("kind", "platform_id"))
    new = [e for key, e in unique.items() if key not in stored]
    if not new:
        return []
    _resolve_depths(campaign_id, new)
    Entry.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    _stats_add(campaign_id, new)
    if gap:
        _reparent_later(campaign_id, new)
    _participants_add(campaign_id, new, users)
    return new


def _reparent_later(campaign_id: int, new: list[Entry]) -> None:
    """Place again the stored reposts that came after these new ones and repost one of them: a backlog is read
    newest first over several polls, so a repost can arrive before the repost it reposted. Their depths, their
    descendants' depths and the second-level counts are corrected (a no-op when entries arrive in order)."""
    reposts = [e for e in new if e.kind == EntryKind.REPOST and e.screen_name]
    if not reposts:
        return
    names = {e.screen_name for e in reposts}
    chained = Q()
    for name in names:
        chained |= Q(text__contains=f"//@{name}:") | Q(text__contains=f"//@{name}：")
    new_ids = {e.platform_id for e in new}
    later = [e for e in Entry.objects.filter(chained, campaign_id=campaign_id, kind=EntryKind.REPOST,
                                             posted_at__gt=min(e.posted_at for e in reposts))
             .exclude(platform_id__in=new_ids) if repost_parent_name(e.text) in names]
    if not later:
        return
    old = {e.platform_id: (e.parent_id, e.depth) for e in later}
    depth_of: dict[str, int] = {}
    earlier: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for name, at, pid, depth in (Entry.objects.filter(campaign_id=campaign_id, kind=EntryKind.REPOST,
                                                      screen_name__in={repost_parent_name(e.text) for e in later})
                                 .values_list("screen_name", "posted_at", "platform_id", "depth")):
        earlier[name].append((at, pid))
        depth_of[pid] = depth
    changed: dict[str, Entry] = {}
    for entry in sorted(later, key=lambda e: (e.posted_at, int(e.platform_id))):
        candidates = [c for c in earlier[repost_parent_name(entry.text)] if c[0] < entry.posted_at]
        if candidates:
            _at, pid = max(candidates, key=lambda c: (c[0], int(c[1])))
            entry.parent_id, entry.depth = pid, min(depth_of[pid] + 1, 32767)
        depth_of[entry.platform_id] = entry.depth
        if (entry.parent_id, entry.depth) != old[entry.platform_id]:
            changed[entry.platform_id] = entry
    _descendants_move(campaign_id, {pid for pid, e in changed.items() if e.depth != old[pid][1]}, changed, old,
                      depth_of)
    if changed:
        Entry.objects.bulk_update(list(changed.values()), ["parent_id", "depth"], batch_size=500)
        _rollups_correct(campaign_id, changed, old)


def _descendants_move(campaign_id: int, moved: set[str], changed: dict[str, Entry],
                      old: dict[str, tuple[str, int]], depth_of: dict[str, int]) -> None:
    """The reposts below a repost whose depth changed change depth with it, level by level."""
    while moved:
        children = list(Entry.objects.filter(campaign_id=campaign_id, kind=EntryKind.REPOST, parent_id__in=moved))
        moved = set()
        for stored in children:
            child = changed.get(stored.platform_id, stored)
            old.setdefault(child.platform_id, (child.parent_id, child.depth))
            depth = min(depth_of[child.parent_id] + 1, 32767)
            if depth != child.depth:
                child.depth = depth_of[child.platform_id] = depth
                changed[child.platform_id] = child
                moved.add(child.platform_id)


def _rollups_correct(campaign_id: int, changed: dict[str, Entry], old: dict[str, tuple[str, int]]) -> None:
    days: dict[date, int] = defaultdict(int)
    for pid, entry in changed.items():
        days[_local_day(entry.posted_at)] += (entry.depth >= 2) - (old[pid][1] >= 2)
    deepest = Entry.objects.filter(campaign_id=campaign_id, kind=EntryKind.REPOST).aggregate(m=Max("depth"))["m"]
    CampaignStats.objects.filter(campaign_id=campaign_id).update(
        second_level=F("second_level") + sum(days.values()), max_depth=deepest or 0)
    for day, delta in days.items():
        if delta:
            CampaignDay.objects.filter(campaign_id=campaign_id, day=day).update(second_level=F("second_level") + delta)


def _stats_add(campaign_id: int, new: list[Entry]) -> None:
    reposts = [e for e in new if e.kind == EntryKind.REPOST]
    posts = sum(1 for e in new if e.kind == EntryKind.POST)
    second = sum(1 for e in reposts if e.depth >= 2)
    CampaignStats.objects.get_or_create(campaign_id=campaign_id)
    CampaignStats.objects.filter(campaign_id=campaign_id).update(
        reposts=F("reposts") + len(reposts), second_level=F("second_level") + second, posts=F("posts") + posts,
        comments=F("comments") + (len(new) - len(reposts) - posts), reach=F("reach") + sum(e.followers for e in new),
        max_depth=Greatest(F("max_depth"), max((e.depth for e in reposts), default=0)), updated_at=timezone.now())
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in new:
        day = days[_local_day(e.posted_at)]
        if e.kind == EntryKind.REPOST:
            day[0] += 1
            day[1] += e.depth >= 2
        elif e.kind == EntryKind.POST:
            day[3] += 1
        else:
            day[2] += 1
    for day, (n_reposts, n_second, n_comments, n_posts) in sorted(days.items()):
        CampaignDay.objects.get_or_create(campaign_id=campaign_id, day=day)
        CampaignDay.objects.filter(campaign_id=campaign_id, day=day).update(
            reposts=F("reposts") + n_reposts, second_level=F("second_level") + n_second,
            comments=F("comments") + n_comments, posts=F("posts") + n_posts)


def _participants_add(campaign_id: int, new: list[Entry], users: dict[str, WeiboUser]) -> None:
    by_uid: dict[str, list[Entry]] = defaultdict(list)
    for e in new:
        by_uid[e.uid].append(e)
    fans = fans_profile_upsert(users={uid: users.get(uid) for uid in by_uid})
    # Locked: another post's harvest of the same campaign may add to the same people at the same time.
    existing = {p.uid: p for p in Participant.objects.select_for_update().filter(campaign_id=campaign_id,
                                                                                  uid__in=list(by_uid))}
    created, changed = [], []
    for uid, items in by_uid.items():
        first = min(items, key=lambda e: (e.posted_at, int(e.platform_id)))
        user = users.get(uid)
        followers = user.followers_count if user is not None else first.followers
        fan = fans.get(uid)
        participant = existing.get(uid)
        if participant is None:
            created.append(Participant(campaign_id=campaign_id, uid=uid, screen_name=first.screen_name, fan=fan,
                                       first_entry_at=first.posted_at, first_entry_id=first.platform_id,
                                       entries=len(items), followers=max(followers, 0)))
            continue
        if first.posted_at < participant.first_entry_at:
            participant.first_entry_at, participant.first_entry_id = first.posted_at, first.platform_id
        participant.entries += len(items)
        participant.followers = max(followers, 0)
        participant.screen_name = first.screen_name or participant.screen_name
        participant.fan = fan or participant.fan
        changed.append(participant)
    Participant.objects.bulk_create(created, batch_size=500, ignore_conflicts=True)
    Participant.objects.bulk_update(changed, ["first_entry_at", "first_entry_id", "entries", "followers",
                                              "screen_name", "fan"], batch_size=500)


# --- the entrants' lottery posts ------------------------------------------------------------------------------

def entrants_check(*, campaign_id: int, account: Account, limit: int = PROFILE_CHECKS) -> int:
    """Search the lottery posts of the last 30 days of up to ``limit`` entrants not checked lately, and rescore
    their lottery-hunter likelihood; returns how many were checked. The business search spends the server's
    own budget, not the account's calls; a rate limit stops the round, to be taken up by the next poll."""
    now = timezone.now()
    due = (Participant.objects.filter(campaign_id=campaign_id, fan__isnull=False)
           .filter(Q(fan__lottery_checked_at__isnull=True) | Q(fan__lottery_checked_at__lt=now - PROFILE_RECHECK))
           .order_by("first_entry_at", "pk").values_list("fan_id", "uid")[:limit])
    if not due:
        return 0
    own = set(Harvest.objects.filter(campaign_id=campaign_id).values_list("status_id", flat=True))
    own_uids = set(Account.objects.exclude(weibo_uid="").values_list("weibo_uid", flat=True))
    client, found = account_client(account=account), {}
    for fan_id, uid in due:
        try:
            page = client.search(LOTTERY_QUERY, start=now - timedelta(days=LOTTERY_DAYS), end=now,
                                 count=SEARCH_COUNT, uids=[uid])
        except (RateLimited, NeedsReauthorisation) as error:
            logger.info("Lottery posts of campaign %s's entrants wait: %s", campaign_id, error)
            break
        except WeiboError as error:
            logger.info("Lottery posts of fan %s could not be read: %s", fan_id, error)
            continue
        ours = {s.id for s in page.items if s.id in own or (s.retweeted_status and s.retweeted_status.id in own)}
        brands = {s.retweeted_status.user.id for s in page.items
                  if s.retweeted_status and s.retweeted_status.user and s.id not in ours
                  and s.retweeted_status.user.id not in own_uids}
        found[fan_id] = (max(page.total_number, len(page.items)) - len(ours), len(brands))
    return fans_lottery_record(found=found, now=now)
