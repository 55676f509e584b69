"""Reads of opinion monitoring: lists and details for pages and the API, with their related rows fetched inside."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from content import selectors as content_selectors
from positioning.models import Brand
from team.models import User

from .access import Can, brands_for
from .alerts import bucket_of, monitoring_settings
from .incidents import NO_DELETION, event_label, grade_inputs_text, grade_label, incident_grade_inputs
from .models import (
    GRADE_ORDER,
    Alert,
    Grade,
    Incident,
    IncidentEvent,
    IncidentState,
    IncidentTask,
    Mention,
    MentionSource,
    Repost,
    Sentiment,
    Statement,
)

# --- alerts and incidents ---------------------------------------------------------------------------------

PUBLISHED = "published"  # content's TargetState.PUBLISHED: sentiment reads content's models through relations only
FAST_TRACKED = "fast_tracked"  # content's Decision.FAST_TRACKED


def alert_list(user: User, brand: Brand | None = None, *, kind: str | None = None,
               unacknowledged: bool = False, limit: int = 100) -> list[Alert]:
    """The newest alerts of the brands the person may see."""
    alerts = (Alert.objects.filter(brand__in=brands_for(user, Can.VIEW))
              .select_related("brand", "group", "mention", "cascade", "incident", "acknowledged_by"))
    if brand is not None:
        alerts = alerts.filter(brand=brand)
    if kind:
        alerts = alerts.filter(kind=kind)
    if unacknowledged:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    return list(alerts.order_by("-created_at", "-pk")[:limit])


def incident_list(user: User, brand: Brand | None = None, *, state: str | None = None) -> QuerySet[Incident]:
    """Incidents of the brands the person may see, newest first, with their open and overdue step counts."""
    incidents = (Incident.objects.filter(brand__in=brands_for(user, Can.VIEW)).select_related("brand", "opened_by")
                 .annotate(statement_count=Count("statements", distinct=True)))
    if brand is not None:
        incidents = incidents.filter(brand=brand)
    if state:
        incidents = incidents.filter(state=state)
    return incidents.order_by("-opened_at", "-pk")


def _statements(incident: Incident) -> QuerySet[Statement]:
    return (incident.statements.select_related("post", "post__pillar", "created_by")
            .prefetch_related("post__targets__account", "post__approvals__reviewer").order_by("created_at", "pk"))


@dataclass
class IncidentDetail:
    incident: Incident
    tasks: list[IncidentTask]
    events: list[IncidentEvent]
    statements: list[Statement]  # each with .post, .post.targets (account, mid, url), .post.approvals
    alerts: list[Alert]
    mentions_count: int
    policy: str


def incident_detail(incident: Incident) -> IncidentDetail:
    """The incident page's rows in a fixed number of queries."""
    return IncidentDetail(
        incident=incident,
        tasks=list(incident.tasks.select_related("owner", "department", "done_by")),
        events=list(incident.events.select_related("actor")),
        statements=list(_statements(incident)),
        alerts=list(incident.alerts.select_related("group", "mention").order_by("created_at")),
        mentions_count=incident.mentions.count(),
        policy=_(NO_DELETION),
    )


def _volume(incident: Incident) -> list[dict]:
    """Negative mentions (with copies) per bucket, from the first to the last."""
    width = timedelta(minutes=monitoring_settings(incident.brand).bucket_minutes)
    counts: Counter = Counter()
    for posted_at, copies in (Mention.objects.of_fans().filter(incidents=incident, sentiment=Sentiment.NEGATIVE)
                              .values_list("posted_at", "copies").order_by()):
        counts[bucket_of(posted_at, width)] += copies
    if not counts:
        return []
    start, end = min(counts), max(counts)
    series = []
    while start <= end:
        series.append({"start": start.isoformat(), "negative": counts.get(start, 0)})
        start += width
    return series


def statement_state(post) -> tuple[str, str]:
    """A statement's state and its words: content's one status word for the post (``content.status``), so
    the incident page, its report and the content pages never disagree."""
    status = content_selectors.post_status(post)
    return status.key, status.label


def statement_target_label(post, target) -> str:
    """A statement's account line, in content's words for that account."""
    return content_selectors.target_status(target, post).label


def _statement_report(statement: Statement) -> dict:
    post = statement.post
    state, state_label = statement_state(post)
    return {
        "id": statement.pk, "text": post.text, "state": state, "state_label": state_label, "urgent": post.urgent,
        "drafted_by": str(statement.created_by or ""), "drafted_at": statement.created_at.isoformat(),
        "approvals": [{"by": str(a.reviewer), "decision": a.decision, "decision_label": str(a.get_decision_display()),
                       "fast_tracked": a.decision == FAST_TRACKED,
                       "comment": a.comment, "at": a.created_at.isoformat()} for a in post.approvals.all()],
        "targets": [{"account": t.account.name, "state": t.state, "state_label": statement_target_label(post, t),
                     "mid": t.mid, "url": t.url,
                     "published_at": t.published_at.isoformat() if t.published_at else None}
                    for t in post.targets.all()],
        "published": any(t.state == PUBLISHED for t in post.targets.all()),
    }


