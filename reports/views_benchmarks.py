"""The benchmark page: the brand's accounts and its peers side by side for a period, the best peer per figure
marked, with a link to set a target from it; managers name peers and import figures here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from positioning import benchmarks
from positioning.access import accounts_for, brand_manage_allowed
from positioning.models import Brand
from positioning.selectors import BENCHMARK_FIGURES, benchmark_table
from weibo_ops.requests import client_ip

from .forms_benchmarks import CsvForm, PeerForm, PeriodForm

FIGURE_LABELS = {
    "followers": gettext_lazy("followers"), "followers_gained": gettext_lazy("followers gained"),
    "posts_per_day": gettext_lazy("posts per day"), "interactions_per_post": gettext_lazy("interactions per post"),
}


def _brand(request) -> Brand:
    brand_id = request.GET.get("brand") or request.POST.get("brand")
    if brand_id and str(brand_id).isdigit():
        return get_object_or_404(Brand, pk=brand_id)
    brand = Brand.objects.order_by("pk").first()
    if brand is None:
        raise PermissionDenied(_("No brand yet: add one first."))
    return brand


def _scorecard_url() -> str | None:
    """Where targets are set (tk's scorecard); None until that page exists in this build."""
    try:
        return reverse("reports:scorecard")
    except NoReverseMatch:
        return None


def _context(request, brand: Brand, period: PeriodForm, span: dict, **forms) -> dict:
    rows = benchmark_table(brand=brand, start=span["start"], end=span["end"])
    visible = set(accounts_for(request.user).filter(brand=brand).values_list("pk", flat=True))
    rows = [r for r in rows if r.is_peer or r.subject_id in visible]  # own accounts: only those the person sees
    best = {figure: next((r for r in rows if figure in r.best), None) for figure in BENCHMARK_FIGURES}
    manage = brand_manage_allowed(request.user)
    return {
        "brand": brand, "brands": Brand.objects.order_by("name"), "period": period, "span": span,
        "own_rows": [r for r in rows if not r.is_peer], "peer_rows": [r for r in rows if r.is_peer],
        "best": [(FIGURE_LABELS[f], best[f], f) for f in BENCHMARK_FIGURES], "scorecard_url": _scorecard_url(),
        "can_manage": manage,
        "peer_form": forms.get("peer_form") or (PeerForm() if manage else None),
        "csv_form": forms.get("csv_form") or (CsvForm() if manage else None),
    }


@login_required
def benchmarks_page(request):
    brand = _brand(request)
    period = PeriodForm(request.GET if "start" in request.GET else None, initial=PeriodForm.initial_period())
    span = period.cleaned_data if period.is_bound and period.is_valid() else PeriodForm.initial_period()
    return render(request, "reports/benchmarks.html", _context(request, brand, period, span),
                  status=400 if period.is_bound and period.errors else 200)


@login_required
@require_POST
def peer_add(request):
    if not brand_manage_allowed(request.user):
        raise PermissionDenied(_("Only managers and administrators name peers and import their figures."))
    brand = _brand(request)
    form = PeerForm(request.POST)
    if form.is_valid():
        try:
            peer = benchmarks.peer_create(brand=brand, by=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s is now a peer of %(brand)s.") % {"name": peer.name,
                                                                                   "brand": brand.name})
            return redirect(f"{reverse('reports:benchmarks')}?brand={brand.pk}")
    return _again(request, brand, peer_form=form)


@login_required
@require_POST
def peer_import(request):
    if not brand_manage_allowed(request.user):
        raise PermissionDenied(_("Only managers and administrators name peers and import their figures."))
    brand = _brand(request)
    form = CsvForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            done = benchmarks.benchmark_csv_import(brand=brand, text=form.cleaned_data["file"], by=request.user,
                                                   ip=client_ip(request))
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            messages.success(request, _("Imported %(created)s new days and replaced %(updated)s.")
                             % {"created": done.created, "updated": done.updated})
            return redirect(f"{reverse('reports:benchmarks')}?brand={brand.pk}")
    return _again(request, brand, csv_form=form)


def _again(request, brand, **forms):
    """The page again with the refused form and its errors (status 400)."""
    span = PeriodForm.initial_period()
    return render(request, "reports/benchmarks.html", _context(request, brand, PeriodForm(initial=span), span, **forms),
                  status=400)
