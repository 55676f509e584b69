"""The opinion monitoring API: keyword groups, mentions (corrections, reports, batches from outside systems),
trends and the word cloud, alerts, incidents with their checklist, timeline and statements, and repost cascades.

The same rules as the pages: what belongs to a brand the caller may not see is a 404; what they see but may not
do is a 403 with the message of ``sentiment.access``, which says who may; bad input is a 400 with field errors
(the services' ``ValidationError`` included, through ``weibo_ops.api.exception_handler``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from positioning.models import Brand
from team.models import User
from weibo_ops.requests import client_ip

from .. import alerts, incidents, propagation, selectors, services, trends
from ..access import Can, brands_for, monitoring_require
from ..models import (
    Alert,
    AlertKind,
    Cascade,
    Grade,
    Incident,
    IncidentState,
    IncidentTask,
    IncidentType,
    Mention,
    Repost,
    RuleGroup,
    SentimentCorrection,
    Statement,
)
from ..pipeline import Raw
from ..sources import mentions_submit
from .serializers import (
    AlertSerializer,
    CascadeSerializer,
    IncidentCloseSerializer,
    IncidentDetailSerializer,
    IncidentEventSerializer,
    IncidentGradeSerializer,
    IncidentNoteSerializer,
    IncidentOpenSerializer,
    IncidentReopenSerializer,
    IncidentReportSerializer,
    IncidentSerializer,
    IncidentTaskSerializer,
    IncidentTypeSerializer,
    KeyNodeSerializer,
    MentionCorrectSerializer,
    MentionDetailSerializer,
    MentionPageSerializer,
    MentionQuerySerializer,
    MentionQueuedSerializer,
    MentionReportSerializer,
    MentionSerializer,
    MentionSubmitSerializer,
    RuleGroupSerializer,
    StatementDraftSerializer,
    StatementFastTrackSerializer,
    StatementSerializer,
    TreeNodeSerializer,
    TreeQuerySerializer,
    TrendQuerySerializer,
    TrendSerializer,
    WordCloudQuerySerializer,
    WordCloudSerializer,
)

READ = ("GET", "HEAD", "OPTIONS")
TREE_REPOSTS = 20_000  # reposts read back to draw a tree: the detector's own limit (cascades.DETECT_LIMIT)
CLOUD_DAYS = 7  # the word cloud's window when neither hours nor days are given
TREND_HOURS = 24  # the trend's window when neither hours nor days are given


def _visible(queryset: QuerySet, user: User, can: Can = Can.VIEW) -> QuerySet:
    return queryset.filter(brand__in=brands_for(user, can))


REFUSED = {
    Can.RULES: gettext_noop("Only PR, managers and those who manage one of a brand's accounts change its monitoring."),
    Can.RESPOND: gettext_noop("Only PR people and managers handle incidents."),
}


def _require_some(user: User, can: Can) -> None:
    """Before a body is validated: a caller who may do this on no brand learns nothing from field errors."""
    if not brands_for(user, can).exists():
        raise PermissionDenied(_(REFUSED[can]))


def _brand(user: User, pk: int) -> Brand:
    return get_object_or_404(brands_for(user), pk=pk)


# --- keyword groups ------------------------------------------------------------------------------

class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Keyword groups of the brands the caller sees. PR, managers and whoever manages one of the brand's
    accounts create, change and delete them; deleting a group keeps its mentions."""

    serializer_class = RuleGroupSerializer
    queryset = RuleGroup.objects.none()  # for the schema
    filterset_fields = ["brand", "kind", "is_active", "search_enabled"]
    ordering_fields = ["name", "created_at", "searched_at"]

    def get_queryset(self):
        return _visible(RuleGroup.objects.select_related("brand").order_by("brand_id", "kind", "name", "id"),
                        self.request.user)

    def get_serializer(self, *args, **kwargs):
        if self.request is not None and self.request.method not in READ:
            kwargs["brands"] = brands_for(self.request.user)
        return super().get_serializer(*args, **kwargs)

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in READ:
            _require_some(request.user, Can.RULES)

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in READ:
            monitoring_require(request.user, obj.brand, Can.RULES)

    def perform_create(self, serializer):
        serializer.instance = services.group_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.group_update(group=serializer.instance, by=self.request.user,
                                                    **serializer.validated_data)

    def perform_destroy(self, instance):
        services.group_delete(group=instance, by=self.request.user)


