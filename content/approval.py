"""Who must approve a post: read from each target account's playbook.

Approval follows each target account's playbook: whether posts need approval (and whether the
post's pillar does), by whom (the playbook's approvers, or anyone who may approve on the account
when none are named), and whether any one or all of them must approve. A post is approved when
every account that needs approval has what its playbook asks for, on the post's current version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from positioning.access import Action, account_allows
from positioning.models import Account, ApprovalMode, PlaybookVersion
from team.models import User

from .models import Decision, Pillar, Post

# Weibo rewards speed: a reply to a trend or a fan game an hour late is no reply. Pillars whose name
# says interaction or hot topic need no approval by default; brand and product statements, and all
# the rest, are approved against the playbook's approval clock (approval_target_minutes).
NO_APPROVAL_WORDS = ("互动", "热点", "话题", "interaction", "hot topic", "trend")


def approval_default(pillar_name: str) -> bool:
    """Whether a new pillar of this name needs approval when nobody says otherwise."""
    name = pillar_name.casefold()
    return not any(word in name for word in NO_APPROVAL_WORDS)


@dataclass
class AccountApproval:
    account: Account
    mode: str
    approvers: list[User]  # named by the playbook; empty: anyone who may approve on the account
    approved_by: list[User] = field(default_factory=list)

    @property
    def satisfied(self) -> bool:
        if not self.approvers:
            return bool(self.approved_by)
        done = {u.pk for u in self.approved_by}
        named = {u.pk for u in self.approvers}
        return named <= done if self.mode == ApprovalMode.ALL else bool(named & done)

    @property
    def awaiting(self) -> list[User]:
        done = {u.pk for u in self.approved_by}
        return [u for u in self.approvers if u.pk not in done]


def _needs(playbook: PlaybookVersion | None, pillar: Pillar) -> bool:
    # No playbook yet: approval, to be safe.
    return pillar.needs_approval and (playbook is None or playbook.approval_required)


def approval_needed(post: Post, *, accounts: list[Account] | None = None) -> bool:
    """Whether any target account's playbook asks for approval of this post's pillar."""
    accounts = accounts if accounts is not None else [t.account for t in post.targets.select_related("account")]
    playbooks = latest_playbooks([a.pk for a in accounts])
    return any(_needs(playbooks.get(account.pk), post.pillar) for account in accounts)


def latest_playbooks(account_ids) -> dict[int, PlaybookVersion]:
    """{account id: its current playbook, approvers prefetched} in two queries."""
    latest: dict[int, PlaybookVersion] = {}
    for playbook in (PlaybookVersion.objects.filter(account_id__in=account_ids).order_by("account_id", "-number")
                     .prefetch_related("approvers")):
        latest.setdefault(playbook.account_id, playbook)
    return latest


def approval_plan(post: Post, *, playbooks: dict[int, PlaybookVersion] | None = None) -> list[AccountApproval]:
    """For each account whose playbook asks for approval: by whom, and who has approved this version.

    For lists, prefetch ``targets__account`` and ``approvals__reviewer`` and pass ``playbooks``
    (``latest_playbooks``): the plan then costs no query of its own.
    """
    prefetched = getattr(post, "_prefetched_objects_cache", {})
    decisions = ([d for d in post.approvals.all() if d.version == post.version] if "approvals" in prefetched
                 else list(post.approvals.filter(version=post.version).select_related("reviewer")))
    if any(d.decision == Decision.FAST_TRACKED for d in decisions):
        return []
    approved = [d.reviewer for d in decisions if d.decision == Decision.APPROVED]
    targets = (sorted(post.targets.all(), key=lambda t: t.account.name) if "targets" in prefetched
               else list(post.targets.select_related("account").order_by("account__name")))
    if playbooks is None:
        playbooks = latest_playbooks([t.account_id for t in targets])
    authors = post_authors(post) if approved else set()
    plan = []
    for target in targets:
        playbook = playbooks.get(target.account_id)
        if not _needs(playbook, post.pillar):
            continue
        named = [u for u in playbook.approvers.all() if u.is_active] if playbook else []
        eligible = [u for u in approved if may_approve(u, post, target.account, named, authors)]
        plan.append(AccountApproval(target.account, playbook.approval_mode if playbook else ApprovalMode.ANY,
                                    named, eligible))
    return plan


def post_authors(post: Post) -> set[int]:
    """Everyone who wrote any version of the post's text since it was created.

    None of them approves it, managers included (a manager's override is the recorded fast-track):
    text they wrote may still be in the version under review, and telling which words survived a
    rewrite is guesswork. Prefetch ``revisions`` for lists: this then costs no query.
    """
    if "revisions" in getattr(post, "_prefetched_objects_cache", {}):
        writers = {r.created_by_id for r in post.revisions.all()}
    else:
        writers = set(post.revisions.values_list("created_by_id", flat=True))
    return (writers | {post.created_by_id, post.edited_by_id}) - {None}


def may_approve(user: User, post: Post, account: Account, named: list[User],
                authors: set[int] | None = None) -> bool:
    if not account_allows(user, account, Action.APPROVE):
        return False
    if user.pk in (authors if authors is not None else post_authors(post)):
        return False  # nobody approves what they wrote any part of
    return not named or user.pk in {u.pk for u in named}
