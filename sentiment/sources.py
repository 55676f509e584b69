"""Where mentions come from, each labelled with its source.

- The commercial keyword search (``search/statuses/limited``), polled on beat per keyword group, each
  poll asking for a time window from where the last one stopped; the window moves only in the
  transaction that stored what it found. Calls are spent from a connected account's budget, leaving a
  reserve for replies and publishing.
- The accounts' own @ mentions and comments, and the fan-service pushes: the inbox reads them once
  (``fans.ingest``) and hands them over here (``mentions_submit``), so nothing is read from Weibo twice.
- File imports of third-party monitoring exports and manual reports: also through ``mentions_submit``.

Handed-over items wait in ``Inbound`` until a worker runs the pipeline on them in batches.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from positioning.models import Account, Brand, ConnectionState
from positioning.weibo import account_client
from weibo_ops.weibo.budget import account_scope, default_budget
from weibo_ops.weibo.errors import AppRefused, NeedsReauthorisation, RateLimited, WeiboError

from .matching import fold
from .models import Inbound, MentionSource, RuleGroup
from .pipeline import Raw, StoreResult, mentions_after_store, mentions_store, raw_from_status

logger = logging.getLogger(__name__)

SEARCH_COUNT = 50  # the commercial search's largest page
SEARCH_OVERLAP = timedelta(minutes=2)  # posts reach the search index a little late; ids deduplicate
SEARCH_LEASE = timedelta(minutes=5)  # a killed worker's hold on a group runs out after this
CLAIM_FOR = timedelta(minutes=5)  # a killed worker's claim on inbound items runs out after this


# --- handing items over ------------------------------------------------------------------------------

def mentions_submit(*, brand_id: int, source: str, raws: list[Raw]) -> int:
    """Queue raw items for the pipeline; the worker is woken when the caller's transaction commits."""
    if not raws:
        return 0
    Inbound.objects.bulk_create([Inbound(brand_id=brand_id, source=source, payload=raw.to_dict()) for raw in raws],
                                batch_size=500)
    from .tasks import pipeline_run

    transaction.on_commit(pipeline_run.delay)
    return len(raws)


def _claim(limit: int, now: datetime) -> str | None:
    ids = list(Inbound.objects.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
               .order_by("id").values_list("pk", flat=True)[:limit])
    if not ids:
        return None
    token = uuid.uuid4().hex
    claimed = Inbound.objects.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), pk__in=ids).update(
        claim=token, claimed_until=now + CLAIM_FOR)
    return token if claimed else None


def inbound_process(*, limit: int | None = None, rounds: int = 20) -> StoreResult:
    """Run the pipeline on waiting items, a batch at a time, until none waits (or ``rounds`` batches).
    Safe to run in several workers at once: each claims its own batch."""
    limit = limit or settings.SENTIMENT_PIPELINE_BATCH
    total = StoreResult()
    for _round in range(rounds):
        token = _claim(limit, timezone.now())
        if token is None:
            break
        rows = list(Inbound.objects.filter(claim=token).select_related("brand").order_by("id"))
        with transaction.atomic():
            by_key: dict[tuple[int, str], list[Raw]] = {}
            brands = {}
            for row in rows:
                brands[row.brand_id] = row.brand
                by_key.setdefault((row.brand_id, row.source), []).append(Raw.from_dict(row.payload))
            for (brand_id, source), raws in by_key.items():
                result = mentions_store(brand=brands[brand_id], source=source, raws=raws)
                mentions_after_store(brand=brands[brand_id], result=result)
                total.merge(result)
            Inbound.objects.filter(claim=token).delete()
    return total


def status_look_up(*, brand: Brand, status_id: str) -> Raw | None:
    """A reported post read from Weibo (``statuses/show``) so that the pipeline reads its real text and
    author; None when no account has budget left or Weibo cannot say (the report then stands on its own)."""
    account = search_account(brand)
    if account is None:
        return None
    try:
        status = account_client(account=account).show(status_id)
    except WeiboError as error:
        logger.info("A reported post %s could not be read: %s", status_id, error)
        return None
    return raw_from_status(status) if status.user is not None and status.text else None


# --- the keyword search --------------------------------------------------------------------------------

@dataclass
class SearchResult:
    group: str
    calls: int = 0
    read: int = 0
    stored: int = 0
    skipped: str = ""  # why nothing was read: leased, paused, budget, no account, error


def search_account(brand: Brand) -> Account | None:
    """The connected account of the brand whose hourly budget has the most calls left."""
    accounts = list(Account.objects.filter(brand=brand, is_active=True,
                                           weibo_connection__state=ConnectionState.CONNECTED)
                    .select_related("weibo_connection"))
    if not accounts:
        return None
    budget, now = default_budget(), timezone.now()

    def left(account: Account) -> int:
        status = budget.status(account_scope(account.pk), now=now)
        return next(k.remaining for k in status.kinds if k.kind == "calls")

    best = max(accounts, key=left)
    return best if left(best) > settings.SENTIMENT_SEARCH_RESERVE_CALLS else None


def biz_search_account(brand: Brand) -> Account | None:
    """The connected account whose token the business search is made with. The search spends the business
    API's own budget (per server IP), not the account's hourly calls: any connected account will do, the
    same one each time while it stays connected."""
    return (Account.objects.filter(brand=brand, is_active=True, weibo_connection__state=ConnectionState.CONNECTED)
            .select_related("weibo_connection").order_by("pk").first())


