"""Reads for the content pages and API: posts, the review queue, the calendar and cadence."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from positioning.access import Action, accounts_for
from positioning.models import Account, Brand, PlaybookVersion
from team.models import User

from . import similarity
from .access import allowed, post_schedule_require
from .approval import approval_needed, approval_plan, latest_playbooks, post_authors
from .models import Approval, MetricSnapshot, Pillar, Post, PostRevision, PostState, PostTarget, TargetState
from .status import Status, post_status, target_status

__all__ = ["Status", "post_status", "target_status"]  # other apps read the status words through selectors

SIMILAR_WINDOW = timedelta(days=30)  # Weibo compares a new post with the account's recent ones
CADENCE_DAYS = 30  # days of history on the cadence table
QUEUE_MAX = 200  # posts shown in a review queue; more than that is a backlog to talk about, not to scroll
COUNTED = [TargetState.SCHEDULED, TargetState.PUBLISHING, TargetState.CONFIRMING, TargetState.PUBLISHED]


def pillar_list(*, user: User) -> QuerySet[Pillar]:
    brands = accounts_for(user, Action.VIEW).values("brand_id")
    return Pillar.objects.filter(brand_id__in=brands).select_related("brand").order_by("brand__name", "name")


def visible_targets(user: User) -> QuerySet[PostTarget]:
    """A post's targets as ``user`` may see them: only those on accounts they can view (the other
    accounts' texts, schedules and errors are not theirs to read), for ``Prefetch("targets", ...)``."""
    return (PostTarget.objects.filter(account__in=accounts_for(user, Action.VIEW).values("pk"))
            .select_related("account").order_by("account__name"))


def post_list(*, user: User, state: str | None = None, account: Account | None = None) -> QuerySet[Post]:
    """Posts with a target on an account the person can see, newest first, with those targets
    (and only those) prefetched."""
    visible = accounts_for(user, Action.VIEW).values("pk")
    posts = Post.objects.filter(targets__account__in=visible).distinct()
    if state:
        posts = posts.filter(state=state)
    if account is not None:
        posts = posts.filter(targets__account=account)
    return posts.select_related("pillar", "brand", "created_by").prefetch_related(
        Prefetch("targets", queryset=visible_targets(user))
    ).order_by("-created_at")


def post_visible(*, user: User, post: Post) -> bool:
    return accounts_for(user, Action.VIEW).filter(post_targets__post=post).exists()


def post_publish_now_allowed(*, user: User, post: Post) -> bool:
    """Whether "publish now" would go through for ``user`` (``services.post_publish_now``'s checks):
    the post needs no more approval and they may publish on every account it can still go to."""
    if post.state != PostState.APPROVED and approval_needed(post):
        return False
    remaining = list(post.targets.exclude(state__in=[TargetState.PUBLISHED, TargetState.PUBLISHING,
                                                     TargetState.CONFIRMING, TargetState.CANCELLED])
                     .select_related("account"))
    return bool(remaining) and allowed(post_schedule_require, user, remaining)


def target_list(*, user: User) -> QuerySet[PostTarget]:
    visible = accounts_for(user, Action.VIEW).values("pk")
    return PostTarget.objects.filter(account__in=visible).select_related("post", "post__pillar", "account")


@dataclass
class PostDetail:
    post: Post
    targets: list[PostTarget]
    approvals: list[Approval]
    plan: list
    revisions: list[PostRevision]
    diff: list[tuple[str, str]] | None  # against the previous version


def post_detail(*, post: Post, user: User | None = None) -> PostDetail:
    """The post with its targets: only those on accounts ``user`` may see, when given."""
    targets = post.targets.select_related("account").prefetch_related("publish_attempts").order_by("account__name")
    if user is not None:
        targets = targets.filter(account__in=accounts_for(user, Action.VIEW).values("pk"))
    targets = list(targets)
    revisions = list(post.revisions.select_related("created_by").order_by("-version"))
    if user is not None:
        # A version's variants are keyed by account name: only the accounts the person sees.
        names = set(accounts_for(user, Action.VIEW).values_list("name", flat=True))
        for revision in revisions:
            revision.variants = {name: text for name, text in revision.variants.items() if name in names}
    return PostDetail(post, targets, list(post.approvals.select_related("reviewer").order_by("-created_at")),
                      approval_plan(post) if post.state == PostState.IN_REVIEW else [], revisions,
                      text_diff(revisions[1].text, revisions[0].text) if len(revisions) > 1 else None)


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """[(op, text)] with op "same", "added" or "removed", character by character (Chinese has no spaces)."""
    parts: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(("same", before[a1:a2]))
            continue
        if a2 > a1:
            parts.append(("removed", before[a1:a2]))
        if b2 > b1:
            parts.append(("added", after[b1:b2]))
    return parts


