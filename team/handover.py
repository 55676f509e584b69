"""Absence and handover: someone away or leaving, their open work moved to a stand-in in one reviewed step,
undone while the items are untouched; and the workload rebalance, the same move for a manager.

Every move goes through the registry (``team.work``): team knows no duty app.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    HANDOVER_CHECKLIST,
    Absence,
    AbsenceKind,
    Handover,
    HandoverItem,
    HandoverState,
    User,
)
from .roster import on_duty_map
from .selectors_work import absence_current, absence_words, absent_ids, open_work
from .services import audit_record
from .work import WorkItem, access, work_source


def assignee_available_require(person: User | None, *, field: str = "assignee") -> None:
    """Nothing new is given to an absent person: every assignment service calls this first."""
    if person is None:
        return
    absence = absence_current(person_id=person.pk)
    if absence is not None:
        raise ValidationError({field: _("%(absent)s: choose someone else.") % {"absent": absence_words(absence)}})


# --- listing work -----------------------------------------------------------------------------------


def _grant_problems(items: list[WorkItem], to: User) -> list[str]:
    """Sentences naming each grant ``to`` lacks on each account, for the refusal."""
    needed: dict[str, set[int]] = {}
    for item in items:
        if item.grant and item.accounts:
            needed.setdefault(item.grant, set()).update(item.accounts)
    problems = []
    for grant, account_ids in sorted(needed.items()):
        lacking = access.lacking(to, sorted(account_ids), grant)
        if lacking:
            names = access.names(lacking)
            for account_id in lacking:
                problems.append(_("%(person)s lacks the “%(grant)s” permission on the account %(account)s.") % {
                    "person": to, "grant": access.action_label(grant), "account": names.get(account_id, account_id)})
    return problems


def _stand_in_suggest(items: list[WorkItem], absent: User) -> User | None:
    """The person who may act on all the items' accounts (most of them, failing that), not away; among those, the
    one on duty now on most of these accounts (the roster), then the people who work them day to day."""
    away = absent_ids() | {absent.pk}
    needed = {(account_id, item.grant) for item in items for account_id in item.accounts if item.grant}
    if not needed:
        return None
    votes: Counter[int] = Counter()
    for account_id, grant in sorted(needed):
        for person_id in access.people_who_may(account_id, grant):
            if person_id not in away:
                votes[person_id] += 1
    if not votes:
        return None
    candidates = {p.pk: p for p in User.objects.filter(pk__in=list(votes), is_active=True)}
    # Most of the items' accounts first; then on duty now; then the people who work them day to day before
    # managers; then the earliest-made person, so the suggestion is stable.
    duty = on_duty_map(account_ids=sorted({account_id for account_id, _grant in needed}))
    on_now = Counter(person.pk for people in duty.values() for person in people)
    ranked = sorted(candidates.values(), key=lambda p: (-votes[p.pk], -on_now[p.pk], p.is_org_wide, p.pk))
    return ranked[0] if ranked else None


def _manager_require(by: User) -> None:
    if not by.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators hand work over."))


# --- services -----------------------------------------------------------------------------------------


@transaction.atomic
def absence_mark(*, person: User, kind: str, starts_on: date, ends_on: date | None, by: User, note: str = "",
                 to: User | None = None, ip: str | None = None) -> Handover:
    """Records the absence and proposes a handover of ALL the person's open work, stand-in suggested."""
    _manager_require(by)
    if kind == AbsenceKind.LEFT:
        ends_on = None
    absence = Absence(person=person, kind=kind, starts_on=starts_on, ends_on=ends_on, note=note.strip(),
                      created_by=by)
    absence.full_clean()
    if ends_on is not None and ends_on < timezone.localdate():
        raise ValidationError({"ends_on": _("This absence is over already: give a day from today on.")})
    absence.save()
    audit_record(actor=by, action="absence.mark", target=person, ip=ip,
                 changes={"kind": [None, kind], "starts_on": [None, starts_on.isoformat()],
                          "ends_on": [None, ends_on.isoformat() if ends_on else None]})
    return handover_propose(person=person, by=by, absence=absence, to=to, ip=ip)