# --- mentions ------------------------------------------------------------------------------------

def _mentions(user: User, data: dict) -> QuerySet[Mention]:
    """The mentions of the brands ``user`` sees, filtered as the query asks, newest first."""
    mentions = _visible(Mention.objects.all(), user)
    exact = {"brand_id": "brand", "groups__id": "group", "source": "source", "sentiment": "sentiment",
             "corrected": "corrected", "posted_at__gte": "since", "posted_at__lt": "until",
             "author_followers__gte": "min_followers"}
    mentions = mentions.filter(**{lookup: data[key] for lookup, key in exact.items() if data.get(key) is not None})
    q = data.get("q", "").replace("\x00", "").strip()  # PostgreSQL refuses a NUL in a query string
    if q:
        mentions = mentions.filter(Q(text__icontains=q) | Q(author_name__icontains=q))
    position = trends.cursor_decode(data.get("cursor", ""))
    if position is not None:
        at, pk = position
        mentions = mentions.filter(Q(posted_at__lt=at) | Q(posted_at=at, pk__lt=pk))
    return mentions.order_by("-posted_at", "-id")


class MentionViewSet(viewsets.GenericViewSet):
    """Mentions of the brands the caller sees, from every source, newest first."""

    serializer_class = MentionSerializer
    queryset = Mention.objects.none()  # for the schema
    filter_backends: list = []  # the list's own filters (MentionQuerySerializer)
    pagination_class = None  # keyset pages
    lookup_value_regex = "[0-9]+"

    def _mention(self, pk) -> Mention:
        mentions = _visible(Mention.objects.select_related("brand", "reported_by"), self.request.user)
        return get_object_or_404(mentions.prefetch_related(
            "groups", "incidents",
            Prefetch("corrections", queryset=SentimentCorrection.objects.select_related("created_by"))), pk=pk)

    @extend_schema(parameters=[MentionQuerySerializer], responses=MentionPageSerializer)
    def list(self, request):
        """One page of mentions. Follow ``next`` for the following page: its cursor is a position, so a page
        costs the same wherever it is and new mentions do not shift it."""
        query = MentionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["page_size"]
        rows = list(_mentions(request.user, query.validated_data).prefetch_related("groups")[: limit + 1])
        following = None
        if len(rows) > limit:
            rows = rows[:limit]
            following = replace_query_param(request.build_absolute_uri(), "cursor", trends.cursor_encode(rows[-1]))
        return Response({"next": following, "results": MentionSerializer(rows, many=True).data})

    @extend_schema(responses=MentionDetailSerializer)
    def retrieve(self, request, pk=None):
        """The mention with who reported it, every correction of its sentiment and its incidents."""
        return Response(MentionDetailSerializer(self._mention(pk)).data)

    @extend_schema(request=MentionCorrectSerializer, responses=MentionDetailSerializer)
    @action(detail=True, methods=["post"])
    def sentiment(self, request, pk=None):
        """Correct the sentiment: the mention takes the label, and the model learns from it at the next training."""
        mention = self._mention(pk)
        body = MentionCorrectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.mention_correct(mention=mention, by=request.user, label=body.validated_data["label"])
        return Response(MentionDetailSerializer(self._mention(pk)).data)

    @extend_schema(request=MentionReportSerializer, responses={202: MentionQueuedSerializer})
    @action(detail=False, methods=["post"])
    def report(self, request):
        """Report a post by its link or its text (a loyal fan pointed it out); it becomes a mention within
        moments, with the note and the reporter."""
        body = MentionReportSerializer(data=request.data, brands=brands_for(request.user))
        body.is_valid(raise_exception=True)
        queued = services.mention_report(by=request.user, **body.validated_data)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=MentionSubmitSerializer, responses={202: MentionQueuedSerializer})
    @action(detail=False, methods=["post"])
    def submit(self, request):
        """Hand over a batch of raw items from an outside system (a monitoring service, a CRM); they become
        mentions within moments, items already stored (same Weibo id) once only. All or nothing."""
        _require_some(request.user, Can.RULES)
        body = MentionSubmitSerializer(data=request.data, brands=brands_for(request.user))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        monitoring_require(request.user, data["brand"], Can.RULES)
        raws = [_raw(item) for item in data["items"]]
        queued = mentions_submit(brand_id=data["brand"].pk, source=data["source"], raws=raws)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


