"""Peer benchmarks (标杆): the public figures of the brand's peers and of its own accounts, one row a day each, read
the same way so that they sit side by side; and the CSV import for peers the API cannot read.

A run (hourly from beat; ``benchmarks_snapshot``) takes, for every active own account and gateway peer that has
no snapshot of the day yet (yesterday, Asia/Shanghai, by default):

* ``users/show``: followers and the account's post count;
* the day's posts with their reposts, comments and likes: an own account's from its own timeline (its token);
  a peer's through the business search's ``ids`` filter (``q`` is required: the peer's search keyword), when
  the brand has the business API (``BENCHMARK_BUSINESS_SEARCH``); without it, the number of posts is the change
  in the post count since the day before and interactions per post stay unknown (never guessed).

Calls for a peer are made with the brand's connected account that has the most calls of its hour left; no call is
made when that leaves ``BENCHMARK_RESERVE_CALLS`` or fewer, which are kept for replies and publishing. A rate
limit stops the run and is the subject's retry time (``PeerAccount.retry_at``; the account budget's own block
for own accounts), never a crash; the next tick goes on where it stopped, so every day is read exactly once.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from team.models import User
from team.services import audit_record
from weibo_ops.weibo.budget import account_scope, default_budget
from weibo_ops.weibo.errors import AppRefused, NeedsReauthorisation, Permanent, RateLimited, WeiboError
from weibo_ops.weibo.types import Status

from .models import (
    Account,
    BenchmarkSnapshot,
    Brand,
    ConnectionState,
    Measured,
    PeerAccount,
    PeerSource,
)
from .weibo import account_client

logger = logging.getLogger(__name__)

TIMELINE_PAGE = 100  # statuses/user_timeline per page: a day of an own account's posts fits in one
TIMELINE_PAGES = 3  # pages read back to the day's start at most
SEARCH_PAGE = 50  # the business search's largest page
SEARCH_PAGES = 4  # 200 posts of one peer in one day at most: more is not a peer, it is a content farm
CSV_MAX_ROWS = 5000  # rows in one import: a year of 13 peers
CSV_COLUMNS = ("uid", "day", "followers", "posts", "interactions_per_post")


def _reserve() -> int:
    """Calls of an account's hour that benchmarks never spend (``BENCHMARK_RESERVE_CALLS``)."""
    return settings.BENCHMARK_RESERVE_CALLS


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Asia/Shanghai calendar day as [start, end)."""
    start = timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class DayFigures:
    followers: int
    statuses_count: int
    posts: int | None
    interactions_per_post: float | None
    measured: str


@dataclass
class SnapshotRun:
    taken: int = 0
    skipped: list[str] = field(default_factory=list)  # "<subject>: why", in words
    retry_at: datetime | None = None  # set when a rate limit stopped the run


def _calls_left(account: Account, now: datetime) -> int:
    status = default_budget().status(account_scope(account.pk), now=now)
    return next(k.remaining for k in status.kinds if k.kind == "calls")


def _per_post(statuses: list[Status]) -> tuple[int, float | None]:
    posts = len(statuses)
    if not posts:
        return 0, None
    total = sum(s.reposts_count + s.comments_count + s.attitudes_count for s in statuses)
    return posts, total / posts


def _in_day(statuses: list[Status], start: datetime, end: datetime) -> list[Status]:
    return [s for s in statuses if s.created_at is not None and start <= s.created_at < end]


def _read_own(client, account: Account, day: date) -> DayFigures:
    user = client.user(uid=account.weibo_uid or account.weibo_connection.uid)
    start, end = day_bounds(day)
    found: list[Status] = []
    for page in range(1, TIMELINE_PAGES + 1):
        items = client.user_timeline(count=TIMELINE_PAGE, page=page).items
        found += _in_day(items, start, end)
        oldest = min((s.created_at for s in items if s.created_at), default=None)
        if len(items) < TIMELINE_PAGE or oldest is None or oldest < start:
            break
    posts, per_post = _per_post(found)
    return DayFigures(user.followers_count, user.statuses_count, posts, per_post, Measured.TIMELINE)


def _read_peer(client, peer: PeerAccount, day: date) -> DayFigures:
    user = client.user(uid=peer.weibo_uid)
    if settings.BENCHMARK_BUSINESS_SEARCH:
        start, end = day_bounds(day)
        found: list[Status] = []
        try:
            for page in range(1, SEARCH_PAGES + 1):
                hits = client.search(peer.keyword, uids=[peer.weibo_uid], start=start, end=end - timedelta(seconds=1),
                                     count=SEARCH_PAGE, page=page)
                found += [s for s in _in_day(hits.items, start, end) if s.user and s.user.id == peer.weibo_uid]
                if len(hits.items) + hits.dropped < SEARCH_PAGE:
                    break
        except (AppRefused, Permanent) as error:  # no business API for this app: the post count must do
            logger.info("Business search refused for peer %s, reading its profile only: %s", peer.pk, error)
        else:
            posts, per_post = _per_post(found)
            return DayFigures(user.followers_count, user.statuses_count, posts, per_post, Measured.SEARCH)
    before = (BenchmarkSnapshot.objects.filter(peer=peer, day=day - timedelta(days=1), statuses_count__isnull=False)
              .values_list("statuses_count", flat=True).first())
    posts = max(user.statuses_count - before, 0) if before is not None else None
    return DayFigures(user.followers_count, user.statuses_count, posts, None, Measured.PROFILE)


def _store(*, day: date, figures: DayFigures, peer: PeerAccount | None = None,
           account: Account | None = None) -> BenchmarkSnapshot:
    snapshot, _created = BenchmarkSnapshot.objects.update_or_create(
        peer=peer, account=account, day=day,
        defaults={"followers": figures.followers, "statuses_count": figures.statuses_count, "posts": figures.posts,
                  "interactions_per_post": figures.interactions_per_post, "measured": figures.measured,
                  "measured_at": timezone.now()})
    return snapshot


def _reader(brand: Brand, now: datetime) -> Account | None:
    """The brand's connected account with the most calls of its hour left, if that is above the reserve."""
    accounts = list(Account.objects.filter(brand=brand, is_active=True,
                                           weibo_connection__state=ConnectionState.CONNECTED)
                    .select_related("weibo_connection").order_by("pk"))
    if not accounts:
        return None
    best = max(accounts, key=lambda a: _calls_left(a, now))
    return best if _calls_left(best, now) > _reserve() else None


