"""The demo brand's duty roster: two weeks of shifts from this Monday, so that "who is on now" shows someone at
any hour of the demo.

Run after ``seed_demo`` (``make run`` does, last). Safe to run again: a week that already has shifts is kept.

- 鲜牧乳业 is monitored around the clock: 赵磊 (PR) days on weekdays and Saturdays, 王敏 (manager) Sundays,
  周婷 (reviewer) every night.
- 鲜牧客服's inbox is staffed as its profile promises (工作日 8:00–22:00): 陈晨 (agent) mornings and 李想 (operator)
  evenings on weekdays, one of them each weekend day. Nights are not covered: an answer due then raises the
  "nobody on inbox duty" alert.
- 鲜牧酸奶's inbox: 李想 before his evening shift on weekdays.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from positioning import roster
from positioning.models import Account, Brand
from team.models import Duty, Shift, User
from team.roster import week_start

WEEKS = 2  # the roster is planned two weeks out
WEEKDAYS, SATURDAY, SUNDAY = range(5), 5, 6

# account, duty, username, days of the week, start hour, end hour (at or before the start: the next day)
PLAN = [
    ("鲜牧乳业", Duty.MONITORING, "pr", [*WEEKDAYS, SATURDAY], 8, 20),
    ("鲜牧乳业", Duty.MONITORING, "manager", [SUNDAY], 8, 20),
    ("鲜牧乳业", Duty.MONITORING, "reviewer", range(7), 20, 8),
    ("鲜牧客服", Duty.INBOX, "agent", WEEKDAYS, 8, 15),
    ("鲜牧客服", Duty.INBOX, "operator", WEEKDAYS, 15, 22),
    ("鲜牧客服", Duty.INBOX, "agent", [SATURDAY], 9, 18),
    ("鲜牧客服", Duty.INBOX, "operator", [SUNDAY], 9, 18),
    ("鲜牧酸奶", Duty.INBOX, "operator", WEEKDAYS, 9, 14),
]
NOTES = {(8, 20): "白班", (20, 8): "夜班", (8, 15): "早班", (15, 22): "晚班", (9, 18): "周末班", (9, 14): "日班"}


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour))


class Command(BaseCommand):
    help = "Give the demo brand's accounts a two-week duty roster (run after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true")

    @transaction.atomic
    def handle(self, *args, **options):
        brand = Brand.objects.filter(name="鲜牧乳业").first()
        if brand is None:
            self.stderr.write("Run manage.py seed_demo first: there is no demo brand.")
            return
        accounts = {a.name: a for a in Account.objects.filter(brand=brand)}
        people = {u.username: u for u in User.objects.filter(username__in={p[2] for p in PLAN} | {"manager"})}
        planner = people["manager"]
        # The night before this Monday too: otherwise Monday 00:00-08:00 would have no one monitoring.
        first = week_start(timezone.localdate())
        added = 0
        for week in range(WEEKS):
            monday = first + timedelta(weeks=week)
            begin, end = _at(monday, 0), _at(monday + timedelta(days=7), 0)
            if Shift.objects.filter(account__brand=brand, starts_at__gte=begin, starts_at__lt=end).exists():
                continue
            days = [monday - timedelta(days=1)] if week == 0 else []
            days += [monday + timedelta(days=i) for i in range(7)]
            for name, duty, username, weekdays, start, stop in PLAN:
                for day in days:
                    if day.weekday() not in weekdays or (day < monday and stop > start):
                        continue  # the day before Monday: only its night shift, which runs into Monday
                    starts = _at(day, start)
                    ends = _at(day + timedelta(days=1) if stop <= start else day, stop)
                    roster.shift_create(account=accounts[name], person=people[username], duty=duty,
                                        starts_at=starts, ends_at=ends, note=NOTES.get((start, stop), ""),
                                        by=planner)
                    added += 1
        if not options["quiet"]:
            self.stdout.write(f"Duty roster: {added} shifts added over {WEEKS} weeks from {first:%Y-%m-%d}.")