def _raw(item: dict) -> Raw:
    times = {name: item[name].isoformat() if item[name] else "" for name in ("author_created_at", "posted_at")}
    return Raw(**(item | times))


# --- trends and the word cloud -------------------------------------------------------------------

def _group_of(brand: Brand, pk: int | None) -> RuleGroup | None:
    return None if pk is None else get_object_or_404(RuleGroup.objects.filter(brand=brand), pk=pk)


class TrendView(APIView):
    @extend_schema(parameters=[TrendQuerySerializer], responses=TrendSerializer)
    def get(self, request):
        """Mentions per Shanghai hour (``hours``, 24 by default) or day (``days``) by sentiment, oldest first,
        empty hours and days included."""
        query = TrendQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        brand = _brand(request.user, data["brand"])
        window = {"days": data["days"]} if "days" in data else {"hours": data.get("hours", TREND_HOURS)}
        series = trends.trend_series(brand, group=_group_of(brand, data.get("group")), **window)
        points = [{"start": b.start, "negative": b.negative, "neutral": b.neutral, "positive": b.positive,
                   "total": b.total} for b in series.buckets]
        return Response(TrendSerializer({"brand": brand.pk, "step": series.unit, "points": points}).data)


class WordCloudView(APIView):
    @extend_schema(parameters=[WordCloudQuerySerializer], responses=WordCloudSerializer)
    def get(self, request):
        """The most frequent keywords of the brand's mentions over the last ``hours`` or ``days`` (7 days by
        default), biggest first; ``size`` is a font step from 1 to 5."""
        query = WordCloudQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        brand = _brand(request.user, data["brand"])
        span = timedelta(hours=data["hours"]) if "hours" in data else timedelta(days=data.get("days", CLOUD_DAYS))
        words = trends.word_cloud(brand, since=timezone.now() - span, sentiment=data.get("sentiment"))
        return Response(WordCloudSerializer({"brand": brand.pk, "words": [asdict(w) for w in words]}).data)


# --- alerts --------------------------------------------------------------------------------------

class AlertFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=AlertKind.choices)
    acknowledged = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True,
                                         help_text="true: acknowledged; false: still waiting for someone.")

    class Meta:
        model = Alert
        fields = ["brand", "kind", "group", "incident", "cascade", "acknowledged"]


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts of the brands the caller sees, newest first."""

    serializer_class = AlertSerializer
    queryset = Alert.objects.none()  # for the schema
    filterset_class = AlertFilter
    ordering_fields = ["created_at", "updated_at", "count"]

    def get_queryset(self):
        rows = Alert.objects.select_related("group", "mention", "acknowledged_by", "brand")
        return _visible(rows.order_by("-created_at", "-id"), self.request.user)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Say that someone is on it: the alert stops waiting (acknowledging twice keeps the first)."""
        alert = self.get_object()
        alerts.alert_acknowledge(alert=alert, by=request.user)
        return Response(AlertSerializer(self.get_queryset().get(pk=alert.pk)).data)


# --- incidents -----------------------------------------------------------------------------------

class IncidentFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=IncidentState.choices)
    grade = filters.MultipleChoiceFilter(choices=Grade.choices)
    kind = filters.ChoiceFilter(choices=IncidentType.choices)

    class Meta:
        model = Incident
        fields = ["brand", "state", "grade", "kind"]


