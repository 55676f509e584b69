"""KPI targets of the demo brand for the current month: the brand's, each account's and each person's who works
on an account, so that the scorecard (/reports/scorecard/) shows attainment on the demo's own activity (the
posts the worker publishes to the sandbox, the inbox the sandbox fills, the campaigns' repost trees).

Run after the other demo commands (``make run`` does). Safe to run again: a target that exists is kept.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from positioning.models import Account, AccountMember, Brand
from team.kpi_targets import kpi_target_create
from team.kpis import ACCOUNT, BRAND, KPIS, PERSON
from team.models import KpiTarget, User

# What a brand team of this size might aim for in a month (interactions per thousand fans is not measured).
TARGETS = {
    "originality_rate": "80", "interactions_per_post": "20", "response_rate": "95", "response_time": "60",
    "resolution_rate": "80", "resolution_time": "480", "second_level_per_post": "1", "node_fans_gained": "5",
    "active_fan_share": "30", "circles_reached": "50", "localisation_share": "50", "plan_attainment": "90",
    "incidents_on_time": "100",
}


class Command(BaseCommand):
    help = "Set the demo brand's KPI targets for this month (kept if they exist)."

    @transaction.atomic
    def handle(self, *args, **options):
        brand = Brand.objects.filter(name="鲜牧乳业").first()
        if brand is None:
            self.stderr.write("Run seed_demo first: there is no demo brand.")
            return
        today = timezone.localdate()
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        accounts = list(Account.objects.filter(brand=brand, is_active=True).order_by("name"))
        people = list(User.objects.filter(is_active=True, pk__in=AccountMember.objects.filter(
            account__brand=brand).values("user_id")).order_by("username"))
        scopes = [(BRAND, {})] + [(ACCOUNT, {"account": a}) for a in accounts] + [(PERSON, {"person": p})
                                                                                 for p in people]
        made = 0
        for scope, where in scopes:
            for kpi in KPIS:
                if kpi.code not in TARGETS or scope not in kpi.scopes:
                    continue
                if KpiTarget.objects.filter(kpi=kpi.code, brand=brand, start=start, end=end,
                                            account=where.get("account"), person=where.get("person")).exists():
                    continue
                kpi_target_create(by=None, kpi=kpi.code, brand=brand, start=start, end=end,
                                  value=Decimal(TARGETS[kpi.code]), **where)
                made += 1
        self.stdout.write(f"KPI targets for {start:%Y-%m}: {made} set.")
