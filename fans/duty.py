"""The duty roster's part in the inbox: an answer about to be late on an account that nobody is minding.

Routing to the person on duty lives with the other routing actions (``fans.routing``). This module is the alert:
an item whose first answer is due within ``UNCOVERED_WARNING`` on an account that keeps a roster (``ROSTER_SPAN``)
with nobody on inbox duty now is told to the account's managers, once per item. The claim is the notice's dedupe
key (``uncovered:<item id>``):
an item already told about is skipped before anything is sent, and the unique constraint on notices keeps two
runs at once from telling the same person twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.access import Action, people_who_may
from team.models import Duty, Notice, Shift
from team.roster import shifts_at
from team.services import notice_send

from .models import Interaction
from .selectors import WAITING

# Half an hour: the "about to breach" mark of the inbox's SLA badges by default, and enough time for a manager to
# find someone for a one-hour reply clock (the customer-service playbook's) before it runs out.
UNCOVERED_WARNING = timedelta(minutes=30)
# An account with a shift (any duty) within this span before or after now keeps a roster. Only those are watched:
# a team that plans no shifts for an account would otherwise be told about every item it answers as it always has.
ROSTER_SPAN = timedelta(days=14)
UNCOVERED_BATCH = 500  # items looked at per run (every minute); the next run takes the rest
NOTICE_KIND = "sla_uncovered"


def _key(item_id: int) -> str:
    return f"uncovered:{item_id}"


def sla_uncovered_alert(*, now: datetime | None = None) -> int:
    """Beat, every minute: tell the managers of each account with nobody on inbox duty about its items whose
    first answer is due within ``UNCOVERED_WARNING``. Safe to run twice. Returns how many items were told."""
    now = now or timezone.now()
    items = list(Interaction.objects.filter(WAITING, account__is_active=True, first_response_due__gte=now,
                                            first_response_due__lt=now + UNCOVERED_WARNING)
                 .select_related("account", "fan").order_by("first_response_due", "pk")[:UNCOVERED_BATCH])
    if not items:
        return 0
    account_ids = list({i.account_id for i in items})
    covered = set(shifts_at(account_ids=account_ids, duty=Duty.INBOX, at=now).values_list("account_id", flat=True))
    rostered = set(Shift.objects.filter(account_id__in=account_ids, starts_at__lt=now + ROSTER_SPAN,
                                        ends_at__gt=now - ROSTER_SPAN).values_list("account_id", flat=True))
    told = set(Notice.objects.filter(dedupe_key__in=[_key(i.pk) for i in items]).values_list("dedupe_key", flat=True))
    managers: dict[int, list] = {}
    count = 0
    for item in items:
        if item.account_id in covered or item.account_id not in rostered or _key(item.pk) in told:
            continue
        if item.account_id not in managers:
            managers[item.account_id] = list(people_who_may(item.account, Action.MANAGE))
        minutes = max(int((item.first_response_due - now).total_seconds() // 60), 0)
        notice_send(
            recipients=managers[item.account_id], kind=NOTICE_KIND, account_id=item.account_id,
            title=_("Nobody is on inbox duty for %(account)s: a reply is due in %(minutes)s minutes") % {
                "account": item.account.name, "minutes": minutes},
            body=_("%(fan)s is waiting for an answer. Put someone on duty on the roster or assign the item.") % {
                "fan": item.fan},
            url=reverse("fans:item", args=[item.pk]), dedupe_key=_key(item.pk))
        count += 1
    return count
