"""Reads of fan interaction: the inbox (a constant number of queries whatever the page size, keyset
pages so that the millionth item costs what the first does), a conversation with its fan, SLA
counters, response and resolution rates, and the fan lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from positioning.access import Action, accounts_for
from team.models import AuditEvent, Department, User
from weibo_ops.keyset import keyset_decode, keyset_decode_nullable, keyset_encode, keyset_encode_nullable

from .models import (
    ANSWERABLE,
    TICKET_DONE,
    AccountFan,
    DepartmentDesk,
    Fan,
    FanGift,
    FanNote,
    FanRevisit,
    FollowerAudit,
    Interaction,
    Kind,
    Reply,
    State,
    Suggestion,
    Tag,
    Ticket,
    TicketState,
    TipOff,
)
from .scoring import HUNTER_THRESHOLD, LOYAL_THRESHOLD, NODE_FAN_INFLUENCE, ZOMBIE_THRESHOLD, reason_words

INBOX_PAGE = 50  # items per inbox page
INBOX_PAGE_MAX = 200
ID_MAX = 2**63 - 1  # a cursor naming a larger id is past every row (and would overflow the query)
# How the inbox is ordered: newest first, or the first answer due soonest first (a service desk's natural
# order; items with no deadline, such as new followers and history, after the rest).
NEWEST, DEADLINE = "newest", "deadline"
ORDERINGS = (NEWEST, DEADLINE)
HISTORY_ITEMS = 20  # a fan's earlier interactions shown beside a conversation


@dataclass
class InboxFilters:
    account: int | None = None
    kind: str = ""
    assignee: str = ""  # "me", "none", or a person's id
    state: str = State.OPEN  # open, closed, or "" for both
    sla: str = ""  # breached, near, ok
    tag: int | None = None
    q: str = ""
    complaint: bool = False
    loop: str = ""  # "open": resolved complaints not told back to the fan yet; "closed": told
    priority: int | None = None
    ordering: str = NEWEST  # one of ORDERINGS


@dataclass
class InboxPage:
    items: list[Interaction]
    next_cursor: str = ""
    now: datetime = field(default_factory=timezone.now)


def cursor_encode(item: Interaction, ordering: str = NEWEST) -> str:
    if ordering == DEADLINE:
        return keyset_encode_nullable(item.first_response_due, item.pk)
    return keyset_encode(item.created_at, item.pk)


def cursor_decode(value: str) -> tuple[datetime, int] | None:
    return keyset_decode(value)


def _page_after(items: QuerySet, cursor: str, ordering: str) -> QuerySet:
    """The rows after the cursor's position in ``ordering``; every row for an empty or foreign cursor."""
    if ordering == DEADLINE:
        position = keyset_decode_nullable(cursor)
        if position is None:
            return items
        due, pk = position[0], min(position[1], ID_MAX)
        if due is None:
            return items.filter(first_response_due__isnull=True, pk__gt=pk)
        return items.filter(Q(first_response_due__gt=due) | Q(first_response_due=due, pk__gt=pk)
                            | Q(first_response_due__isnull=True))
    position = cursor_decode(cursor)
    if position is None:
        return items
    at, pk = position[0], min(position[1], ID_MAX)
    return items.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))


def _page_order(ordering: str) -> tuple:
    if ordering == DEADLINE:
        return F("first_response_due").asc(nulls_last=True), "id"
    return "-created_at", "-id"


def visible_items(*, user: User) -> QuerySet[Interaction]:
    if user.is_org_wide:
        return Interaction.objects.all()
    return Interaction.objects.filter(account__in=accounts_for(user, Action.VIEW).values("pk"))


def _assignee_filter(items: QuerySet, assignee: str, user: User) -> QuerySet:
    if assignee == "me":
        return items.filter(assignee=user)
    if assignee == "none":
        return items.filter(assignee__isnull=True)
    if assignee.isascii() and assignee.isdigit():
        return items.filter(assignee_id=int(assignee))
    return items


# Open items still waiting for their first answer: what the SLA clocks count (and a partial index holds).
WAITING = Q(needs_answer=True, first_response_at__isnull=True, state=State.OPEN)


