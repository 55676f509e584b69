"""Pages for absences, handovers and the workload: they validate, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip

from . import handover as services
from . import selectors_work as selectors
from .forms_handover import AbsenceForm, HandoverApplyForm, RebalanceForm
from .models import Handover, HandoverState, User
from .work import work_sources

ABSENCES_SHOWN = 100  # most recent absences on the page


@login_required
@require_http_methods(["GET", "POST"])
def absences(request):
    can_manage = request.user.is_org_wide
    form = AbsenceForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Only managers and administrators mark people absent."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                handover = services.absence_mark(person=data["person"], kind=data["kind"], starts_on=data["starts_on"],
                                                 ends_on=data["ends_on"], note=data["note"], to=data["to_person"],
                                                 by=request.user, ip=client_ip(request))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Recorded. Review the handover of %(person)s's open work.")
                                 % {"person": data["person"]})
                return redirect("team:handover", handover.pk)
    return render(request, "team/handover/absences.html", {
        "absences": list(selectors.absence_list(user=request.user)[:ABSENCES_SHOWN]),
        "handovers": list(selectors.handover_list(user=request.user)[:ABSENCES_SHOWN]),
        "form": form, "can_manage": can_manage,
    }, status=400 if form is not None and form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def handover(request, handover_id: int):
    handover = get_object_or_404(Handover.objects.select_related("from_person", "to_person", "absence"),
                                 pk=handover_id)
    if not selectors.handover_view_allowed(request.user, handover):
        raise PermissionDenied(_("Only managers and the two people concerned see a handover."))
    can_manage = request.user.is_org_wide
    form = None
    if handover.state == HandoverState.PROPOSED and can_manage:
        form = HandoverApplyForm(request.POST or None, initial={"to_person": handover.to_person_id,
                                                                "checklist": handover.checklist})
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only managers and administrators apply a proposed handover."))
        if form.is_valid():
            try:
                services.handover_apply(handover=handover, by=request.user, to=form.cleaned_data["to_person"],
                                        checklist=form.cleaned_data["checklist"], ip=client_ip(request))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The work is with %(person)s now.")
                                 % {"person": form.cleaned_data["to_person"]})
                return redirect("team:handover", handover.pk)
    return render(request, "team/handover/handover.html", {
        "handover": handover, "form": form, "can_manage": can_manage, **selectors.handover_review(handover=handover),
    }, status=400 if form is not None and form.errors else 200)


@login_required
@require_POST
def handover_undo(request, handover_id: int):
    handover = get_object_or_404(Handover, pk=handover_id)
    if not request.user.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators undo a handover."))
    try:
        move = services.handover_undo(handover=handover, by=request.user, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(back)d items went back; %(kept)d stayed with the stand-in (see below why).")
                         % {"back": len(move.moved), "kept": len(move.kept)})
    return redirect("team:handover", handover.pk)


@login_required
@require_http_methods(["GET", "POST"])
def workload(request):
    """Managers see everyone's open work and move it; a person sees their own."""
    can_manage = request.user.is_org_wide
    form = RebalanceForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Only managers and administrators move other people's work."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = services.work_rebalance(from_person=data["from_person"], kind=data["kind"],
                                                to=data["to_person"], by=request.user, ip=client_ip(request))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(n)d items moved from %(from)s to %(to)s.")
                                 % {"n": moved, "from": data["from_person"], "to": data["to_person"]})
                return redirect("team:workload")
    people = list(User.objects.filter(is_active=True).order_by("username")) if can_manage else [request.user]
    return render(request, "team/handover/workload.html", {
        "rows": selectors.workload(people=people), "sources": work_sources(), "buckets": selectors.AGE_BUCKETS,
        "form": form, "can_manage": can_manage,
    }, status=400 if form is not None and form.errors else 200)
