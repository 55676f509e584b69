"""Campaign reads for the pages: lists with what each row needs fetched in the same few queries.

Who sees what is ``campaigns.access``; these functions narrow its querysets and annotate them (overdue, blocking,
counts by reason), so that no page runs a query per row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Case, Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from content.selectors import post_status
from positioning.access import accounts_for
from team.models import Role, User

from .access import activities_for, campaign_manage_allowed, campaigns_for, is_weibo_team
from .models import (
    Activity,
    ActivityState,
    Campaign,
    CampaignState,
    Code,
    Metric,
    Participant,
    PrizeApplication,
    Task,
    TaskState,
    Winner,
)

PARTICIPANTS_PAGE = 100  # participants per page: the list is read, not scrolled through by the thousand
LIST_STATES = {"active": [CampaignState.PLANNING, CampaignState.LIVE, CampaignState.DRAWN],
               "closed": [CampaignState.CLOSED, CampaignState.CANCELLED]}


def campaign_list(*, user: User, state: str = "active") -> QuerySet[Campaign]:
    """The campaigns the person sees, in one state group ("active", "closed" or "all"), accounts prefetched."""
    campaigns = campaigns_for(user).select_related("brand", "lead").prefetch_related("accounts")
    if state in LIST_STATES:
        campaigns = campaigns.filter(state__in=LIST_STATES[state])
    return campaigns.annotate(open_tasks=Count("tasks", filter=~Q(tasks__state=TaskState.DONE), distinct=True))


def activity_list(*, user: User, state: str = ActivityState.NEW) -> QuerySet[Activity]:
    """The intake the person sees (all of it for the Weibo team, their own otherwise); "" for every state."""
    activities = activities_for(user).select_related("campaign")
    return activities.filter(state=state) if state else activities


def _annotated(tasks: QuerySet[Task], now: datetime) -> QuerySet[Task]:
    """Each task with ``overdue`` (past due, not done) and ``blocking`` (not done, and a not-done task waits for
    it); those come first, then by due time."""
    waiting = Task.depends_on.through.objects.filter(to_task_id=OuterRef("pk")).exclude(
        from_task__state=TaskState.DONE)
    return (tasks.annotate(
        overdue=Case(When(Q(due_at__lt=now) & ~Q(state=TaskState.DONE), then=Value(True)), default=Value(False),
                     output_field=BooleanField()),
        blocking=Case(When(Q(Exists(waiting)) & ~Q(state=TaskState.DONE), then=Value(True)),
                      default=Value(False), output_field=BooleanField()))
        .select_related("department", "owner", "campaign")
        .prefetch_related(Prefetch("depends_on", queryset=Task.objects.only("pk", "title", "state", "campaign_id")))
        .order_by("-overdue", "-blocking", "due_at", "pk"))


def campaign_tasks(*, campaign: Campaign, now: datetime | None = None) -> QuerySet[Task]:
    return _annotated(Task.objects.filter(campaign=campaign), now or timezone.now())


def my_tasks(*, user: User, now: datetime | None = None, done: bool = False) -> QuerySet[Task]:
    """The tasks for the person: theirs or their department's, of campaigns not cancelled; open ones unless
    ``done``."""
    if not user.is_authenticated or not user.is_active:
        return Task.objects.none()
    mine = Q(owner=user)
    if user.department_id:
        mine |= Q(department_id=user.department_id)
    tasks = Task.objects.filter(mine).exclude(campaign__state=CampaignState.CANCELLED)
    tasks = tasks.filter(state=TaskState.DONE) if done else tasks.exclude(state=TaskState.DONE)
    return _annotated(tasks, now or timezone.now())


def sees_weibo_side(user: User, campaign: Campaign) -> bool:
    """Whether the person sees the campaign's Weibo side (participants, the draw, posts, the report): the Weibo
    team on its accounts, managers and the lead; a department contact sees the plan only."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_org_wide or campaign.lead_id == user.pk:
        return True
    if user.role == Role.DEPT_CONTACT:
        return False
    return accounts_for(user).filter(campaigns=campaign).exists()


@dataclass
class CampaignAccess:
    weibo_side: bool
    manage: bool
    weibo_team: bool


def campaign_access(user: User, campaign: Campaign) -> CampaignAccess:
    return CampaignAccess(weibo_side=sees_weibo_side(user, campaign), manage=campaign_manage_allowed(user, campaign),
                          weibo_team=is_weibo_team(user, campaign.brand))