def _sla_filter(items: QuerySet, sla: str, now: datetime) -> QuerySet:
    waiting = WAITING
    near = timedelta(minutes=settings.FANS_SLA_NEAR_MINUTES)
    if sla == "breached":
        return items.filter(waiting, first_response_due__lt=now)
    if sla == "near":
        return items.filter(waiting, first_response_due__gte=now, first_response_due__lt=now + near)
    if sla == "ok":
        return items.exclude(waiting & Q(first_response_due__lt=now + near))
    return items


def inbox_queryset(*, user: User, filters: InboxFilters, now: datetime | None = None) -> QuerySet[Interaction]:
    now = now or timezone.now()
    items = visible_items(user=user)
    if filters.account:
        items = items.filter(account_id=filters.account)
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.state:
        items = items.filter(state=filters.state)
    items = _sla_filter(_assignee_filter(items, filters.assignee, user), filters.sla, now)
    if filters.tag:
        items = items.filter(tags__id=filters.tag)
    # PostgreSQL refuses a NUL character in a query string: no text holds one, so none is searched for.
    q = filters.q.replace("\x00", "").strip()
    if q:
        items = items.filter(Q(text__icontains=q) | Q(fan__screen_name__icontains=q))
    if filters.complaint:
        items = items.filter(is_complaint=True)
    if filters.priority is not None:
        items = items.filter(priority=filters.priority)
    if filters.loop == "open":
        items = items.filter(loop_pending=True)
    elif filters.loop == "closed":
        items = items.filter(loop_closed_at__isnull=False)
    return items


