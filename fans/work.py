"""Fans' open work for the registry (team.work): open inbox items and open tickets a person holds."""

from __future__ import annotations

from django.db.models import Max, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from team.work import HeldRows, WorkItem

from .models import TICKET_DONE, Interaction, State, Ticket


def _iso(value) -> str:
    return value.isoformat() if value else ""


class InboxWork(HeldRows):
    kind = "fans.inbox"
    label = _("assigned inbox items")
    model, holder, audit_action = Interaction, "assignee", "inbox.assign"

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

    def _account_id(self, row) -> int | None:
        return row.account_id

    def _touch(self, now) -> dict:
        return {"assigned_at": now}


class TicketWork(HeldRows):
    kind = "fans.ticket"
    label = _("tickets to follow up")
    model, holder, audit_action, related = Ticket, "owner", "ticket.update", ("interaction",)

    def _items(self, tickets: Q) -> list[WorkItem]:
        rows = (Ticket.objects.filter(tickets, owner__isnull=False).exclude(state__in=TICKET_DONE)
                .select_related("interaction", "department").order_by("pk"))
        return [WorkItem(kind=self.kind, object_id=t.pk, holder_id=t.owner_id,
                         title=f"#{t.pk} {t.department}: {t.summary[:40]}", url=reverse("fans:ticket", args=[t.pk]),
                         accounts=(t.interaction.account_id,), grant="reply", opened_at=t.created_at,
                         marker=t.updated_at.isoformat()) for t in rows]

    def _account_id(self, row) -> int | None:
        return row.interaction.account_id
