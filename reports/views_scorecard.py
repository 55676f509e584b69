"""The scorecard page: KPI figures of the brand, one account or one person, beside their targets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from team.kpi_targets import kpi_target_create, kpi_target_delete, kpi_target_set_allowed, kpi_target_update
from team.models import KpiTarget
from weibo_ops.requests import client_ip

from .forms import ScorecardForm, TargetForm, month_bounds
from .kpis import scorecard, scorecard_allowed


def _target_save(request, *, scope: dict) -> None:
    """Sets, changes or (an empty value) removes the target of exactly the shown scope and period."""
    form = TargetForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return
    kpi, value = form.cleaned_data["kpi"], form.cleaned_data["value"]
    existing = KpiTarget.objects.filter(kpi=kpi, **scope).first()
    try:
        if existing is not None and value is None:
            kpi_target_delete(target=existing, by=request.user, ip=client_ip(request))
            messages.success(request, _("Target removed."))
        elif existing is not None:
            kpi_target_update(target=existing, by=request.user, ip=client_ip(request), value=value)
            messages.success(request, _("Target saved."))
        elif value is not None:
            kpi_target_create(by=request.user, ip=client_ip(request), kpi=kpi, value=value, **scope)
            messages.success(request, _("Target saved."))
    except PermissionDenied as error:
        messages.error(request, str(error))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_page(request):
    form = ScorecardForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():  # a choice not offered to this person, or a bad period
        return render(request, "reports/scorecard/page.html", {"form": form, "figures": None})
    if form.is_bound:
        data = form.cleaned_data
    else:
        start, end = month_bounds(timezone.localdate())
        data = {"brand": form.fields["brand"].queryset.first(), "account": None, "person": None,
                "start": start, "end": end}
        if not request.user.is_org_wide:  # someone with accounts starts on their first one; else on themselves
            data["account"] = form.fields["account"].queryset.first()
            data["person"] = None if data["account"] else request.user
            data["brand"] = data["account"].brand if data["account"] else data["brand"]
    brand, account, person = data["brand"], data["account"], data["person"]
    if brand is None:
        return render(request, "reports/scorecard/page.html", {"form": form, "figures": None})
    if not scorecard_allowed(request.user, brand=brand, account=account, person=person):
        raise PermissionDenied(_("You may see your own scorecard and those of the accounts you work on."))
    scope = {"brand": brand, "account": account, "person": person, "start": data["start"], "end": data["end"]}
    if request.method == "POST":
        _target_save(request, scope=scope)
        return redirect(request.get_full_path())
    return render(request, "reports/scorecard/page.html", {
        "form": form, "brand": brand, "account": account, "person": person, "start": data["start"],
        "end": data["end"], "figures": scorecard(brand=brand, account=account, person=person, start=data["start"],
                                                 end=data["end"]),
        "can_set": kpi_target_set_allowed(request.user, account=account, person=person) if account or person
        else request.user.is_org_wide,
    })