# --- review queue ------------------------------------------------------------------------------

@dataclass
class QueueItem:
    post: Post
    waiting: timedelta
    target_minutes: int
    awaiting: list  # AccountApproval items not yet satisfied
    diff: list[tuple[str, str]] | None
    first_slot: datetime | None

    @property
    def breached(self) -> bool:
        return self.waiting > timedelta(minutes=self.target_minutes)

    @property
    def waiting_minutes(self) -> int:
        return int(self.waiting.total_seconds() // 60)


def review_queue(*, user: User, now: datetime | None = None) -> list[QueueItem]:
    """Posts waiting for review on accounts this person may approve, oldest first, with the
    approval clock against the strictest target of their accounts' playbooks. Each post carries
    only the targets (and approvals awaited) of accounts the person can see."""
    now = now or timezone.now()
    approvable = accounts_for(user, Action.APPROVE).values("pk")
    posts = list(Post.objects.filter(state=PostState.IN_REVIEW, targets__account__in=approvable).distinct()
                 .select_related("pillar", "created_by", "brand")
                 .prefetch_related(Prefetch("targets", queryset=visible_targets(user)),
                                   Prefetch("revisions", queryset=PostRevision.objects.order_by("-version")),
                                   Prefetch("approvals", queryset=Approval.objects.select_related("reviewer")))
                 .order_by("-urgent", "submitted_at", "pk")[:QUEUE_MAX])
    latest = latest_playbooks({t.account_id for post in posts for t in post.targets.all()})
    # One object per reviewer, so that what each may do is read once, not once per decision.
    reviewers = {person.pk: person for person in [user, *(d.reviewer for p in posts for d in p.approvals.all())]}
    for post in posts:
        for decision in post.approvals.all():
            decision.reviewer = reviewers[decision.reviewer_id]
    items = []
    for post in posts:
        if user.pk in post_authors(post):
            continue  # they wrote some of it: someone else reviews it
        if any(d.reviewer_id == user.pk and d.version == post.version and d.decision == "approved"
               for d in post.approvals.all()):
            continue  # approved by them already; it waits for the other approvers
        targets = list(post.targets.all())
        minutes = min((latest[t.account_id].approval_target_minutes for t in targets if t.account_id in latest),
                      default=30)
        revisions = list(post.revisions.all())
        diff = text_diff(revisions[1].text, revisions[0].text) if len(revisions) > 1 else None
        slots = [t.scheduled_at for t in targets if t.scheduled_at]
        items.append(QueueItem(post, now - (post.submitted_at or post.created_at), minutes,
                               [p for p in approval_plan(post, playbooks=latest) if not p.satisfied], diff,
                               min(slots) if slots else None))
    return items


# --- near duplicates ---------------------------------------------------------------------------

@dataclass
class SimilarPost:
    post: Post
    score: float
    hidden: bool = False  # on accounts the person cannot see: the score is shown, not the post


def similar_post(*, brand: Brand, text: str, exclude_post_id: int | None = None,
                 now: datetime | None = None) -> SimilarPost | None:
    """The brand's post of the last 30 days closest to ``text``, if it is close enough to worry."""
    since = (now or timezone.now()) - SIMILAR_WINDOW
    posts = Post.objects.filter(brand=brand).filter(
        Q(created_at__gte=since) | Q(targets__published_at__gte=since)).exclude(pk=exclude_post_id or 0).distinct()
    candidates: dict[object, str] = {}
    for pk, body in posts.values_list("pk", "text"):
        candidates[(pk, 0)] = body
    for pk, target_pk, variant in (PostTarget.objects.filter(post__in=posts).exclude(variant="")
                                   .values_list("post_id", "pk", "variant")):
        candidates[(pk, target_pk)] = variant
    found = similarity.closest(text, candidates)
    if found is None:
        return None
    return SimilarPost(Post.objects.select_related("pillar", "created_by").get(pk=found.key[0]), found.score)


# --- calendar and cadence ----------------------------------------------------------------------

@dataclass
class Slot:
    at: datetime  # Asia/Shanghai
    targets: list[PostTarget] = field(default_factory=list)
    planned: bool = True  # a slot of the playbook (False: a post at a time the plan does not name)

    @property
    def gap(self) -> bool:
        return self.planned and not any(t.state in COUNTED for t in self.targets)


@dataclass
class Day:
    day: date
    slots: list[Slot]
    planned: int
    done: int  # scheduled or published posts
    missing_pillars: list[str]

    @property
    def short(self) -> int:
        return max(self.planned - self.done, 0)


@dataclass
class AccountRow:
    account: Account
    playbook: PlaybookVersion | None
    days: list[Day]


def calendar(*, user: User, start: date, days: int, account: Account | None = None) -> list[AccountRow]:
    """For each account (or one): each day from ``start``, the playbook's slots with the posts in
    them, posts at other times, and what is short of the plan (posts a day and pillars).

    Precondition: the caller has checked that ``user`` may view ``account``.
    """
    accounts = [account] if account else list(accounts_for(user, Action.VIEW).filter(is_active=True)
                                               .order_by("brand__name", "name"))
    tz = timezone.get_current_timezone()
    begin = datetime.combine(start, time.min, tzinfo=tz)
    end = begin + timedelta(days=days)
    targets = (PostTarget.objects.filter(account__in=accounts, scheduled_at__gte=begin, scheduled_at__lt=end)
               .exclude(state=TargetState.CANCELLED)
               .select_related("post", "post__pillar").order_by("scheduled_at", "pk"))
    by_day: dict[tuple[int, date], list[PostTarget]] = defaultdict(list)
    for target in targets:
        by_day[(target.account_id, timezone.localtime(target.scheduled_at, tz).date())].append(target)
    playbooks = latest_playbooks([a.pk for a in accounts])
    rows = []
    for acc in accounts:
        playbook = playbooks.get(acc.pk)
        slot_times = [time.fromisoformat(s) for s in sorted(playbook.time_slots)] if playbook else []
        mix = {item["pillar"]: item["per_day"] for item in playbook.content_mix} if playbook else {}
        row = []
        for offset in range(days):
            day = start + timedelta(days=offset)
            slots = [Slot(datetime.combine(day, t, tzinfo=tz)) for t in slot_times]
            for target in by_day.get((acc.pk, day), []):
                local = timezone.localtime(target.scheduled_at, tz)
                near = min(slots, key=lambda s: abs(s.at - local), default=None)
                if near is not None and abs(near.at - local) <= timedelta(minutes=30):
                    near.targets.append(target)
                else:
                    slots.append(Slot(local, [target], planned=False))
            slots.sort(key=lambda s: s.at)
            counted = [t for s in slots for t in s.targets if t.state in COUNTED]
            have = defaultdict(int)
            for target in counted:
                have[target.post.pillar.name] += 1
            missing = [name for name, per_day in mix.items() if have[name] < per_day]
            row.append(Day(day, slots, playbook.posts_per_day if playbook else 0, len(counted), missing))
        rows.append(AccountRow(acc, playbook, row))
    return rows


@dataclass
class Cadence:
    account: Account
    per_day: int  # the plan
    counts: list[tuple[date, int]]  # published posts per day, oldest first, today last
    streak: int  # days in a row meeting the plan, up to yesterday (today counts once met)
    gaps: int  # days short of the plan in the window

    @property
    def average(self) -> float:
        return round(sum(n for _d, n in self.counts) / len(self.counts), 1) if self.counts else 0.0


def cadence(*, user: User, days: int = CADENCE_DAYS, today: date | None = None) -> list[Cadence]:
    """Per account: posts published per day against the plan, the current streak and the gaps."""
    tz = timezone.get_current_timezone()
    today = today or timezone.localdate()
    accounts = list(accounts_for(user, Action.VIEW).filter(is_active=True).order_by("brand__name", "name"))
    begin = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=tz)
    published = defaultdict(int)
    for account_id, at in (PostTarget.objects.filter(account__in=accounts, state=TargetState.PUBLISHED,
                                                     published_at__gte=begin)
                           .values_list("account_id", "published_at")):
        published[(account_id, timezone.localtime(at, tz).date())] += 1
    playbooks = latest_playbooks([a.pk for a in accounts])
    result = []
    for account in accounts:
        plan = playbooks[account.pk].posts_per_day if account.pk in playbooks else 0
        counts = [(today - timedelta(days=n), published[(account.pk, today - timedelta(days=n))])
                  for n in range(days - 1, -1, -1)]
        streak = 0
        for day, n in reversed(counts):
            if plan and n >= plan:
                streak += 1
            elif day != today:  # today is not over: not meeting it yet breaks nothing
                break
        gaps = sum(1 for day, n in counts if plan and n < plan and day != today)
        result.append(Cadence(account, plan, counts, streak if plan else 0, gaps))
    return result


