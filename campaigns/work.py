"""Campaigns' open work for the registry (team.work): the campaign tasks a person owns."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from team.models import User
from team.services import audit_record
from team.work import WorkItem

from .models import CampaignState, Task, TaskState

FINISHED = (CampaignState.CLOSED, CampaignState.CANCELLED)


class CampaignTaskWork:
    kind = "campaigns.task"
    label = _("campaign tasks")

    def _items(self, tasks: Q) -> list[WorkItem]:
        rows = (Task.objects.filter(tasks, owner__isnull=False).exclude(state=TaskState.DONE)
                .exclude(campaign__state__in=FINISHED).select_related("campaign").order_by("pk"))
        # A task is the campaign's (often another department's): it needs no per-account grant.
        return [WorkItem(kind=self.kind, object_id=t.pk, holder_id=t.owner_id, title=f"{t.campaign.title}: {t.title}",
                         url=reverse("campaigns:my_tasks"), accounts=(), grant="", opened_at=t.created_at,
                         marker=t.updated_at.isoformat()) for t in rows]

    def open_items(self, *, people_ids: list[int] | None) -> list[WorkItem]:
        return self._items(Q() if people_ids is None else Q(owner_id__in=people_ids))

    def current(self, *, object_ids: list[int]) -> dict[int, WorkItem]:
        return {i.object_id: i for i in self._items(Q(pk__in=object_ids))}

    def reassign(self, *, object_ids: list[int], to: User, by: User | None) -> dict[int, str]:
        now = timezone.now()
        tasks = list(Task.objects.select_for_update(of=("self",)).filter(pk__in=object_ids).select_related("owner"))
        for task in tasks:
            audit_record(actor=by, action="campaign_task.update", target=task,
                         changes={"owner": [str(task.owner or ""), str(to)]})
        Task.objects.filter(pk__in=object_ids).update(owner=to, updated_at=now)
        return dict.fromkeys((t.pk for t in tasks), now.isoformat())