def inbox_page(*, user: User, filters: InboxFilters, cursor: str = "", limit: int = INBOX_PAGE) -> InboxPage:
    """One page of the inbox, newest first or deadline first (``filters.ordering``): 3 queries whatever
    ``limit`` (items with their account, fan and assignee; their tags; their tickets)."""
    now = timezone.now()
    limit = max(1, min(limit, INBOX_PAGE_MAX))
    ordering = filters.ordering if filters.ordering in ORDERINGS else NEWEST
    items = _page_after(inbox_queryset(user=user, filters=filters, now=now), cursor, ordering)
    rows = list(
        items.select_related("account", "fan", "assignee")
        .prefetch_related("tags", Prefetch("tickets", queryset=Ticket.objects.select_related("department")))
        .order_by(*_page_order(ordering))[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(items=rows, next_cursor=cursor_encode(rows[-1], ordering) if more and rows else "", now=now)


def inbox_counts(*, user: User) -> dict[str, int]:
    """Open items by what they need, in one query: for the inbox's tabs and the dashboard."""
    now = timezone.now()
    near = now + timedelta(minutes=settings.FANS_SLA_NEAR_MINUTES)
    waiting = WAITING
    return visible_items(user=user).filter(state=State.OPEN).aggregate(
        open=Count("id"),
        unassigned=Count("id", filter=Q(assignee__isnull=True, needs_answer=True)),
        mine=Count("id", filter=Q(assignee=user)),
        breached=Count("id", filter=waiting & Q(first_response_due__lt=now)),
        near=Count("id", filter=waiting & Q(first_response_due__gte=now, first_response_due__lt=near)),
        complaints=Count("id", filter=Q(is_complaint=True)),
    ) | {"loops_open": visible_items(user=user).filter(loop_pending=True).count()}


def waits_for_answer(item: Interaction) -> bool:
    """``WAITING`` for one item: open, asks for an answer, and has none yet."""
    return item.needs_answer and item.first_response_at is None and item.state == State.OPEN


def sla_status(item: Interaction, now: datetime | None = None) -> str:
    """met, late (answered after the target), breached, near, ok, or "" when no answer is due."""
    if not item.needs_answer or item.first_response_due is None:
        return ""
    if item.first_response_at is not None:
        return "met" if item.first_response_at <= item.first_response_due else "late"
    if item.state == State.CLOSED:
        return ""
    now = now or timezone.now()
    if item.first_response_due < now:
        return "breached"
    if item.first_response_due < now + timedelta(minutes=settings.FANS_SLA_NEAR_MINUTES):
        return "near"
    return "ok"


@dataclass
class Thread:
    item: Interaction
    conversation: list[Interaction]
    replies: list[Reply]
    history: list[Interaction]
    tickets: list[Ticket]
    events: list[tuple[datetime, str, object]] = field(default_factory=list)


def thread(*, user: User, item: Interaction) -> Thread:
    """The conversation an item is part of (the post and every comment on it we hold, or the private
    messages with this fan), our replies in it, the fan's other interactions with the matrix the
    person may see, and the tickets."""
    conversation = list(
        Interaction.objects.filter(account_id=item.account_id, thread_key=item.thread_key)
        .select_related("fan", "assignee").prefetch_related("tags").order_by("created_at", "id")[:200]
    )
    replies = list(Reply.objects.filter(interaction__in=[i.pk for i in conversation])
                   .select_related("created_by", "approved_by", "template").order_by("created_at", "id"))
    history = list(
        visible_items(user=user).filter(fan_id=item.fan_id).exclude(thread_key=item.thread_key, account=item.account)
        .select_related("account").order_by("-created_at", "-id")[:HISTORY_ITEMS]
    )
    tickets = list(Ticket.objects.filter(interaction=item).select_related("department", "created_by", "resolved_by")
                   .prefetch_related("updates__by"))
    events: list[tuple[datetime, str, object]] = [(i.created_at, "item", i) for i in conversation]
    events += [(r.sent_at or r.created_at, "reply", r) for r in replies]
    events.sort(key=lambda e: e[0])
    return Thread(item=item, conversation=conversation, replies=replies, history=history, tickets=tickets,
                  events=events)


@dataclass
class Rate:
    label: str
    key: int | None
    total: int = 0
    answered: int = 0
    answered_in_time: int = 0
    resolved: int = 0
    resolved_in_time: int = 0
    waiting: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.total if self.total else None

    @property
    def on_time_rate(self) -> float | None:
        return self.answered_in_time / self.total if self.total else None

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.total if self.total else None


RATE_WINDOW = timedelta(days=7)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def rate_rows(rows: list[Rate]) -> list[dict]:
    """Rates as the tables show them (fans/stats_table.html), percentages in words."""
    return [{"label": r.label, "key": r.key, "total": r.total, "answered": r.answered,
             "response": _percent(r.response_rate), "on_time": _percent(r.on_time_rate), "resolved": r.resolved,
             "resolution": _percent(r.resolution_rate), "waiting": r.waiting} for r in rows]


def _rate_rows(items: QuerySet, key: str) -> list[dict]:
    return list(items.values(key).annotate(
        total=Count("id"),
        answered=Count("id", filter=Q(first_response_at__isnull=False)),
        answered_in_time=Count("id", filter=Q(first_response_at__lte=F("first_response_due"))),
        resolved=Count("id", filter=Q(closed_at__isnull=False)),
        resolved_in_time=Count("id", filter=Q(closed_at__lte=F("resolution_due"))),
        waiting=Count("id", filter=Q(first_response_at__isnull=True, state=State.OPEN)),
    ).order_by(key))


def rates(*, user: User, since: datetime | None = None) -> dict[str, list[Rate]]:
    """Response and resolution rates per account and per person over items that asked for an answer
    since ``since`` (7 days by default): two grouped queries plus the names."""
    since = since or timezone.now() - RATE_WINDOW
    items = visible_items(user=user).filter(needs_answer=True, kind__in=ANSWERABLE, created_at__gte=since)
    accounts = {a.pk: a.name for a in accounts_for(user, Action.VIEW)}
    by_account = [Rate(label=accounts.get(row["account_id"], "?"), key=row["account_id"],
                       **{k: row[k] for k in ("total", "answered", "answered_in_time", "resolved", "resolved_in_time",
                                              "waiting")})
                  for row in _rate_rows(items, "account_id")]
    person_rows = _rate_rows(items.filter(assignee__isnull=False), "assignee_id")
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r["assignee_id"] for r in person_rows])}
    by_person = [Rate(label=names.get(row["assignee_id"], "?"), key=row["assignee_id"],
                      **{k: row[k] for k in ("total", "answered", "answered_in_time", "resolved", "resolved_in_time",
                                             "waiting")})
                 for row in person_rows]
    return {"accounts": by_account, "people": by_person}



@dataclass
class FansToday:
    open: int = 0
    near: int = 0
    breached: int = 0
    week_total: int = 0  # items that asked for an answer in the last 7 days
    week_answered: int = 0
    week_resolved: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.week_answered / self.week_total if self.week_total else None

    @property
    def resolution_rate(self) -> float | None:
        return self.week_resolved / self.week_total if self.week_total else None

    @property
    def response_percent(self) -> int:
        return round(100 * (self.response_rate or 0))

    @property
    def resolution_percent(self) -> int:
        return round(100 * (self.resolution_rate or 0))