def snapshots(*, target: PostTarget) -> QuerySet[MetricSnapshot]:
    return target.snapshots.order_by("taken_at")


@dataclass
class ContentToday:
    to_review: int  # posts waiting for this person's review
    oldest_review: datetime | None
    sent_back: int  # this person's posts sent back by a reviewer
    not_published: int  # targets Weibo refused or that failed, last 7 days
    planned: int  # posts the playbooks plan for today, on this person's accounts
    done: int  # of which scheduled or published


def content_today(*, user: User) -> ContentToday:
    """The dashboard's content line: a handful of counts in four queries, whatever the matrix size."""
    approvable = accounts_for(user, Action.APPROVE).values("pk")
    visible = accounts_for(user, Action.VIEW).filter(is_active=True).values("pk")
    waiting = Post.objects.filter(state=PostState.IN_REVIEW, targets__account__in=approvable)
    # Nobody reviews a post they wrote any version of (approval.post_authors).
    waiting = waiting.exclude(created_by=user).exclude(revisions__created_by=user)
    review = waiting.aggregate(n=Count("pk", distinct=True), oldest=Min("submitted_at"))
    tz = timezone.get_current_timezone()
    begin = datetime.combine(timezone.localdate(), time.min, tzinfo=tz)
    refused = [TargetState.DUPLICATE, TargetState.FORBIDDEN, TargetState.FAILED, TargetState.NEEDS_REAUTH]
    counts = PostTarget.objects.filter(account__in=visible).aggregate(
        not_published=Count("pk", filter=Q(state__in=refused, scheduled_at__gte=timezone.now() - timedelta(days=7))),
        done=Count("pk", filter=Q(state__in=COUNTED, scheduled_at__gte=begin,
                                  scheduled_at__lt=begin + timedelta(days=1))),
    )
    mixes = (PlaybookVersion.objects.filter(account__in=visible).order_by("account_id", "-number")
             .values_list("account_id", "content_mix"))
    latest: dict[int, list] = {}
    for account_id, mix in mixes:
        latest.setdefault(account_id, mix)
    return ContentToday(
        to_review=review["n"], oldest_review=review["oldest"],
        sent_back=Post.objects.filter(created_by=user, state=PostState.REJECTED).count(),
        not_published=counts["not_published"], done=counts["done"],
        planned=sum(int(item.get("per_day", 0)) for mix in latest.values() for item in mix),
    )


