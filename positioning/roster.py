"""Writes of the duty roster: shifts and swaps, with the checks that need the per-account grants.

Why here: a shift's person must hold a grant on its account (reply for inbox duty, view for monitoring) and
"may this person do this" is decided only by ``positioning.access``. ``team`` must not import positioning,
and a registry filled in from ``AppConfig.ready()`` would hide that dependency behind a call at start-up;
positioning may import team, so the services sit here, beside the grants, and the models and the read-only
selectors (``team.roster``: who is on now, the week, my shifts) stay in team for every app to read.

Every service is keyword-only, checks everything before it writes, writes in one transaction and records the
change in the audit log. Bad input is a ``ValidationError`` naming the field; a person acting beyond their
rights gets ``PermissionDenied``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from team.models import Duty, Shift, ShiftSwap, SwapState, User
from team.services import audit_record, changes_between, snapshot

from .access import ACTION_LABELS, Action, account_allows
from .models import Account

# What a person must be allowed to do on the account to hold each duty: answer fans, or at least see it.
DUTY_ACTIONS = {Duty.INBOX: Action.REPLY, Duty.MONITORING: Action.VIEW}
MAX_SHIFT = timedelta(hours=24)  # longer is a typo in the end time, not a shift anyone works
MAX_REPEAT_WEEKS = 12  # a quarter ahead: a roster planned further out is redone anyway
SHIFT_FIELDS = ["account", "person", "duty", "starts_at", "ends_at", "note"]


def roster_edit_allowed(user: User, account: Account) -> bool:
    """Managers and those who may manage the account plan its roster and decide its swaps."""
    return account_allows(user, account, Action.MANAGE)


def roster_view_allowed(user: User, account: Account) -> bool:
    return account_allows(user, account, Action.VIEW)


def _edit_require(user: User, account: Account) -> None:
    if not roster_edit_allowed(user, account):
        raise PermissionDenied(_("Only a manager or someone who manages the account %(account)s edits its roster.")
                               % {"account": account.name})


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _check(*, account: Account, person: User, duty: str, starts_at: datetime, ends_at: datetime,
           field: str = "person", exclude_pk: int | None = None) -> None:
    """Refuses a shift that is not one (times, duty), a person who lacks the grant the duty needs, or a person
    already on duty then (on any account). ``field``: where a person problem is reported."""
    errors: dict[str, str] = {}
    if duty not in Duty.values:
        errors["duty"] = _("Choose inbox or monitoring.")
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        errors["starts_at"] = _("Give the time with its time zone.")
    elif ends_at <= starts_at:
        errors["ends_at"] = _("The shift must end after it starts.")
    elif ends_at - starts_at > MAX_SHIFT:
        errors["ends_at"] = _("A shift lasts at most %(hours)s hours: check the end time.") % {
            "hours": int(MAX_SHIFT.total_seconds() // 3600)}
    if not person.is_active:
        errors[field] = _("%(name)s is no longer active.") % {"name": person}
    elif duty in Duty.values and not account_allows(person, account, DUTY_ACTIONS[duty]):
        action = DUTY_ACTIONS[duty]
        errors[field] = _("%(name)s does not have the “%(action)s” permission on %(account)s, which %(duty)s "
                          "duty needs. Give them that access first.") % {
            "name": person, "action": ACTION_LABELS[action], "account": account.name,
            "duty": Duty(duty).label}
    if errors:
        raise ValidationError(errors)
    # The person's row is locked so that two plans for the same person made at once cannot both pass.
    User.objects.select_for_update().filter(pk=person.pk).first()
    clash = (Shift.objects.filter(person=person, starts_at__lt=ends_at, ends_at__gt=starts_at)
             .exclude(pk=exclude_pk).select_related("account").order_by("starts_at").first())
    if clash is not None:
        raise ValidationError({field: _(
            "%(name)s is already on %(duty)s duty for %(account)s from %(start)s to %(end)s: a person cannot be "
            "on two duties at once. Move or remove that shift first.") % {
            "name": person, "duty": clash.get_duty_display(), "account": clash.account.name,
            "start": _when(clash.starts_at), "end": _when(clash.ends_at)}})


@transaction.atomic
def shift_create(*, account: Account, person: User, duty: str, starts_at: datetime, ends_at: datetime,
                 note: str = "", repeat_weeks: int = 1, by: User, ip: str | None = None) -> list[Shift]:
    """Puts ``person`` on ``duty`` for ``account``, and the same hours in each of the next ``repeat_weeks - 1``
    weeks. All or nothing: a clash in any week refuses every week, saying which."""
    _edit_require(by, account)
    if not 1 <= repeat_weeks <= MAX_REPEAT_WEEKS:
        raise ValidationError({"repeat_weeks": _("Repeat for 1 to %(max)s weeks.") % {"max": MAX_REPEAT_WEEKS}})
    shifts = []
    for week in range(repeat_weeks):
        # Local wall-clock times repeat (Asia/Shanghai keeps no summer time, but the code should not assume it).
        start = _shift_week(starts_at, week)
        end = _shift_week(ends_at, week)
        _check(account=account, person=person, duty=duty, starts_at=start, ends_at=end)
        shift = Shift(account=account, person=person, duty=duty, starts_at=start, ends_at=end, note=note,
                      created_by=by)
        shift.full_clean()
        shift.save()
        audit_record(actor=by, action="shift.create", target=shift, account_id=account.pk, ip=ip,
                     changes=changes_between({}, snapshot(shift, SHIFT_FIELDS)))
        shifts.append(shift)
    return shifts


def _shift_week(moment: datetime, weeks: int) -> datetime:
    if timezone.is_naive(moment) or not weeks:
        return moment
    local = timezone.localtime(moment)
    return timezone.make_aware(local.replace(tzinfo=None) + timedelta(weeks=weeks), local.tzinfo)


@transaction.atomic
def shift_update(*, shift: Shift, by: User, ip: str | None = None, **fields) -> Shift:
    """Changes a shift's person, duty, times or note with the same checks as a new one."""
    shift = Shift.objects.select_for_update().select_related("account", "person").get(pk=shift.pk)
    _edit_require(by, shift.account)
    before = snapshot(shift, SHIFT_FIELDS)
    for key in ("person", "duty", "starts_at", "ends_at", "note"):
        if key in fields:
            setattr(shift, key, fields[key])
    _check(account=shift.account, person=shift.person, duty=shift.duty, starts_at=shift.starts_at,
           ends_at=shift.ends_at, exclude_pk=shift.pk)
    shift.full_clean()
    changes = changes_between(before, snapshot(shift, SHIFT_FIELDS))
    if changes:
        shift.save(update_fields=list(changes))
        audit_record(actor=by, action="shift.update", target=shift, account_id=shift.account_id, ip=ip,
                     changes=changes)
    return shift


