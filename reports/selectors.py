"""Reads that only the dashboards need, built on the other apps' selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from fans.selectors import ANSWERABLE, RATE_WINDOW, State, desk_tickets, visible_items
from team.models import Role, User


@dataclass
class FansToday:
    open: int = 0
    near: int = 0
    breached: int = 0
    week_total: int = 0  # items that asked for an answer in the last 7 days
    week_answered: int = 0
    week_resolved: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.week_answered / self.week_total if self.week_total else None

    @property
    def resolution_rate(self) -> float | None:
        return self.week_resolved / self.week_total if self.week_total else None

    @property
    def response_percent(self) -> int:
        return round(100 * (self.response_rate or 0))

    @property
    def resolution_percent(self) -> int:
        return round(100 * (self.resolution_rate or 0))


def fans_today(*, user: User) -> FansToday:
    """Open inbox items, those near and past their first-response target, and the 7-day response and
    resolution rates (as ``fans.selectors.rates`` counts them), in one query."""
    now = timezone.now()
    near = now + timedelta(minutes=settings.FANS_SLA_NEAR_MINUTES)
    waiting = Q(state=State.OPEN, needs_answer=True, first_response_at__isnull=True)
    week = Q(needs_answer=True, kind__in=ANSWERABLE, created_at__gte=now - RATE_WINDOW)
    # Only open items and the last week's can count: the WHERE lets the indexes skip the history.
    row = visible_items(user=user).filter(Q(state=State.OPEN) | Q(created_at__gte=now - RATE_WINDOW)).aggregate(
        open=Count("id", filter=Q(state=State.OPEN)),
        near=Count("id", filter=waiting & Q(first_response_due__gte=now, first_response_due__lt=near)),
        breached=Count("id", filter=waiting & Q(first_response_due__lt=now)),
        week_total=Count("id", filter=week),
        week_answered=Count("id", filter=week & Q(first_response_at__isnull=False)),
        week_resolved=Count("id", filter=week & Q(closed_at__isnull=False)),
    )
    return FansToday(**row)


def desk_open_count(*, user: User) -> int | None:
    """Open complaints on the person's department desk (every desk for managers), or None when the
    person has no desk to look at (one query at most)."""
    if not (user.is_org_wide or user.department_id or user.role == Role.DEPT_CONTACT):
        return None
    return desk_tickets(user=user).count()
