"""Sentiment's open work for the registry (team.work): the incident steps a person owns."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from team.work import HeldRows, WorkItem

from .models import IncidentEvent, IncidentState, IncidentTask


class IncidentStepWork(HeldRows):
    kind = "sentiment.step"
    label = _("incident steps")
    model, holder = IncidentTask, "owner"

    def _items(self, steps: Q) -> list[WorkItem]:
        rows = (IncidentTask.objects.filter(steps, owner__isnull=False, done_at__isnull=True)
                .exclude(incident__state=IncidentState.CLOSED).select_related("incident").order_by("pk"))
        # Incidents are the brand's, not one account's: a step needs no per-account grant.
        return [WorkItem(kind=self.kind, object_id=t.pk, holder_id=t.owner_id, title=f"{t.incident}: {t.title}",
                         url=reverse("sentiment:incident", args=[t.incident_id]), accounts=(), grant="",
                         opened_at=t.incident.opened_at, marker=f"{t.due_at.isoformat()}|{t.done_at or ''}")
                for t in rows]

    def _record(self, rows: list, to, by) -> None:
        # The incident's timeline tells who holds each step now.
        IncidentEvent.objects.bulk_create([
            IncidentEvent(incident_id=s.incident_id, actor=by, kind="step_owner",
                          text=f"{s.title}: {s.owner or ''} → {to}", data={"task": s.pk, "owner": to.pk})
            for s in rows])

    def _touch(self, now) -> dict:
        return {}  # a step has no update time: its marker is its due time and completion
