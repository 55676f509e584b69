from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from team.models import User
from team.services import audit_record, audited_create, audited_update, changes_between, snapshot

from .access import (
    GRANT_FIELDS,
    STRUCTURE_FIELDS,
    Action,
    account_structure_change_allowed,
    grant_change_require,
    people_who_may,
)
from .models import Account, AccountMember, Brand, PlaybookVersion, TargetCircle

BRAND_FIELDS = ["name", "industry", "description"]
ACCOUNT_FIELDS = ["brand", "name", "purpose", "region", "value_proposition", "tone_of_voice", "profile_text",
                  "owner", "weibo_uid", "is_active"]
PLAYBOOK_FIELDS = ["change_note", "content_mix", "time_slots", "reply_within_hours", "resolve_within_hours",
                   "replies_need_approval", "interaction_rules", "escalation_rules", "forbidden_words",
                   "approval_required", "approval_mode", "approval_target_minutes", "campaign_frequency",
                   "campaign_themes", "prize_process", "campaign_reports"]


@transaction.atomic
def brand_create(*, by: User | None, ip: str | None = None, **fields: Any) -> Brand:
    brand = Brand(**{k: v for k, v in fields.items() if k in BRAND_FIELDS})
    return audited_create(brand, fields=BRAND_FIELDS, by=by, action="brand.create", ip=ip)


@transaction.atomic
def brand_update(*, brand: Brand, by: User, ip: str | None = None, **fields: Any) -> Brand:
    return audited_update(brand, fields=BRAND_FIELDS, values=fields, by=by, action="brand.update", ip=ip)


@transaction.atomic
def account_create(*, by: User | None, ip: str | None = None, **fields: Any) -> Account:
    account = Account(**{k: v for k, v in fields.items() if k in ACCOUNT_FIELDS})
    account.full_clean()
    account.save()
    audit_record(actor=by, action="account.create", target=account, account_id=account.pk, ip=ip,
                 changes=changes_between({}, snapshot(account, ACCOUNT_FIELDS)))
    return account


@transaction.atomic
def account_update(*, account: Account, by: User, ip: str | None = None, **fields: Any) -> Account:
    structural = [f for f in STRUCTURE_FIELDS if f in fields and fields[f] != getattr(account, f)]
    if structural and not account_structure_change_allowed(by):
        raise PermissionDenied(_("Only a manager can change an account's brand, owner or whether it is active."))
    return audited_update(account, fields=ACCOUNT_FIELDS, values=fields, by=by, action="account.update", ip=ip,
                          account_id=account.pk)


@transaction.atomic
def circle_add(*, account: Account, by: User, ip: str | None = None, name: str, description: str = "",
               value: str = "") -> TargetCircle:
    circle = TargetCircle(account=account, name=name.strip(), description=description.strip(), value=value.strip())
    circle.full_clean()
    circle.save()
    audit_record(actor=by, action="circle.add", target=circle, account_id=account.pk, ip=ip,
                 changes={"name": [None, circle.name], "value": [None, circle.value]})
    return circle


@transaction.atomic
def circle_remove(*, circle: TargetCircle, by: User, ip: str | None = None) -> None:
    audit_record(actor=by, action="circle.remove", target=circle, account_id=circle.account_id, ip=ip,
                 changes={"name": [circle.name, None]})
    circle.delete()


@transaction.atomic
def account_member_set(*, account: Account, user: User, actions: set[Action], by: User,
                       ip: str | None = None) -> AccountMember:
    """Gives ``user`` exactly ``actions`` on ``account`` (view is implied by any grant)."""
    if by is not None:
        grant_change_require(by, account, user, set(actions))
    grant, created = AccountMember.objects.get_or_create(account=account, user=user)
    before = {field: getattr(grant, field) for field in GRANT_FIELDS.values()} if not created else {}
    for action, field in GRANT_FIELDS.items():
        setattr(grant, field, action in actions)
    after = {field: getattr(grant, field) for field in GRANT_FIELDS.values()}
    changes = changes_between(before, after)
    if changes:
        grant.save(update_fields=list(GRANT_FIELDS.values()))
        audit_record(actor=by, action="account.member_set", target=grant, account_id=account.pk,
                     changes=changes, ip=ip)
    return grant


@transaction.atomic
def account_member_remove(*, account: Account, user: User, by: User, ip: str | None = None) -> bool:
    if by is not None:
        grant_change_require(by, account, user, None)
    grant = AccountMember.objects.filter(account=account, user=user).first()
    if grant is None:
        return False
    audit_record(actor=by, action="account.member_remove", target=grant, account_id=account.pk, ip=ip)
    grant.delete()
    return True


def playbook_approvers_check(*, account: Account, approval_required: bool, approvers: list[User]) -> None:
    """Approval needs at least one approver, and every approver needs the approve permission."""
    if approval_required and not approvers:
        raise ValidationError({"approvers": _("Posts need approval: name at least one approver.")})
    allowed = set(people_who_may(account, Action.APPROVE).values_list("pk", flat=True))
    refused = [str(person) for person in approvers if person.pk not in allowed]
    if refused:
        raise ValidationError({"approvers": _(
            "%(names)s may not approve on %(account)s: give them the approve permission first."
        ) % {"names": "、".join(refused), "account": account.name}})


@transaction.atomic
def playbook_publish(*, account: Account, by: User, approvers: list[User] | None = None, ip: str | None = None,
                     **fields: Any) -> PlaybookVersion:
    """Publishes a new version of the account's playbook; earlier versions are kept unchanged.
    Fields not given are carried over from the current version."""
    # Lock the account row so that two people publishing at once get numbers n+1 and n+2.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    current = PlaybookVersion.objects.filter(account=account).order_by("-number").first()
    number = (current.number if current else 0) + 1
    values = {key: getattr(current, key) for key in PLAYBOOK_FIELDS} if current else {}
    values["change_note"] = ""
    values.update({k: v for k, v in fields.items() if k in PLAYBOOK_FIELDS})
    version = PlaybookVersion(account=account, number=number, created_by=by, **values)
    version.full_clean()
    version.time_slots = sorted(version.time_slots)
    before_approvers = list(current.approvers.all()) if current is not None else []
    if approvers is None:
        approvers = before_approvers
    playbook_approvers_check(account=account, approval_required=version.approval_required, approvers=approvers)
    version.save()
    version.approvers.set(approvers)
    before = {key: getattr(current, key) for key in PLAYBOOK_FIELDS if key != "change_note"} if current else {}
    after = {key: getattr(version, key) for key in PLAYBOOK_FIELDS if key != "change_note"}
    if current is not None:
        before["approvers"] = sorted(person.get_username() for person in before_approvers)
    after["approvers"] = sorted(person.get_username() for person in approvers)
    audit_record(actor=by, action="playbook.publish", target=version, account_id=account.pk, ip=ip,
                 changes=changes_between(before, after))
    return version
