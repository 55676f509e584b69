"""The fans API: the inbox and its threads, replies, tickets (with status updates from an outside
ticketing system), fans with their scores, tags, routing rules and reply templates.

The same rules as the pages: what is on an account the caller cannot see is a 404; what they can see
but may not do is a 403 with the service's message, which says whom to ask; bad input is a 400 with
field errors (the services' ``ValidationError`` included, through ``weibo_ops.api.exception_handler``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from positioning.access import Action, accounts_for
from team.models import User
from weibo_ops.requests import client_ip

from .. import replies, selectors, services, tickets
from ..models import (
    Fan,
    FanNote,
    Interaction,
    Reply,
    ReplyState,
    ReplyTemplate,
    RoutingRule,
    Tag,
    Ticket,
    TicketState,
)
from .serializers import (
    AssignSerializer,
    BulkResultSerializer,
    BulkSerializer,
    EscalateSerializer,
    FanDetailSerializer,
    FanNoteSerializer,
    FanQuerySerializer,
    FanReplySerializer,
    FanSerializer,
    FanTagSerializer,
    FanTagsSerializer,
    InboxItemDetailSerializer,
    InboxItemSerializer,
    InboxPageSerializer,
    InboxQuerySerializer,
    ItemTagsSerializer,
    RefuseSerializer,
    ReplyTemplateSerializer,
    ReplyWriteSerializer,
    RoutingRuleSerializer,
    TicketDetailSerializer,
    TicketSerializer,
    TicketWriteSerializer,
)

READ = ("GET", "HEAD", "OPTIONS")
FAN_HISTORY = 20  # interactions shown with a fan


def _of_visible_brands(queryset: QuerySet, user: User) -> QuerySet:
    brands = services.fan_visible_brands(by=user)
    return queryset if brands is None else queryset.filter(brand_id__in=brands)


# --- inbox items ---------------------------------------------------------------------------------

class ItemViewSet(viewsets.GenericViewSet):
    """The unified inbox across the matrix: the items on accounts the caller sees, newest first or
    deadline first (``ordering``)."""

    serializer_class = InboxItemSerializer
    queryset = Interaction.objects.none()  # for the schema; get_queryset is the caller's
    filter_backends: list = []  # the inbox's own filters (InboxQuerySerializer)
    pagination_class = None  # keyset pages (selectors.inbox_page)
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return (selectors.visible_items(user=self.request.user).select_related("account", "fan", "assignee")
                .prefetch_related("tags", Prefetch("tickets", queryset=Ticket.objects.select_related("department"))))

    def _ip(self) -> str | None:
        return client_ip(self.request)

    def _item(self, pk) -> Interaction:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _answer(self, pk) -> Response:
        return Response(InboxItemSerializer(self._item(pk), context=self.get_serializer_context()).data)

    @extend_schema(parameters=[InboxQuerySerializer], responses=InboxPageSerializer)
    def list(self, request):
        """One page of the inbox, newest first, or with ``ordering=deadline`` the first answer due soonest
        first (items without a deadline last). Follow ``next`` for the following page: its cursor is a
        position in that order, so a page costs the same wherever it is and new items do not shift it."""
        query = InboxQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.inbox_page(user=request.user, filters=query.filters(),
                                    cursor=query.validated_data.get("cursor", ""),
                                    limit=query.validated_data["page_size"])
        following = None
        if page.next_cursor:
            following = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
        context = self.get_serializer_context() | {"now": page.now}
        return Response({"next": following, "results": InboxItemSerializer(page.items, many=True,
                                                                             context=context).data})

    @extend_schema(responses=InboxItemDetailSerializer)
    def retrieve(self, request, pk=None):
        """The item with its conversation (the post and the comments on it we hold, or the private
        messages with the fan), every reply in it with its outcome on Weibo, the tickets, and the
        fan's other interactions with the matrix."""
        item = self._item(pk)
        item.detail = selectors.thread(user=request.user, item=item)
        for ticket in item.detail.tickets:
            ticket.interaction = item  # loaded already, with its account and fan
        return Response(InboxItemDetailSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(request=AssignSerializer, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the item to a person who may reply on its account (null: to nobody)."""
        item = self._item(pk)
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.items_assign(items=[item], to=body.validated_data["assignee"], by=request.user, ip=self._ip())
        return self._answer(pk)

    @extend_schema(request=ItemTagsSerializer, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def tags(self, request, pk=None):
        """Add and remove tags of the item's brand."""
        item = self._item(pk)
        body = ItemTagsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            if body.validated_data["add"]:
                services.items_tag(items=[item], tags=body.validated_data["add"], by=request.user, ip=self._ip())
            if body.validated_data["remove"]:
                services.items_tag(items=[item], tags=body.validated_data["remove"], by=request.user, remove=True,
                                   ip=self._ip())
        return self._answer(pk)

    @extend_schema(request=None, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        services.items_close(items=[self._item(pk)], by=request.user, ip=self._ip())
        return self._answer(pk)

    @extend_schema(request=None, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        services.item_reopen(item=self._item(pk), by=request.user, ip=self._ip())
        return self._answer(pk)

    @extend_schema(request=ReplyWriteSerializer, responses={201: FanReplySerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Answer the item on Weibo: a reply to a comment, a comment under a post that mentions the
        account, or a private message within the platform's window. Queued (or held for approval
        where the playbook or a tag asks for it); its ``state`` then says what Weibo answered. A text
        Weibo or the playbook would refuse is a 400 on ``text`` with every reason; a bare template
        needs ``confirm_boilerplate``."""
        item = self._item(pk)
        body = ReplyWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reply = replies.reply_create(item=item, by=request.user, rip=self._ip(), **body.validated_data)
        return Response(FanReplySerializer(_reply(reply.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EscalateSerializer, responses={201: TicketDetailSerializer})
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Hand the complaint to a department with its Weibo-first deadline; its people are told."""
        item = self._item(pk)
        body = EscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = tickets.ticket_create(item=item, by=request.user, ip=self._ip(), **body.validated_data)
        return Response(TicketDetailSerializer(_ticket(ticket.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BulkSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Assign, tag, untag or close many items at once (a page of the inbox at most); all or nothing."""
        body = BulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ids = list(dict.fromkeys(data["ids"]))
        items = list(selectors.visible_items(user=request.user).filter(pk__in=ids).select_related("account"))
        missing = sorted(set(ids) - {item.pk for item in items})
        if missing:
            raise ValidationError({"ids": [_("No such items: %(ids)s.") % {"ids": ", ".join(map(str, missing))}]})
        verb = data["action"]
        if verb == "assign":
            changed = services.items_assign(items=items, to=data["assignee"], by=request.user, ip=self._ip())
        elif verb == "close":
            changed = services.items_close(items=items, by=request.user, ip=self._ip())
        else:
            changed = services.items_tag(items=items, tags=data["tags"], by=request.user, remove=verb == "untag",
                                         ip=self._ip())
        return Response({"action": verb, "changed": changed})


# --- replies -------------------------------------------------------------------------------------

def _reply(pk: int) -> Reply:
    return Reply.objects.select_related("created_by", "approved_by").get(pk=pk)


def _ticket(pk: int) -> Ticket:
    return (Ticket.objects.select_related("interaction__fan", "interaction__account", "department", "created_by")
            .prefetch_related("updates__by").get(pk=pk))


class ReplyFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=ReplyState.choices)

    class Meta:
        model = Reply
        fields = ["state", "account", "interaction"]


class ReplyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Replies on the accounts the caller sees, newest first, with what Weibo answered."""

    serializer_class = FanReplySerializer
    queryset = Reply.objects.none()  # for the schema
    filterset_class = ReplyFilter
    ordering_fields = ["created_at", "sent_at"]

    def get_queryset(self):
        user = self.request.user
        rows = Reply.objects.select_related("created_by", "approved_by").order_by("-created_at", "-id")
        if user.is_org_wide:
            return rows
        return rows.filter(account__in=accounts_for(user, Action.VIEW).values("pk"))

    @extend_schema(request=None, responses=FanReplySerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Let a reply that waits for approval go; the approver's IP goes to Weibo with it (``rip``)."""
        reply = replies.reply_approve(reply=self.get_object(), by=request.user, rip=client_ip(request))
        return Response(FanReplySerializer(_reply(reply.pk)).data)

    @extend_schema(request=RefuseSerializer, responses=FanReplySerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """Send a reply back to its author; ``comment`` says why."""
        reply = self.get_object()
        body = RefuseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reply = replies.reply_refuse(reply=reply, by=request.user, comment=body.validated_data["comment"])
        return Response(FanReplySerializer(_reply(reply.pk)).data)


# --- tickets -------------------------------------------------------------------------------------

class TicketFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=TicketState.choices)
    active = filters.BooleanFilter(method="filter_active", help_text="Only tickets still open or in progress.")

    class Meta:
        model = Ticket
        fields = ["state", "department", "interaction", "external_id", "active"]

    def filter_active(self, queryset, name, value):
        done = [TicketState.RESOLVED, TicketState.CANCELLED]
        return queryset.exclude(state__in=done) if value else queryset.filter(state__in=done)


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tickets of the caller's department (every department for managers) and of the items the caller
    sees, earliest deadline first. An outside ticketing system updates them with PATCH."""

    serializer_class = TicketSerializer
    queryset = Ticket.objects.none()  # for the schema
    filterset_class = TicketFilter
    ordering_fields = ["deadline", "created_at", "updated_at"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        rows = selectors.desk_tickets(user=user, state="all")
        if not user.is_org_wide:
            rows = rows | Ticket.objects.filter(interaction__in=selectors.visible_items(user=user).values("pk"))
        if self.action != "list":
            rows = rows.prefetch_related("updates__by")
        return rows

    def get_serializer_class(self):
        return TicketSerializer if self.action == "list" else TicketDetailSerializer

    @extend_schema(request=TicketWriteSerializer, responses=TicketDetailSerializer)
    def partial_update(self, request, pk=None):
        """Move the ticket on (``state``), add a note, record the resolution or the outside system's id.
        Resolving needs ``resolution``; a move the ticket's state does not allow is a 400 on ``state``."""
        ticket = self.get_object()
        body = TicketWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        tickets.ticket_update(ticket=ticket, by=request.user, state=data.get("state"), note=data["note"],
                              resolution=data["resolution"], external_id=data.get("external_id"), via="api")
        return Response(TicketDetailSerializer(_ticket(ticket.pk)).data)


# --- fans ----------------------------------------------------------------------------------------

class FanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fans who wrote to an account the caller sees: one per Weibo uid across the matrix."""

    serializer_class = FanSerializer
    queryset = Fan.objects.none()  # for the schema
    filter_backends: list = []  # the lists' own order and filters (FanQuerySerializer)
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        return selectors.visible_fans(user=self.request.user)

    def get_serializer_class(self):
        return FanSerializer if self.action == "list" else FanDetailSerializer

    def _detail(self, fan: Fan) -> Response:
        fan = Fan.objects.prefetch_related(selectors.fan_tags_prefetch(user=self.request.user)).get(pk=fan.pk)
        fan.visible_notes = selectors.fan_notes(user=self.request.user, fan=fan)
        fan.recent = selectors.fan_history(user=self.request.user, fan=fan, limit=FAN_HISTORY)
        return Response(FanDetailSerializer(fan, context=self.get_serializer_context()).data)

    @extend_schema(parameters=[FanQuerySerializer])
    def list(self, request):
        """``list=node``: node fans and opinion leaders; ``loyal``: to reward; ``sharers``: shared their
        experience lately, to revisit; ``dormant``; ``zombies``: to review (never to buy or add)."""
        query = FanQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        fans = selectors.fan_list(user=request.user, which=data["list"], q=data["q"], tag=data.get("tag"))
        page = self.paginate_queryset(fans)
        return self.get_paginated_response(FanSerializer(page, many=True).data)

    @extend_schema(responses=FanDetailSerializer)
    def retrieve(self, request, pk=None):
        """The fan's profile and its age, every score with its reasons, tags, notes and latest
        interactions."""
        return self._detail(self.get_object())

    @extend_schema(request=FanNoteSerializer, responses={201: FanNoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Add a note on the fan (for those who reply on an account the fan wrote to)."""
        fan = self.get_object()
        body = FanNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.fan_note_add(fan=fan, text=body.validated_data["text"], by=request.user)
        note = FanNote.objects.select_related("created_by").get(pk=note.pk)
        return Response(FanNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FanTagsSerializer, responses=FanDetailSerializer)
    @action(detail=True, methods=["put"], url_path="tags")
    def set_tags(self, request, pk=None):
        """Replace the fan's tags."""
        fan = self.get_object()
        body = FanTagsSerializer(data=request.data, tags=_of_visible_brands(Tag.objects.all(), request.user))
        body.is_valid(raise_exception=True)
        services.fan_tags_set(fan=fan, tags=body.validated_data["tags"], by=request.user, ip=client_ip(request))
        return self._detail(fan)


# --- configuration -------------------------------------------------------------------------------

class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                 mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Tags of the brands the caller sees. Managers and administrators create and change them."""

    serializer_class = FanTagSerializer
    queryset = Tag.objects.none()  # for the schema
    filterset_fields = ["brand", "replies_need_approval"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return _of_visible_brands(Tag.objects.order_by("brand_id", "name"), self.request.user)

    def check_permissions(self, request):
        super().check_permissions(request)
        # Before the body is validated: a refused caller learns nothing from field errors.
        if request.method not in READ and not request.user.is_org_wide:
            raise PermissionDenied(_("Only managers and administrators change this."))

    def perform_create(self, serializer):
        serializer.instance = services.tag_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.tag_update(tag=serializer.instance, by=self.request.user,
                                                  **serializer.validated_data)


class RuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Routing rules of the brands the caller sees, in the order they are tried."""

    serializer_class = RoutingRuleSerializer
    queryset = RoutingRule.objects.none()  # for the schema
    filterset_fields = ["brand", "is_active"]

    def get_queryset(self):
        rules = (RoutingRule.objects.select_related("assign_to", "assign_department")
                 .prefetch_related("accounts", "add_tags").order_by("brand_id", "position", "id"))
        return _of_visible_brands(rules, self.request.user)


class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reply templates of the brands the caller sees: starting points to edit, never to send bare."""

    serializer_class = ReplyTemplateSerializer
    queryset = ReplyTemplate.objects.none()  # for the schema
    filterset_fields = ["brand", "is_active"]

    def get_queryset(self):
        return _of_visible_brands(ReplyTemplate.objects.order_by("brand_id", "name"), self.request.user)