def _timeline(events: list[IncidentEvent], statements: list[dict]) -> list[dict]:
    rows = [{"at": e.at.isoformat(), "kind": e.kind, "kind_label": event_label(e.kind), "actor": str(e.actor or ""),
             "text": e.text, "data": e.data} for e in events]
    for statement in statements:  # the worker publishes: its outcome joins the timeline from the targets
        for target in statement["targets"]:
            if target["published_at"]:
                # Weibo keeps whole seconds: a post out within a second of its drafting is never shown before it.
                rows.append({"at": max(target["published_at"], statement["drafted_at"]), "kind": "statement_out",
                             "kind_label": event_label("statement_out"), "actor": "",
                             "text": f"{target['account']}: {target['url']}",
                             "data": {"statement": statement["id"], "mid": target["mid"]}})
    return sorted(rows, key=lambda r: r["at"])


def incident_report(incident: Incident) -> dict:
    """The post-incident report, as data for a page, a PDF or an export."""
    detail = incident_detail(incident)
    statements = [_statement_report(s) for s in detail.statements]
    tasks = detail.tasks
    return {
        "title": incident.title, "brand": incident.brand.name, "summary": incident.summary,
        "type": incident.kind, "type_label": str(incident.get_kind_display()),
        "handling": incident.handling, "grade": incident.grade, "state": incident.state,
        "opened_at": incident.opened_at.isoformat(),
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        "grade_label": grade_label(incident.grade),
        "grade_inputs": incident_grade_inputs(incident, detail.events),
        "grade_inputs_text": grade_inputs_text(incident_grade_inputs(incident, detail.events)),
        "grade_history": [{"at": e.at.isoformat(), "from": e.data.get("old"), "to": e.data.get("new"),
                           "from_label": grade_label(e.data.get("old")), "to_label": grade_label(e.data.get("new")),
                           "manual": bool(e.data.get("manual")), "reason": e.data.get("reason", ""),
                           "inputs_text": grade_inputs_text(e.data.get("inputs") or []),
                           "by": str(e.actor or "")} for e in detail.events if e.kind == "graded"],
        "participants": incident.participants, "reach": incident.reach, "negative": incident.negative,
        "mentions": detail.mentions_count,
        "volume": _volume(incident),
        "timeline": _timeline(detail.events, statements),
        "statements": statements,
        "checklist": [{"key": t.key, "step": t.title, "owner": str(t.owner or ""),
                       "department": str(t.department or ""), "due_at": t.due_at.isoformat(),
                       "done_at": t.done_at.isoformat() if t.done_at else None, "done_by": str(t.done_by or ""),
                       "on_time": bool(t.done_at and t.done_at <= t.due_at)} for t in tasks],
        "checklist_done": sum(1 for t in tasks if t.done_at), "checklist_total": len(tasks),
        "policy": detail.policy,
        "lessons": incident.lessons,
    }


def reposter_names(*, cascade_ids: list[int], uids: list[str]) -> dict[str, str]:
    """Screen names of reposters by uid, as their reposts in these cascades gave them (one query)."""
    if not cascade_ids or not uids:
        return {}
    rows = (Repost.objects.filter(cascade_id__in=cascade_ids, uid__in=set(uids)).exclude(screen_name="")
            .values_list("uid", "screen_name").order_by("uid", "-posted_at"))
    names: dict[str, str] = {}
    for uid, name in rows:
        names.setdefault(uid, name)  # the newest name a reposter went by
    return names


# --- the dashboard ---------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")  # "today" is the team's day, whatever the server's or the person's time zone


@dataclass
class MentionsToday:
    """Mentions since Shanghai midnight. A mention counts with its near-identical copies (``copies``, the posts
    folded onto it at ingest): each is a post someone wrote, and the spike alerts count them the same way."""

    by_sentiment: dict[str, int]
    by_source: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_sentiment.values())

    @property
    def negative(self) -> int:
        return self.by_sentiment.get(Sentiment.NEGATIVE, 0)

    @property
    def positive(self) -> int:
        return self.by_sentiment.get(Sentiment.POSITIVE, 0)

    @property
    def negative_percent(self) -> int:
        return round(100 * self.negative / self.total) if self.total else 0


def day_start(now: datetime | None = None) -> datetime:
    """The last Shanghai midnight."""
    return (now or timezone.now()).astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)


