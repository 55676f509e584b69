"""The campaign report page and its spreadsheet: they read ``campaigns.report`` and render, nothing more.

Who sees them is who sees the campaign's Weibo side on the other pages (``selectors.sees_weibo_side``): the
Weibo team on its accounts, managers and the lead; a department contact sees the plan, not the report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors
from .access import campaign_view_require
from .models import Campaign
from .report import XLSX_TYPE, campaign_report, report_rows, report_xlsx


def _campaign(request, pk: int) -> Campaign:
    campaign = get_object_or_404(Campaign.objects.select_related("brand", "lead"), pk=pk)
    campaign_view_require(request.user, campaign)
    if not selectors.sees_weibo_side(request.user, campaign):
        raise PermissionDenied(_("This part of the campaign is for the Weibo team. Your tasks are under “My "
                                 "tasks”."))
    return campaign


@login_required
@require_GET
def report(request, pk: int):
    campaign = _campaign(request, pk)
    found = campaign_report(campaign=campaign)
    return render(request, "campaigns/report.html", {
        "campaign": campaign, "report": found, "rows": report_rows(found),
        "can": selectors.campaign_access(request.user, campaign)})


@login_required
@require_GET
def report_spreadsheet(request, pk: int):
    found = campaign_report(campaign=_campaign(request, pk))
    response = HttpResponse(report_xlsx(found), content_type=XLSX_TYPE)
    stamp = timezone.localtime(found.now).strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="campaign-{found.campaign.pk}-report-{stamp}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
