"""Fans' open work for the registry (team.work): open inbox items and open tickets a person holds."""

from __future__ import annotations

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from team.models import User
from team.services import audit_record
from team.work import WorkItem

from .models import TICKET_DONE, Interaction, State, Ticket


def _iso(value) -> str:
    return value.isoformat() if value else ""


class InboxWork:
    kind = "fans.inbox"
    label = _("assigned inbox items")

    def _items(self, items: Q) -> list[WorkItem]:
        # The marker changes with a reassignment, an answer, a reply written (even one waiting for approval), a close.
        rows = (Interaction.objects.filter(items, state=State.OPEN, assignee__isnull=False)
                .annotate(last_reply=Max("replies__id")).order_by("pk")
                .only("pk", "assignee_id", "text", "account_id", "received_at", "assigned_at", "state",
                      "first_response_at"))
        return [WorkItem(kind=self.kind, object_id=i.pk, holder_id=i.assignee_id, title=i.text[:60] or f"#{i.pk}",
                         url=reverse("fans:item", args=[i.pk]), accounts=(i.account_id,), grant="reply",
                         opened_at=i.received_at,
                         marker=f"{_iso(i.assigned_at)}|{i.state}|{_iso(i.first_response_at)}|{i.last_reply or ''}")
                for i in rows]

    def open_items(self, *, people_ids: list[int] | None) -> list[WorkItem]:
        return self._items(Q() if people_ids is None else Q(assignee_id__in=people_ids))

    def current(self, *, object_ids: list[int]) -> dict[int, WorkItem]:
        return {i.object_id: i for i in self._items(Q(pk__in=object_ids))}

    def reassign(self, *, object_ids: list[int], to: User, by: User | None) -> dict[int, str]:
        now = timezone.now()
        items = list(Interaction.objects.select_for_update(of=("self",)).filter(pk__in=object_ids)
                     .select_related("assignee"))
        for item in items:
            audit_record(actor=by, action="inbox.assign", target=item, account_id=item.account_id,
                         changes={"assignee": [str(item.assignee or ""), str(to)]})
        Interaction.objects.filter(pk__in=object_ids).update(assignee=to, assigned_at=now)
        return {i.object_id: i.marker for i in self._items(Q(pk__in=object_ids))}


class TicketWork:
    kind = "fans.ticket"
    label = _("tickets to follow up")

    def _items(self, tickets: Q) -> list[WorkItem]:
        rows = (Ticket.objects.filter(tickets, owner__isnull=False).exclude(state__in=TICKET_DONE)
                .select_related("interaction", "department").order_by("pk"))
        return [WorkItem(kind=self.kind, object_id=t.pk, holder_id=t.owner_id,
                         title=f"#{t.pk} {t.department}: {t.summary[:40]}", url=reverse("fans:ticket", args=[t.pk]),
                         accounts=(t.interaction.account_id,), grant="reply", opened_at=t.created_at,
                         marker=t.updated_at.isoformat()) for t in rows]

    def open_items(self, *, people_ids: list[int] | None) -> list[WorkItem]:
        return self._items(Q() if people_ids is None else Q(owner_id__in=people_ids))

    def current(self, *, object_ids: list[int]) -> dict[int, WorkItem]:
        return {i.object_id: i for i in self._items(Q(pk__in=object_ids))}

    def reassign(self, *, object_ids: list[int], to: User, by: User | None) -> dict[int, str]:
        now = timezone.now()
        tickets = list(Ticket.objects.select_for_update(of=("self",)).filter(pk__in=object_ids)
                       .select_related("owner", "interaction"))
        for ticket in tickets:
            audit_record(actor=by, action="ticket.update", target=ticket, account_id=ticket.interaction.account_id,
                         changes={"owner": [str(ticket.owner or ""), str(to)]})
        Ticket.objects.filter(pk__in=object_ids).update(owner=to, updated_at=now)
        return dict.fromkeys((t.pk for t in tickets), now.isoformat())
