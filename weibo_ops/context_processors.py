"""What every page's layout needs: the navigation of the nine duties."""

from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# The nine duties of a Weibo operation (DOMAIN.md), in the order people think of them. A duty
# whose pages have not landed yet is shown greyed out, so the map of the product stays whole.
DUTIES = [
    ("positioning", _("Positioning"), "positioning:matrix"),
    ("content", _("Content"), "content:calendar"),
    ("campaigns", _("Campaigns"), "campaigns:list"),
    ("fans", _("Fan interaction"), "fans:inbox"),
    ("sentiment", _("Opinion monitoring"), "sentiment:overview"),
    ("team", _("Team"), "team:people"),
    ("reports", _("Data"), "reports:overview"),
    ("promotion", _("Promotion"), "promotion:channels"),
    ("partnerships", _("Partnerships"), "partnerships:list"),
]


def _allowed(key: str, user) -> bool:
    """An app whose pages are not for everyone says who may open them with ``menu_allows(user)`` on its
    AppConfig (the same check its views make); weibo_ops imports no app, so it asks the app registry."""
    check = getattr(apps.get_app_config(key), "menu_allows", None)
    return check is None or check(user)


def _url_name(key: str, url_name: str, user) -> str:
    """An app may send some people elsewhere than its first page (``menu_url_name(user)`` on its AppConfig),
    so the menu links straight where they land."""
    pick = getattr(apps.get_app_config(key), "menu_url_name", None)
    return (pick(user) if pick is not None else None) or url_name


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = request.resolver_match.namespace if request.resolver_match else ""
    items = []
    for key, label, url_name in DUTIES:
        if not _allowed(key, request.user):
            continue
        try:
            url = reverse(_url_name(key, url_name, request.user))
        except NoReverseMatch:
            url = None
        items.append({"key": key, "label": label, "url": url, "active": key == current})
    return {"nav_duties": items}
