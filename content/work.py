"""Content's open work for the registry (team.work): the drafts and posts in review a person owns."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from team.models import User
from team.services import audit_record
from team.work import WorkItem

from .models import Post, PostState

OPEN_STATES = (PostState.DRAFT, PostState.IN_REVIEW, PostState.REJECTED)  # rejected: back with its owner to rework


class PostWork:
    kind = "content.post"
    label = _("drafts and posts in review")

    def _items(self, posts: Q) -> list[WorkItem]:
        rows = (Post.objects.filter(posts, state__in=OPEN_STATES, owner__isnull=False)
                .prefetch_related("targets").order_by("pk"))
        return [WorkItem(kind=self.kind, object_id=p.pk, holder_id=p.owner_id, title=str(p),
                         url=reverse("content:post", args=[p.pk]),
                         accounts=tuple(sorted({t.account_id for t in p.targets.all()})), grant="draft",
                         opened_at=p.created_at, marker=p.updated_at.isoformat()) for p in rows]

    def open_items(self, *, people_ids: list[int] | None) -> list[WorkItem]:
        return self._items(Q() if people_ids is None else Q(owner_id__in=people_ids))

    def current(self, *, object_ids: list[int]) -> dict[int, WorkItem]:
        return {i.object_id: i for i in self._items(Q(pk__in=object_ids))}

    def reassign(self, *, object_ids: list[int], to: User, by: User | None) -> dict[int, str]:
        now = timezone.now()
        posts = list(Post.objects.select_for_update(of=("self",)).filter(pk__in=object_ids).select_related("owner"))
        for post in posts:
            audit_record(actor=by, action="post.update", target=post,
                         changes={"owner": [str(post.owner or ""), str(to)]})
        Post.objects.filter(pk__in=object_ids).update(owner=to, updated_at=now)
        return dict.fromkeys((p.pk for p in posts), now.isoformat())
