from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from team.models import Department, User
from team.selectors import audit_list
from weibo_ops.weibo.budget import BudgetStatus, account_scope, default_budget

from .access import ACTION_LABELS, Action, accounts_for, actions_on
from .models import Account, AccountMember, Brand, ConnectionState, PlaybookVersion, TargetCircle, WeiboConnection

RECENT_CHANGES = 10  # audit rows shown on an account page


def _count(model, **outer) -> Subquery:
    """A correlated COUNT(*) subquery: unlike a join, it cannot multiply rows or be narrowed by
    a filter on the same relation."""
    rows = model.objects.filter(**{k: OuterRef(v) for k, v in outer.items()}).order_by().values(*outer)
    return Subquery(rows.annotate(n=Count("*")).values("n"), output_field=IntegerField())


def matrix(*, user: User) -> QuerySet[Account]:
    """The accounts this person can see, with what the matrix page shows of each."""
    latest = PlaybookVersion.objects.filter(account=OuterRef("pk")).order_by("-number").values("number")[:1]
    weibo_state = WeiboConnection.objects.filter(account=OuterRef("pk")).values("state")[:1]
    return (
        accounts_for(user, Action.VIEW)
        .annotate(
            playbook_number=Subquery(latest),
            weibo_state=Subquery(weibo_state),
            members_count=Coalesce(_count(AccountMember, account="pk"), 0),
            circles_count=Coalesce(_count(TargetCircle, account="pk"), 0),
        )
        .order_by("brand__name", "name")
    )


def brand_list() -> QuerySet[Brand]:
    return Brand.objects.annotate(accounts_count=Count("accounts"))


def playbook_current(*, account: Account) -> PlaybookVersion | None:
    return (
        PlaybookVersion.objects.filter(account=account)
        .select_related("created_by")
        .prefetch_related("approvers")
        .order_by("-number")
        .first()
    )


def playbook_versions(*, account: Account) -> QuerySet[PlaybookVersion]:
    return PlaybookVersion.objects.filter(account=account).select_related("created_by").order_by("-number")


def account_members(*, account: Account) -> QuerySet[AccountMember]:
    return AccountMember.objects.filter(account=account).select_related("user", "user__department")


@dataclass
class AccountDetail:
    account: Account
    circles: list
    members: list
    playbook: PlaybookVersion | None
    versions: list
    recent_changes: list
    weibo: WeiboConnection | None
    budget: BudgetStatus


def weibo_budget(*, account: Account) -> BudgetStatus:
    """What is left of the account's hourly Weibo budgets (calls, posts, comments, messages)."""
    return default_budget().status(account_scope(account.pk))


def weibo_connection(*, account: Account) -> WeiboConnection | None:
    return WeiboConnection.objects.filter(account=account).first()


def account_detail(*, account: Account) -> AccountDetail:
    return AccountDetail(
        account=account,
        circles=list(account.circles.all()),
        members=list(account_members(account=account)),
        playbook=playbook_current(account=account),
        versions=list(playbook_versions(account=account)[:20]),
        recent_changes=list(audit_list(account_ids=[account.pk])[:RECENT_CHANGES]),
        weibo=weibo_connection(account=account),
        budget=weibo_budget(account=account),
    )


def handover(*, account: Account) -> dict[str, Any]:
    """Everything a stand-in needs to run the account for a day, in one place."""
    detail = account_detail(account=account)
    return {
        "detail": detail,
        "escalation_departments": list(Department.objects.order_by("name")),
        "org_contacts": list(User.objects.filter(is_active=True, role__in=["manager", "pr"]).order_by("role")),
    }


DIFF_FIELDS = [
    ("content_mix", _("content mix per day")),
    ("time_slots", _("posting time slots")),
    ("reply_within_hours", _("reply to every @ and comment within (hours)")),
    ("resolve_within_hours", _("resolve every complaint and question within (hours)")),
    ("replies_need_approval", _("fan replies need approval")),
    ("interaction_rules", _("interaction rules")),
    ("escalation_rules", _("escalation rules")),
    ("forbidden_words", _("forbidden words")),
    ("approval_required", _("posts need approval")),
    ("approval_mode", _("approval by")),
    ("approval_target_minutes", _("approval target (minutes)")),
]


def playbook_diff(*, old: PlaybookVersion | None, new: PlaybookVersion) -> list[dict[str, Any]]:
    """The fields that differ between two versions, for the version page."""
    rows = []
    for field, label in DIFF_FIELDS:
        before = getattr(old, field) if old else None
        after = getattr(new, field)
        if before != after:
            rows.append({"label": label, "before": before, "after": after})
    old_approvers = {str(u) for u in old.approvers.all()} if old else set()
    new_approvers = {str(u) for u in new.approvers.all()}
    if old_approvers != new_approvers:
        rows.append({"label": _("approvers"), "before": sorted(old_approvers), "after": sorted(new_approvers)})
    return rows


@dataclass
class AttentionItem:
    account: Account
    message: str
    url_name: str


@dataclass
class MyAccount:
    account: Account
    actions: set
    playbook: PlaybookVersion | None
    attention: list[AttentionItem]

    @property
    def action_labels(self) -> list[str]:
        return [ACTION_LABELS[action] for action in Action if action in self.actions]


def my_accounts(*, user: User) -> list[MyAccount]:
    """The person's accounts with what they may do and what needs doing on each. A fixed number
    of queries whatever the number of accounts."""
    accounts = list(matrix(user=user).filter(is_active=True))
    latest: dict[int, PlaybookVersion] = {}
    for version in (
        PlaybookVersion.objects.filter(account__in=accounts).select_related("created_by")
        .prefetch_related("approvers").order_by("account_id", "-number")
    ):
        latest.setdefault(version.account_id, version)
    rows = []
    for account in accounts:
        actions = actions_on(user, account)
        playbook = latest.get(account.pk)
        attention: list[AttentionItem] = []
        if account.weibo_state == ConnectionState.NEEDS_REAUTH:
            attention.append(AttentionItem(
                account, _("Needs re-authorisation on Weibo: its posts, replies and monitoring are paused."),
                "positioning:account"))
        elif account.weibo_state != ConnectionState.CONNECTED and Action.MANAGE in actions:
            attention.append(AttentionItem(account, _("Not connected to Weibo."), "positioning:account"))
        if Action.MANAGE in actions:
            if playbook is None:
                attention.append(AttentionItem(
                    account, _("No playbook yet: a stand-in would not know the rules."), "positioning:playbook_edit"))
            else:
                gone = [str(u) for u in playbook.approvers.all() if not u.is_active]
                if gone:
                    attention.append(AttentionItem(
                        account, _("Approvers who have left: %(names)s") % {"names": ", ".join(gone)},
                        "positioning:playbook_edit"))
            if account.owner_id is None:
                attention.append(AttentionItem(account, _("No owner."), "positioning:account_edit"))
            if not account.circles_count:
                attention.append(AttentionItem(account, _("No target circle."), "positioning:account"))
        rows.append(MyAccount(account=account, actions=actions, playbook=playbook, attention=attention))
    return rows
