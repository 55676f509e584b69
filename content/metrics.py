"""Counts of published posts over time (reposts, comments, likes), read with ``statuses/count``.

Weibo only shows a post's counts as they are now; keeping snapshots gives growth curves for as
long as we like. Posts are read often while they are young and then daily for 30 days, in batches
of up to 100 ids per call (the endpoint's limit, ``client.COUNT_IDS``), one account at a time because each call spends
that account's budget.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import groupby

from django.utils import timezone

from positioning.weibo import account_client
from weibo_ops.weibo.errors import WeiboError

from .models import MetricSnapshot, PostTarget, TargetState

logger = logging.getLogger(__name__)

# (age of the post up to, read it every): often in the first hours, then daily for 30 days.
SCHEDULE = [
    (timedelta(hours=1), timedelta(minutes=10)),
    (timedelta(hours=6), timedelta(minutes=30)),
    (timedelta(hours=24), timedelta(hours=2)),
    (timedelta(days=30), timedelta(days=1)),
]
BATCH = 2000  # targets per run; the next run takes the rest
POSTPONE = timedelta(hours=1)  # an account whose counts cannot be read (budget, token) is tried again then


def next_reading(published_at: datetime, now: datetime) -> datetime | None:
    """When to read a post published at ``published_at`` next, or None when it is 30 days old."""
    age = now - published_at
    for up_to, every in SCHEDULE:
        if age < up_to:
            return now + every
    return None


def metrics_collect(*, now: datetime | None = None) -> int:
    """Read the counts of every published post that is due, store a snapshot each, and set the next
    reading. An account whose budget is spent or whose token is refused is tried next run.

    Precondition: no transaction is open (the budget is spent outside transactions).
    """
    now = now or timezone.now()
    due = list(
        PostTarget.objects.filter(state=TargetState.PUBLISHED, metrics_next_at__lte=now)
        .exclude(mid="").select_related("account").order_by("account_id", "metrics_next_at")[:BATCH]
    )
    stored = 0
    for _account_id, group in groupby(due, key=lambda t: t.account_id):
        targets = list(group)
        try:
            client = account_client(account=targets[0].account)
            counts = {c.id: c for c in client.counts([t.mid for t in targets])}
        except WeiboError as error:
            # Postponed, so that an account that keeps failing does not fill every batch.
            logger.info("metrics for account %s postponed: %s", targets[0].account_id, error.outcome.value)
            PostTarget.objects.filter(pk__in=[t.pk for t in targets]).update(metrics_next_at=now + POSTPONE)
            continue
        taken = timezone.now()
        snapshots = []
        for target in targets:
            found = counts.get(target.mid)
            target.metrics_next_at = next_reading(target.published_at or taken, taken)
            if found is not None:
                target.reposts, target.comments, target.attitudes = found.reposts, found.comments, found.attitudes
                target.metrics_at = taken
                snapshots.append(MetricSnapshot(target=target, taken_at=taken, reposts=found.reposts,
                                                comments=found.comments, attitudes=found.attitudes))
        MetricSnapshot.objects.bulk_create(snapshots)
        PostTarget.objects.bulk_update(targets, ["reposts", "comments", "attitudes", "metrics_at", "metrics_next_at"])
        stored += len(snapshots)
    return stored