def groups_to_search(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    due = now - timedelta(seconds=settings.SENTIMENT_SEARCH_SECONDS) + timedelta(seconds=15)
    return list(RuleGroup.objects.filter(is_active=True, search_enabled=True)
                .filter(Q(searched_at__isnull=True) | Q(searched_at__lt=due))
                .filter(Q(search_paused_until__isnull=True) | Q(search_paused_until__lt=now))
                .order_by("searched_at", "pk").values_list("pk", flat=True))


def search_queries(group: RuleGroup) -> list[str]:
    """The fewest searches that find every post the group can match, since each costs a call of the hourly
    budget. A match must hold a context term when the group asks for one, so the context terms are searched
    when they are fewer; and a term that holds another term (鲜牧乳业, 鲜牧) is found by that one's search."""
    include = list(dict.fromkeys(fold(t).strip() for t in group.include_terms if t.strip()))
    context = list(dict.fromkeys(fold(t).strip() for t in group.context_terms if t.strip()))
    kept: list[str] = []
    for term in sorted(context if context and len(context) < len(include) else include, key=len):
        if not any(shorter in term for shorter in kept):
            kept.append(term)
    return kept


def _lease(group: RuleGroup, now: datetime) -> bool:
    free = Q(search_lease_until__isnull=True) | Q(search_lease_until__lt=now)
    return bool(RuleGroup.objects.filter(free, pk=group.pk).update(search_lease_until=now + SEARCH_LEASE))


def _search_term(client, term: str, start: datetime, end: datetime,
                 result: SearchResult) -> tuple[list[Raw], bool]:
    """The hits for one term, newest first; and whether more wait below the last page read."""
    raws: list[Raw] = []
    for page in range(1, settings.SENTIMENT_SEARCH_PAGES + 1):
        found = client.search(term, start=start, end=end, count=SEARCH_COUNT, page=page)
        result.calls += 1
        raws += [raw_from_status(s) for s in found.items if s.user is not None]
        if len(found.items) + found.dropped < SEARCH_COUNT:
            return raws, False
    return raws, True


def _window(group: RuleGroup, now: datetime) -> tuple[datetime, datetime]:
    start = (group.searched_until - SEARCH_OVERLAP if group.searched_until
             else now - timedelta(hours=settings.SENTIMENT_SEARCH_FIRST_HOURS))
    return start, group.search_gap_end or now


def _window_fields(group: RuleGroup, now: datetime, end: datetime, oldest: datetime | None) -> dict:
    """Where the window stands after a poll that read [start, end] and, when it hit the page limit, stopped
    at ``oldest``."""
    top = group.search_gap_top or now
    if oldest is not None and oldest < end:
        return {"search_gap_end": oldest, "search_gap_top": top}
    return {"searched_until": top, "search_gap_end": None, "search_gap_top": None}


def group_search(*, group_id: int) -> SearchResult:
    """Search Weibo for one group's include terms over the window since its last search. Safe to run twice."""
    group = RuleGroup.objects.select_related("brand").get(pk=group_id)
    result = SearchResult(group.name)
    now = timezone.now()
    account = biz_search_account(group.brand)
    if account is None:
        result.skipped = "no account"
        RuleGroup.objects.filter(pk=group.pk).update(searched_at=now)
        return result
    if not _lease(group, now):
        result.skipped = "leased"
        return result
    start, end = _window(group, now)
    try:
        client = account_client(account=account)
        raws: list[Raw] = []
        oldest: datetime | None = None
        for term in search_queries(group):
            found, more = _search_term(client, term, start, end, result)
            raws += found
            times = [t for t in (_posted(r) for r in found) if t is not None]
            if more and times:
                # Each term was read down to its own oldest hit; the gap must reach up to the latest of
                # those stopping points, or another term's hits between them are never read.
                oldest = min(times) if oldest is None else max(oldest, min(times))
        result.read = len(raws)
        with transaction.atomic():
            stored = mentions_store(brand=group.brand, source=MentionSource.SEARCH, raws=raws)
            mentions_after_store(brand=group.brand, result=stored)
            result.stored = len(stored.new)
            RuleGroup.objects.filter(pk=group.pk).update(
                searched_at=timezone.now(), search_lease_until=None, search_problem="", search_paused_until=None,
                **_window_fields(group, now, end, oldest))
    except RateLimited as error:
        _search_failed(group, error, paused_until=error.retry_at)
        result.skipped = "rate_limited"
    except NeedsReauthorisation as error:
        _search_failed(group, error)
        result.skipped = "not_connected"
    except AppRefused as error:  # the app, not this search: managers are alerted; searching waits
        _search_failed(group, error, paused_until=error.retry_at)
        result.skipped = "app"
    except WeiboError as error:
        logger.info("Searching for group %s failed, the next poll tries again: %s", group.pk, error)
        _search_failed(group, error)
        result.skipped = "error"
    except BaseException:
        RuleGroup.objects.filter(pk=group.pk).update(search_lease_until=None)
        raise
    return result


def _posted(raw: Raw) -> datetime | None:
    return datetime.fromisoformat(raw.posted_at) if raw.posted_at else None


def _search_failed(group: RuleGroup, error: WeiboError, paused_until: datetime | None = None) -> None:
    """A failed search is tried again at the next interval; a rate-limited one as soon as the budget is back
    (its ``searched_at`` stays, so the group is due the moment the pause ends)."""
    fields = {"search_lease_until": None, "search_problem": error.describe()[:300],
              "search_paused_until": paused_until}
    if paused_until is None:
        fields["searched_at"] = timezone.now()
    RuleGroup.objects.filter(pk=group.pk).update(**fields)
