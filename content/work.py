"""Content's open work for the registry (team.work): the drafts and posts in review a person owns."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from team.work import HeldRows, WorkItem

from .models import Post, PostState

OPEN_STATES = (PostState.DRAFT, PostState.IN_REVIEW, PostState.REJECTED)  # rejected: back with its owner to rework


class PostWork(HeldRows):
    kind = "content.post"
    label = _("drafts and posts in review")
    model, holder, audit_action = Post, "owner", "post.update"

    def _items(self, posts: Q) -> list[WorkItem]:
        rows = (Post.objects.filter(posts, state__in=OPEN_STATES, owner__isnull=False)
                .prefetch_related("targets").order_by("pk"))
        return [WorkItem(kind=self.kind, object_id=p.pk, holder_id=p.owner_id, title=str(p),
                         url=reverse("content:post", args=[p.pk]),
                         accounts=tuple(sorted({t.account_id for t in p.targets.all()})), grant="draft",
                         opened_at=p.created_at, marker=p.updated_at.isoformat()) for p in rows]
