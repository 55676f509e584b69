"""The campaign report page and its spreadsheet: they read ``campaigns.report`` and render, nothing more.

A campaign the person may not see is a 404, as everywhere else (its existence is not told)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .access import campaign_manage_allowed, campaigns_for
from .report import XLSX_TYPE, campaign_report, report_rows, report_xlsx


def _campaign(request, pk: int):
    return get_object_or_404(campaigns_for(request.user), pk=pk)


@login_required
@require_GET
def report(request, pk: int):
    found = campaign_report(campaign=_campaign(request, pk))
    return render(request, "campaigns/report.html", {
        "campaign": found.campaign, "report": found, "rows": report_rows(found),
        "may_manage": campaign_manage_allowed(request.user, found.campaign)})


@login_required
@require_GET
def report_spreadsheet(request, pk: int):
    found = campaign_report(campaign=_campaign(request, pk))
    response = HttpResponse(report_xlsx(found), content_type=XLSX_TYPE)
    stamp = timezone.localtime(found.now).strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="campaign-{found.campaign.pk}-report-{stamp}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