def goal_figures(campaign: Campaign) -> list[dict]:
    """Each goal with the figure reached so far, read from stored rows (the report has the full picture)."""
    stats = getattr(campaign, "stats", None)
    current = {
        Metric.SECOND_LEVEL: stats.second_level if stats else 0,
        Metric.PARTICIPANTS: Participant.objects.filter(campaign=campaign).count(),
        Metric.REDEMPTIONS: Code.objects.filter(campaign=campaign, redeemed_at__isnull=False).count(),
    }
    rows = []
    for goal in campaign.goals.all():
        reached = current.get(goal.metric)
        rows.append({"goal": goal, "reached": reached,
                     "percent": min(100, round(100 * reached / goal.target)) if reached is not None and goal.target
                     else None})
    return rows


def prize_list(*, campaign: Campaign) -> QuerySet[PrizeApplication]:
    return campaign.prizes.select_related("requested_by", "decided_by").order_by("created_at", "pk")


@dataclass
class ParticipantCounts:
    total: int
    eligible: int
    excluded: int
    by_reason: list[tuple[str, int]]  # reason code, participants excluded with it (most first)
    overridden: int
    checked_at: datetime | None = None  # when the rules were last applied (participants_evaluate)
    unchecked: int = 0  # entered since: not judged yet


def participant_counts(*, campaign: Campaign) -> ParticipantCounts:
    """Eligible and excluded, and the exclusions by reason (a person with two reasons counts under each)."""
    totals = Participant.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"), eligible=Count("pk", filter=Q(eligible=True)),
        overridden=Count("pk", filter=Q(override__isnull=False)), checked_at=Max("evaluated_at"),
        unchecked=Count("pk", filter=Q(evaluated_at__isnull=True)))
    reasons: Counter = Counter()
    excluded = Participant.objects.filter(campaign=campaign, eligible=False).values_list("reasons", "override")
    for stored, override in excluded.iterator(chunk_size=5000):
        codes = {reason[0] for reason in stored or [] if reason}
        reasons.update(codes or ({"override"} if override is False else set()))
    return ParticipantCounts(total=totals["total"], eligible=totals["eligible"],
                             excluded=totals["total"] - totals["eligible"], by_reason=reasons.most_common(),
                             overridden=totals["overridden"], checked_at=totals["checked_at"],
                             unchecked=totals["unchecked"])


def participant_list(*, campaign: Campaign, show: str = "", reason: str = "", after: int | None = None,
                     limit: int = PARTICIPANTS_PAGE) -> list[Participant]:
    """One page of participants by id (keyset: ``after`` the last id shown): all, "eligible" or "excluded",
    optionally only those excluded with ``reason`` (a reason code); one query, whatever the page's size."""
    people = Participant.objects.filter(campaign=campaign).select_related("override_by").order_by("pk")
    if show == "eligible":
        people = people.filter(eligible=True)
    elif show == "excluded":
        people = people.filter(eligible=False)
    if reason:
        # JSON containment differs between SQLite and PostgreSQL; the code is matched as text, quotes included.
        people = people.filter(eligible=False, reasons__icontains=f'"{reason}"')
    if after:
        people = people.filter(pk__gt=after)
    return list(people[:limit])


def winner_list(*, campaign: Campaign) -> QuerySet[Winner]:
    return campaign.winners.select_related("participant", "prize").order_by("rank")


def campaign_posts(campaign: Campaign, *, limit: int = 10) -> list:
    """The campaign's posts (those made in the composer with the campaign chosen), newest first, each with the
    one status word the content pages show (``status``: published, scheduled, in review...)."""
    posts = list(campaign.posts.prefetch_related("targets").order_by("-created_at", "-pk")[:limit])
    for post in posts:
        post.status = post_status(post, list(post.targets.all()))
    return posts


def open_intake_count(user: User) -> int:
    return activity_list(user=user, state=ActivityState.NEW).count() if is_weibo_team(user) else 0


# --- KPI figures (issue 17) ---------------------------------------------------------------------------------

def kpi_second_level(*, status_ids) -> dict[str, int]:
    """{post's Weibo id: its reposts of reposts (depth 2 and more) in the campaign's repost tree}, one query;
    ``status_ids`` may be a subquery of Weibo ids."""
    from .models import Entry, EntryKind

    rows = (Entry.objects.filter(kind=EntryKind.REPOST, depth__gte=2, status_id__in=status_ids)
            .values("status_id").annotate(n=Count("platform_id", distinct=True)).order_by())
    return {row["status_id"]: row["n"] for row in rows}