@transaction.atomic
def shift_delete(*, shift: Shift, by: User, ip: str | None = None) -> None:
    _edit_require(by, shift.account)
    audit_record(actor=by, action="shift.delete", target=shift, account_id=shift.account_id, ip=ip,
                 changes=changes_between(snapshot(shift, SHIFT_FIELDS), {}))
    shift.delete()


@transaction.atomic
def swap_request(*, shift: Shift, to_person: User, reason: str = "", by: User, ip: str | None = None) -> ShiftSwap:
    """The person on a shift asks to hand it to ``to_person``. Checked now (so nobody approves a swap that
    cannot happen) and again at approval."""
    if shift.person_id != by.pk:
        raise PermissionDenied(_("You can ask to swap only your own shifts."))
    if shift.ends_at <= timezone.now():
        raise ValidationError({"shift": _("This shift is over: there is nothing left to swap.")})
    if to_person.pk == shift.person_id:
        raise ValidationError({"to_person": _("Choose someone else to take the shift.")})
    if ShiftSwap.objects.filter(shift=shift, state=SwapState.REQUESTED).exists():
        raise ValidationError({"shift": _("A swap of this shift is already waiting for a decision.")})
    _check(account=shift.account, person=to_person, duty=shift.duty, starts_at=shift.starts_at,
           ends_at=shift.ends_at, field="to_person", exclude_pk=shift.pk)
    swap = ShiftSwap.objects.create(shift=shift, requested_by=by, to_person=to_person, reason=reason[:200])
    audit_record(actor=by, action="swap.request", target=swap, account_id=shift.account_id, ip=ip,
                 changes={"to_person": [None, str(to_person)], "reason": [None, reason[:200]]})
    return swap


def _claim(swap: ShiftSwap, state: str, by: User) -> bool:
    """Decides a swap once: of two managers deciding at once, only the first changes it."""
    return bool(ShiftSwap.objects.filter(pk=swap.pk, state=SwapState.REQUESTED).update(
        state=state, decided_by=by, decided_at=timezone.now()))


def _decided(swap: ShiftSwap) -> ValidationError:
    swap.refresh_from_db(fields=["state"])
    return ValidationError({"state": _("This swap was already decided (%(state)s).") % {
        "state": swap.get_state_display()}})


@transaction.atomic
def swap_approve(*, swap: ShiftSwap, by: User, ip: str | None = None) -> ShiftSwap:
    """Moves the shift to the new person, after the overlap and grant checks again (things change between the
    request and the decision)."""
    shift = Shift.objects.select_for_update().select_related("account", "person").get(pk=swap.shift_id)
    _edit_require(by, shift.account)
    if swap.state != SwapState.REQUESTED:
        raise _decided(swap)
    to_person = User.objects.get(pk=swap.to_person_id)
    _check(account=shift.account, person=to_person, duty=shift.duty, starts_at=shift.starts_at,
           ends_at=shift.ends_at, field="to_person", exclude_pk=shift.pk)
    if not _claim(swap, SwapState.APPROVED, by):
        raise _decided(swap)
    before = shift.person
    shift.person = to_person
    shift.save(update_fields=["person"])
    swap.refresh_from_db()
    audit_record(actor=by, action="swap.approve", target=swap, account_id=shift.account_id, ip=ip,
                 changes={"person": [str(before), str(to_person)]})
    return swap


@transaction.atomic
def swap_refuse(*, swap: ShiftSwap, by: User, ip: str | None = None) -> ShiftSwap:
    _edit_require(by, swap.shift.account)
    if not _claim(swap, SwapState.REFUSED, by):
        raise _decided(swap)
    swap.refresh_from_db()
    audit_record(actor=by, action="swap.refuse", target=swap, account_id=swap.shift.account_id, ip=ip,
                 changes={"state": [SwapState.REQUESTED, SwapState.REFUSED]})
    return swap


@transaction.atomic
def swap_cancel(*, swap: ShiftSwap, by: User, ip: str | None = None) -> ShiftSwap:
    """The person who asked takes the request back."""
    if swap.requested_by_id != by.pk:
        raise PermissionDenied(_("Only the person who asked can cancel a swap request."))
    if not _claim(swap, SwapState.CANCELLED, by):
        raise _decided(swap)
    swap.refresh_from_db()
    audit_record(actor=by, action="swap.cancel", target=swap, account_id=swap.shift.account_id, ip=ip,
                 changes={"state": [SwapState.REQUESTED, SwapState.CANCELLED]})
    return swap
