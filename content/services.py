"""Writing, approving and scheduling posts. Publishing itself is in ``publishing.py``.

Every check a person can fail is made here, with a message that says what to do, and nothing is
half-written: a refused post or schedule changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.access import Action, account_require
from positioning.models import Account, Brand
from positioning.selectors import playbook_current
from team.models import User
from team.services import audit_record
from weibo_ops.weibo import text as weibo_text

from .models import Pillar, Post, PostState, PostTarget, TargetState

SCHEDULE_GRACE = timedelta(minutes=1)  # "now" typed into a form is a few seconds old when it arrives
DEFAULT_PILLARS = [("公司动态", "#4a7bd0"), ("产品", "#2f9e6e"), ("公共话题", "#d08a2f"), ("客户关怀", "#b04a8f")]


@transaction.atomic
def pillar_create(*, brand: Brand, name: str, colour: str = "#4a7bd0", by: User | None) -> Pillar:
    pillar = Pillar(brand=brand, name=name.strip(), colour=colour)
    pillar.full_clean()
    pillar.save()
    audit_record(actor=by, action="pillar.create", target=pillar, changes={"name": [None, pillar.name]})
    return pillar


def post_problems(*, text: str, accounts: list[Account], variants: dict[int, str] | None = None) -> dict[str, list]:
    """What Weibo and the accounts' playbooks would refuse in a post, by form field (empty when fine)."""
    problems: dict[str, list] = {}
    texts = {account.pk: (variants or {}).get(account.pk) or text for account in accounts}
    for account in accounts:
        body = texts[account.pk]
        field = "text" if body == text else f"variant_{account.pk}"
        for problem in weibo_text.check_share(body, safe_domain=settings.WEIBO_SAFE_DOMAIN):
            problems.setdefault(field, []).append(problem.message)
        playbook = playbook_current(account=account)
        hits = [word for word in (playbook.forbidden_words if playbook else []) if word and word in body]
        if hits:
            problems.setdefault(field, []).append(
                _("%(account)s's playbook forbids: %(words)s.") % {"account": account.name, "words": "、".join(hits)})
    return {field: list(dict.fromkeys(messages)) for field, messages in problems.items()}


@transaction.atomic
def post_create(*, by: User, pillar: Pillar, text: str, accounts: list[Account],
                variants: dict[int, str] | None = None, is_original: bool = True) -> Post:
    """A draft for one or more accounts; the person must be allowed to draft on every one of them."""
    if not accounts:
        raise ValidationError({"accounts": _("Choose at least one account to post to.")})
    for account in accounts:
        account_require(by, account, Action.DRAFT)
        if account.brand_id != pillar.brand_id:
            raise ValidationError({"accounts": _("%(account)s belongs to another brand than the pillar.")
                                   % {"account": account.name}})
    if problems := post_problems(text=text, accounts=accounts, variants=variants):
        raise ValidationError(problems)
    post = Post.objects.create(brand=pillar.brand, pillar=pillar, text=text, is_original=is_original, created_by=by)
    PostTarget.objects.bulk_create(
        PostTarget(post=post, account=account, variant=(variants or {}).get(account.pk, "")) for account in accounts
    )
    audit_record(actor=by, action="post.create", target=post, changes={"accounts": [None, [a.name for a in accounts]]})
    return post


def approval_needed(post: Post) -> bool:
    """Whether any target account's playbook asks for approval (no playbook: yes, to be safe)."""
    for target in post.targets.select_related("account"):
        playbook = playbook_current(account=target.account)
        if playbook is None or playbook.approval_required:
            return True
    return False


@transaction.atomic
def post_schedule(*, post: Post, at: datetime, by: User, ip: str | None) -> Post:
    """Put the post's targets on the calendar. Without a required approval they wait for it; the
    approver's IP then goes with them to Weibo (``rip``)."""
    if timezone.is_naive(at):
        raise ValidationError({"scheduled_at": _("Give the time with its time zone.")})
    if at < timezone.now() - SCHEDULE_GRACE:
        raise ValidationError({"scheduled_at": _("That time has passed: pick a time from now on.")})
    targets = list(post.targets.select_related("account").exclude(state__in=[TargetState.PUBLISHED]))
    for target in targets:
        account_require(by, target.account, Action.PUBLISH)
    ready = post.state == PostState.APPROVED or not approval_needed(post)
    if not ready and post.state != PostState.IN_REVIEW:
        post.state = PostState.IN_REVIEW
        post.save(update_fields=["state", "updated_at"])
    for target in targets:
        target.scheduled_at = at
        target.next_attempt_at = at
        target.state = TargetState.SCHEDULED if ready else TargetState.WAITING
        if ready and not target.rip:
            target.rip = ip
        target.message = "" if ready else _("Waiting for approval.")
        target.save(update_fields=["scheduled_at", "next_attempt_at", "state", "rip", "message"])
    audit_record(actor=by, action="post.schedule", target=post, ip=ip,
                 changes={"scheduled_at": [None, at.isoformat()]})
    return post


@transaction.atomic
def post_approve(*, post: Post, by: User, ip: str, comment: str = "") -> Post:
    """Approve the post on every account it goes to; its waiting targets are scheduled with the
    approver's IP, which Weibo receives as ``rip``."""
    targets = list(post.targets.select_related("account"))
    for target in targets:
        account_require(by, target.account, Action.APPROVE)
    if post.created_by_id == by.pk and not by.is_org_wide:
        raise PermissionDenied(_("Someone other than the author approves a post."))
    post.state = PostState.APPROVED
    post.save(update_fields=["state", "updated_at"])
    for target in targets:
        target.rip = ip
        if target.state == TargetState.WAITING and target.scheduled_at:
            target.state, target.next_attempt_at, target.message = TargetState.SCHEDULED, target.scheduled_at, ""
        target.save(update_fields=["rip", "state", "next_attempt_at", "message"])
    audit_record(actor=by, action="post.approve", target=post, ip=ip, changes={"comment": [None, comment]})
    return post
