"""Retention of the fans a campaign brought (selectors: reads only).

Method: the fans gained are the distinct fans with a follow event (the fan-service push, stored as a fans
``Interaction`` of kind FOLLOW) on one of the campaign's accounts between its start and its end; a fan who
followed more than one of them counts once, from their first such follow (up to ``now`` for a campaign still
running). A fan gained at time T is still
following after N days unless an unfollow event of theirs for the same account lies after T and at or before
T + N days (what they did later, such as following again, is not counted). A fan whose T + N days lie in the
future is "not yet measurable": counted neither as retained nor as lost, and the share is taken over the
measurable fans only. Follow and unfollow events come from the push; an event Weibo never pushed is not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from fans.selectors import follow_events, unfollow_events

from .models import Campaign

PERIODS = (7, 30)  # days after the follow at which a gained fan is counted as still following


@dataclass(frozen=True)
class Kept:
    """After ``days`` days: of the ``measurable`` fans (gained at least ``days`` ago), ``retained`` still
    followed; ``pending`` were gained too recently to tell."""

    days: int
    measurable: int
    retained: int
    pending: int

    @property
    def lost(self) -> int:
        return self.measurable - self.retained

    @property
    def share(self) -> float | None:
        """Retained ÷ measurable, None while nobody is measurable."""
        return self.retained / self.measurable if self.measurable else None


@dataclass(frozen=True)
class Retention:
    gained: int
    periods: dict[int, Kept]

    @property
    def after_7(self) -> Kept:
        return self.periods[7]

    @property
    def after_30(self) -> Kept:
        return self.periods[30]


def campaign_retention(*, campaign: Campaign, now: datetime | None = None) -> Retention:
    """Fans gained during the campaign on its accounts and how many still followed 7 and 30 days on (see the
    module's docstring for the method). Two queries, whatever the size."""
    now = now or timezone.now()
    accounts = list(campaign.accounts.values_list("pk", flat=True))
    first: dict[int, tuple[datetime, int]] = {}  # fan -> (followed at, account)
    follows = follow_events(account_ids=accounts, since=campaign.starts_at, until=min(campaign.ends_at, now))
    for fan_id, at, account_id in follows.iterator(chunk_size=5000):
        first.setdefault(fan_id, (at, account_id))
    unfollows: dict[tuple[int, int], list[datetime]] = {}
    if first:
        rows = unfollow_events(account_ids=accounts, since=campaign.starts_at, fan_ids=list(first))
        for fan_id, account_id, at in rows.iterator(chunk_size=5000):
            unfollows.setdefault((fan_id, account_id), []).append(at)
    periods = {}
    for days in PERIODS:
        span = timedelta(days=days)
        measurable = retained = pending = 0
        for fan_id, (at, account_id) in first.items():
            if at + span > now:
                pending += 1
                continue
            measurable += 1
            left = any(at < gone <= at + span for gone in unfollows.get((fan_id, account_id), ()))
            retained += not left
        periods[days] = Kept(days, measurable, retained, pending)
    return Retention(gained=len(first), periods=periods)