def mentions_today(*, brand_ids: list[int], now: datetime | None = None) -> MentionsToday:
    """Today's mentions of the brands by sentiment and by source: the one definition behind the dashboard card
    and the monitoring overview (one grouped query). Reads the stored label, as every list does."""
    by_sentiment = dict.fromkeys(Sentiment.values, 0)
    by_source = dict.fromkeys(MentionSource.values, 0)
    rows = (Mention.objects.of_fans().filter(brand_id__in=brand_ids, posted_at__gte=day_start(now))
            .values("sentiment", "source").annotate(n=Sum("copies")).order_by())
    for row in rows:
        by_sentiment[row["sentiment"]] = by_sentiment.get(row["sentiment"], 0) + row["n"]
        by_source[row["source"]] = by_source.get(row["source"], 0) + row["n"]
    return MentionsToday(by_sentiment=by_sentiment, by_source=by_source)


def monitoring_today(*, user: User) -> dict | None:
    brand_ids = list(brands_for(user).values_list("pk", flat=True))
    if not brand_ids:
        return None
    today = mentions_today(brand_ids=brand_ids)
    alerts = Alert.objects.filter(brand_id__in=brand_ids, acknowledged_at__isnull=True, incident__isnull=True).count()
    grades = dict(Incident.objects.filter(brand_id__in=brand_ids).exclude(state=IncidentState.CLOSED)
                  .values_list("grade").annotate(n=Count("pk")))
    worst = next((g for g in reversed(GRADE_ORDER) if grades.get(g)), None)
    return {
        "total": today.total, "negative": today.negative, "positive": today.positive,
        "negative_percent": today.negative_percent,
        "alerts": alerts, "incidents": sum(grades.values()), "worst_grade": worst,
        "worst_grade_label": Grade(worst).label if worst else "",
    }


# --- cascades ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CascadeNode:
    """One repost of a watched cascade that others reposted further: a key node the team may talk to."""

    cascade_id: int
    brand_id: int
    mid: str
    uid: str
    screen_name: str
    text: str
    reposted_through: int  # direct reposts of this repost


def cascade_key_node(*, user: User, cascade_id: int, mid: str) -> CascadeNode | None:
    """The repost ``mid`` of cascade ``cascade_id`` when ``user`` may see the cascade's brand and
    somebody reposted that repost further (a key node); otherwise ``None``."""
    from .models import Cascade, Repost

    cascade = Cascade.objects.filter(pk=cascade_id, brand__in=brands_for(user, Can.VIEW)).first()
    if cascade is None or not mid:
        return None
    row = Repost.objects.filter(cascade=cascade, platform_id=mid).first()
    if row is None:
        return None
    children = Repost.objects.filter(cascade=cascade, parent_id=mid).count()
    if not children:
        return None
    return CascadeNode(cascade_id=cascade.pk, brand_id=cascade.brand_id, mid=row.platform_id, uid=row.uid,
                       screen_name=row.screen_name, text=row.text, reposted_through=children)


def repost_parent_name(text: str) -> str | None:
    """The screen name of the post a repost reposted: the first ``//@name:`` of its text (``propagation``'s rule,
    for other apps that rebuild repost trees, e.g. a campaign's entries)."""
    from .propagation import first_chain_name

    return first_chain_name(text)


# --- KPI figures (issue 17) ---------------------------------------------------------------------------------

def kpi_second_level(*, status_ids) -> dict[str, int]:
    """{watched post's Weibo id: reposts in its cascade that repost another repost (a parent other than the
    root)}, one query; ``status_ids`` may be a subquery of Weibo ids."""
    from .models import Repost

    rows = (Repost.objects.filter(cascade__root_id__in=status_ids).exclude(parent_id="")
            .values("cascade__root_id").annotate(n=Count("pk")).order_by())
    return {row["cascade__root_id"]: row["n"] for row in rows}


def kpi_incident_figures(*, brand_id: int, since: datetime, until: datetime, person_id: int | None = None,
                         now: datetime | None = None) -> dict[str, int]:
    """Incidents of the brand opened in [since, until) (for a person: with a step they own): ``total`` and
    ``on_time``, those with no step done after its deadline nor still open past it (one query)."""
    from django.db.models import Exists, F, OuterRef, Q

    from .models import IncidentTask

    now = now or timezone.now()
    late = IncidentTask.objects.filter(incident=OuterRef("pk")).filter(
        Q(done_at__gt=F("due_at")) | Q(done_at__isnull=True, due_at__lt=now))
    incidents = Incident.objects.filter(brand_id=brand_id, opened_at__gte=since, opened_at__lt=until)
    if person_id is not None:
        incidents = incidents.filter(Exists(IncidentTask.objects.filter(incident=OuterRef("pk"), owner_id=person_id)))
    return incidents.aggregate(total=Count("pk"), on_time=Count("pk", filter=~Exists(late)))
