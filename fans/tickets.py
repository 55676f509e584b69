"""Escalation to departments, "Weibo first" (微博优先): a complaint becomes a ticket for a department
with a deadline shorter than the department's normal one, because the fan waits in public.

The department's people are told in the app, by mail when mail is configured, and through the
department's webhook when it has one; they work their tickets on a plain page (or from their own
ticketing system through the API). Overdue tickets go to the managers, once. A resolved ticket asks
the operator to close the loop with the fan in public, and the inbox shows whether they did.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.access import Action, account_allows, account_require
from team.models import Department, Role, User
from team.services import audit_record, notice_send
from weibo_ops.webhooks import webhook_post, webhook_signature  # noqa: F401  (receivers' check, used by tests)

from .models import TICKET_DONE, DepartmentDesk, Interaction, Ticket, TicketState, TicketUpdate

logger = logging.getLogger(__name__)

NEXT_STATES = {
    TicketState.OPEN: {TicketState.IN_PROGRESS, TicketState.RESOLVED, TicketState.CANCELLED},
    TicketState.IN_PROGRESS: {TicketState.RESOLVED, TicketState.CANCELLED, TicketState.OPEN},
    TicketState.RESOLVED: {TicketState.IN_PROGRESS},  # reopened: the fan says it is not fixed
    TicketState.CANCELLED: set(),
}


def desk_for(department: Department) -> DepartmentDesk:
    desk, _created = DepartmentDesk.objects.get_or_create(department=department)
    return desk


def department_contacts(department: Department) -> list[User]:
    """Who in the department hears of its tickets: its contacts, or everyone in it when it names none."""
    people = list(User.objects.filter(department=department, is_active=True))
    contacts = [p for p in people if p.role == Role.DEPT_CONTACT]
    return contacts or people


def may_work_ticket(user: User, ticket: Ticket) -> bool:
    """Department members work their department's tickets (and managers any); those who reply on the
    account may follow a ticket, add notes, and cancel one they opened or hold, but not resolve it for the
    department: see ``may_move_ticket``."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_org_wide or user.department_id == ticket.department_id:
        return True
    return account_allows(user, ticket.interaction.account, Action.REPLY)


def may_move_ticket(user: User, ticket: Ticket, state: str) -> bool:
    if user.is_org_wide or user.department_id == ticket.department_id:
        return True
    # Its holder as well as its opener: a handover gives the ticket, and so this right, to the stand-in.
    return state == TicketState.CANCELLED and user.pk in (ticket.created_by_id, ticket.owner_id)


def _payload(ticket: Ticket, event: str) -> dict:
    item = ticket.interaction
    return {
        "event": event, "ticket": ticket.pk, "state": ticket.state, "department": ticket.department.name,
        "deadline": ticket.deadline.isoformat(), "summary": ticket.summary, "resolution": ticket.resolution,
        "external_id": ticket.external_id,
        "item": {"id": item.pk, "account": item.account.name, "kind": item.kind, "text": item.text,
                 "fan": {"uid": item.fan.uid, "screen_name": item.fan.screen_name}},
    }


def _webhook_later(ticket: Ticket, event: str) -> None:
    desk = DepartmentDesk.objects.filter(department_id=ticket.department_id).first()
    if desk is None or not desk.webhook_url:
        return
    from .tasks import webhook_send

    body = _payload(ticket, event)
    transaction.on_commit(lambda: webhook_send.delay(desk.pk, body))


def webhook_deliver(*, desk_id: int, body: dict) -> int | None:
    """POST one event to the desk's webhook, signed with HMAC-SHA256 of the body (header
    ``X-Weibo-Ops-Signature``). Returns the HTTP status (None: the destination is refused, see
    ``weibo_ops.webhooks``); raises ``httpx.HTTPError`` on failure so that the task retries."""
    desk = DepartmentDesk.objects.get(pk=desk_id)
    return webhook_post(url=desk.webhook_url, secret=desk.webhook_secret, body=body)


