"""Pages: the department desk, where people of other departments (who do not work on Weibo and
need no training for it) see the complaints handed to them and update them. Plain words only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from positioning.access import Action, account_allows
from weibo_ops.forms import add_service_errors

from . import selectors, tickets
from .forms_config import TicketForm
from .models import TICKET_DONE, Ticket, TicketState

DESK_TABS = {
    "active": gettext_lazy("To do"),
    TicketState.RESOLVED: gettext_lazy("Resolved"),
    TicketState.CANCELLED: gettext_lazy("Cancelled"),
}
DESK_LIMIT = 300  # tickets shown at once: a department with more is behind, and the oldest come first


@login_required
@require_GET
def desk(request):
    state = request.GET.get("state", "active")
    if state not in DESK_TABS:
        state = "active"
    rows = list(selectors.desk_tickets(user=request.user, state=state)[:DESK_LIMIT])
    now = timezone.now()
    for ticket in rows:
        ticket.is_overdue = ticket.deadline < now and ticket.state not in TICKET_DONE
    return render(request, "fans/desk.html", {
        "tickets": rows, "state": state, "tabs": list(DESK_TABS.items()), "now": now,
        "department": request.user.department, "all_departments": request.user.is_org_wide,
        "overdue": sum(1 for t in rows if t.is_overdue),
        "deadline_hours": {d.pk: desk.weibo_first_hours
                           for d, desk in selectors.department_desks()}.get(request.user.department_id),
    })


def _ticket(request, ticket_id: int) -> Ticket:
    ticket = get_object_or_404(
        Ticket.objects.select_related("interaction__fan", "interaction__account", "department", "created_by",
                                      "resolved_by"), pk=ticket_id)
    if not tickets.may_work_ticket(request.user, ticket):
        raise PermissionDenied(
            _("This ticket belongs to %(department)s: only its people, managers and those who answer on "
              "%(account)s may open it.")
            % {"department": ticket.department.name, "account": ticket.interaction.account.name})
    return ticket


@login_required
@require_http_methods(["GET", "POST"])
def ticket(request, ticket_id: int):
    item = _ticket(request, ticket_id)
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tickets.ticket_update(ticket=item, by=request.user, state=form.state(),
                                  note=form.cleaned_data["note"], resolution=form.cleaned_data["resolution"])
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved. The Weibo team can see it."))
            return redirect("fans:ticket", item.pk)
    now = timezone.now()
    return render(request, "fans/ticket.html", {
        "ticket": item, "form": form, "updates": list(item.updates.select_related("by")), "now": now,
        "is_overdue": item.deadline < now and item.state not in TICKET_DONE,
        "can_open_item": account_allows(request.user, item.interaction.account, Action.REPLY),
        # Only the department (and managers) move the ticket on; others who follow it add notes.
        "actions": _actions(item.state) if tickets.may_move_ticket(request.user, item, TicketState.RESOLVED)
        else ["note"],
    }, status=400 if form.is_bound and form.errors else 200)


def _actions(state: str) -> list[str]:
    """The buttons that make sense for the ticket's state (the service checks the moves again)."""
    if state == TicketState.OPEN:
        return ["start", "resolve", "note"]
    if state == TicketState.IN_PROGRESS:
        return ["resolve", "note"]
    if state == TicketState.RESOLVED:
        return ["reopen", "note"]
    return ["note"]
