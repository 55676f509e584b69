"""Watching posts' reposts: which posts are watched, reading their ``statuses/repost_timeline`` within the
budget, rebuilding the repost tree and checking it for coordinated reposting.

A post is watched when it matters: a negative original post that already has reposts or comes from an
influential account, or a post whose reposts keep arriving among the mentions (a cascade forming).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Count, Max, Min, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from positioning.models import Brand
from positioning.weibo import account_client
from weibo_ops.weibo.errors import NeedsReauthorisation, RateLimited, WeiboError

from . import attack, propagation
from .models import Cascade, Mention, Repost, Sentiment
from .sources import search_account

logger = logging.getLogger(__name__)

REPOSTS_PAGE = 200  # statuses/repost_timeline's largest page
CASCADE_PAGES = 5  # pages per poll: 1,000 reposts; a bigger cascade is read over the next polls (``_read``)
CASCADE_LEASE = timedelta(minutes=5)
SEEN_REPOSTS_TO_WATCH = 5  # reposts of one post among the mentions: a cascade is forming around it
DETECT_LIMIT = 20_000  # reposts read back for the detector and the tree: enough to judge any attack
KEY_NODES = 10  # opinion leaders kept with the cascade's figures
ELSEWHERE_LIMIT = 50_000  # uids of the brand's other negative cascades considered for recurrence


def _watch(brand: Brand, root_id: str, mention: Mention | None, now: datetime, negative: bool) -> None:
    defaults = {"mention": mention, "negative": negative, "next_poll_at": now,
                "watch_until": now + timedelta(hours=settings.SENTIMENT_CASCADE_WATCH_HOURS)}
    if mention is not None:
        defaults |= {"root_text": mention.text, "root_author": mention.author_name, "root_uid": mention.author_uid,
                     "root_posted_at": mention.posted_at}
    cascade, created = Cascade.objects.get_or_create(brand=brand, root_id=root_id, defaults=defaults)
    if not created and negative and not cascade.negative:
        Cascade.objects.filter(pk=cascade.pk).update(negative=True)


def cascades_watch(*, brand: Brand, mentions: list[Mention], now: datetime | None = None) -> int:
    """Start watching the posts among (or behind) new mentions that are worth it; returns how many."""
    now = now or timezone.now()
    influential = _influential(brand)
    roots: set[str] = set()
    watched = 0
    for m in mentions:
        if m.object_type != "status" or not m.platform_id:
            continue
        if m.root_id:
            roots.add(m.root_id)
        elif m.sentiment == Sentiment.NEGATIVE and not m.own and (
                m.reposts >= settings.SENTIMENT_CASCADE_MIN_REPOSTS or m.author_followers >= influential):
            _watch(brand, m.platform_id, m, now, negative=True)
            watched += 1
    if not roots:
        return watched
    known = set(Cascade.objects.filter(brand=brand, root_id__in=roots).values_list("root_id", flat=True))
    forming = (Mention.objects.filter(brand=brand, root_id__in=roots - known, object_type="status")
               .values("root_id").annotate(seen=Sum("copies"),
                         negative=Count("pk", filter=Q(sentiment="negative", own=False)))
               .filter(seen__gte=SEEN_REPOSTS_TO_WATCH))
    for row in forming:
        root = Mention.objects.filter(brand=brand, platform_id=row["root_id"]).first()
        negative = bool(row["negative"]) or (root is not None and root.fan_label == Sentiment.NEGATIVE)
        _watch(brand, row["root_id"], root, now, negative=negative)
        watched += 1
    return watched


def _influential(brand: Brand) -> int:
    from .alerts import monitoring_settings

    return monitoring_settings(brand).influential_followers


def cascades_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(Cascade.objects.filter(watch_until__gt=now, next_poll_at__lte=now)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                .order_by("next_poll_at").values_list("pk", flat=True)[:50])


def _lease(cascade: Cascade, now: datetime) -> bool:
    return bool(Cascade.objects.filter(pk=cascade.pk).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(lease_until=now + CASCADE_LEASE))


def _row(cascade: Cascade, status) -> Repost:
    user = status.user
    return Repost(cascade=cascade, platform_id=status.id, uid=user.id, screen_name=user.screen_name[:200],
                  text=status.text, posted_at=status.created_at or timezone.now(), followers=user.followers_count,
                  friends=user.friends_count, statuses=user.statuses_count, verified=user.verified,
                  account_created_at=user.created_at)


def _stored_above(cascade: Cascade) -> tuple[int | None, int | None]:
    """The oldest and newest reposts stored above ``since_id``: there are some only when an earlier poll stopped
    at its page limit, leaving the reposts between ``since_id`` and the oldest of them still to read."""
    found = (Repost.objects.filter(cascade=cascade).annotate(n=Cast("platform_id", BigIntegerField()))
             .filter(n__gt=int(cascade.since_id or 0)).aggregate(low=Min("n"), high=Max("n")))
    return found["low"], found["high"]


def _read(client, cascade: Cascade) -> tuple[list[Repost], str]:
    """New reposts, newest first, down to ``since_id``; and where ``since_id`` stands after them. A poll that
    stops at its page limit leaves ``since_id`` where it was: the next poll reads on below the oldest repost
    stored (the gap), and only the poll that reaches ``since_id`` moves it up to the newest repost stored."""
    rows: list[Repost] = []
    low, high = _stored_above(cascade)
    max_id = str(low - 1) if low is not None else None
    top = max(int(cascade.since_id or 0), high or 0)
    for _page in range(CASCADE_PAGES):
        page = client.repost_timeline(cascade.root_id, since_id=cascade.since_id or None, max_id=max_id,
                                      count=REPOSTS_PAGE)
        rows += [_row(cascade, s) for s in page.items if s.user is not None]
        ids = [int(s.id) for s in page.items]
        top = max(top, *ids) if ids else top
        if len(page.items) + page.dropped < REPOSTS_PAGE or not ids:
            return rows, str(top) if top else ""
        max_id = str(min(ids) - 1)
    return rows, cascade.since_id


def cascade_poll(*, cascade_id: int) -> Cascade | None:
    """Read a watched post's new reposts, rebuild its tree and check it. Safe to run twice."""
    cascade = Cascade.objects.select_related("brand").filter(pk=cascade_id).first()
    now = timezone.now()
    if cascade is None or not _lease(cascade, now):
        return None
    account = search_account(cascade.brand)
    if account is None:
        Cascade.objects.filter(pk=cascade.pk).update(lease_until=None, next_poll_at=now + timedelta(minutes=5),
                                                     problem="no account with budget left")
        return cascade
    try:
        rows, top = _read(account_client(account=account), cascade)
    except (RateLimited, NeedsReauthorisation, WeiboError) as error:
        retry = getattr(error, "retry_at", None) or now + timedelta(seconds=settings.SENTIMENT_CASCADE_SECONDS)
        Cascade.objects.filter(pk=cascade.pk).update(lease_until=None, next_poll_at=retry,
                                                     problem=error.describe()[:300])
        return cascade
    except BaseException:
        Cascade.objects.filter(pk=cascade.pk).update(lease_until=None)
        raise
    with transaction.atomic():
        Repost.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        cascade.since_id = top or cascade.since_id
        cascade_check(cascade=cascade, now=now)
    return cascade