# --- KPI figures (issue 17): grouped counts that reports.kpis turns into scorecards --------------------------

KPI_GROUPS = {"account": "account_id", "person": "post__created_by_id"}
KPI_PLACE_SPLIT = re.compile(r"[、,，/;；\s]+")  # between the places a region names


def kpi_published(*, account_ids, since: datetime, until: datetime,
                  person_id: int | None = None) -> QuerySet[PostTarget]:
    """Posts published on ``account_ids`` in [since, until): what every content KPI counts; for a person, the
    posts they wrote. Precondition: the caller has checked who may see these accounts."""
    targets = PostTarget.objects.filter(account_id__in=account_ids, state=TargetState.PUBLISHED,
                                        published_at__gte=since, published_at__lt=until)
    return targets.filter(post__created_by_id=person_id) if person_id is not None else targets


def kpi_post_figures(*, account_ids, since: datetime, until: datetime, person_id: int | None = None,
                     group: str | None = None) -> dict[int | None, dict[str, int]]:
    """{account id, author id or None (``group``): posts, original, interactions, regional, local} in one query.
    A post is original as the post says (``Post.is_original``); interactions are the latest reposts + comments
    + likes read from Weibo; ``regional`` are posts on accounts with a region, ``local`` those of them whose
    text (the account's variant, else the post's) names one of the region's places (two queries)."""
    targets = kpi_published(account_ids=account_ids, since=since, until=until, person_id=person_id)
    regional = ~Q(account__region="")
    # A region may name several places (上海、江苏、浙江): a post is local when it names one of its account's.
    local = Q(pk__in=[])
    for account_id, region in Account.objects.filter(pk__in=account_ids).exclude(region="").values_list("pk",
                                                                                                      "region"):
        for place in filter(None, KPI_PLACE_SPLIT.split(region)):
            local |= Q(account_id=account_id) & (Q(variant__icontains=place)
                                                  | Q(variant="", post__text__icontains=place))
    figures = {"posts": Count("pk"), "original": Count("pk", filter=Q(post__is_original=True)),
                   "interactions": Coalesce(Sum(F("reposts") + F("comments") + F("attitudes")), 0),
                   "regional": Count("pk", filter=regional), "local": Count("pk", filter=local)}
    if group is None:
        return {None: targets.aggregate(**figures)}
    key = KPI_GROUPS[group]
    return {row.pop(key): row for row in targets.values(key).annotate(**figures).order_by(key)}


def kpi_posts_planned(*, account_ids) -> dict[int, int]:
    """{account id: posts a day in its latest playbook} in one query (accounts without a playbook are absent)."""
    latest = PlaybookVersion.objects.filter(account_id=OuterRef("account_id")).order_by("-number").values("number")[:1]
    rows = (PlaybookVersion.objects.filter(account_id__in=account_ids, number=Subquery(latest))
            .values_list("account_id", "content_mix"))
    return {account_id: sum(int(item.get("per_day", 0)) for item in mix) for account_id, mix in rows}
