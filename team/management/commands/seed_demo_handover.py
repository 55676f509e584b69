"""The demo's absence and handover trace: the editor 李想 (operator) is on leave next week, and a proposed
handover of all his open work (his drafts and posts in review, inbox items and tickets routed to him, campaign
tasks) waits for the manager's review at /team/handovers/<id>/, with the stand-in suggested.

Run after the other ``seed_demo*`` commands (``make run``): it lists the work they made. Safe to run again:
an existing absence of the editor is kept. The absence starts next Monday, so today's demo flows (assigning
inbox items to him, his drafts) keep working.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from team.handover import absence_mark
from team.models import Absence, AbsenceKind, User

EDITOR, MANAGER = "operator", "manager"  # usernames of seed_demo's people
LEAVE_DAYS = 5  # Monday to Friday


class Command(BaseCommand):
    help = "Put the demo editor on leave next week with a proposed handover to review (kept if it exists)."

    @transaction.atomic
    def handle(self, *args, **options):
        editor = User.objects.filter(username=EDITOR).first()
        manager = User.objects.filter(username=MANAGER).first()
        if editor is None or manager is None:
            self.stderr.write("Run seed_demo first: the demo people are missing.")
            return
        if Absence.objects.filter(person=editor).exists():
            self.stdout.write("The demo absence exists already: kept.")
            return
        today = timezone.localdate()
        monday = today + timedelta(days=7 - today.weekday())
        handover = absence_mark(person=editor, kind=AbsenceKind.LEAVE, starts_on=monday,
                                ends_on=monday + timedelta(days=LEAVE_DAYS - 1), note="年假（演示）", by=manager)
        self.stdout.write(f"{editor} is on leave from {monday}: handover #{handover.pk} proposed with "
                          f"{handover.items.count()} open items, stand-in {handover.to_person or '—'}.")
