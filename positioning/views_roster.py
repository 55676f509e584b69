"""The duty roster's pages under /team/roster/: the week per account, who is on now, my shifts, swaps.

They live in positioning because every page needs the per-account grants (see ``positioning.roster``). Views only
translate: they read with ``team.roster`` selectors and write with ``positioning.roster`` services.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from team.models import Shift, ShiftSwap
from team.roster import on_duty_rows, roster_week, shifts_upcoming, swaps_open, week_start
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip

from . import roster
from .access import Action, account_require, accounts_for
from .forms_roster import ShiftForm, SwapForm


def _week(request) -> date:
    try:
        return week_start(date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        return week_start(timezone.localdate())


def _week_url(start: date, account_id: int | None = None) -> str:
    url = f"{reverse('roster:week')}?week={start.isoformat()}"
    return f"{url}&account={account_id}" if account_id else url


@login_required
def week(request, *, shift_form: ShiftForm | None = None, status: int = 200):
    start = _week(request)
    visible = list(accounts_for(request.user).order_by("brand__name", "name"))
    chosen = request.GET.get("account", "")
    accounts = [a for a in visible if str(a.pk) == chosen] or visible
    editable = [a for a in visible if roster.roster_edit_allowed(request.user, a)]
    editable_ids = {a.pk for a in editable}
    grid = roster_week(account_ids=[a.pk for a in accounts], start=start)
    if shift_form is None and editable:
        shift_form = ShiftForm(accounts=accounts_for(request.user, Action.MANAGE),
                               initial={"day": max(start, timezone.localdate()), "start": "09:00", "end": "18:00",
                                        "account": accounts[0].pk if len(accounts) == 1 else None})
    for cells in grid.shifts.values():
        for shifts in cells.values():
            for shift in shifts:
                shift.open_swap = grid.open_swaps.get(shift.pk)
    rows = [(account, [(day, grid.shifts[account.pk][day]) for day in grid.days], account.pk in editable_ids)
            for account in accounts]
    return render(request, "roster/week.html", {
        "start": start, "days": grid.days, "rows": rows, "open_swaps": grid.open_swaps,
        "accounts": visible, "chosen": chosen, "today": timezone.localdate(),
        "previous": _week_url(start - timedelta(days=7), chosen), "next": _week_url(start + timedelta(days=7), chosen),
        "this_week": _week_url(week_start(timezone.localdate()), chosen),
        "shift_form": shift_form, "swaps": list(swaps_open(account_ids=list(editable_ids))) if editable else [],
    }, status=status)


@login_required
@require_POST
def shift_new(request):
    form = ShiftForm(request.POST, accounts=accounts_for(request.user, Action.MANAGE))
    if form.is_valid():
        try:
            shifts = roster.shift_create(by=request.user, ip=client_ip(request), **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(n)s shift(s) added.") % {"n": len(shifts)})
            return redirect(_week_url(week_start(timezone.localdate(shifts[0].starts_at))))
    return week(request, shift_form=form, status=400)


def _visible_shift(request, shift_id: int) -> Shift:
    shift = get_object_or_404(Shift.objects.select_related("account", "person"), pk=shift_id)
    account_require(request.user, shift.account, Action.VIEW)
    return shift


@login_required
@require_POST
def shift_delete(request, shift_id: int):
    shift = _visible_shift(request, shift_id)
    start = week_start(timezone.localdate(shift.starts_at))
    roster.shift_delete(shift=shift, by=request.user, ip=client_ip(request))
    messages.success(request, _("Shift removed."))
    return redirect(_week_url(start))


@login_required
def swap_new(request, shift_id: int):
    shift = _visible_shift(request, shift_id)
    if shift.person_id != request.user.pk:
        raise PermissionDenied(_("You can ask to swap only your own shifts."))
    form = SwapForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            roster.swap_request(shift=shift, by=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Swap requested: a manager of the account decides."))
            return redirect("roster:mine")
    return render(request, "roster/swap.html", {"shift": shift, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def swap_decide(request, swap_id: int, decision: str):
    swap = get_object_or_404(ShiftSwap.objects.select_related("shift__account"), pk=swap_id)
    account_require(request.user, swap.shift.account, Action.VIEW)
    service = {"approve": roster.swap_approve, "refuse": roster.swap_refuse, "cancel": roster.swap_cancel}[decision]
    try:
        service(swap=swap, by=request.user, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, {"approve": _("Swap approved: the shift moved."), "refuse": _("Swap refused."),
                                   "cancel": _("Swap request cancelled.")}[decision])
    if decision == "cancel":
        return redirect("roster:mine")
    return redirect(_week_url(week_start(timezone.localdate(swap.shift.starts_at))))


@login_required
def now(request):
    accounts = list(accounts_for(request.user).order_by("brand__name", "name"))
    return render(request, "roster/now.html", {"rows": on_duty_rows(accounts=accounts), "at": timezone.now()})


@login_required
def mine(request):
    shifts = shifts_upcoming(person=request.user)
    open_swaps = {s.shift_id: s for s in ShiftSwap.objects.filter(
        shift__in=[s.pk for s in shifts], state="requested").select_related("to_person")}
    return render(request, "roster/mine.html", {"shifts": [(s, open_swaps.get(s.pk)) for s in shifts],
                                                "now": timezone.now()})
