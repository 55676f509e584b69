"""Campaigns' open work for the registry (team.work): the campaign tasks a person owns."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from team.work import HeldRows, WorkItem

from .models import CampaignState, Task, TaskState

FINISHED = (CampaignState.CLOSED, CampaignState.CANCELLED)


class CampaignTaskWork(HeldRows):
    kind = "campaigns.task"
    label = _("campaign tasks")
    model, holder, audit_action = Task, "owner", "campaign_task.update"

    def _items(self, tasks: Q) -> list[WorkItem]:
        rows = (Task.objects.filter(tasks, owner__isnull=False).exclude(state=TaskState.DONE)
                .exclude(campaign__state__in=FINISHED).select_related("campaign").order_by("pk"))
        # A task is the campaign's (often another department's): it needs no per-account grant.
        return [WorkItem(kind=self.kind, object_id=t.pk, holder_id=t.owner_id, title=f"{t.campaign.title}: {t.title}",
                         url=reverse("campaigns:my_tasks"), accounts=(), grant="", opened_at=t.created_at,
                         marker=t.updated_at.isoformat()) for t in rows]