def fans_today(*, user: User) -> FansToday:
    """Open inbox items, those near and past their first-response target, and the 7-day response and
    resolution rates (as ``fans.selectors.rates`` counts them), in one query."""
    now = timezone.now()
    near = now + timedelta(minutes=settings.FANS_SLA_NEAR_MINUTES)
    waiting = WAITING
    week = Q(needs_answer=True, kind__in=ANSWERABLE, created_at__gte=now - RATE_WINDOW)
    # Only open items and the last week's can count: the WHERE lets the indexes skip the history.
    row = visible_items(user=user).filter(Q(state=State.OPEN) | Q(created_at__gte=now - RATE_WINDOW)).aggregate(
        open=Count("id", filter=Q(state=State.OPEN)),
        near=Count("id", filter=waiting & Q(first_response_due__gte=now, first_response_due__lt=near)),
        breached=Count("id", filter=waiting & Q(first_response_due__lt=now)),
        week_total=Count("id", filter=week),
        week_answered=Count("id", filter=week & Q(first_response_at__isnull=False)),
        week_resolved=Count("id", filter=week & Q(closed_at__isnull=False)),
    )
    return FansToday(**row)


# --- fans ----------------------------------------------------------------------------------------

FAN_LISTS = ("all", "node", "loyal", "sharers", "dormant", "zombies")
DORMANT_AFTER = timedelta(days=30)


def visible_fans(*, user: User) -> QuerySet[Fan]:
    if user.is_org_wide:
        return Fan.objects.all()
    accounts = accounts_for(user, Action.VIEW).values("pk")
    return Fan.objects.filter(Exists(Interaction.objects.filter(fan=OuterRef("pk"), account__in=accounts)))


def fan_list(*, user: User, which: str = "all", q: str = "", tag: int | None = None) -> QuerySet[Fan]:
    fans = visible_fans(user=user).prefetch_related(fan_tags_prefetch(user=user))
    now = timezone.now()
    if which == "node":
        fans = fans.filter(influence__gte=NODE_FAN_INFLUENCE).order_by("-influence", "-id")
    elif which == "loyal":
        fans = fans.filter(loyalty__gte=LOYAL_THRESHOLD).order_by("-loyalty", "-id")
    elif which == "sharers":
        # Shared their experience lately (praise, or a repost that says something): worth a visit back.
        shared = Interaction.objects.filter(fan=OuterRef("pk"), created_at__gte=now - DORMANT_AFTER).filter(
            Q(is_praise=True) | Q(kind="mention", status_text__gt="", text__gt=""))
        fans = fans.filter(Exists(shared)).order_by("-last_interaction_at", "-id")
    elif which == "dormant":
        fans = fans.filter(last_interaction_at__lt=now - DORMANT_AFTER).order_by("-loyalty", "-last_interaction_at")
    elif which == "zombies":
        fans = fans.filter(zombie__gte=ZOMBIE_THRESHOLD).order_by("-zombie", "-id")
    else:
        fans = fans.order_by(F("last_interaction_at").desc(nulls_last=True), "-id")
    q = q.replace("\x00", "").strip()
    if q:
        fans = fans.filter(Q(screen_name__icontains=q) | Q(uid=q))
    if tag:
        fans = fans.filter(tags__id=tag)
    return fans


def visible_brand_ids(*, user: User) -> list[int] | None:
    """The brands whose notes and tags the person may read on a fan (``None``: every brand)."""
    if user.is_org_wide:
        return None
    return list(accounts_for(user, Action.VIEW).values_list("brand_id", flat=True).distinct())


def fan_tags_prefetch(*, user: User) -> Prefetch:
    """A fan's tags as the person may see them: those of their brands only."""
    brands = visible_brand_ids(user=user)
    tags = Tag.objects.all() if brands is None else Tag.objects.filter(brand_id__in=brands)
    return Prefetch("tags", queryset=tags.order_by("name"))


def fan_notes(*, user: User, fan: Fan) -> list[FanNote]:
    brands = visible_brand_ids(user=user)
    notes = fan.notes.select_related("created_by")
    return list(notes if brands is None else notes.filter(brand_id__in=brands))


