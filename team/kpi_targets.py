"""KPI targets: set, changed and removed by the people who may, for periods that are not over, audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .kpis import ACCOUNT, BRAND, PERSON, UNIT_RANGES, kpi_get
from .models import KpiTarget, User
from .services import audit_record, audited_create, audited_update

TARGET_FIELDS = ["kpi", "brand", "account", "person", "start", "end", "value"]


def kpi_target_set_allowed(user: User, *, account=None, person: User | None = None) -> bool:
    """Managers and administrators set every target; whoever may manage an account (its owner, or a grant
    with "manage") sets that account's targets. Brand and person targets are the managers'."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_org_wide:
        return True
    if account is None or person is not None or not account.is_active:
        return False
    # team sits below positioning: the grant is read through the person's reverse relation, not imported.
    return account.owner_id == user.pk or user.account_grants.filter(account_id=account.pk, can_manage=True).exists()


def kpi_targets_visible(*, user: User) -> QuerySet[KpiTarget]:
    """Targets a person may read: all for managers; otherwise those of accounts they can see and their own."""
    targets = KpiTarget.objects.select_related("brand", "account", "person")
    if user.is_org_wide:
        return targets
    accounts = Q(account__owner=user) | Q(account__members__user=user)
    return targets.filter(accounts | Q(person=user)).distinct()


def _check(target: KpiTarget, *, today: date) -> None:
    """Every refusal at once, each on its field, in words that say what to do."""
    errors: dict[str, str] = {}
    kpi = kpi_get(target.kpi)
    if kpi is None:
        errors["kpi"] = _("“%(code)s” is not a KPI of the catalogue. Choose one of the listed KPIs.") % {
            "code": target.kpi}
    elif target.scope not in kpi.scopes:
        errors["kpi"] = _("%(kpi)s is not measured per %(scope)s. Set it for the brand or an account instead.") % {
            "kpi": kpi.name, "scope": {BRAND: _("brand"), ACCOUNT: _("account"), PERSON: _("person")}[target.scope]}
    if target.end is not None and target.end < today:
        errors["end"] = _("The period ended on %(end)s: targets are set for periods that are not over yet.") % {
            "end": target.end.isoformat()}
    elif target.start is not None and target.end is not None and target.end < target.start:
        errors["end"] = _("The period ends before it starts. Give an end on or after the start.")
    if kpi is not None and target.value is not None:
        low, high = UNIT_RANGES[kpi.unit]
        try:
            value = Decimal(target.value)
        except (InvalidOperation, TypeError):
            value = None
        if value is None or not low <= value <= high:
            errors["value"] = _("Give a value from %(low)s to %(high)s (%(unit)s).") % {
                "low": low, "high": high, "unit": kpi.unit_label}
    if target.account_id and target.brand_id and target.account.brand_id != target.brand_id:
        errors["account"] = _("The account belongs to another brand. Choose one of the brand's accounts.")
    if target.account_id and target.person_id:
        errors["person"] = _("A target is for the brand, one account or one person: name an account or a person, "
                             "not both.")
    if errors:
        raise ValidationError(errors)


def _require(by: User | None, target: KpiTarget) -> None:
    """``by`` None is the system: a set-up command such as ``seed_demo_kpis``."""
    if by is not None and not kpi_target_set_allowed(by, account=target.account if target.account_id else None,
                                  person=target.person if target.person_id else None):
        raise PermissionDenied(_("Only a manager, or someone who may manage the account, sets its KPI targets."))


@transaction.atomic
def kpi_target_create(*, by: User | None, ip: str | None = None, **fields: Any) -> KpiTarget:
    target = KpiTarget(created_by=by, **{k: v for k, v in fields.items() if k in TARGET_FIELDS})
    _require(by, target)
    _check(target, today=timezone.localdate())
    return audited_create(target, fields=TARGET_FIELDS, by=by, action="kpi_target.create", ip=ip,
                          account_id=target.account_id)


@transaction.atomic
def kpi_target_update(*, target: KpiTarget, by: User, ip: str | None = None, **fields: Any) -> KpiTarget:
    """A target of a period that is over is history: it is neither changed nor moved."""
    _require(by, target)
    today = timezone.localdate()
    if target.end < today:
        raise ValidationError({"end": _("The period ended on %(end)s: its target is kept as it was.") % {
            "end": target.end.isoformat()}})
    candidate = KpiTarget(pk=target.pk, **{k: fields.get(k, getattr(target, k)) for k in TARGET_FIELDS})
    _require(by, candidate)
    _check(candidate, today=today)
    return audited_update(target, fields=TARGET_FIELDS, values=fields, by=by, action="kpi_target.update", ip=ip,
                          account_id=target.account_id)


@transaction.atomic
def kpi_target_delete(*, target: KpiTarget, by: User, ip: str | None = None) -> None:
    _require(by, target)
    if target.end < timezone.localdate():
        raise ValidationError({"end": _("The period ended on %(end)s: its target is kept as it was.") % {
            "end": target.end.isoformat()}})
    audit_record(actor=by, action="kpi_target.delete", target=target, account_id=target.account_id, ip=ip,
                 changes={"value": [str(target.value), None]})
    target.delete()