def _records(cascade: Cascade) -> list[propagation.Repost]:
    rows = (Repost.objects.filter(cascade=cascade).order_by("posted_at", "id")
            .values_list("platform_id", "uid", "screen_name", "posted_at", "text", "followers", "friends", "statuses",
                         "account_created_at", "verified")[:DETECT_LIMIT])
    return [propagation.Repost(mid=pid, uid=uid, screen_name=name, at=at.timestamp(), text=text,
                               followers=followers, friends=friends, statuses=statuses,
                               account_created=created.timestamp() if created else None, verified=verified)
            for pid, uid, name, at, text, followers, friends, statuses, created, verified in rows]


def _elsewhere(cascade: Cascade) -> set[str]:
    """Reposters of the brand's other negative cascades: the same accounts in every attack is a tell."""
    return set(Repost.objects.filter(cascade__brand_id=cascade.brand_id, cascade__negative=True)
               .exclude(cascade=cascade).values_list("uid", flat=True).distinct()[:ELSEWHERE_LIMIT])


def _plain(value):
    """JSON for the stored evidence: NaN (not measured) becomes null."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _signal_json(signal: attack.Signal) -> dict:
    return _plain({"code": signal.code, "value": signal.value, "threshold": signal.threshold,
                   "baseline": signal.baseline, "fired": signal.fired, "measured": signal.measured,
                   "evidence": signal.evidence})


def cascade_check(*, cascade: Cascade, now: datetime | None = None) -> Cascade:
    """Rebuild the tree (parents, figures) and run the detector; a new flag raises an attack alert."""
    now = now or timezone.now()
    records = _records(cascade)
    tree = propagation.tree_build(cascade.root_id, cascade.root_author, records, root_uid=cascade.root_uid,
                                  root_text=cascade.root_text)
    parents = {node.mid: tree.nodes[node.parent].mid for node in tree.nodes
               if node.parent is not None and tree.nodes[node.parent].parent is not None}
    changed = [Repost(pk=pk, parent_id=parents.get(pid) or "") for pk, pid in
               Repost.objects.filter(cascade=cascade, parent_id="").values_list("pk", "platform_id")
               if parents.get(pid)]
    Repost.objects.bulk_update(changed, ["parent_id"], batch_size=500)
    report = attack.detect(records, elsewhere=_elsewhere(cascade) if cascade.negative else None)
    was_flagged = cascade.flagged
    cascade.flagged = report.flagged
    cascade.attack_score = report.score
    cascade.signals = [_signal_json(signal) for signal in report.signals]
    cascade.stats = {"total": tree.total, "direct": tree.direct, "second_level": tree.second_level,
                     "max_depth": tree.max_depth, "key_nodes": [asdict(k) for k in tree.key_nodes[:KEY_NODES]]}
    cascade.reposts_seen = len(records)
    cascade.checked_at = cascade.polled_at = now
    cascade.next_poll_at = now + timedelta(seconds=settings.SENTIMENT_CASCADE_SECONDS)
    cascade.lease_until, cascade.problem = None, ""
    cascade.save(update_fields=["flagged", "attack_score", "signals", "stats", "reposts_seen", "checked_at",
                                "polled_at", "next_poll_at", "lease_until", "problem", "since_id"])
    if report.flagged and not was_flagged:
        from .alerts import alert_raise_attack

        alert_raise_attack(cascade=cascade)
    return cascade
