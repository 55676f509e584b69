"""The campaigns API: the intake, campaigns and goals, the plan, prizes, participants, the draw and its public
verification, winners' delivery, code hunts and the report. Same rules as the pages (``campaigns.access``):
a campaign the caller may not see is a 404; what they see but may not change is a 403 with the service's
message; a service's refusal is a 400 with field errors (``weibo_ops.api.exception_handler``)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from positioning.access import accounts_for
from team.models import Role
from weibo_ops.requests import client_ip

from .. import codes, services
from ..access import activities_for, campaigns_for
from ..draw import participants_text
from ..models import Campaign, Participant, PrizeApplication, Task, Winner
from ..report import campaign_report, report_rows
from ..selectors import sees_weibo_side
from .serializers import (
    ActivitySerializer,
    CampaignSerializer,
    CodeSerializer,
    CodesGenerateSerializer,
    DecideSerializer,
    DeliverySerializer,
    GoalSerializer,
    GoalsSerializer,
    ImportSerializer,
    OverrideSerializer,
    ParticipantSerializer,
    PrizeSerializer,
    RedeemSerializer,
    ReportSerializer,
    TaskSerializer,
    TaskStateSerializer,
    VerificationSerializer,
    WinnerSerializer,
)

ID = "[0-9]+"  # ids in paths: anything else is no such resource (404), never a database error


def _weibo_side(user):
    """Campaigns whose Weibo side (participants, winners, the report) the caller sees, as on the pages
    (``selectors.sees_weibo_side``): managers, the lead, and those who see one of its accounts; a department
    contact sees only the plan."""
    campaigns = campaigns_for(user)
    if not user.is_authenticated or user.is_org_wide:  # campaigns_for has none for the anonymous
        return campaigns
    if getattr(user, "role", None) == Role.DEPT_CONTACT:
        return campaigns.filter(lead=user)
    return campaigns.filter(Q(lead=user) | Q(accounts__in=accounts_for(user).values("pk"))).distinct()


def _campaign_of(user, pk) -> Campaign:
    """The campaign a new task or prize is for: a 400 when not given or not a number, a 404 when not visible."""
    if pk in (None, ""):
        raise ValidationError({"campaign": [_("Say which campaign (its id).")]})
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError({"campaign": [_("A campaign is given by its id, a number.")]}) from None
    return get_object_or_404(campaigns_for(user), pk=pk)


class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    """Company activities (活动登记). Anyone signed in registers one; the Weibo team is told at once."""

    lookup_value_regex = ID

    serializer_class = ActivitySerializer
    filterset_fields = ["brand", "state", "kind"]

    def get_queryset(self):
        return activities_for(self.request.user).order_by("starts_on", "id")

    def perform_create(self, serializer):
        serializer.instance = services.activity_register(by=self.request.user, ip=client_ip(self.request),
                                                         **serializer.validated_data)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Campaigns on accounts the caller sees (or that they lead, or have tasks in)."""

    lookup_value_regex = ID

    serializer_class = CampaignSerializer
    filterset_fields = ["brand", "state", "kind"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        campaigns = campaigns_for(self.request.user).order_by("-starts_at", "-id")
        # Only for reading: a service given a campaign with prefetched goals would read the stale ones back.
        return campaigns.prefetch_related("accounts", "goals") if self.request.method in ("GET", "HEAD") else campaigns

    def _detail(self, campaign: Campaign, code: int = status.HTTP_200_OK) -> Response:
        fresh = campaigns_for(self.request.user).prefetch_related("accounts", "goals").get(pk=campaign.pk)
        return Response(CampaignSerializer(fresh).data, status=code)

    @extend_schema(request=CampaignSerializer, responses={201: CampaignSerializer})
    def create(self, request):
        """Start a campaign (from a registered activity when ``activity`` is given)."""
        body = CampaignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        campaign = services.campaign_create(by=request.user, ip=client_ip(request), **data)
        return self._detail(campaign, status.HTTP_201_CREATED)

    @extend_schema(request=CampaignSerializer, responses=CampaignSerializer)
    def partial_update(self, request, pk=None):
        """Change the campaign; a change of its rules or dates after the seed was committed blocks the draw
        until a new seed is committed."""
        campaign = self.get_object()
        body = CampaignSerializer(campaign, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = {k: v for k, v in body.validated_data.items() if k not in ("brand", "activity", "accounts")}
        services.campaign_update(campaign=campaign, by=request.user, values=values, ip=client_ip(request),
                                 accounts=body.validated_data.get("accounts"))
        return self._detail(campaign)

    @extend_schema(request=GoalsSerializer, responses=GoalSerializer(many=True),
                   examples=[OpenApiExample("Targets", value={"targets": {"second_level": 2000, "retained_7": 300}},
                                            request_only=True)])
    @action(detail=True, methods=["post"])
    def goals(self, request, pk=None):
        """Set targets per metric (0 or null removes one)."""
        body = GoalsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        goals = services.campaign_goals_set(campaign=self.get_object(), by=request.user,
                                            targets=body.validated_data["targets"])
        return Response(GoalSerializer(goals, many=True).data)

    def _state(self, service, request) -> Response:
        campaign = service(campaign=self.get_object(), by=request.user)
        return self._detail(campaign)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Planning → live."""
        return self._state(services.campaign_start, request)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._state(services.campaign_close, request)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._state(services.campaign_cancel, request)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Make the secret seed and publish its SHA-256: the draw can run only after this."""
        campaign = services.campaign_commit_seed(campaign=self.get_object(), by=request.user, ip=client_ip(request))
        return self._detail(campaign)

    @extend_schema(request=None, responses=WinnerSerializer(many=True))
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        """Check the rules one last time, publish the list, draw, reveal the seed; the winners are told through
        Weibo afterwards. Refused before the commitment, after a rules change, before entries close, twice."""
        services.campaign_draw(campaign=self.get_object(), by=request.user, ip=client_ip(request))
        winners = Winner.objects.filter(campaign_id=pk).select_related("participant", "prize")
        return Response(WinnerSerializer(winners, many=True).data)

    @extend_schema(responses=VerificationSerializer)
    @action(detail=True, methods=["get"], permission_classes=[AllowAny], authentication_classes=[])
    def verification(self, request, pk=None):
        """Public: what anyone needs to re-run the draw (``manage.py verify_draw``). The seed's hash from the
        commitment on; the list, the seed and the winners once drawn."""
        campaign = Campaign.objects.filter(pk=pk, committed_at__isnull=False).first()
        if campaign is None:
            raise NotFound(_("No draw has been committed for this campaign."))
        drawn = campaign.drawn_at is not None
        uids = (Participant.objects.filter(campaign=campaign, eligible=True).values_list("uid", flat=True)
                if drawn else [])
        winners = (list(Winner.objects.filter(campaign=campaign).order_by("rank")
                        .values_list("participant__uid", flat=True)) if drawn else [])
        return Response(VerificationSerializer({
            "seed_hash": campaign.seed_hash, "committed_at": campaign.committed_at,
            "winners_count": campaign.winners_count, "drawn_at": campaign.drawn_at,
            "seed": campaign.revealed_seed if drawn else "", "participants_digest": campaign.participants_digest,
            "participants": participants_text(uids) if drawn else "", "winners": winners}).data)

    @extend_schema(responses=ReportSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The report's figures against the goals, with how each is computed, and the earlier campaigns'."""
        campaign = self.get_object()
        if not sees_weibo_side(request.user, campaign):
            raise PermissionDenied(_("This part of the campaign is for the Weibo team. Your tasks are under “My "
                                     "tasks”."))
        found = campaign_report(campaign=campaign)

        def number(value):
            return str(value) if value is not None and not isinstance(value, int) else value

        def summary(s):
            return {"campaign": s.campaign.pk, "title": s.campaign.title, "reposts": s.reposts,
                    "second_level": s.second_level, "participants": s.participants, "eligible": s.eligible,
                    "fans_gained": s.retention.gained, "retained_7": s.retention.retained_7,
                    "retained_30": s.retention.retained_30, "cost_per_retained": number(s.cost_per_retained),
                    "redemptions": s.redemptions, "consultations": s.consultations}

        return Response(ReportSerializer({
            "campaign": found.campaign.pk, "now": found.now,
            "figures": [{"key": r.key, "label": r.label, "value": number(r.value), "target": r.target,
                         "note": r.note, "how": r.how} for r in report_rows(found)],
            "excluded": {code: count for code, _label, count in found.excluded},
            "channels": [{"channel": c.channel, "codes": c.codes, "redeemed": c.redeemed} for c in found.channels],
            "earlier": [summary(s) for s in found.earlier]}).data)

    @extend_schema(request=CodesGenerateSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def codes(self, request, pk=None):
        """Make ``count`` codes for ``channel`` (a print run)."""
        body = CodesGenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = codes.codes_generate(campaign=self.get_object(), by=request.user, ip=client_ip(request),
                                    **body.validated_data)
        return Response({"channel": body.validated_data["channel"].strip(), "created": made},
                        status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("channel", str, required=True)],
                   responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], url_path="codes-export")
    def codes_export(self, request, pk=None):
        """A channel's codes as CSV, for the printer."""
        channel = request.query_params.get("channel", "").strip()
        if not channel:
            raise ValidationError({"channel": [_("Say which channel's codes to export.")]})
        text = codes.codes_export(campaign=self.get_object(), by=request.user, channel=channel,
                                  ip=client_ip(request))
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="campaign-{pk}-codes.csv"'
        return response

    @extend_schema(request={"multipart/form-data": ImportSerializer}, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="redemptions-import",
            parser_classes=[MultiPartParser, FormParser])
    def redemptions_import(self, request, pk=None):
        """Record a shop system's redemptions from a CSV or XLSX: each row's outcome; a file that cannot be
        read, or has a bad row, is refused whole with the problems by line."""
        body = ImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = codes.codes_import(campaign=self.get_object(), by=request.user, file=body.validated_data["file"],
                                    ip=client_ip(request))
        return Response({"redeemed": result.redeemed, "refused": result.refused,
                         "rows": [row.__dict__ for row in result.rows]})


class TaskFilter(filters.FilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Task
        fields = ["campaign", "department", "owner", "state"]

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        late = Q(due_at__lt=timezone.now()) & ~Q(state="done")
        return queryset.filter(late) if value else queryset.exclude(late)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The plan across departments. A department contact sees the tasks for them or their department."""

    lookup_value_regex = ID

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        tasks = (Task.objects.filter(campaign__in=campaigns_for(user).values("pk"))
                 .select_related("campaign", "department", "owner").prefetch_related("depends_on"))
        if getattr(user, "role", None) == Role.DEPT_CONTACT:
            tasks = tasks.filter(Q(owner=user) | Q(department_id=user.department_id or 0))
        return tasks.order_by("due_at", "id")

    def _detail(self, task, code=status.HTTP_200_OK):
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data, status=code)

    @extend_schema(request=TaskSerializer, responses={201: TaskSerializer},
                   parameters=[OpenApiParameter("campaign", int, required=True, location="query")])
    def create(self, request):
        """A task for a department (``?campaign=ID``); its owner or department is told."""
        campaign = _campaign_of(request.user, request.query_params.get("campaign") or request.data.get("campaign"))
        body = TaskSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        task = services.task_create(campaign=campaign, by=request.user, ip=client_ip(request), **data)
        return self._detail(task, status.HTTP_201_CREATED)

    @extend_schema(request=TaskSerializer, responses=TaskSerializer)
    def partial_update(self, request, pk=None):
        task = self.get_object()
        body = TaskSerializer(task, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        depends_on = data.pop("depends_on", None)
        services.task_update(task=task, by=request.user, values=data, depends_on=depends_on, ip=client_ip(request))
        return self._detail(task)

    @extend_schema(request=TaskStateSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def state(self, request, pk=None):
        """Move the task along (its owner, its department or the campaign's runners)."""
        task = self.get_object()
        body = TaskStateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.task_state_set(task=task, by=request.user, ip=client_ip(request), **body.validated_data)
        return self._detail(task)


class PrizeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Prize applications with the advisor's warnings; a manager who did not ask decides."""

    lookup_value_regex = ID

    serializer_class = PrizeSerializer
    filterset_fields = ["campaign", "state"]

    def get_queryset(self):
        return (PrizeApplication.objects.filter(campaign__in=campaigns_for(self.request.user).values("pk"))
                .order_by("created_at", "id"))

    @extend_schema(request=PrizeSerializer, responses={201: PrizeSerializer})
    def create(self, request):
        campaign = _campaign_of(request.user, request.data.get("campaign"))
        body = PrizeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        prize = services.prize_apply(campaign=campaign, by=request.user, ip=client_ip(request),
                                     **body.validated_data)
        return Response(PrizeSerializer(prize).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecideSerializer, responses=PrizeSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        prize = services.prize_decide(prize=self.get_object(), by=request.user, ip=client_ip(request),
                                      **body.validated_data)
        return Response(PrizeSerializer(prize).data)


class ParticipantFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", help_text="Part of the Weibo name, or the uid.")
    reason = filters.CharFilter(method="filter_reason", help_text="Excluded for this reason code (e.g. hunter).")

    class Meta:
        model = Participant
        fields = ["campaign", "eligible", "ruled_eligible"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(screen_name__icontains=value) | Q(uid=value.strip()))

    def filter_reason(self, queryset, name, value):
        return queryset.filter(reasons__icontains=f'"{value.strip()}"')


class ParticipantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Participants with the rules' verdict, the reasons and any person's override."""

    lookup_value_regex = ID

    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilter

    def get_queryset(self):
        return (Participant.objects.filter(campaign__in=_weibo_side(self.request.user).values("pk"))
                .order_by("first_entry_at", "id"))

    @extend_schema(request=OverrideSerializer, responses=ParticipantSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        participant = services.participant_override(participant=self.get_object(), by=request.user,
                                                    ip=client_ip(request), **body.validated_data)
        return Response(ParticipantSerializer(participant).data)


class WinnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The winners in the order drawn, how they were told, and where their prize is."""

    lookup_value_regex = ID
    serializer_class = WinnerSerializer
    filterset_fields = ["campaign", "delivery_state", "notice_state"]

    def get_queryset(self):
        return (Winner.objects.filter(campaign__in=_weibo_side(self.request.user).values("pk"))
                .select_related("participant", "prize", "campaign").order_by("campaign_id", "rank"))

    @extend_schema(request=DeliverySerializer, responses=WinnerSerializer)
    @action(detail=True, methods=["post"])
    def delivery(self, request, pk=None):
        """Where the prize is: waiting for the address, ready, shipped (with tracking), delivered, returned."""
        body = DeliverySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        winner = services.winner_delivery_update(winner=self.get_object(), by=request.user, ip=client_ip(request),
                                                 **body.validated_data)
        return Response(WinnerSerializer(winner).data)


class RedemptionView(APIView):
    """A shop or POS redeems a code. Idempotent by ``redemption_id``: the same request again answers 200 with
    the same body; the code with another id, or an unknown code, is a 400 saying which."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=RedeemSerializer, responses={200: CodeSerializer, 400: OpenApiTypes.OBJECT},
                   examples=[OpenApiExample("Redeem at a shop", request_only=True,
                                            value={"code": "7KXQM-4HN2P", "redemption_id": "POS-0042-20261207-0017",
                                                   "where": "上海静安店"}),
                             OpenApiExample("Already used", response_only=True, status_codes=["400"],
                                            value={"code": ["Code 7KXQM-4HN2P was already redeemed on 2026-12-07 "
                                                            "14:30 at 上海静安店."]}),
                             OpenApiExample("Unknown", response_only=True, status_codes=["400"],
                                            value={"code": ["No such code: 7KXQM-4HN2X. Check it letter by letter "
                                                            "(codes have no 0, O, 1, I or L)."]})])
    def post(self, request):
        body = RedeemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        code = codes.code_redeem(by=request.user, **body.validated_data)
        return Response(CodeSerializer(code).data)

