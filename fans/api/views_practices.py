"""The fan practices' API: the suggestion log, gifts and revisits, tip-offs, replies to a cascade's key
reposters and the follower audit. Same rules as the rest of the fans API: what the caller cannot see is
a 404 (or a 400 on the field that names it), what they may not do a 403, bad input a 400 with field
errors."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from sentiment.selectors import cascade_key_node
from weibo_ops.requests import client_ip

from .. import practices, selectors
from ..models import FanGift, FanRevisit, FollowerAudit, Reply, Suggestion, SuggestionState, TipOff
from .serializers import FanReplySerializer
from .serializers_practices import (
    FollowerAuditDetailSerializer,
    FollowerAuditSerializer,
    FollowerAuditWriteSerializer,
    GiftSerializer,
    KeyNodeReplySerializer,
    RevisitDoneSerializer,
    RevisitSerializer,
    SuggestionDecideSerializer,
    SuggestionSerializer,
    SuggestionWriteSerializer,
    TipOffSerializer,
    TipOffWriteSerializer,
)


def _visible_item(request, pk: int, field: str = "item"):
    item = selectors.visible_items(user=request.user).select_related("account").filter(pk=pk).first()
    if item is None:
        raise ValidationError({field: [_("No such inbox item.")]})
    return item


class SuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The suggestion log: fans' suggestions recorded from inbox items, newest first (``state`` filters)."""

    serializer_class = SuggestionSerializer
    queryset = Suggestion.objects.none()  # for the schema; get_queryset is the caller's
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        state = self.request.query_params.get("state", "")
        if state and state not in SuggestionState.values:
            raise ValidationError({"state": [_("Choose one of: %(states)s.")
                                             % {"states": ", ".join(SuggestionState.values)}]})
        return selectors.suggestion_list(user=self.request.user, state=state)

    @extend_schema(request=SuggestionWriteSerializer, responses={201: SuggestionSerializer})
    def create(self, request):
        """Record an item as the fan's suggestion ("记为建议")."""
        body = SuggestionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        suggestion = practices.suggestion_record(item=_visible_item(request, data["item"]), by=request.user,
                                                 text=data["text"], area=data["area"])
        return Response(SuggestionSerializer(self.get_queryset().get(pk=suggestion.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=SuggestionDecideSerializer, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Under review, adopted or declined. Adopting queues the reply that thanks the fan and says
        what was adopted (held for approval where replies need it)."""
        suggestion = self.get_object()
        body = SuggestionDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        practices.suggestion_decide(suggestion=suggestion, by=request.user, rip=client_ip(request),
                                    **body.validated_data)
        return Response(SuggestionSerializer(self.get_queryset().get(pk=suggestion.pk)).data)


class GiftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Gifts given to fans: what, when, why, what it cost and who gave it."""

    serializer_class = GiftSerializer
    queryset = FanGift.objects.none()  # for the schema; get_queryset is the caller's
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["fan"]

    def get_queryset(self):
        return selectors.gift_list(user=self.request.user)

    @extend_schema(request=GiftSerializer, responses={201: GiftSerializer})
    def create(self, request):
        body = GiftSerializer(data=request.data, fans=selectors.visible_fans(user=request.user))
        body.is_valid(raise_exception=True)
        gift = practices.gift_record(by=request.user, **body.validated_data)
        return Response(GiftSerializer(self.get_queryset().get(pk=gift.pk)).data, status=status.HTTP_201_CREATED)


class RevisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Revisit schedules, earliest due first; ``due=true`` lists only those due."""

    serializer_class = RevisitSerializer
    queryset = FanRevisit.objects.none()  # for the schema; get_queryset is the caller's
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        due = self.request.query_params.get("due", "") in ("true", "1")
        return selectors.revisit_list(user=self.request.user, due=due)

    @extend_schema(request=RevisitSerializer, responses={201: RevisitSerializer})
    def create(self, request):
        """Set (or change) the fan's "revisit every N days"; the first visit is due N days from today."""
        body = RevisitSerializer(data=request.data, fans=selectors.visible_fans(user=request.user))
        body.is_valid(raise_exception=True)
        revisit = practices.revisit_set(by=request.user, **body.validated_data)
        return Response(RevisitSerializer(FanRevisit.objects.get(pk=revisit.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=RevisitDoneSerializer, responses=RevisitSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        revisit = self.get_object()
        body = RevisitDoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        revisit = practices.revisit_done(revisit=revisit, by=request.user, note=body.validated_data["note"])
        return Response(RevisitSerializer(revisit).data)


class TipOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tip-offs: fans who pointed the team to a negative post, credited on their profile."""

    serializer_class = TipOffSerializer
    queryset = TipOff.objects.none()  # for the schema; get_queryset is the caller's
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["fan"]

    def get_queryset(self):
        return selectors.tipoff_list(user=self.request.user)

    @extend_schema(request=TipOffWriteSerializer, responses={201: TipOffSerializer})
    def create(self, request):
        body = TipOffWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        tipoff = practices.tipoff_record(item=_visible_item(request, data["item"]), by=request.user,
                                         url=data["url"], note=data["note"])
        return Response(TipOffSerializer(tipoff).data, status=status.HTTP_201_CREATED)


class KeyNodeReplyViewSet(viewsets.GenericViewSet):
    """Talk to a key node: comment under a key reposter's repost of a watched cascade."""

    serializer_class = KeyNodeReplySerializer

    @extend_schema(request=KeyNodeReplySerializer, responses={201: FanReplySerializer})
    def create(self, request):
        """Queued like any inbox reply (or held for approval); the reply's ``state`` says what Weibo
        answered. The repost must be a key node (reposted further) of a cascade the caller sees."""
        body = KeyNodeReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        node = cascade_key_node(user=request.user, cascade_id=data["cascade"], mid=data["mid"])
        if node is None:
            raise ValidationError({"mid": [_("That is not a key reposter of a cascade you can see.")]})
        if data["account"].brand_id != node.brand_id:
            raise ValidationError({"account": [_("Answer from an account of the cascade's brand.")]})
        reply = practices.key_node_reply(
            node=practices.KeyNode(mid=node.mid, uid=node.uid, screen_name=node.screen_name, text=node.text),
            account=data["account"], text=data["text"], by=request.user, rip=client_ip(request))
        reply = Reply.objects.select_related("created_by", "approved_by").get(pk=reply.pk)
        return Response(FanReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class FollowerAuditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Follower audits: an account's followers read from Weibo, the likely zombies listed with reasons.
    Weibo's Open API has no endpoint to remove a follower; ``removal`` says so."""

    serializer_class = FollowerAuditSerializer
    queryset = FollowerAudit.objects.none()  # for the schema; get_queryset is the caller's
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        return selectors.follower_audit_list(user=self.request.user)

    def get_serializer_class(self):
        return FollowerAuditDetailSerializer if self.action == "retrieve" else FollowerAuditSerializer

    @extend_schema(request=FollowerAuditWriteSerializer, responses={201: FollowerAuditDetailSerializer})
    def create(self, request):
        """Read the account's followers now (account managers; spends up to ``pages`` calls)."""
        body = FollowerAuditWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        audit = practices.follower_audit_run(by=request.user, **body.validated_data)
        audit = get_object_or_404(FollowerAudit.objects.annotate(zombies=Count("rows")), pk=audit.pk)
        return Response(FollowerAuditDetailSerializer(audit).data, status=status.HTTP_201_CREATED)