def fan_history(*, user: User, fan: Fan, limit: int = 100) -> list[Interaction]:
    return list(visible_items(user=user).filter(fan=fan).select_related("account", "assignee")
                .prefetch_related("tags").order_by("-created_at", "-id")[:limit])


def department_desks() -> list[tuple[Department, DepartmentDesk]]:
    """Every department with how it takes escalations (its desk, or the defaults a ticket would get): the one
    reading of the "Weibo first" deadline, shown on the desks, the escalation form and the playbook."""
    return [(d, getattr(d, "desk", None) or DepartmentDesk(department=d))
            for d in Department.objects.select_related("desk").order_by("name")]


def desk_tickets(*, user: User, state: str = "active") -> QuerySet[Ticket]:
    """Tickets of the person's department (every department for managers)."""
    tickets = Ticket.objects.select_related("interaction__fan", "interaction__account", "department", "created_by")
    if not user.is_org_wide:
        tickets = tickets.filter(department_id=user.department_id or 0)
    if state == "active":
        tickets = tickets.exclude(state__in=TICKET_DONE)
    elif state in TicketState.values:
        tickets = tickets.filter(state=state)
    return tickets.order_by("deadline", "id")


# --- fan practices -------------------------------------------------------------------------------

def _of_brands(rows: QuerySet, user: User) -> QuerySet:
    """Records of the person's brands about fans the person sees (who wrote to an account they see)."""
    brands = visible_brand_ids(user=user)
    if brands is None:
        return rows
    return rows.filter(brand_id__in=brands, fan__in=visible_fans(user=user).values("pk"))


def suggestion_list(*, user: User, state: str = "", fan: Fan | None = None) -> QuerySet[Suggestion]:
    """The suggestion log of the brands the person sees, newest first."""
    rows = _of_brands(Suggestion.objects.select_related(
        "fan", "brand", "interaction__account", "created_by", "decided_by", "reply"), user)
    if state:
        rows = rows.filter(state=state)
    if fan is not None:
        rows = rows.filter(fan=fan)
    return rows.order_by("-created_at", "-id")


def gift_list(*, user: User, fan: Fan | None = None) -> QuerySet[FanGift]:
    rows = _of_brands(FanGift.objects.select_related("fan", "brand", "given_by"), user)
    return (rows.filter(fan=fan) if fan is not None else rows).order_by("-given_on", "-id")


def revisit_list(*, user: User, due: bool = False, fan: Fan | None = None) -> QuerySet[FanRevisit]:
    """Revisit schedules, the earliest due first; ``due``: only those due today or before."""
    rows = _of_brands(FanRevisit.objects.select_related("fan", "brand", "assignee"), user)
    if due:
        rows = rows.filter(next_due__lte=timezone.localdate())
    if fan is not None:
        rows = rows.filter(fan=fan)
    return rows.order_by("next_due", "id")


def tipoff_list(*, user: User, fan: Fan | None = None) -> QuerySet[TipOff]:
    rows = _of_brands(TipOff.objects.select_related("fan", "brand", "interaction__account", "created_by"), user)
    return (rows.filter(fan=fan) if fan is not None else rows).order_by("-created_at", "-id")


def follower_audit_list(*, user: User) -> QuerySet[FollowerAudit]:
    rows = FollowerAudit.objects.select_related("account", "created_by").annotate(zombies=Count("rows"))
    if not user.is_org_wide:
        rows = rows.filter(account__in=accounts_for(user, Action.VIEW).values("pk"))
    return rows.order_by("-created_at", "-id")


def fans_may_act_on(*, user: User, fan_ids: list[int], brand_ids: list[int] | None = None) -> set[int]:
    """Of these fans, those the person may record care for (gifts, revisits): fans who wrote to an account
    they reply on (of these brands). One query; what the pages use to show only buttons that work."""
    accounts = accounts_for(user, Action.REPLY)
    if brand_ids is not None:
        accounts = accounts.filter(brand_id__in=brand_ids)
    return set(Interaction.objects.filter(fan_id__in=fan_ids, account__in=accounts.values("pk"))
               .values_list("fan_id", flat=True).distinct())