def yesterday(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now()) - timedelta(days=1)


def benchmarks_snapshot(*, day: date | None = None, now: datetime | None = None) -> SnapshotRun:
    """Snapshot ``day`` (yesterday by default) for every active own account and gateway peer not snapshotted yet
    (see the module's docstring). Safe to run any number of times: a subject with the day's row is not read."""
    now = now or timezone.now()
    day = day or yesterday(now)
    run = SnapshotRun()
    for brand in Brand.objects.filter(Q(peers__is_active=True) | Q(accounts__is_active=True)).distinct():
        if run.retry_at is not None:
            break
        _snapshot_brand(brand, day, now, run)
    return run


def _snapshot_brand(brand: Brand, day: date, now: datetime, run: SnapshotRun) -> None:
    done_accounts = set(BenchmarkSnapshot.objects.filter(day=day, account__brand=brand)
                        .values_list("account_id", flat=True))
    own = (Account.objects.filter(brand=brand, is_active=True, weibo_connection__state=ConnectionState.CONNECTED)
           .exclude(pk__in=done_accounts).select_related("weibo_connection").order_by("pk"))
    for account in own:
        if _calls_left(account, now) <= _reserve():
            run.skipped.append(_("%(name)s: its hourly Weibo budget is kept for replies and publishing.")
                               % {"name": account.name})
            continue
        try:
            figures = _read_own(account_client(account=account, connection=account.weibo_connection), account, day)
        except RateLimited as error:
            run.skipped.append(f"{account.name}: {error.describe()}")
            continue  # the client blocked this account's budget until retry_at; others read on
        except (NeedsReauthorisation, WeiboError) as error:
            run.skipped.append(f"{account.name}: {error.describe()}")
            continue
        _store(day=day, figures=figures, account=account)
        run.taken += 1
    done_peers = set(BenchmarkSnapshot.objects.filter(day=day, peer__brand=brand).values_list("peer_id", flat=True))
    peers = (PeerAccount.objects.filter(brand=brand, is_active=True, source=PeerSource.GATEWAY)
             .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now)).exclude(pk__in=done_peers).order_by("pk"))
    for peer in peers:
        reader = _reader(brand, now)
        if reader is None:
            run.skipped.append(_("%(name)s: no connected account of the brand has Weibo calls to spare this hour.")
                               % {"name": peer.name})
            break
        try:
            figures = _read_peer(account_client(account=reader, connection=reader.weibo_connection), peer, day)
        except RateLimited as error:
            run.retry_at = error.retry_at or now + timedelta(hours=1)
            PeerAccount.objects.filter(pk=peer.pk).update(retry_at=run.retry_at, problem=error.describe()[:300])
            run.skipped.append(f"{peer.name}: {error.describe()}")
            return
        except (NeedsReauthorisation, WeiboError) as error:
            PeerAccount.objects.filter(pk=peer.pk).update(retry_at=error.retry_at or now + timedelta(hours=1),
                                                          problem=error.describe()[:300])
            run.skipped.append(f"{peer.name}: {error.describe()}")
            continue
        _store(day=day, figures=figures, peer=peer)
        PeerAccount.objects.filter(pk=peer.pk).update(retry_at=None, problem="")
        run.taken += 1