@transaction.atomic
def handover_propose(*, person: User, by: User, absence: Absence | None = None, to: User | None = None,
                     ip: str | None = None) -> Handover:
    _manager_require(by)
    items = open_work(person_id=person.pk)
    if to is not None and to.pk == person.pk:
        raise ValidationError({"to_person": _("The stand-in must be someone else.")})
    handover = Handover.objects.create(absence=absence, from_person=person, created_by=by,
                                       to_person=to or _stand_in_suggest(items, person))
    HandoverItem.objects.bulk_create([
        HandoverItem(handover=handover, kind=i.kind, object_id=i.object_id, title=i.title[:200],
                     account_id=i.account_id) for i in items])
    audit_record(actor=by, action="handover.propose", target=handover, ip=ip,
                 changes={"items": [None, len(items)], "owner": [None, str(handover.to_person or "")]})
    return handover


@dataclass
class Move:
    """What a move or an undo did."""

    moved: list[HandoverItem]
    kept: list[HandoverItem]


def _locked(handover: Handover) -> Handover:
    return (Handover.objects.select_for_update(of=("self",)).select_related("from_person", "to_person")
            .get(pk=handover.pk))


def _move(items: list[WorkItem], to: User, by: User) -> dict[tuple[str, int], str]:
    """Moves every item or none (the caller's transaction); returns the new markers by (kind, id)."""
    markers: dict[tuple[str, int], str] = {}
    by_kind: dict[str, list[int]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item.object_id)
    for kind, ids in by_kind.items():
        for object_id, marker in work_source(kind).reassign(object_ids=ids, to=to, by=by).items():
            markers[(kind, object_id)] = marker
    return markers


@transaction.atomic
def handover_apply(*, handover: Handover, by: User, to: User | None = None, checklist: list[str],
                   ip: str | None = None) -> Handover:
    """Moves all the open work of the handover's person to the stand-in, in one transaction: every item or none.

    The list is read again: what was closed since the proposal is dropped, what came in is added, so nothing
    stays with the absent person."""
    _manager_require(by)
    handover = _locked(handover)
    if handover.state != HandoverState.PROPOSED:
        raise ValidationError(_("This handover was %(state)s already.") % {"state": handover.get_state_display()})
    to = to or handover.to_person
    if to is None:
        raise ValidationError({"to_person": _("Choose the stand-in.")})
    if to.pk == handover.from_person_id:
        raise ValidationError({"to_person": _("The stand-in must be someone else.")})
    if not to.is_active:
        raise ValidationError({"to_person": _("%(person)s cannot sign in any more.") % {"person": to}})
    assignee_available_require(to, field="to_person")
    missing = [str(label) for key, label in HANDOVER_CHECKLIST.items() if key not in set(checklist)]
    if missing:
        raise ValidationError({"checklist": _("Tick every item of the checklist first: %(items)s.")
                               % {"items": "; ".join(missing)}})
    items = open_work(person_id=handover.from_person_id)
    problems = _grant_problems(items, to)
    if problems:
        raise ValidationError({"to_person": problems})
    markers = _move(items, to, by)
    listed = {(i.kind, i.object_id): i for i in handover.items.all()}
    rows = []
    for item in items:
        row = listed.pop((item.kind, item.object_id), None) or HandoverItem(
            handover=handover, kind=item.kind, object_id=item.object_id, account_id=item.account_id)
        row.title, row.marker, row.moved = item.title[:200], markers.get((item.kind, item.object_id), ""), True
        rows.append(row)
    HandoverItem.objects.filter(pk__in=[r.pk for r in listed.values()]).delete()  # closed since the proposal
    HandoverItem.objects.bulk_create([r for r in rows if r.pk is None])
    HandoverItem.objects.bulk_update([r for r in rows if r.pk is not None], ["title", "marker", "moved"])
    before = str(handover.to_person or "")
    handover.to_person, handover.state, handover.checklist = to, HandoverState.APPLIED, sorted(set(checklist))
    handover.applied_at = timezone.now()
    handover.save(update_fields=["to_person", "state", "checklist", "applied_at"])
    audit_record(actor=by, action="handover.apply", target=handover, ip=ip,
                 changes={"owner": [before, str(to)], "items": [None, len(rows)]})
    return handover


