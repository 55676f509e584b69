"""Writing, approving and scheduling posts. Publishing itself is in ``publishing.py``.

Every check a person can fail is made here, with a message that says what to do, and nothing is
half-written: a refused post or schedule changes nothing.

Who must approve is decided in ``approval.py``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.access import Action, account_allows, account_require, people_who_may
from positioning.models import Account, Brand, PlaybookVersion
from positioning.selectors import playbook_current
from team.models import User
from team.services import audit_record, notice_send
from weibo_ops.weibo import text as weibo_text

from .access import (
    post_edit_require,
    post_fast_track_require,
    post_schedule_require,
    target_cancel_require,
    target_move_require,
)
from .approval import AccountApproval, approval_default, approval_needed, approval_plan, may_approve, post_authors
from .models import (
    FINAL_STATES,
    Approval,
    Decision,
    Pillar,
    Post,
    PostRevision,
    PostState,
    PostTarget,
    TargetState,
)

SCHEDULE_GRACE = timedelta(minutes=1)  # "now" typed into a form is a few seconds old when it arrives
DEFAULT_PILLARS = [("公司动态", "#4a7bd0"), ("产品", "#2f9e6e"), ("公共话题", "#d08a2f"), ("客户关怀", "#b04a8f")]
# Targets in flight: a worker holds them or Weibo may have them. Nobody edits or moves these.
IN_FLIGHT = [TargetState.PUBLISHING, TargetState.CONFIRMING]
LOCKED_STATES = [TargetState.PUBLISHED, *IN_FLIGHT]
LATE_RELEASE = timedelta(hours=12)  # a post approved this long after its slot waits for a new time


@transaction.atomic
def pillar_create(*, brand: Brand, name: str, colour: str = "#4a7bd0", needs_approval: bool | None = None,
                  by: User | None) -> Pillar:
    """``needs_approval`` unsaid: none for interaction and hot-topic pillars, else approval."""
    if by is not None and not by.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators edit content pillars."))
    if needs_approval is None:
        needs_approval = approval_default(name)
    pillar = Pillar(brand=brand, name=name.strip(), colour=colour, needs_approval=needs_approval)
    pillar.full_clean()
    pillar.save()
    audit_record(actor=by, action="pillar.create", target=pillar, changes={"name": [None, pillar.name]})
    return pillar


@transaction.atomic
def pillar_update(*, pillar: Pillar, by: User, **fields) -> Pillar:
    if not by.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators edit content pillars."))
    changes = {}
    for name, value in fields.items():
        if getattr(pillar, name) != value:
            changes[name] = [getattr(pillar, name), value]
            setattr(pillar, name, value)
    pillar.full_clean()
    pillar.save()
    if changes:
        audit_record(actor=by, action="pillar.update", target=pillar, changes=changes)
    return pillar


def pillars_ensure(*, brand: Brand) -> list[Pillar]:
    """The brand's pillars, created from the defaults and the playbooks' content mix when missing."""
    names = dict(DEFAULT_PILLARS)
    for mix in PlaybookVersion.objects.filter(account__brand=brand).values_list("content_mix", flat=True):
        for item in mix:
            names.setdefault(item["pillar"], "#6b7280")
    existing = set(Pillar.objects.filter(brand=brand).values_list("name", flat=True))
    Pillar.objects.bulk_create(Pillar(brand=brand, name=name, colour=colour, needs_approval=approval_default(name))
                               for name, colour in names.items() if name not in existing)
    return list(Pillar.objects.filter(brand=brand))


# --- checks ------------------------------------------------------------------------------------

def post_problems(*, text: str, accounts: list[Account], variants: dict[int, str] | None = None) -> dict[str, list]:
    """What Weibo and the accounts' playbooks would refuse in a post, by form field (empty when fine)."""
    problems: dict[str, list] = {}
    texts = {account.pk: (variants or {}).get(account.pk) or text for account in accounts}
    if not accounts:
        texts = {0: text}
    for account in accounts or [None]:
        body = texts[account.pk if account else 0]
        field_name = "text" if body == text else f"variant_{account.pk}"
        for problem in weibo_text.check_share(body, safe_domain=settings.WEIBO_SAFE_DOMAIN):
            problems.setdefault(field_name, []).append(problem.message)
        playbook = playbook_current(account=account) if account else None
        hits = [word for word in (playbook.forbidden_words if playbook else []) if word and word in body]
        if hits:
            problems.setdefault(field_name, []).append(
                _("%(account)s's playbook forbids: %(words)s.") % {"account": account.name, "words": "、".join(hits)})
    return {name: list(dict.fromkeys(messages)) for name, messages in problems.items()}


