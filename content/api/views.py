"""The content API: pillars, posts and their approval, targets on the calendar, the review queue.

Everything a person cannot see (no VIEW on any of a post's accounts) is a 404; what they can see
but may not change is a 403 with the service's message, which says whom to ask.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from positioning.access import Action, account_require, accounts_for
from positioning.models import Account
from weibo_ops import dates
from weibo_ops.requests import client_ip
from weibo_ops.weibo import text as weibo_text

from .. import selectors, services
from ..models import Post, PostState, PostTarget, TargetState
from .serializers import (
    ApproveSerializer,
    CadenceQuerySerializer,
    CadenceSerializer,
    CalendarQuerySerializer,
    CalendarSerializer,
    CheckResultSerializer,
    CheckSerializer,
    FastTrackSerializer,
    MoveSerializer,
    PillarSerializer,
    PostDetailSerializer,
    PostSerializer,
    PostWriteSerializer,
    PublishNowSerializer,
    QueueItemSerializer,
    RejectSerializer,
    ScheduleSerializer,
    TargetDetailSerializer,
    TargetListSerializer,
    TargetMetricsSerializer,
)

READ = ("GET", "HEAD", "OPTIONS")


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class PillarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Content pillars of the brands the caller sees. Managers and administrators write."""

    serializer_class = PillarSerializer
    filterset_fields = ["brand", "is_active"]

    def get_queryset(self):
        return selectors.pillar_list(user=self.request.user)

    def check_permissions(self, request):
        super().check_permissions(request)
        # Before the body is validated: a refused caller learns nothing from field errors.
        if request.method not in READ and not request.user.is_org_wide:
            raise PermissionDenied(_("Only managers and administrators edit content pillars."))

    def perform_create(self, serializer):
        serializer.instance = services.pillar_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("brand", None)
        serializer.instance = services.pillar_update(pillar=serializer.instance, by=self.request.user, **data)


def _filter_accounts(request):
    # No request when the schema is generated.
    return accounts_for(request.user, Action.VIEW) if request is not None else Account.objects.none()


class PostFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=PostState.choices)
    # Only accounts the caller sees: filtering by another would tell which posts also go there.
    account = filters.ModelChoiceFilter(queryset=_filter_accounts,
                                        field_name="targets__account", help_text="Posts with a target on this account.")

    class Meta:
        model = Post
        fields = ["state", "account", "pillar", "urgent"]


class PostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Posts with a target on an account the caller sees, newest first. Writing follows the
    accounts' permissions (draft, publish, approve) and their playbooks."""

    filterset_class = PostFilter
    ordering_fields = ["created_at", "submitted_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.post_list(user=self.request.user)

    def get_serializer_class(self):
        return PostSerializer if self.action == "list" else PostDetailSerializer

    def _detail(self, post: Post, *, code: int = status.HTTP_200_OK) -> Response:
        post = Post.objects.select_related("pillar", "brand", "created_by").get(pk=post.pk)
        detail = selectors.post_detail(post=post, user=self.request.user)
        data = PostDetailSerializer(detail, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _ip(self) -> str | None:
        return client_ip(self.request)

    def retrieve(self, request, *args, **kwargs):
        """The post with its targets and their publish attempts, the reviewers' decisions, every
        version, the approvals still awaited and what the caller may do with it."""
        return self._detail(self.get_object())

    @extend_schema(request=PostWriteSerializer, responses={201: PostDetailSerializer})
    def create(self, request, *args, **kwargs):
        """A draft for one or more accounts; with ``scheduled_at`` also on the calendar (which sends
        it for review where the playbook asks for approval). Refused as a whole: nothing is kept."""
        serializer = PostWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        at = data.pop("scheduled_at", None)
        with transaction.atomic():
            post = services.post_create(by=request.user, **data)
            if at is not None:
                post = services.post_schedule(post=post, at=at, by=request.user, ip=self._ip())
        return self._detail(post, code=status.HTTP_201_CREATED)

    @extend_schema(request=PostWriteSerializer, responses=PostDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change a post; what is not given stays. Editing a post in review or approved makes a new
        version that goes back to review."""
        post = self.get_object()
        serializer = PostWriteSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("scheduled_at", None)
        targets = list(post.targets.all())
        accounts = data.pop("accounts") if "accounts" in data else [t.account for t in targets]
        variants = data.pop("variants", None)
        if variants is None:
            variants = {t.account_id: t.variant for t in targets if t.variant and t.account in accounts}
        elif set(variants) - {a.pk for a in accounts}:
            raise ValidationError({"variants": [_("A variant is for an account the post goes to.")]})
        post = services.post_update(
            post=post, by=request.user, pillar=data.get("pillar", post.pillar), text=data.get("text", post.text),
            accounts=accounts, variants=variants, is_original=data.get("is_original", post.is_original),
            image=data.get("image"), ip=client_ip(request),
            **({"campaign": data["campaign"]} if "campaign" in data else {}))  # not given: the post keeps its own
        return self._detail(post)

    @extend_schema(request=None, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send for review; a post that needs no approval is approved at once."""
        post = services.post_submit(post=self.get_object(), by=request.user, ip=self._ip())
        return self._detail(post)

    @extend_schema(request=ApproveSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the current version, and with ``scheduled_at`` schedule it in the same step. The
        caller's IP goes to Weibo with the post (``rip``)."""
        post = self.get_object()
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment, at = body.validated_data["comment"], body.validated_data.get("scheduled_at")
        if at is None:
            post = services.post_approve(post=post, by=request.user, ip=self._ip(), comment=comment)
        else:
            post = services.post_approve_and_schedule(post=post, by=request.user, ip=self._ip(), comment=comment,
                                                      at=at)
        return self._detail(post)

    @extend_schema(request=RejectSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send the post back to its author; ``comment`` says what to change."""
        post = self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        post = services.post_reject(post=post, by=request.user, comment=body.validated_data["comment"], ip=self._ip())
        return self._detail(post)

    @extend_schema(request=FastTrackSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"], url_path="fast-track")
    def fast_track(self, request, pk=None):
        """A manager's override for an urgent post: approved without the usual reviewers, recorded
        with its reason."""
        post = self.get_object()
        body = FastTrackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        post = services.post_fast_track(post=post, by=request.user, reason=body.validated_data["reason"],
                                        ip=self._ip())
        return self._detail(post)

    @extend_schema(request=ScheduleSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        """Put the post's targets (or those on ``accounts``) on the calendar at ``scheduled_at``."""
        post = self.get_object()
        body = ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        post = services.post_schedule(post=post, at=body.validated_data["scheduled_at"], by=request.user,
                                      ip=self._ip(), accounts=body.validated_data.get("accounts"))
        return self._detail(post)

    @extend_schema(request=None, responses=PublishNowSerializer)
    @action(detail=True, methods=["post"], url_path="publish-now")
    def publish_now(self, request, pk=None):
        """Publish the approved post on its remaining accounts now."""
        post = self.get_object()
        ids = services.post_publish_now(post=post, by=request.user, ip=self._ip())
        post = Post.objects.select_related("pillar", "brand", "created_by").get(pk=post.pk)
        return Response({"targets": ids, "post": PostDetailSerializer(
            selectors.post_detail(post=post, user=self.request.user), context=self.get_serializer_context()).data})

    @extend_schema(responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY), 404: None})
    @action(detail=True, methods=["get"])
    def image(self, request, pk=None):
        """The post's picture, as uploaded."""
        post = self.get_object()
        if not post.image:
            raise NotFound(_("This post has no picture."))
        response = FileResponse(post.image.open("rb"))
        response["Content-Security-Policy"] = "default-src 'none'"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(request=CheckSerializer, responses=CheckResultSerializer)
    @action(detail=False, methods=["post"])
    def check(self, request):
        """What Weibo or the accounts' playbooks would refuse in a text, its Weibo length, and the
        brand's closest post of the last 30 days. Changes nothing."""
        body = CheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        text = body.validated_data["text"]
        accounts = body.validated_data.get("accounts", [])
        variants = body.validated_data.get("variants") or {}
        for account in accounts:
            account_require(request.user, account, Action.VIEW)
        problems = services.post_problems(text=text, accounts=accounts, variants=variants)
        lengths = {"text": weibo_text.weibo_length(text)}
        lengths |= {f"variant_{pk}": weibo_text.weibo_length(v) for pk, v in variants.items() if v}
        similar = None
        if text.strip() and accounts:
            similar = selectors.similar_post(brand=accounts[0].brand, text=text,
                                             exclude_post_id=body.validated_data.get("post"))
            if similar is not None and not selectors.post_visible(user=request.user, post=similar.post):
                similar.hidden = True
        return Response(CheckResultSerializer({"ok": not problems, "problems": problems, "lengths": lengths,
                                               "limit": weibo_text.MAX_LENGTH, "similar": similar}).data)


class TargetFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=TargetState.choices)
    date_from = filters.DateFilter(method="filter_from", validators=[dates.date_check],
                                   help_text="Scheduled on or after this day (Asia/Shanghai).")
    date_to = filters.DateFilter(method="filter_to", validators=[dates.date_check],
                                 help_text="Scheduled on or before this day (Asia/Shanghai).")

    class Meta:
        model = PostTarget
        fields = ["account", "post", "state", "date_from", "date_to"]

    def filter_from(self, queryset, name, value):
        return queryset.filter(scheduled_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(scheduled_at__lt=_day_start(value + timedelta(days=1)))


class TargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Each post on each account: its schedule, state and fate on Weibo."""

    filterset_class = TargetFilter
    ordering_fields = ["scheduled_at", "published_at"]

    def get_queryset(self):
        # Unscheduled last on every database (SQLite sorts NULL first, PostgreSQL last).
        targets = selectors.target_list(user=self.request.user).order_by(F("scheduled_at").asc(nulls_last=True), "pk")
        if self.action == "retrieve":
            targets = targets.prefetch_related("publish_attempts")
        return targets

    def get_serializer_class(self):
        return TargetDetailSerializer if self.action == "retrieve" else TargetListSerializer

    def _detail(self, target: PostTarget) -> Response:
        target = self.get_queryset().prefetch_related("publish_attempts").get(pk=target.pk)
        return Response(TargetDetailSerializer(target, context=self.get_serializer_context()).data)

    @extend_schema(request=MoveSerializer, responses=TargetDetailSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move this account's post to another time (the calendar's drag and drop)."""
        target = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = services.target_move(target=target, at=body.validated_data["scheduled_at"], by=request.user,
                                      ip=client_ip(request))
        return self._detail(target)

    @extend_schema(request=None, responses=TargetDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Take this account's post off the calendar (the other accounts keep theirs)."""
        target = services.target_cancel(target=self.get_object(), by=request.user, ip=client_ip(request))
        return self._detail(target)

    @extend_schema(responses=TargetMetricsSerializer)
    @action(detail=True, methods=["get"])
    def metrics(self, request, pk=None):
        """Reposts, comments and likes now, and their snapshots over time."""
        target = self.get_object()
        return Response(TargetMetricsSerializer(
            {"target": target, "snapshots": selectors.snapshots(target=target)}).data)


class ApprovalQueueView(GenericAPIView):
    """Posts waiting for the caller's review (urgent first, then oldest), with the approval clock."""

    serializer_class = QueueItemSerializer
    filter_backends: list = []  # the queue is one person's, in the order to work through it

    @extend_schema(responses=QueueItemSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(selectors.review_queue(user=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CalendarView(APIView):
    """Each account's days: the playbook's slots with the posts in them, posts at other times,
    and what is short of the plan (posts a day, pillars)."""

    @extend_schema(parameters=[CalendarQuerySerializer], responses=CalendarSerializer)
    def get(self, request):
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data.get("start") or timezone.localdate()
        days = query.validated_data["days"]
        account = None
        if "account" in query.validated_data:
            account = get_object_or_404(accounts_for(request.user, Action.VIEW), pk=query.validated_data["account"])
        rows = selectors.calendar(user=request.user, start=start, days=days, account=account)
        return Response(CalendarSerializer({"start": start, "days": days, "rows": rows}).data)


class CadenceView(APIView):
    """Per account: posts published per day against the plan, the current streak and the gaps."""

    @extend_schema(parameters=[CadenceQuerySerializer], responses=CadenceSerializer(many=True))
    def get(self, request):
        query = CadenceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.cadence(user=request.user, days=query.validated_data["days"])
        return Response(CadenceSerializer(rows, many=True).data)