def _statements() -> QuerySet[Statement]:
    return Statement.objects.select_related("post", "created_by").prefetch_related("post__targets")


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Crisis incidents of the brands the caller sees, newest first. PR and managers open and handle them."""

    serializer_class = IncidentSerializer
    queryset = Incident.objects.none()  # for the schema
    filterset_class = IncidentFilter
    ordering_fields = ["opened_at", "graded_at", "closed_at"]

    def get_queryset(self):
        return _visible(Incident.objects.select_related("brand", "opened_by").order_by("-opened_at", "-id"),
                        self.request.user)

    def get_serializer_class(self):
        return IncidentSerializer if self.action == "list" else IncidentDetailSerializer

    def _respond(self) -> Incident:
        """The incident, once the caller may handle it: checked before the body, whose errors would say more."""
        incident = self.get_object()
        monitoring_require(self.request.user, incident.brand, Can.RESPOND)
        return incident

    def _detail(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        incident = Incident.objects.select_related("brand", "opened_by").prefetch_related(
            Prefetch("tasks", queryset=IncidentTask.objects.select_related("owner", "department", "done_by")),
            "events__actor", Prefetch("statements", queryset=_statements()),
            Prefetch("alerts", queryset=Alert.objects.only("id", "incident_id").order_by("id")),
            Prefetch("mentions", queryset=Mention.objects.only("id").order_by("id")),
        ).get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident).data, status=code)

    def _body(self, serializer_class, **kwargs) -> dict:
        body = serializer_class(data=self.request.data, **kwargs)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(responses=IncidentDetailSerializer)
    def retrieve(self, request, pk=None):
        """The incident with its checklist, timeline (oldest first), statements, alerts and mentions."""
        return self._detail(self.get_object())

    @extend_schema(request=IncidentOpenSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request):
        """Open an incident, on an alert or a mention of the brand (or neither): the checklist starts, and the
        alert is acknowledged and attached."""
        _require_some(request.user, Can.RESPOND)
        data = self._body(IncidentOpenSerializer, brands=brands_for(request.user))
        monitoring_require(request.user, data["brand"], Can.RESPOND)
        incident = incidents.incident_open(by=request.user, **data)
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=IncidentTypeSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="type")
    def set_type(self, request, pk=None):
        """Judge the type (our fault, a misunderstanding, an attack, collateral damage): its steps are added."""
        incident = self._respond()
        incident = incidents.incident_set_type(incident=incident, by=request.user,
                                               **self._body(IncidentTypeSerializer))
        return self._detail(incident)

    @extend_schema(request=IncidentGradeSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def grade(self, request, pk=None):
        """Set the grade by hand, with the reason; a higher grade brings its escalation steps."""
        incident = self._respond()
        incident = incidents.incident_grade_set(incident=incident, by=request.user,
                                                **self._body(IncidentGradeSerializer))
        return self._detail(incident)

    @extend_schema(request=IncidentCloseSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close with the lessons learnt."""
        incident = self._respond()
        incident = incidents.incident_close(incident=incident, by=request.user, **self._body(IncidentCloseSerializer))
        return self._detail(incident)

    @extend_schema(request=IncidentReopenSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        incident = self._respond()
        incident = incidents.incident_reopen(incident=incident, by=request.user,
                                             **self._body(IncidentReopenSerializer))
        return self._detail(incident)

    @extend_schema(request=IncidentNoteSerializer, responses={201: IncidentEventSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Add a note to the timeline."""
        incident = self._respond()
        event = incidents.incident_note(incident=incident, by=request.user, **self._body(IncidentNoteSerializer))
        event = type(event).objects.select_related("actor").get(pk=event.pk)
        return Response(IncidentEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=IncidentTaskSerializer,
                   parameters=[OpenApiParameter("task_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["post"], url_path=r"tasks/(?P<task_id>[0-9]+)/done")
    def task_done(self, request, pk=None, task_id=None):
        """Tick a checklist step (PR, managers, and the step's owner or department)."""
        task = get_object_or_404(IncidentTask.objects.filter(incident=self.get_object()), pk=task_id)
        task = incidents.task_done(task=task, by=request.user)
        task = IncidentTask.objects.select_related("owner", "department", "done_by").get(pk=task.pk)
        return Response(IncidentTaskSerializer(task).data)

    @extend_schema(request=StatementDraftSerializer, responses={201: StatementSerializer})
    @action(detail=True, methods=["post"])
    def statements(self, request, pk=None):
        """Draft a statement of the one voice on accounts of the brand; it goes for review like any post."""
        incident = self._respond()
        data = self._body(StatementDraftSerializer, brand=incident.brand)
        statement = incidents.statement_draft(incident=incident, by=request.user, **data)
        return Response(StatementSerializer(_statements().get(pk=statement.pk)).data, status=status.HTTP_201_CREATED)

    def _statement(self, statement_id) -> Statement:
        incident = self._respond()
        return get_object_or_404(_statements().filter(incident=incident), pk=statement_id)

    @extend_schema(request=StatementFastTrackSerializer, responses=StatementSerializer,
                   parameters=[OpenApiParameter("statement_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["post"], url_path=r"statements/(?P<statement_id>[0-9]+)/fast-track")
    def statement_fast_track(self, request, pk=None, statement_id=None):
        """A manager approves the statement at once; ``reason`` says why it could not wait."""
        statement = self._statement(statement_id)
        incidents.statement_fast_track(statement=statement, by=request.user, ip=client_ip(request),
                                       **self._body(StatementFastTrackSerializer))
        return Response(StatementSerializer(_statements().get(pk=statement.pk)).data)

    @extend_schema(request=None, responses=StatementSerializer,
                   parameters=[OpenApiParameter("statement_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["post"], url_path=r"statements/(?P<statement_id>[0-9]+)/publish")
    def statement_publish(self, request, pk=None, statement_id=None):
        """Publish the approved statement on its accounts now."""
        statement = self._statement(statement_id)
        incidents.statement_publish(statement=statement, by=request.user, ip=client_ip(request))
        return Response(StatementSerializer(_statements().get(pk=statement.pk)).data)

    @extend_schema(responses=IncidentReportSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The post-incident review: figures, timeline, statements and lessons."""
        return Response(selectors.incident_report(self.get_object()))


# --- cascades ------------------------------------------------------------------------------------

class CascadeFilter(filters.FilterSet):
    class Meta:
        model = Cascade
        fields = ["brand", "flagged", "negative", "root_id"]


def _tree(cascade: Cascade) -> propagation.Tree:
    """The cascade's repost tree, rebuilt from its stored reposts (one query)."""
    rows = (Repost.objects.filter(cascade=cascade).order_by("posted_at", "id")
            .values_list("platform_id", "parent_id", "uid", "screen_name", "posted_at", "text", "followers",
                         "friends", "statuses", "account_created_at", "verified")[:TREE_REPOSTS])
    records = [propagation.Repost(mid=pid, uid=uid, screen_name=name, at=at.timestamp(), text=text,
                                  parent_mid=parent or None, followers=followers, friends=friends,
                                  statuses=statuses, account_created=created.timestamp() if created else None,
                                  verified=verified)
               for pid, parent, uid, name, at, text, followers, friends, statuses, created, verified in rows]
    return propagation.tree_build(cascade.root_id, cascade.root_author, records, root_uid=cascade.root_uid,
                                  root_text=cascade.root_text,
                                  root_at=cascade.root_posted_at.timestamp() if cascade.root_posted_at else None)


class CascadeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Watched posts of the brands the caller sees, newest first, with their figures and the attack check."""

    serializer_class = CascadeSerializer
    queryset = Cascade.objects.none()  # for the schema
    filterset_class = CascadeFilter
    ordering_fields = ["created_at", "attack_score", "reposts_seen"]

    def get_queryset(self):
        return _visible(Cascade.objects.order_by("-created_at", "-id"), self.request.user)

    @extend_schema(parameters=[TreeQuerySerializer], responses=TreeNodeSerializer)
    @action(detail=True, methods=["get"])
    def tree(self, request, pk=None):
        """Who reposted from whom, as a nested tree from the root: biggest branch first, at most ``limit``
        nodes; ``hidden`` says how many reposts under a node were left out."""
        cascade = self.get_object()
        query = TreeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(propagation.tree_json(_tree(cascade), query.validated_data["limit"]))

    @extend_schema(responses=KeyNodeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="key-nodes", pagination_class=None, filter_backends=[])
    def key_nodes(self, request, pk=None):
        """The reposters who carried the cascade further, most reposts through them first."""
        tree = _tree(self.get_object())
        return Response(KeyNodeSerializer([asdict(node) for node in tree.key_nodes], many=True).data)