@transaction.atomic
def handover_undo(*, handover: Handover, by: User, ip: str | None = None) -> Move:
    """Moves back the items still untouched since the move (same holder, same marker); the others stay with the
    stand-in, each with the reason."""
    _manager_require(by)
    handover = _locked(handover)
    if handover.state != HandoverState.APPLIED:
        raise ValidationError(_("Only an applied handover can be undone."))
    rows = list(handover.items.filter(moved=True, moved_back=False))
    back: list[HandoverItem] = []
    kept: list[HandoverItem] = []
    by_kind: dict[str, list[HandoverItem]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for kind, kind_rows in by_kind.items():
        source = work_source(kind)
        now = source.current(object_ids=[r.object_id for r in kind_rows]) if source else {}
        returning = []
        for row in kind_rows:
            item = now.get(row.object_id)
            if item is None:
                row.kept_reason = _("done or closed since the move")
            elif item.holder_id != handover.to_person_id:
                row.kept_reason = _("given to someone else since the move")
            elif item.marker != row.marker:
                row.kept_reason = _("worked on by the stand-in since the move")
            else:
                returning.append(row)
                continue
            kept.append(row)
        if returning:
            source.reassign(object_ids=[r.object_id for r in returning], to=handover.from_person, by=by)
            for row in returning:
                row.moved_back = True
            back += returning
    HandoverItem.objects.bulk_update(rows, ["moved_back", "kept_reason"])
    handover.state, handover.undone_at = HandoverState.UNDONE, timezone.now()
    handover.save(update_fields=["state", "undone_at"])
    audit_record(actor=by, action="handover.undo", target=handover, ip=ip,
                 changes={"moved_back": [None, len(back)], "kept": [None, len(kept)]})
    return Move(moved=back, kept=kept)


@transaction.atomic
def work_rebalance(*, from_person: User, kind: str, to: User, by: User, object_ids: list[int] | None = None,
                   ip: str | None = None) -> int:
    """A manager moves a person's open items of one kind (all, or ``object_ids`` of them) to another person, with
    the same grant checks as a handover; returns how many moved."""
    if not by.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators move other people's work."))
    source = work_source(kind)
    if source is None:
        raise ValidationError({"kind": _("Choose one of the listed kinds of work.")})
    if to.pk == from_person.pk:
        raise ValidationError({"to_person": _("Choose someone other than the person the work is with.")})
    if not to.is_active:
        raise ValidationError({"to_person": _("%(person)s cannot sign in any more.") % {"person": to}})
    assignee_available_require(to, field="to_person")
    items = source.open_items(people_ids=[from_person.pk])
    if object_ids is not None:
        unknown = set(object_ids) - {i.object_id for i in items}
        if unknown:
            raise ValidationError({"object_ids": _("These items are not open with %(person)s: %(ids)s.") % {
                "person": from_person, "ids": ", ".join(str(i) for i in sorted(unknown))}})
        items = [i for i in items if i.object_id in set(object_ids)]
    if not items:
        raise ValidationError({"kind": _("%(person)s holds no open %(kind)s.") % {
            "person": from_person, "kind": source.label}})
    problems = _grant_problems(items, to)
    if problems:
        raise ValidationError({"to_person": problems})
    _move(items, to, by)
    audit_record(actor=by, action="work.rebalance", target=from_person, ip=ip,
                 changes={"owner": [str(from_person), str(to)], "kind": [None, str(source.label)],
                          "items": [None, len(items)]})
    return len(items)
