"""Reads of the duty roster: who is on now, an account's week, a person's coming shifts.

Only reads of ``Shift`` rows live here, so that every app may ask "who is on duty" (team sits below them all).
Writes need the per-account grants, which belong to ``positioning.access``: they live in ``positioning.roster``.
A shift covers ``starts_at <= t < ends_at``: at the hand-over minute the next person is on, not both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import Duty, Shift, ShiftSwap, SwapState, User

UPCOMING_DAYS = 14  # "my shifts" shows this far ahead: the roster is planned two weeks out


def shifts_at(*, account_ids: list[int] | None = None, duty: str | None = None,
              at: datetime | None = None) -> QuerySet[Shift]:
    """Shifts running at ``at`` (now by default): start inclusive, end exclusive."""
    at = at or timezone.now()
    shifts = Shift.objects.filter(starts_at__lte=at, ends_at__gt=at, person__is_active=True)
    if account_ids is not None:
        shifts = shifts.filter(account_id__in=account_ids)
    if duty:
        shifts = shifts.filter(duty=duty)
    return shifts


def on_duty(*, account_id: int, duty: str, at: datetime | None = None) -> list[User]:
    """The people on ``duty`` for the account at ``at`` (now by default), earliest shift first. One query."""
    shifts = shifts_at(account_ids=[account_id], duty=duty, at=at).select_related("person").order_by("starts_at", "pk")
    return list(dict.fromkeys(s.person for s in shifts))


def on_duty_map(*, account_ids: list[int], at: datetime | None = None) -> dict[tuple[int, str], list[User]]:
    """``{(account_id, duty): people}`` for many accounts at once (the "who is on now" page). One query."""
    found: dict[tuple[int, str], list[User]] = defaultdict(list)
    for shift in shifts_at(account_ids=account_ids, at=at).select_related("person").order_by("starts_at", "pk"):
        people = found[(shift.account_id, shift.duty)]
        if shift.person not in people:
            people.append(shift.person)
    return dict(found)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


@dataclass
class RosterWeek:
    """An account's week: ``days`` (Monday first) and the shifts touching each day, with open swap requests."""

    start: date
    days: list[date]
    shifts: dict[int, dict[date, list[Shift]]] = field(default_factory=dict)  # account id → day → shifts
    open_swaps: dict[int, ShiftSwap] = field(default_factory=dict)  # shift id → its pending swap


def roster_week(*, account_ids: list[int], start: date) -> RosterWeek:
    """The shifts of ``account_ids`` in the week from ``start`` (a Monday, local time), in two queries whatever
    the number of accounts and shifts. A night shift shows on each day it touches."""
    days = [start + timedelta(days=i) for i in range(7)]
    tz = timezone.get_current_timezone()
    begin = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    end = begin + timedelta(days=7)
    week = RosterWeek(start=start, days=days, shifts={pk: {d: [] for d in days} for pk in account_ids})
    shifts = list(Shift.objects.filter(account_id__in=account_ids, starts_at__lt=end, ends_at__gt=begin)
                  .select_related("person").order_by("starts_at", "pk"))
    for shift in shifts:
        first = timezone.localtime(shift.starts_at, tz).date()
        last = timezone.localtime(shift.ends_at - timedelta(microseconds=1), tz).date()
        for day in days:
            if first <= day <= last:
                week.shifts[shift.account_id][day].append(shift)
    if shifts:
        week.open_swaps = {s.shift_id: s for s in ShiftSwap.objects.filter(
            shift__in=[s.pk for s in shifts], state=SwapState.REQUESTED).select_related("to_person", "requested_by")}
    return week


def shifts_upcoming(*, person: User, now: datetime | None = None, days: int = UPCOMING_DAYS) -> list[Shift]:
    """A person's shifts running now or starting in the next ``days`` days."""
    now = now or timezone.now()
    return list(Shift.objects.filter(person=person, ends_at__gt=now, starts_at__lt=now + timedelta(days=days))
                .select_related("account").order_by("starts_at", "pk"))


def swaps_open(*, account_ids: list[int] | None = None) -> QuerySet[ShiftSwap]:
    """Swap requests waiting for a decision."""
    swaps = ShiftSwap.objects.filter(state=SwapState.REQUESTED).select_related(
        "shift__account", "shift__person", "to_person", "requested_by")
    if account_ids is not None:
        swaps = swaps.filter(shift__account_id__in=account_ids)
    return swaps.order_by("shift__starts_at", "pk")


@dataclass
class OnDutyRow:
    account: object  # a positioning.Account (team does not import positioning)
    inbox: list[User]
    monitoring: list[User]


def on_duty_rows(*, accounts: list, at: datetime | None = None) -> list[OnDutyRow]:
    """Who is on each duty for each of ``accounts`` now: the "who is on now" page and the dashboard's card both
    read this (one definition, one query)."""
    found = on_duty_map(account_ids=[a.pk for a in accounts], at=at)
    return [OnDutyRow(account=a, inbox=found.get((a.pk, Duty.INBOX), []),
                      monitoring=found.get((a.pk, Duty.MONITORING), [])) for a in accounts]
