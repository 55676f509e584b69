"""Reads for absence, handover and workload (team.handover writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Absence, AbsenceKind, Handover, User
from .work import WorkItem, access, work_source, work_sources


def _today() -> date:
    return timezone.localdate()


def absence_current(*, person_id: int, on: date | None = None) -> Absence | None:
    """The absence running on ``on`` (today), if any."""
    on = on or _today()
    return (Absence.objects.filter(person_id=person_id, starts_on__lte=on)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on)).order_by("-starts_on").first())


def absent_ids(*, people_ids: list[int] | None = None, on: date | None = None) -> set[int]:
    on = on or _today()
    absences = Absence.objects.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    if people_ids is not None:
        absences = absences.filter(person_id__in=people_ids)
    return set(absences.values_list("person_id", flat=True))


def absence_words(absence: Absence) -> str:
    if absence.kind == AbsenceKind.LEFT:
        return _("%(person)s has left the company") % {"person": absence.person}
    if absence.ends_on is None:
        return _("%(person)s is absent (%(kind)s) until further notice") % {
            "person": absence.person, "kind": absence.get_kind_display()}
    return _("%(person)s is absent (%(kind)s) until %(until)s") % {
        "person": absence.person, "kind": absence.get_kind_display(), "until": absence.ends_on.isoformat()}


def open_work(*, person_id: int) -> list[WorkItem]:
    """All open items ``person_id`` holds, every source together."""
    items: list[WorkItem] = []
    for source in work_sources():
        items += source.open_items(people_ids=[person_id])
    return items


# --- workload --------------------------------------------------------------------------------------------

AGE_BUCKETS = (  # (key, label, upper bound of the age): an item's age is since it was opened
    ("day", gettext_lazy("under 1 day"), timedelta(days=1)),
    ("days", gettext_lazy("1–3 days"), timedelta(days=3)),
    ("older", gettext_lazy("over 3 days"), None),
)


def age_bucket(age: timedelta) -> str:
    for key, _label, upper in AGE_BUCKETS:
        if upper is None or age < upper:
            return key
    return AGE_BUCKETS[-1][0]


@dataclass
class WorkloadRow:
    person: User
    absent: bool
    counts: dict[str, dict[str, int]]  # {kind: {bucket: n}}
    total: int

    @property
    def cells(self) -> list[int]:
        """The counts in the page's column order: each source (registry order), each age bucket."""
        return [n for buckets in self.counts.values() for n in buckets.values()]


def workload(*, people: list[User], now=None) -> list[WorkloadRow]:
    """Open items per person by kind and age bucket: one query per source whatever the number of items."""
    now = now or timezone.now()
    ids = [p.pk for p in people]
    counts: dict[int, dict[str, dict[str, int]]] = {
        pid: {s.kind: dict.fromkeys((b[0] for b in AGE_BUCKETS), 0) for s in work_sources()} for pid in ids}
    for source in work_sources():
        for item in source.open_items(people_ids=ids):
            if item.holder_id in counts:
                counts[item.holder_id][item.kind][age_bucket(now - item.opened_at)] += 1
    away = absent_ids(people_ids=ids)
    return [WorkloadRow(person=p, absent=p.pk in away, counts=counts[p.pk],
                        total=sum(sum(b.values()) for b in counts[p.pk].values())) for p in people]


# --- lists and the review page ----------------------------------------------------------------------------


def absence_list(*, user: User) -> QuerySet[Absence]:
    """Managers see everyone's absences; a person sees their own."""
    absences = Absence.objects.select_related("person", "created_by")
    return absences if user.is_org_wide else absences.filter(person=user)


def handover_list(*, user: User) -> QuerySet[Handover]:
    handovers = Handover.objects.select_related("from_person", "to_person", "absence")
    return handovers if user.is_org_wide else handovers.filter(Q(from_person=user) | Q(to_person=user))


def handover_view_allowed(user: User, handover: Handover) -> bool:
    return user.is_authenticated and (user.is_org_wide or user.pk in (handover.from_person_id, handover.to_person_id))


@dataclass
class ReviewRow:
    row: object  # HandoverItem
    label: str
    url: str
    account: str


def handover_review(*, handover: Handover) -> dict:
    """The review page: the items with their links and accounts, each account's stand-in page and playbook
    summary, the checklist."""
    from .models import HANDOVER_CHECKLIST

    rows = list(handover.items.all())
    account_ids = sorted({r.account_id for r in rows if r.account_id})
    names = access.names(account_ids)
    links: dict[tuple[str, int], str] = {}
    for kind in {r.kind for r in rows}:
        source = work_source(kind)
        if source is not None:
            for object_id, item in source.current(object_ids=[r.object_id for r in rows if r.kind == kind]).items():
                links[(kind, object_id)] = item.url
    labels = {s.kind: str(s.label) for s in work_sources()}
    return {
        "rows": [ReviewRow(row=r, label=labels.get(r.kind, r.kind), url=links.get((r.kind, r.object_id), ""),
                           account=names.get(r.account_id, "") if r.account_id else "") for r in rows],
        "playbooks": access.playbooks(account_ids),
        "checklist": [(key, label, key in (handover.checklist or [])) for key, label in HANDOVER_CHECKLIST.items()],
        "absence": absence_current(person_id=handover.from_person_id),
    }
