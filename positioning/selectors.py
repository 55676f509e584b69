from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from team.models import Department, User
from team.selectors import audit_list
from weibo_ops.weibo.budget import BudgetStatus, account_scope, default_budget

from .access import ACTION_LABELS, Action, accounts_for, actions_on
from .models import (
    Account,
    AccountMember,
    BenchmarkSnapshot,
    Brand,
    ConnectionState,
    PeerAccount,
    PlaybookVersion,
    TargetCircle,
    WeiboConnection,
)

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


# --- Peer benchmarks ---------------------------------------------------------------------------------------------
@dataclass
class BenchmarkRow:
    """One account's or peer's figures over a period (``benchmark_table``)."""

    name: str
    is_peer: bool
    subject_id: int
    followers: int | None = None  # at the last day of the period with a snapshot
    followers_gained: int | None = None
    posts_per_day: float | None = None
    interactions_per_post: float | None = None
    days: int = 0  # days of the period with a snapshot
    best: set = dataclass_field(default_factory=set)  # figures on which this peer is the best peer


BENCHMARK_FIGURES = ("followers", "followers_gained", "posts_per_day", "interactions_per_post")


def _figures(row: BenchmarkRow, before, snapshots: list) -> BenchmarkRow:
    """Formulas, as the page explains them:
    followers = at the last snapshot of the period; followers gained = that − followers on the day before the period
    (or at its first snapshot when that day has none); posts per day = posts ÷ days with a post count;
    interactions per post = Σ(posts × interactions per post) ÷ Σ posts over the days where both are known."""
    if not snapshots:
        return row
    row.days = len(snapshots)
    row.followers = snapshots[-1].followers
    base = before.followers if before is not None else snapshots[0].followers
    row.followers_gained = row.followers - base
    counted = [s.posts for s in snapshots if s.posts is not None]
    row.posts_per_day = sum(counted) / len(counted) if counted else None
    weighed = [(s.posts, s.interactions_per_post) for s in snapshots
               if s.posts is not None and s.interactions_per_post is not None]
    posts = sum(p for p, _ in weighed)
    row.interactions_per_post = sum(p * ipp for p, ipp in weighed) / posts if posts else None
    return row


def benchmark_table(*, brand: Brand, start: date, end: date) -> list[BenchmarkRow]:
    """The brand's active accounts, then its active peers, with their figures from ``start`` to ``end``
    (inclusive); the best peer per figure is marked in ``best`` (3 queries)."""
    accounts = list(Account.objects.filter(brand=brand, is_active=True).order_by("name"))
    peers = list(PeerAccount.objects.filter(brand=brand, is_active=True).order_by("name"))
    snapshots = (BenchmarkSnapshot.objects
                 .filter(Q(account__brand=brand) | Q(peer__brand=brand), day__gte=start - timedelta(days=1),
                         day__lte=end).order_by("day"))
    by_subject: dict[tuple[str, int], list] = {}
    for snap in snapshots:
        key = ("peer", snap.peer_id) if snap.peer_id else ("account", snap.account_id)
        by_subject.setdefault(key, []).append(snap)
    rows = []
    for kind, subjects in (("account", accounts), ("peer", peers)):
        for subject in subjects:
            found = by_subject.get((kind, subject.pk), [])
            before = next((s for s in found if s.day < start), None)
            rows.append(_figures(BenchmarkRow(subject.name, kind == "peer", subject.pk), before,
                                 [s for s in found if s.day >= start]))
    for figure in BENCHMARK_FIGURES:
        valued = [r for r in rows if r.is_peer and getattr(r, figure) is not None]
        if valued:
            best = max(getattr(r, figure) for r in valued)
            for r in valued:
                if getattr(r, figure) == best:
                    r.best.add(figure)
    return rows