@transaction.atomic
def ticket_create(*, item: Interaction, department: Department, summary: str, by: User,
                  ip: str | None = None) -> Ticket:
    item = Interaction.objects.select_for_update(of=("self",)).select_related("account", "fan").get(pk=item.pk)
    account_require(by, item.account, Action.REPLY)
    if not summary.strip():
        raise ValidationError({"summary": _("Say what the department should do: they do not read Weibo.")})
    if Ticket.objects.filter(interaction=item, department=department).exclude(state__in=TICKET_DONE).exists():
        raise ValidationError({"department": _("%(department)s already has an open ticket for this item.")
                               % {"department": department.name}})
    desk = desk_for(department)
    ticket = Ticket(interaction=item, department=department, summary=summary.strip(), created_by=by, owner=by,
                    deadline=timezone.now() + timedelta(hours=desk.weibo_first_hours))
    ticket.full_clean(validate_constraints=False)
    ticket.save()
    TicketUpdate.objects.create(ticket=ticket, by=by, state=TicketState.OPEN, note=ticket.summary)
    if not item.is_complaint:
        item.is_complaint = True
        item.save(update_fields=["is_complaint"])
    audit_record(actor=by, action="ticket.create", target=ticket, account_id=item.account_id, ip=ip,
                 changes={"department": [None, department.name], "deadline": [None, ticket.deadline.isoformat()]})
    notice_send(
        recipients=department_contacts(department), kind="ticket_new",
        title=_("Weibo first: a complaint for %(department)s, due %(due)s")
        % {"department": department.name, "due": timezone.localtime(ticket.deadline).strftime("%m-%d %H:%M")},
        body=f"{ticket.summary}\n\n{item.fan}: {item.text}", url=reverse("fans:ticket", args=[ticket.pk]),
        dedupe_key=f"ticket_new:{ticket.pk}")
    _webhook_later(ticket, "ticket.created")
    return ticket


def _loop_flag(item: Interaction) -> None:
    """The item waits to be told back while it has a resolved ticket and the fan was not told."""
    pending = item.loop_closed_at is None and Ticket.objects.filter(
        interaction=item, state=TicketState.RESOLVED).exists()
    if pending != item.loop_pending:
        item.loop_pending = pending
        Interaction.objects.filter(pk=item.pk).update(loop_pending=pending)


def _move_check(ticket: Ticket, by: User, state: str, resolution: str) -> None:
    """Refuse a move the person may not make or the ticket cannot take."""
    if not may_move_ticket(by, ticket, state):
        raise PermissionDenied(_("Only %(department)s (or a manager) moves this ticket on; you can add a note.")
                               % {"department": ticket.department.name})
    if state not in NEXT_STATES.get(ticket.state, set()):
        raise ValidationError({"state": _("A ticket that is “%(from)s” cannot become “%(to)s”.")
                               % {"from": ticket.get_state_display(), "to": TicketState(state).label
                                  if state in TicketState.values else state}})
    if state == TicketState.RESOLVED and not (resolution.strip() or ticket.resolution):
        raise ValidationError({"resolution": _("Say how it was resolved: the operator tells the fan this.")})
    if ticket.state in TICKET_DONE and Ticket.objects.filter(
            interaction_id=ticket.interaction_id, department_id=ticket.department_id).exclude(
            state__in=TICKET_DONE).exists():
        # One open ticket per item and department (a constraint): work on the newer one instead.
        raise ValidationError({"state": _("%(department)s already has an open ticket for this item: update "
                                          "that one.") % {"department": ticket.department.name}})


