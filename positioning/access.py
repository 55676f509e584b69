"""Who may do what on which matrix account: the one place that decides it.

Pages call ``account_require`` (or use ``account_view``), API views use ``AccountPermission``,
lists use ``accounts_for``. Managers and administrators may do everything on every account; the
account's owner may do everything on it; everyone else may do what their ``AccountMember`` row
grants, and nothing on an account where they have none.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from team.models import Role, User

from .models import Account, AccountMember


class Action(StrEnum):
    VIEW = "view"
    DRAFT = "draft"
    APPROVE = "approve"
    PUBLISH = "publish"
    REPLY = "reply"
    MANAGE = "manage"  # edit the account's positioning, playbook and members


GRANT_FIELDS = {
    Action.DRAFT: "can_draft",
    Action.APPROVE: "can_approve",
    Action.PUBLISH: "can_publish",
    Action.REPLY: "can_reply",
    Action.MANAGE: "can_manage",
}

# What a new grant allows by default, by the person's role; the grant can then be changed.
ROLE_DEFAULTS: dict[str, set[Action]] = {
    Role.OPERATOR: {Action.DRAFT, Action.PUBLISH, Action.REPLY},
    Role.REVIEWER: {Action.APPROVE},
    Role.CS_AGENT: {Action.REPLY},
    Role.PR: {Action.DRAFT, Action.APPROVE, Action.REPLY},
    Role.DEPT_CONTACT: set(),
    Role.MANAGER: set(GRANT_FIELDS),
    Role.ADMIN: set(GRANT_FIELDS),
}

ACTION_LABELS = {
    Action.VIEW: gettext_lazy("view"),
    Action.DRAFT: gettext_lazy("draft"),
    Action.APPROVE: gettext_lazy("approve"),
    Action.PUBLISH: gettext_lazy("publish"),
    Action.REPLY: gettext_lazy("reply"),
    Action.MANAGE: gettext_lazy("manage"),
}


def grant_actions(grant: AccountMember) -> set[Action]:
    """Any grant lets its holder see the account."""
    return {Action.VIEW} | {action for action, field in GRANT_FIELDS.items() if getattr(grant, field)}


def _account_actions(user: User) -> dict[int, set[Action]]:
    """{account_id: actions} for a person who is not org-wide; read once per request."""
    cached = getattr(user, "_account_actions", None)
    if cached is None:
        cached = {}
        for grant in AccountMember.objects.filter(user=user, account__is_active=True):
            cached[grant.account_id] = grant_actions(grant)
        for account_id in Account.objects.filter(owner=user).values_list("id", flat=True):
            cached[account_id] = set(Action)
        user._account_actions = cached
    return cached


def actions_on(user: User, account: Account) -> set[Action]:
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_org_wide:
        return set(Action)
    return _account_actions(user).get(account.pk, set())


def account_allows(user: User, account: Account, action: Action) -> bool:
    return action in actions_on(user, account)


def account_require(user: User, account: Account, action: Action) -> None:
    if not account_allows(user, account, action):
        raise PermissionDenied(
            _(
                "You do not have the “%(action)s” permission on the account %(account)s. "
                "Ask its owner or a manager for access."
            )
            % {"action": ACTION_LABELS[action], "account": account.name}
        )


def accounts_for(user: User, action: Action = Action.VIEW) -> QuerySet[Account]:
    accounts = Account.objects.select_related("brand", "owner")
    if not user.is_authenticated or not user.is_active:
        return accounts.none()
    if user.is_org_wide:
        return accounts
    grants = AccountMember.objects.filter(user=user)
    if action != Action.VIEW:
        grants = grants.filter(**{GRANT_FIELDS[action]: True})
    # A subquery rather than a join: no duplicate rows to remove, and annotations on the result
    # count all of an account's rows, not only this person's grant.
    return accounts.filter(Q(owner=user) | Q(pk__in=grants.values("account_id")))


def account_create_allowed(user: User) -> bool:
    return user.is_authenticated and user.is_org_wide


def brand_manage_allowed(user: User) -> bool:
    return user.is_authenticated and user.is_org_wide


def account_view(action: Action) -> Callable:
    """Decorator for page views taking ``account_id``: loads the account, checks ``action``, and
    passes the account on as ``account``; 404 when there is no such account, 403 when the person
    may not."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, account_id: int, *args, **kwargs):
            account = get_object_or_404(Account.objects.select_related("brand", "owner"), pk=account_id)
            account_require(request.user, account, action)
            return view(request, *args, account=account, **kwargs)

        return wrapper

    return decorator


class AccountPermission(BasePermission):
    """DRF: reading needs VIEW on the account, writing needs MANAGE. A view may set
    ``account_action`` to ask for another action on writes."""

    def has_object_permission(self, request, view, obj) -> bool:
        account = obj if isinstance(obj, Account) else obj.account
        if request.method in ("GET", "HEAD", "OPTIONS"):
            action = Action.VIEW
        else:
            action = getattr(view, "account_action", Action.MANAGE)
        if not account_allows(request.user, account, action):
            self.message = _("You do not have the “%(action)s” permission on the account %(account)s.") % {
                "action": ACTION_LABELS[action], "account": account.name}
            return False
        return True
