from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from content import selectors as content_selectors
from fans import selectors as fans_selectors
from positioning import selectors as positioning_selectors
from sentiment import selectors as sentiment_selectors
from team import selectors as team_selectors
from team.models import Role
from team.permissions import audit_view_allowed
from team.roster import on_duty_rows

from . import selectors

RECENT_EVENTS = 12  # changes shown on the dashboard
ATTENTION_NAMES = 12  # accounts named per kind of problem; a 150-account matrix lists the rest as a count


def attention_groups(items) -> list[dict]:
    """One line per kind of problem, naming the accounts it concerns."""
    groups: dict[tuple[str, str], list] = {}
    for item in items:
        groups.setdefault((str(item.message), item.url_name), []).append(item.account)
    return [
        {"message": message, "url_name": url_name, "accounts": accounts[:ATTENTION_NAMES],
         "more": max(0, len(accounts) - ATTENTION_NAMES), "count": len(accounts)}
        for (message, url_name), accounts in groups.items()
    ]


def _fan_rates(user) -> dict[str, list[dict]]:
    """The last 7 days' response and resolution rates per account and per person (3 queries)."""
    rates = fans_selectors.rates(user=user)
    return {key: fans_selectors.rate_rows(rates[key]) for key in ("accounts", "people")}


@login_required
def dashboard(request):
    """What needs this person today, across the accounts they work on."""
    user = request.user
    accounts = positioning_selectors.my_accounts(user=user)
    account_ids = [row.account.pk for row in accounts]
    desk_open = selectors.desk_open_count(user=user)
    return render(request, "reports/dashboard.html", {
        "accounts": accounts,
        "attention": attention_groups(item for row in accounts for item in row.attention),
        "recent": list(team_selectors.audit_list(account_ids=None if user.is_org_wide else account_ids)
                       [:RECENT_EVENTS]),
        "can_read_audit": audit_view_allowed(user),
        "content": content_selectors.content_today(user=user),
        "fans": fans_selectors.fans_today(user=user) if user.is_org_wide or account_ids else None,
        "fan_rates": _fan_rates(user) if user.is_org_wide or account_ids else None,
        "monitoring": sentiment_selectors.monitoring_today(user=user),
        "desk_open": desk_open,
        "show_desk": desk_open is not None and (desk_open > 0 or user.role == Role.DEPT_CONTACT),
        "on_duty": [row for row in on_duty_rows(accounts=[row.account for row in accounts])
                    if row.inbox or row.monitoring][:ATTENTION_NAMES],
    })
