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
    """{account_id: actions} for a person who is not org-wide; read once per request. On an
    inactive account, those with access may only look."""
    cached = getattr(user, "_account_actions", None)
    if cached is None:
        cached = {}
        for grant in AccountMember.objects.filter(user=user).select_related("account"):
            cached[grant.account_id] = grant_actions(grant) if grant.account.is_active else {Action.VIEW}
        for account_id, active in Account.objects.filter(owner=user).values_list("id", "is_active"):
            cached[account_id] = set(Action) if active else {Action.VIEW}
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
    accounts = accounts.filter(Q(owner=user) | Q(pk__in=grants.values("account_id")))
    return accounts if action == Action.VIEW else accounts.filter(is_active=True)


def people_who_may(account: Account, action: Action) -> QuerySet[User]:
    """The active people who may do ``action`` on ``account``: for approver lists and the like."""
    people = Q(is_superuser=True) | Q(role__in=[Role.MANAGER, Role.ADMIN])
    if account.is_active:
        grant = AccountMember.objects.filter(account=account)
        if action != Action.VIEW:
            grant = grant.filter(**{GRANT_FIELDS[action]: True})
        people |= Q(pk__in=grant.values("user_id")) | Q(pk=account.owner_id or 0)
    return User.objects.filter(people, is_active=True).order_by("username")


# Who owns an account, which brand it belongs to and whether it is active change the matrix
# itself: only managers and administrators do that, even where an owner may edit the rest.
STRUCTURE_FIELDS = ("brand", "owner", "is_active")


def account_structure_change_allowed(user: User) -> bool:
    return user.is_authenticated and user.is_org_wide


def grant_change_require(by: User, account: Account, person: User, actions: set[Action] | None) -> None:
    """May ``by`` give ``person`` exactly ``actions`` on ``account`` (``None``: take the grant
    away)? Managers may give anything. Someone who manages one account may give its people the
    everyday rights of their role, but not approve or manage, and may not change their own
    access: otherwise one person could approve their own posts."""
    account_require(by, account, Action.MANAGE)
    if by.is_org_wide:
        return
    if person.pk == by.pk:
        raise PermissionDenied(_("You cannot change your own access. Ask a manager."))
    existing = AccountMember.objects.filter(account=account, user=person).first()
    granted = set(actions or ()) | (grant_actions(existing) if existing else set())
    reserved = granted & {Action.APPROVE, Action.MANAGE}
    if reserved:
        raise PermissionDenied(
            _("Only a manager can give or take the “%(action)s” permission.")
            % {"action": ACTION_LABELS[sorted(reserved)[0]]})
    beyond = set(actions or ()) - ROLE_DEFAULTS.get(person.role, set())
    if beyond:
        raise PermissionDenied(
            _("%(name)s is a %(role)s: only a manager can give them “%(action)s”.")
            % {"name": person, "role": person.get_role_display(), "action": ACTION_LABELS[sorted(beyond)[0]]})


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