def follow_events(*, account_ids: list[int], since: datetime, until: datetime):
    """``(fan id, followed at, account id)`` of the follow events on these accounts in [since, until], oldest
    first (campaigns' retention)."""
    return (Interaction.objects.filter(account_id__in=account_ids, kind=Kind.FOLLOW, created_at__gte=since,
                                       created_at__lte=until)
            .order_by("created_at", "id").values_list("fan_id", "created_at", "account_id"))


def unfollow_events(*, account_ids: list[int], since: datetime, fan_ids: list[int]):
    """``(fan id, account id, unfollowed at)`` of these fans' unfollow events on these accounts after ``since``."""
    return (Interaction.objects.filter(account_id__in=account_ids, kind=Kind.UNFOLLOW, created_at__gt=since,
                                       fan_id__in=fan_ids)
            .values_list("fan_id", "account_id", "created_at"))


def audience_size(*, account_ids: list[int], since: datetime) -> int:
    """The people who interacted with these accounts since ``since`` (distinct fans): the audience a campaign on
    them really speaks to, as the brand has seen it."""
    return (Interaction.objects.filter(account_id__in=account_ids, created_at__gte=since)
            .values("fan_id").distinct().count())


def follow_states(*, account_ids: list[int], uids: list[str]) -> dict[str, bool]:
    """{uid: follows} from the latest follow or unfollow event each of these people sent one of the accounts
    (pushed by Weibo); people with no such event are left out (unknown, not "not following")."""
    states: dict[str, bool] = {}
    events = (Interaction.objects.filter(account_id__in=account_ids, kind__in=[Kind.FOLLOW, Kind.UNFOLLOW])
              .order_by("created_at", "id").values_list("fan__uid", "kind"))
    wanted = set(uids)
    for chunk_start in range(0, len(uids), 5000):
        chunk = uids[chunk_start:chunk_start + 5000]
        for uid, kind in events.filter(fan__uid__in=chunk):
            if uid in wanted:
                states[uid] = kind == Kind.FOLLOW
    return states


def campaign_consultations(*, account_ids: list[int], since: datetime, until: datetime, status_ids: list[str],
                           topic: str = "") -> int:
    """Consultations a campaign brought into the inbox: questions and private messages to these accounts between
    ``since`` and ``until`` that refer to one of ``status_ids`` (a comment on or mention of a campaign post) or
    mention the campaign's ``topic``."""
    refers = Q(status_id__in=status_ids) if status_ids else Q(pk__in=[])
    if topic.strip():
        refers |= Q(text__contains=topic.strip().strip("#"))
    return (Interaction.objects.filter(account_id__in=account_ids, created_at__gte=since, created_at__lt=until)
            .filter(Q(is_question=True) | Q(kind=Kind.MESSAGE)).filter(refers).count())


def score_reason_words(reasons) -> list[str]:
    """A fan score's stored reasons (``Fan.score_reasons[score]``) in the active language."""
    return reason_words(reasons)


__all__ = ["HUNTER_THRESHOLD", "ZOMBIE_THRESHOLD"]  # read by other apps with the selectors


# --- KPI figures (issue 17): grouped counts that reports.kpis turns into scorecards --------------------------

KPI_GROUPS = {"account": "account_id", "person": "assignee_id"}


def _median_minutes(durations) -> float | None:
    values = sorted(d.total_seconds() / 60 for d in durations if d is not None)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def kpi_inbox_items(*, account_ids, since: datetime, until: datetime, person_id: int | None = None) -> QuerySet:
    """Inbox items that needed an answer, received in [since, until): the rows the response and resolution
    KPIs count, as ``rates`` counts them; for a person, those assigned to them."""
    items = Interaction.objects.filter(account_id__in=account_ids, needs_answer=True, kind__in=ANSWERABLE,
                                       created_at__gte=since, created_at__lt=until)
    return items.filter(assignee_id=person_id) if person_id is not None else items