IMAGE_KINDS = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG": ("image/png", "png"), b"GIF8": ("image/gif", "gif")}


def image_kind(head: bytes) -> str | None:
    """The picture's media type read from its first bytes (never from its name)."""
    return next((kind for magic, (kind, _ext) in IMAGE_KINDS.items() if head.startswith(magic)), None)


def _stored_image(image: UploadedFile) -> UploadedFile:
    """The upload renamed to a random name with the extension of what it is: the person's file name
    (x.html, x.svg) never reaches the media folder."""
    image.seek(0)
    head = image.read(16)
    image.seek(0)
    ext = next(ext for magic, (_kind, ext) in IMAGE_KINDS.items() if head.startswith(magic))
    image.name = f"{secrets.token_hex(12)}.{ext}"
    return image


def image_problems(image: UploadedFile | None) -> list[str]:
    """Weibo takes JPEG, GIF or PNG under 5 MB; checked by content, not by the file's name."""
    if image is None:
        return []
    if image.size >= weibo_text.MAX_IMAGE_BYTES:
        return [_("The picture is %(size).1f MB; Weibo takes pictures under 5 MB.")
                % {"size": image.size / 1024 / 1024}]
    image.seek(0)
    head = image.read(16)
    image.seek(0)
    return [problem.message for problem in weibo_text.check_image(head)]


def _check(*, by: User, pillar: Pillar, text: str, accounts: list[Account], variants: dict[int, str] | None,
           image: UploadedFile | None) -> None:
    if not accounts:
        raise ValidationError({"accounts": _("Choose at least one account to post to.")})
    for account in accounts:
        account_require(by, account, Action.DRAFT)
        if account.brand_id != pillar.brand_id:
            raise ValidationError({"accounts": _("%(account)s belongs to another brand than the pillar.")
                                   % {"account": account.name}})
    problems = post_problems(text=text, accounts=accounts, variants=variants)
    if picture := image_problems(image):
        problems["image"] = picture
    if problems:
        raise ValidationError(problems)


def _revision(post: Post, by: User) -> None:
    variants = {t.account.name: t.variant for t in post.targets.select_related("account") if t.variant}
    PostRevision.objects.update_or_create(post=post, version=post.version, defaults={
        "text": post.text, "variants": variants, "pillar": post.pillar.name},
        create_defaults={"text": post.text, "variants": variants, "pillar": post.pillar.name, "created_by": by})


# --- writing -----------------------------------------------------------------------------------

@transaction.atomic
def post_create(*, by: User, pillar: Pillar, text: str, accounts: list[Account],
                variants: dict[int, str] | None = None, is_original: bool = True,
                image: UploadedFile | None = None, campaign=None) -> Post:
    """A draft for one or more accounts; the person must be allowed to draft on every one of them.
    ``campaign``: the brand's planning or live campaign the post belongs to (a campaigns.Campaign), or None."""
    variants = {k: v.strip() for k, v in (variants or {}).items() if v and v.strip() and v.strip() != text}
    _check(by=by, pillar=pillar, text=text, accounts=accounts, variants=variants, image=image)
    _campaign_check(campaign, pillar.brand_id)
    post = Post(brand=pillar.brand, pillar=pillar, text=text, is_original=is_original, created_by=by,
                owner=by, campaign=campaign)
    if image is not None:
        post.image = _stored_image(image)
    post.save()
    PostTarget.objects.bulk_create(
        PostTarget(post=post, account=account, variant=variants.get(account.pk, "")) for account in accounts
    )
    _revision(post, by)
    audit_record(actor=by, action="post.create", target=post, changes={"accounts": [None, [a.name for a in accounts]]})
    return post