@transaction.atomic
def ticket_update(*, ticket: Ticket, by: User, state: str | None = None, note: str = "", resolution: str = "",
                  external_id: str | None = None, via: str = "app") -> Ticket:
    """Move a ticket on (``state``), add a note, or both. Resolving needs the resolution in words."""
    ticket = (Ticket.objects.select_for_update(of=("self",))
              .select_related("interaction__account", "interaction__fan", "department", "created_by")
              .get(pk=ticket.pk))
    if not may_work_ticket(by, ticket):
        raise PermissionDenied(_("This ticket belongs to %(department)s: only its people, managers and those who "
                                 "answer on %(account)s may update it.")
                               % {"department": ticket.department.name, "account": ticket.interaction.account.name})
    before = ticket.state
    if state and state != before:
        _move_check(ticket, by, state, resolution)
        ticket.state = state
    elif not note.strip() and not resolution.strip() and external_id is None:
        raise ValidationError({"note": _("Nothing to update: add a note or change the state.")})
    if resolution.strip():
        ticket.resolution = resolution.strip()
    if external_id is not None:
        ticket.external_id = external_id.strip()[:100]
    now = timezone.now()
    if ticket.state == TicketState.RESOLVED and before != TicketState.RESOLVED:
        ticket.resolved_at, ticket.resolved_by = now, by
    elif ticket.state != TicketState.RESOLVED:
        ticket.resolved_at, ticket.resolved_by = None, None
    ticket.full_clean(validate_constraints=False)
    ticket.save()
    TicketUpdate.objects.create(ticket=ticket, by=by, state=ticket.state if ticket.state != before else "",
                                note=(note.strip() or resolution.strip())[:2000], via=via)
    audit_record(actor=by, action="ticket.update", target=ticket, account_id=ticket.interaction.account_id,
                 changes={"state": [before, ticket.state]} if ticket.state != before else {"note": [None, True]})
    item = ticket.interaction
    if ticket.state != before:
        _loop_flag(item)
    if ticket.state == TicketState.RESOLVED and before != TicketState.RESOLVED:
        # The resolver knows: the creator and the person answering the fan are told.
        recipients = [p for p in [ticket.created_by] + ([item.assignee] if item.assignee_id else []) if p.pk != by.pk]
        notice_send(
            recipients=recipients, kind="ticket_resolved",
            title=_("%(department)s resolved the complaint of %(fan)s: tell the fan")
            % {"department": ticket.department.name, "fan": item.fan},
            body=_("Resolution: %(resolution)s\n\nClose the loop in public: reply to the fan from the inbox.")
            % {"resolution": ticket.resolution},
            url=reverse("fans:item", args=[item.pk]), account_id=item.account_id,
            dedupe_key=f"ticket_resolved:{ticket.pk}:{now.timestamp():.0f}")
    if ticket.state != before:
        _webhook_later(ticket, f"ticket.{ticket.state}")
    return ticket


def tickets_escalate_overdue() -> int:
    """Beat: tickets past their deadline and not done go to the managers, once each."""
    now = timezone.now()
    count = 0
    overdue = Ticket.objects.filter(deadline__lt=now, escalated_at__isnull=True).exclude(state__in=TICKET_DONE)
    for ticket in overdue.select_related("department", "interaction__account", "interaction__fan")[:200]:
        with transaction.atomic():
            if not Ticket.objects.filter(pk=ticket.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue  # another run took it
            TicketUpdate.objects.create(ticket=ticket, by=None, note=_("Deadline passed: escalated to the managers."))
            managers = list(User.objects.filter(role__in=[Role.MANAGER], is_active=True))
            late = now - ticket.deadline
            notice_send(
                recipients=managers, kind="ticket_overdue",
                title=_("Overdue: %(department)s has not resolved a Weibo complaint (%(hours)d h late)")
                % {"department": ticket.department.name, "hours": late.total_seconds() // 3600},
                body=f"{ticket.summary}\n\n{ticket.interaction.fan}: {ticket.interaction.text}",
                url=reverse("fans:ticket", args=[ticket.pk]), account_id=ticket.interaction.account_id,
                dedupe_key=f"ticket_overdue:{ticket.pk}")
            _webhook_later(ticket, "ticket.overdue")
            count += 1
    return count