def kpi_inbox_figures(*, account_ids, since: datetime, until: datetime, person_id: int | None = None,
                      group: str | None = None) -> dict[int | None, dict]:
    """{account id, assignee id or None (``group``): total, answered, resolved, response_minutes,
    resolution_minutes (medians, None without answered or closed items)}. One query on PostgreSQL (its
    ``percentile_cont``); elsewhere the medians are taken from the items' two durations (SQLite, small data)."""
    from django.db import connection
    from django.db.models import Aggregate, DurationField, ExpressionWrapper

    class Median(Aggregate):
        function = "PERCENTILE_CONT"
        template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        output_field = DurationField()

    items = kpi_inbox_items(account_ids=account_ids, since=since, until=until, person_id=person_id)
    response = ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
    resolution = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    figures = {"total": Count("pk"), "answered": Count("pk", filter=Q(first_response_at__isnull=False)),
                   "resolved": Count("pk", filter=Q(closed_at__isnull=False))}
    key = KPI_GROUPS[group] if group else None
    if connection.vendor == "postgresql":
        figures |= {"response": Median(response), "resolution": Median(resolution)}
        rows = [items.aggregate(**figures)] if key is None else list(items.values(key).annotate(**figures))
        return {row.get(key): {"total": row["total"], "answered": row["answered"], "resolved": row["resolved"],
                               "response_minutes": _median_minutes([row["response"]]),
                               "resolution_minutes": _median_minutes([row["resolution"]])} for row in rows}
    result: dict[int | None, dict] = {}
    for row in items.annotate(response=response, resolution=resolution).values(
            *([key] if key else []), "first_response_at", "closed_at", "response", "resolution"):
        entry = result.setdefault(row.get(key), {"total": 0, "answered": 0, "resolved": 0, "r": [], "c": []})
        entry["total"] += 1
        entry["answered"] += row["first_response_at"] is not None
        entry["resolved"] += row["closed_at"] is not None
        entry["r"].append(row["response"])
        entry["c"].append(row["resolution"])
    if key is None and not result:
        result[None] = {"total": 0, "answered": 0, "resolved": 0, "r": [], "c": []}
    return {k: {"total": v["total"], "answered": v["answered"], "resolved": v["resolved"],
                "response_minutes": _median_minutes(v["r"]), "resolution_minutes": _median_minutes(v["c"])}
            for k, v in result.items()}


def kpi_fan_figures(*, account_ids, since: datetime, until: datetime) -> dict[str, int]:
    """Distinct fans of the accounts' interactions, in two queries: ``active`` interacted in [since, until),
    ``known`` at any time before ``until`` (read from each pair's first interaction, ``AccountFan``, rather than
    from every interaction ever stored), ``node_gained`` are the active ones at or above the node-fan influence
    of the fan CRM (``NODE_FAN_INFLUENCE``) first seen in the period."""
    figures = Interaction.objects.filter(account_id__in=account_ids, created_at__gte=since,
                                         created_at__lt=until).aggregate(
        active=Count("fan_id", distinct=True),
        # The few node fans first seen in the period as a set to look in, rather than a join to every fan.
        node_gained=Count("fan_id", distinct=True, filter=Q(fan_id__in=Fan.objects.filter(
            influence__gte=NODE_FAN_INFLUENCE, first_seen_at__gte=since, first_seen_at__lt=until).values("pk"))),
    )
    known = AccountFan.objects.filter(account_id__in=account_ids, first_interaction_at__lt=until).aggregate(
        n=Count("fan_id", distinct=True))["n"]
    return {"known": known, **figures}


def kpi_circle_figures(*, account_ids, since: datetime, until: datetime) -> dict[str, int]:
    """The accounts' target circles, and how many of them were reached: a fan who interacted with the
    circle's account in [since, until) names the circle in their Weibo profile (two queries: one join from
    the circles through the period's interactions to the fans, rather than one look-up per circle). A circle
    has a name (positioning requires one), so only fans with a profile can name it: saying so lets the join
    start from those few fans."""
    from positioning.models import TargetCircle

    circles = TargetCircle.objects.filter(account_id__in=account_ids)
    reached = circles.filter(account__interactions__created_at__gte=since, account__interactions__created_at__lt=until,
                             account__interactions__fan__description__gt="",
                             account__interactions__fan__description__icontains=F("name"))
    return {"total": circles.count(), "reached": reached.aggregate(n=Count("pk", distinct=True))["n"]}


# --- duty routing (issue 17) ------------------------------------------------------------------------------------

def duty_routing_of(*, item: Interaction) -> AuditEvent | None:
    """How the "person on inbox duty" routing went for the item (``fans.routing``), when a rule asked for it."""
    return (AuditEvent.objects.filter(object_type=item._meta.label_lower, object_id=str(item.pk),
                                      action__in=["inbox.route_duty", "inbox.route_duty_none"])
            .order_by("-id").first())
