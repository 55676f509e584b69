from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from positioning import selectors as positioning_selectors
from team import selectors as team_selectors
from team.permissions import audit_view_allowed

RECENT_EVENTS = 12  # changes shown on the dashboard


@login_required
def dashboard(request):
    """What needs this person today, across the accounts they work on."""
    user = request.user
    accounts = positioning_selectors.my_accounts(user=user)
    account_ids = [row.account.pk for row in accounts]
    return render(request, "reports/dashboard.html", {
        "accounts": accounts,
        "attention": [item for row in accounts for item in row.attention],
        "recent": list(team_selectors.audit_list(account_ids=None if user.is_org_wide else account_ids)
                       [:RECENT_EVENTS]),
        "can_read_audit": audit_view_allowed(user),
    })
