"""Who may do what in opinion monitoring. Monitoring is per brand: a person sees a brand's mentions when
they may see one of its accounts. Keyword groups, alert settings and incidents belong to PR: PR people
(role PR) and managers handle them; whoever may manage one of the brand's accounts may edit its groups and import
files, but the brand-wide settings (thresholds, the alert webhook) stay with PR and managers."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from positioning.access import Action, accounts_for
from positioning.models import Brand
from team.models import Role, User


class Can(StrEnum):
    VIEW = "view"  # mentions, trends, alerts, incidents, cascades; correct a sentiment; report a post
    RULES = "rules"  # keyword groups, imports
    SETTINGS = "settings"  # the brand-wide monitoring settings: thresholds, grades, the alert webhook
    RESPOND = "respond"  # open, type, grade and close incidents; draft statements; tick checklist steps


def brands_for(user: User, can: Can = Can.VIEW) -> QuerySet[Brand]:
    if not user.is_authenticated or not user.is_active:
        return Brand.objects.none()
    if user.is_org_wide or (user.role == Role.PR and can != Can.RULES):
        return Brand.objects.all()
    if can == Can.RULES:
        if user.role == Role.PR:
            return Brand.objects.all()
        return Brand.objects.filter(pk__in=accounts_for(user, Action.MANAGE).values("brand_id")).distinct()
    if can in (Can.RESPOND, Can.SETTINGS):
        return Brand.objects.none()
    return Brand.objects.filter(pk__in=accounts_for(user).values("brand_id")).distinct()


def settings_allowed(user: User) -> bool:
    """The brand-wide monitoring settings (the alert webhook among them) are PR's and managers', never those of
    someone who manages one account: the same answer for every brand, without a query."""
    return bool(user.is_authenticated and user.is_active and (user.is_org_wide or user.role == Role.PR))


def monitoring_allows(user: User, brand: Brand, can: Can = Can.VIEW) -> bool:
    cache = user.__dict__.setdefault("_monitoring_brands", {})
    if can not in cache:
        cache[can] = set(brands_for(user, can).values_list("pk", flat=True))
    return brand.pk in cache[can]


MESSAGES = {
    Can.VIEW: gettext_noop("You may not see the monitoring of %(brand)s: ask a manager for access to one of "
                           "its accounts."),
    Can.RULES: gettext_noop("Only PR, managers and those who manage one of %(brand)s's accounts may change its "
                            "monitoring."),
    Can.SETTINGS: gettext_noop("Only PR people and managers change %(brand)s's monitoring settings."),
    Can.RESPOND: gettext_noop("Only PR people and managers handle %(brand)s's incidents."),
}


def monitoring_require(user: User, brand: Brand, can: Can = Can.VIEW) -> None:
    if not monitoring_allows(user, brand, can):
        raise PermissionDenied(_(MESSAGES[can]) % {"brand": brand.name})