def peer_create(*, brand: Brand, weibo_uid: str, name: str, by: User | None, industry_note: str = "",
                source: str = PeerSource.GATEWAY, search_keyword: str = "", ip: str | None = None) -> PeerAccount:
    """Name a peer of the brand. Raises ``ValidationError`` (by field) for a bad uid or one already named."""
    peer = PeerAccount(brand=brand, weibo_uid=weibo_uid.strip(), name=name.strip(), industry_note=industry_note,
                       source=source, search_keyword=search_keyword.strip())
    if not peer.weibo_uid.isdigit():
        raise ValidationError({"weibo_uid": _("A Weibo uid is a number, e.g. 5600000001 (from the peer's "
                                              "profile address).")})
    if brand.accounts.filter(weibo_uid=peer.weibo_uid).exists():
        raise ValidationError({"weibo_uid": _("This uid is one of the brand's own accounts, not a peer.")})
    peer.full_clean()
    with transaction.atomic():
        peer.save()
        audit_record(actor=by, action="peer.create", target=peer, ip=ip,
                     changes={"uid": peer.weibo_uid, "name": peer.name})
    return peer


@dataclass(frozen=True)
class CsvImport:
    created: int
    updated: int


def _number(text: str, *, kind: type, line: int, column: str, errors: list[str]):
    try:
        value = kind(text.strip())
    except ValueError:
        errors.append(_("Line %(line)s: %(column)s must be a number, got “%(value)s”.")
                      % {"line": line, "column": column, "value": text[:30]})
        return None
    if not math.isfinite(value) or value < 0:
        errors.append(_("Line %(line)s: %(column)s must be zero or more.") % {"line": line, "column": column})
        return None
    return value


def _csv_row(row: dict, number: int, brand: Brand, peers: dict, errors: list[str]) -> dict | None:
    """One data row checked: its values, or None with what is wrong added to ``errors``."""
    peer = peers.get(row.get("uid", ""))
    if peer is None:
        errors.append(_("Line %(line)s: uid “%(uid)s” is not a peer of %(brand)s; add the peer first.")
                      % {"line": number, "uid": row.get("uid", "")[:20], "brand": brand.name})
    try:
        day = parse_date(row.get("day", ""))
    except ValueError:
        day = None
    if day is None:
        errors.append(_("Line %(line)s: day must be a date like 2026-11-30, got “%(value)s”.")
                      % {"line": number, "value": row.get("day", "")[:30]})
    elif day >= timezone.localdate():
        errors.append(_("Line %(line)s: %(day)s has not ended yet; import finished days only.")
                      % {"line": number, "day": day.isoformat()})
    followers = _number(row.get("followers", ""), kind=int, line=number, column="followers", errors=errors)
    posts = _number(row.get("posts", ""), kind=int, line=number, column="posts", errors=errors)
    per_post = _number(row.get("interactions_per_post", ""), kind=float, line=number,
                       column="interactions_per_post", errors=errors)
    if peer is None or day is None or day >= timezone.localdate() or None in (followers, posts, per_post):
        return None
    return {"peer": peer, "day": day, "followers": followers, "posts": posts, "interactions_per_post": per_post}


def benchmark_csv_import(*, brand: Brand, text: str, by: User | None, ip: str | None = None) -> CsvImport:
    """Import daily figures of peers from CSV with the header ``uid,day,followers,posts,interactions_per_post``.

    Every row is checked first; any error raises ``ValidationError`` with one message per bad row (line
    numbers as a spreadsheet shows them) and nothing is stored. A day already stored for that peer is replaced.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ValidationError(_("The first line must name the columns %(columns)s; missing: %(missing)s.")
                              % {"columns": ",".join(CSV_COLUMNS), "missing": ", ".join(missing)})
    peers = {p.weibo_uid: p for p in PeerAccount.objects.filter(brand=brand)}
    errors: list[str] = []
    rows: dict[tuple[int, date], dict] = {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > CSV_MAX_ROWS:
            errors.append(_("More than %(max)s rows: split the file.") % {"max": CSV_MAX_ROWS})
            break
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        values = _csv_row(row, number, brand, peers, errors)
        if values is None:
            continue
        if (values["peer"].pk, values["day"]) in rows:
            errors.append(_("Line %(line)s: %(uid)s on %(day)s appears twice; keep one row.")
                          % {"line": number, "uid": values["peer"].weibo_uid, "day": values["day"].isoformat()})
            continue
        rows[(values["peer"].pk, values["day"])] = values
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("The file has no rows below its header."))
    created = updated = 0
    with transaction.atomic():
        for values in rows.values():
            _snapshot, made = BenchmarkSnapshot.objects.update_or_create(
                peer=values["peer"], day=values["day"],
                defaults={"followers": values["followers"], "posts": values["posts"], "statuses_count": None,
                          "interactions_per_post": values["interactions_per_post"], "measured": Measured.CSV,
                          "measured_at": timezone.now()})
            created += made
            updated += not made
        audit_record(actor=by, action="peer.import", target=brand, ip=ip,
                     changes={"created": created, "updated": updated})
    return CsvImport(created, updated)
