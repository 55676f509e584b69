"""Sentiment's open work for the registry (team.work): the incident steps a person owns."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from team.models import User
from team.work import WorkItem

from .models import IncidentEvent, IncidentState, IncidentTask


class IncidentStepWork:
    kind = "sentiment.step"
    label = _("incident steps")

    def _items(self, steps: Q) -> list[WorkItem]:
        rows = (IncidentTask.objects.filter(steps, owner__isnull=False, done_at__isnull=True)
                .exclude(incident__state=IncidentState.CLOSED).select_related("incident").order_by("pk"))
        # Incidents are the brand's, not one account's: a step needs no per-account grant.
        return [WorkItem(kind=self.kind, object_id=t.pk, holder_id=t.owner_id, title=f"{t.incident}: {t.title}",
                         url=reverse("sentiment:incident", args=[t.incident_id]), accounts=(), grant="",
                         opened_at=t.incident.opened_at, marker=f"{t.due_at.isoformat()}|{t.done_at or ''}")
                for t in rows]

    def open_items(self, *, people_ids: list[int] | None) -> list[WorkItem]:
        return self._items(Q() if people_ids is None else Q(owner_id__in=people_ids))

    def current(self, *, object_ids: list[int]) -> dict[int, WorkItem]:
        return {i.object_id: i for i in self._items(Q(pk__in=object_ids))}

    def reassign(self, *, object_ids: list[int], to: User, by: User | None) -> dict[int, str]:
        steps = list(IncidentTask.objects.select_for_update(of=("self",)).filter(pk__in=object_ids)
                     .select_related("owner"))
        # The incident's timeline tells who holds each step now.
        IncidentEvent.objects.bulk_create([
            IncidentEvent(incident_id=s.incident_id, actor=by, kind="step_owner",
                          text=f"{s.title}: {s.owner or ''} → {to}", data={"task": s.pk, "owner": to.pk})
            for s in steps])
        IncidentTask.objects.filter(pk__in=object_ids).update(owner=to)
        return {i.object_id: i.marker for i in self._items(Q(pk__in=object_ids))}