# The campaigns.CampaignState values a post may be added to (content imports no campaigns).
CAMPAIGN_OPEN = ("planning", "live")
_KEEP = object()  # post_update without a campaign keeps the post's


def _campaign_check(campaign, brand_id: int) -> None:
    if campaign is None:
        return
    if campaign.brand_id != brand_id:
        raise ValidationError({"campaign": _("Choose a campaign of the post's own brand.")})
    if campaign.state not in CAMPAIGN_OPEN:
        raise ValidationError({"campaign": _("“%(campaign)s” is over: choose a campaign being planned or running.")
                               % {"campaign": campaign.title}})


@transaction.atomic
def post_update(*, post: Post, by: User, pillar: Pillar, text: str, accounts: list[Account],
                variants: dict[int, str] | None = None, is_original: bool = True,
                image: UploadedFile | None = None, ip: str | None = None, campaign=_KEEP) -> Post:
    """Change a post. Editing a post under review or approved makes a new version that goes back
    to review; targets already published keep the text they went out with."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    # Locked: a worker's claim waits for this edit, then sees the targets as the edit left them.
    targets = {t.account_id: t for t in _locked(post.targets.select_related("account"))}
    variants = {k: v.strip() for k, v in (variants or {}).items() if v and v.strip() and v.strip() != text}
    if pillar.brand_id != post.brand_id:
        raise ValidationError({"pillar": _("Choose a pillar of the post's own brand.")})
    _check(by=by, pillar=pillar, text=text, accounts=accounts, variants=variants, image=image)
    _update_allowed(by, targets, wanted := {a.pk: a for a in accounts})
    old = (post.text, post.pillar_id, {a: t.variant for a, t in targets.items()})
    new = (text, pillar.pk, {a: variants.get(a, "") for a in wanted})
    changed = old != new or image is not None
    # What went out stays as it went out.
    for target in targets.values():
        if target.state == TargetState.PUBLISHED and not target.variant and text != post.text:
            target.variant = post.text
            target.save(update_fields=["variant"])
    post.text, post.pillar, post.is_original = text, pillar, is_original
    if image is not None:
        post.image = _stored_image(image)
    fields = ["text", "pillar", "is_original", "image", "updated_at"]
    if campaign is not _KEEP and getattr(campaign, "pk", None) != post.campaign_id:
        _campaign_check(campaign, post.brand_id)
        audit_record(actor=by, action="post.update", target=post, ip=ip,
                     changes={"campaign": [post.campaign_id, getattr(campaign, "pk", None)]})
        post.campaign = campaign
        fields.append("campaign")
    reviewed = post.state in (PostState.IN_REVIEW, PostState.APPROVED, PostState.REJECTED)
    if changed:
        # Every change is a version with its writer, drafts included: whoever wrote any version
        # does not approve the post (approval.post_authors).
        post.version += 1
        post.edited_by = by
        fields += ["version", "edited_by"]
    if changed and reviewed:
        _review_again(post, accounts)
        fields += ["state", "submitted_at", "review_comment"]
    post.save(update_fields=fields)
    for account_id, target in targets.items():
        if account_id not in wanted:
            target.delete()
        elif target.state != TargetState.PUBLISHED:
            target.variant = variants.get(account_id, "")
            target.save(update_fields=["variant"])
    # An added account takes the post's slot only from someone who may publish there.
    slot = _post_time(targets)
    PostTarget.objects.bulk_create(
        PostTarget(post=post, account=account, variant=variants.get(account.pk, ""),
                   scheduled_at=slot if account_allows(by, account, Action.PUBLISH) else None)
        for pk, account in wanted.items() if pk not in targets)
    if post.state == PostState.APPROVED:
        _release(post, ip=ip)
    if changed and post.state == PostState.IN_REVIEW:
        post.targets.filter(state__in=[TargetState.SCHEDULED, TargetState.NEEDS_REAUTH]).update(
            state=TargetState.WAITING, message=_("Edited after approval: waiting for review again."))
        post.targets.filter(state=TargetState.WAITING, scheduled_at__isnull=False).update(
            message=_("Waiting for approval."))
        _tell_approvers(post)
    _revision(post, by)
    audit_record(actor=by, action="post.update", target=post,
                 changes={"version": [post.version - (1 if changed else 0), post.version]})
    return post


def _review_again(post: Post, accounts: list[Account]) -> None:
    """A reviewed post was changed: back to review, or approved at once when nothing asks for approval."""
    if approval_needed(post, accounts=accounts):
        post.state, post.submitted_at, post.review_comment = PostState.IN_REVIEW, timezone.now(), ""
    else:  # no account or pillar asks for approval any more: nothing to wait for
        post.state = PostState.APPROVED


def _update_allowed(by: User, targets: dict[int, PostTarget], wanted: dict[int, Account]) -> None:
    post_edit_require(by, targets.values())
    for target in targets.values():
        # needs_lookup: Weibo may hold the post (its answer was lost); it is looked up by its text.
        if target.state in IN_FLIGHT or (target.needs_lookup and target.state != TargetState.PUBLISHED):
            raise ValidationError({"text": _("The post is being published on %(account)s right now (or Weibo's "
                                             "answer is being confirmed); edit it once that has finished.")
                                   % {"account": target.account.name}})
    for account_id, target in targets.items():
        if account_id not in wanted and target.state == TargetState.PUBLISHED:
            raise ValidationError({"accounts": _("It is already published on %(account)s; that account "
                                                 "stays.") % {"account": target.account.name}})


def _locked(targets):
    """The targets, locked for this transaction (PostgreSQL; SQLite locks the whole database)."""
    return targets.select_for_update(of=("self",)) if connection.features.has_select_for_update_of else targets


def _post_time(targets: dict) -> datetime | None:
    times = [t.scheduled_at for t in targets.values() if t.scheduled_at and t.state != TargetState.PUBLISHED]
    return min(times) if times else None


# --- approval ----------------------------------------------------------------------------------

def _review_require(post: Post, by: User) -> list[AccountApproval]:
    if post.state != PostState.IN_REVIEW:
        raise ValidationError(_("This post is not waiting for review (it is “%(state)s”).")
                              % {"state": post.get_state_display()})
    plan = approval_plan(post)
    if by.pk in post_authors(post):
        raise PermissionDenied(_("You wrote or edited this post's text; someone who wrote none of it reviews "
                                 "it (or a manager fast-tracks it)."))
    named_for = {p.account.pk: p.approvers for p in plan}
    if not any(may_approve(by, post, p.account, named_for[p.account.pk]) for p in plan):
        raise PermissionDenied(_("You are not an approver of this post's accounts. Its playbook names who "
                                 "approves."))
    return plan


@transaction.atomic
def post_submit(*, post: Post, by: User, ip: str | None = None) -> Post:
    """Send a draft (or a rejected post, after changes) for review; a post that needs no approval
    is approved at once and its scheduled targets go ahead."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    targets = list(post.targets.select_related("account"))
    post_edit_require(by, targets)
    if post.state in (PostState.IN_REVIEW, PostState.APPROVED):
        return post
    if problems := post_problems(text=post.text, accounts=[t.account for t in targets],
                                 variants={t.account_id: t.variant for t in targets if t.variant}):
        raise ValidationError(problems)
    if approval_needed(post, accounts=[t.account for t in targets]):
        post.state, post.submitted_at, post.review_comment = PostState.IN_REVIEW, timezone.now(), ""
        post.save(update_fields=["state", "submitted_at", "review_comment", "updated_at"])
        post.targets.filter(state=TargetState.WAITING).update(message=_("Waiting for approval."))
        _tell_approvers(post)
    else:
        post.state = PostState.APPROVED
        post.save(update_fields=["state", "updated_at"])
        _release(post, ip=ip)
    audit_record(actor=by, action="post.submit", target=post, ip=ip, changes={"state": [None, post.state]})
    return post


def _tell_approvers(post: Post) -> None:
    recipients: list[User] = []
    authors = post_authors(post)
    for item in approval_plan(post):
        recipients += [u for u in item.awaiting or people_who_may(item.account, Action.APPROVE)
                       if u.pk not in authors]
    notice_send(recipients=recipients, kind="approval", title=_("A post is waiting for your review"),
                body=post.text[:140], url=reverse("content:queue"), dedupe_key=f"post-review:{post.pk}:v{post.version}")


def _release(post: Post, *, ip: str | None) -> None:
    """Approved: the waiting targets with a time go on the schedule, carrying the approver's IP."""
    now = timezone.now()
    for target in _locked(post.targets.filter(state=TargetState.WAITING)):
        target.rip = ip or target.rip
        if target.scheduled_at and target.scheduled_at < now - LATE_RELEASE:
            # Approved long after its slot: not sent out of the blue; a person picks a new time.
            target.message = _("Approved after its slot had passed by more than %(hours)s hours: schedule it "
                               "again.") % {"hours": int(LATE_RELEASE.total_seconds() // 3600)}
        elif target.scheduled_at:
            target.state, target.next_attempt_at, target.message = TargetState.SCHEDULED, target.scheduled_at, ""
            target.dispatched_at = None
        else:
            target.message = ""
        target.save(update_fields=["rip", "state", "next_attempt_at", "dispatched_at", "message"])
    post.targets.exclude(state__in=LOCKED_STATES).filter(rip__isnull=True).update(rip=ip)


@transaction.atomic
def post_approve(*, post: Post, by: User, ip: str | None, comment: str = "") -> Post:
    """One reviewer's approval of the current version. When every account has the approvals its
    playbook asks for, the post is approved and its waiting targets are scheduled with the
    approver's IP, which Weibo receives as ``rip``."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    _review_require(post, by)
    if post.approvals.filter(version=post.version, reviewer=by, decision=Decision.APPROVED).exists():
        raise ValidationError(_("You have already approved this version."))
    Approval.objects.create(post=post, version=post.version, reviewer=by, decision=Decision.APPROVED,
                            comment=comment.strip()[:500])
    if all(item.satisfied for item in approval_plan(post)):
        post.state, post.review_comment = PostState.APPROVED, comment.strip()[:500]
        post.save(update_fields=["state", "review_comment", "updated_at"])
        _release(post, ip=ip)
    audit_record(actor=by, action="post.approve", target=post, ip=ip, changes={"comment": [None, comment]})
    return post


@transaction.atomic
def post_approve_and_schedule(*, post: Post, by: User, at: datetime, ip: str | None, comment: str = "") -> Post:
    """Approve and put on the calendar in one step, for someone who may do both: all or nothing
    (a refused time or permission leaves the post unapproved)."""
    _time_check(at)
    post_schedule_require(by, post.targets.exclude(state__in=[*LOCKED_STATES, TargetState.CANCELLED])
                          .select_related("account"))
    post = post_approve(post=post, by=by, ip=ip, comment=comment)
    return post_schedule(post=post, at=at, by=by, ip=ip)


@transaction.atomic
def post_reject(*, post: Post, by: User, comment: str, ip: str | None = None) -> Post:
    """Send the post back to its author with what to change; its targets wait, nothing is lost."""
    if not comment.strip():
        raise ValidationError({"comment": _("Say what to change, so the author can fix it.")})
    post = Post.objects.select_for_update().get(pk=post.pk)
    _review_require(post, by)
    Approval.objects.create(post=post, version=post.version, reviewer=by, decision=Decision.REJECTED,
                            comment=comment.strip()[:500])
    post.state, post.review_comment = PostState.REJECTED, comment.strip()[:500]
    post.save(update_fields=["state", "review_comment", "updated_at"])
    post.targets.filter(state=TargetState.WAITING).update(
        message=_("Rejected by %(name)s: %(comment)s") % {"name": by, "comment": comment.strip()[:400]})
    notice_send(recipients=[post.owner or post.created_by], kind="approval", title=_("Your post was sent back"),
                body=comment.strip()[:300], url=reverse("content:post", args=[post.pk]),
                dedupe_key=f"post-rejected:{post.pk}:v{post.version}")
    audit_record(actor=by, action="post.reject", target=post, ip=ip, changes={"comment": [None, comment]})
    return post


@transaction.atomic
def post_fast_track(*, post: Post, by: User, reason: str, ip: str | None) -> Post:
    """A manager's override for an urgent post (a crisis statement): approved without the usual
    reviewers, and the override is recorded with its reason."""
    post_fast_track_require(by)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this post cannot wait for the usual approval.")})
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.state == PostState.APPROVED:
        raise ValidationError(_("This post is already approved."))
    Approval.objects.create(post=post, version=post.version, reviewer=by, decision=Decision.FAST_TRACKED,
                            comment=reason.strip()[:500])
    post.state, post.urgent, post.review_comment = PostState.APPROVED, True, reason.strip()[:500]
    post.submitted_at = post.submitted_at or timezone.now()
    post.save(update_fields=["state", "urgent", "review_comment", "submitted_at", "updated_at"])
    _release(post, ip=ip)
    audit_record(actor=by, action="post.fast_track", target=post, ip=ip, changes={"reason": [None, reason]})
    return post


# --- scheduling --------------------------------------------------------------------------------

def _time_check(at: datetime) -> None:
    if timezone.is_naive(at):
        raise ValidationError({"scheduled_at": _("Give the time with its time zone.")})
    if at < timezone.now() - SCHEDULE_GRACE:
        raise ValidationError({"scheduled_at": _("That time has passed: pick a time from now on.")})


def _reset(target: PostTarget, *, at: datetime, ready: bool, ip: str | None) -> None:
    target.scheduled_at = at
    target.next_attempt_at = at
    target.dispatched_at = None
    target.state = TargetState.SCHEDULED if ready else TargetState.WAITING
    if ready and not target.rip:
        target.rip = ip
    target.message = "" if ready else _("Waiting for approval.")
    target.save(update_fields=["scheduled_at", "next_attempt_at", "dispatched_at", "state", "rip", "message"])


@transaction.atomic
def post_schedule(*, post: Post, at: datetime, by: User, ip: str | None,
                  accounts: list[Account] | None = None) -> Post:
    """Put the post's targets (or those on ``accounts``) on the calendar at ``at``. A draft is sent
    for review; without a required approval the targets wait for it. Targets rejected by Weibo
    are scheduled again (after the person fixed the text)."""
    _time_check(at)
    post = Post.objects.select_for_update().get(pk=post.pk)
    all_targets = list(_locked(post.targets.select_related("account")))
    if accounts is not None:
        strangers = [a.name for a in accounts if a.pk not in {t.account_id for t in all_targets}]
        if strangers:
            raise ValidationError({"accounts": _("The post does not go to %(names)s; add the account to the post "
                                                 "first.") % {"names": "、".join(strangers)}})
    # A cancelled account comes back only when it is named.
    targets = [t for t in all_targets if t.state not in LOCKED_STATES and (
        t.account in accounts if accounts is not None else t.state != TargetState.CANCELLED)]
    if not targets:
        raise ValidationError({"scheduled_at": _("Nothing left to schedule: the post is published or "
                                                 "being published on every account.")})
    post_schedule_require(by, targets)
    if problems := post_problems(text=post.text, accounts=[t.account for t in targets],
                                 variants={t.account_id: t.variant for t in targets if t.variant}):
        raise ValidationError(problems)
    if post.state in (PostState.DRAFT, PostState.REJECTED):
        for target in targets:
            target.scheduled_at = at
            target.save(update_fields=["scheduled_at"])
        post = post_submit(post=post, by=by, ip=ip)
    ready = post.state == PostState.APPROVED
    for target in targets:
        target.refresh_from_db()
        if target.state in LOCKED_STATES:
            continue
        _reset(target, at=at, ready=ready, ip=ip)
    audit_record(actor=by, action="post.schedule", target=post, ip=ip,
                 changes={"scheduled_at": [None, at.isoformat()]})
    return post


@transaction.atomic
def target_move(*, target: PostTarget, at: datetime, by: User, ip: str | None = None) -> PostTarget:
    """Move one account's post to another slot (the calendar's drag and drop)."""
    _time_check(at)
    target = PostTarget.objects.select_for_update().select_related("post", "account").get(pk=target.pk)
    target_move_require(by, target)
    if target.state in LOCKED_STATES or target.state == TargetState.CANCELLED or target.needs_lookup:
        raise ValidationError({"scheduled_at": _("A post that is %(state)s cannot be moved.")
                               % {"state": target.get_state_display()}})
    before = target.scheduled_at
    target.scheduled_at = at
    fields = ["scheduled_at"]
    if target.state == TargetState.WAITING and target.post.state == PostState.APPROVED:
        target.state, target.message, target.rip = TargetState.SCHEDULED, "", target.rip or ip
        fields += ["state", "message", "rip"]
    if target.state == TargetState.SCHEDULED:
        target.next_attempt_at, target.dispatched_at = at, None
        fields += ["next_attempt_at", "dispatched_at"]
    target.save(update_fields=fields)
    audit_record(actor=by, action="target.move", target=target.post, ip=ip, changes={
        "account": [None, target.account.name],
        "scheduled_at": [before.isoformat() if before else None, at.isoformat()]})
    return target


@transaction.atomic
def post_retime(*, post: Post, at: datetime, by: User, ip: str | None = None) -> Post:
    """Move every account of the post that can still move to ``at``, all or none (the composer's
    "save with a time")."""
    for target in _locked(post.targets.exclude(state__in=[*LOCKED_STATES, TargetState.CANCELLED])):
        target_move(target=target, at=at, by=by, ip=ip)
    return post


@transaction.atomic
def target_cancel(*, target: PostTarget, by: User, ip: str | None = None) -> PostTarget:
    target = PostTarget.objects.select_for_update().select_related("post", "account").get(pk=target.pk)
    target_cancel_require(by, target)
    if target.state in LOCKED_STATES:
        raise ValidationError(_("A post that is %(state)s cannot be cancelled.")
                              % {"state": target.get_state_display()})
    target.state, target.message = TargetState.CANCELLED, _("Cancelled by %(name)s.") % {"name": by}
    target.save(update_fields=["state", "message"])
    audit_record(actor=by, action="target.cancel", target=target.post, ip=ip,
                 changes={"account": [None, target.account.name]})
    return target


def post_publish_now(*, post: Post, by: User, ip: str | None) -> list[int]:
    """Publish the approved post on its remaining accounts now; the worker takes it at once."""
    from .tasks import target_publish  # tasks import the publishing engine, not services

    with transaction.atomic():
        if post.state != PostState.APPROVED and approval_needed(post):
            raise ValidationError(_("This post needs approval before it goes out (or a manager's fast-track)."))
        post_schedule(post=post, at=timezone.now(), by=by, ip=ip)
        ids = list(post.targets.filter(state=TargetState.SCHEDULED).values_list("pk", flat=True))
        PostTarget.objects.filter(pk__in=ids).update(dispatched_at=timezone.now())
        transaction.on_commit(lambda: [target_publish.delay(pk) for pk in ids])
    return ids


def targets_final(post: Post) -> bool:
    return not post.targets.exclude(state__in=FINAL_STATES).exists()
