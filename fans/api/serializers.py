"""Shapes of the fans API: inbox items and their threads, replies, tickets, fans with their scores,
tags, routing rules and reply templates; and the bodies of the actions on them.

List serializers read only what the selectors load (``select_related`` / ``prefetch_related``), so
that a page costs the same number of queries whatever its size.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from positioning.access import Action, account_allows
from team.models import Department, User
from weibo_ops import keyset

from .. import selectors
from ..models import (
    TICKET_DONE,
    Fan,
    FanNote,
    Interaction,
    Kind,
    Priority,
    Reply,
    ReplyTemplate,
    RoutingRule,
    Tag,
    Ticket,
    TicketState,
    TicketUpdate,
)
from ..scoring import reasons_text
from ..services import BULK_MAX

SLA_CHOICES = ["met", "late", "breached", "near", "ok", ""]

MAX_ID = 2**63 - 1  # the largest bigint: a larger id is no id of ours (and would overflow the query)


class StaffSerializer(serializers.ModelSerializer):
    """A person of the team, as a reference."""

    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class FanTagSerializer(serializers.ModelSerializer):
    """A label on inbox items and fans. Managers and administrators create and change them."""

    class Meta:
        model = Tag
        fields = ["id", "brand", "name", "colour", "replies_need_approval"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["brand"].read_only = True  # a tag stays with its brand: its items and fans do
        return fields


class TagRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "colour"]
        read_only_fields = fields


class FanBriefSerializer(serializers.ModelSerializer):
    """What a list of items shows of the fan who wrote."""

    class Meta:
        model = Fan
        fields = ["id", "uid", "screen_name", "avatar_url", "verified", "followers_count", "influence", "loyalty",
                  "zombie"]
        read_only_fields = fields


class TicketBriefSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Ticket
        fields = ["id", "department", "department_name", "state", "deadline", "resolved_at"]
        read_only_fields = fields


# --- inbox items ---------------------------------------------------------------------------------

class InboxItemSerializer(serializers.ModelSerializer):
    """One inbox item with its account, fan, assignee, tags and tickets (loaded with the page)."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    fan = FanBriefSerializer(read_only=True)
    assignee = StaffSerializer(read_only=True, allow_null=True)
    tags = TagRefSerializer(many=True, read_only=True)
    tickets = TicketBriefSerializer(many=True, read_only=True)
    sla = serializers.SerializerMethodField(help_text="met, late (answered after the target), breached, near, ok, "
                                                      "or empty when no answer is due.")
    loop_open = serializers.SerializerMethodField(help_text="A ticket is resolved and the fan has not been told yet.")

    class Meta:
        model = Interaction
        fields = ["id", "account", "account_name", "kind", "source", "platform_id", "fan", "text", "created_at",
                  "received_at", "status_id", "status_text", "status_author", "reply_to_id", "reply_to_text",
                  "thread_key", "is_question", "is_praise", "defends", "state", "needs_answer", "priority",
                  "is_complaint", "assignee", "assigned_at", "tags", "tickets", "first_response_due",
                  "resolution_due", "first_response_at", "closed_at", "loop_closed_at", "sla", "loop_open"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=SLA_CHOICES))
    def get_sla(self, item: Interaction) -> str:
        return selectors.sla_status(item, self.context.get("now"))

    def get_loop_open(self, item: Interaction) -> bool:
        return item.loop_pending


class ConversationItemSerializer(serializers.ModelSerializer):
    """An item of the conversation (the post's comments, or the private messages with the fan)."""

    fan = FanBriefSerializer(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "kind", "fan", "text", "created_at", "state", "reply_to_id", "is_complaint"]
        read_only_fields = fields


class HistoryItemSerializer(serializers.ModelSerializer):
    """The fan's earlier interaction with an account of the matrix."""

    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "account", "account_name", "kind", "text", "created_at", "state", "is_complaint"]
        read_only_fields = fields


class FanReplySerializer(serializers.ModelSerializer):
    """A reply from the inbox and its fate on Weibo."""

    state_display = serializers.CharField(source="get_state_display", read_only=True)
    created_by = StaffSerializer(read_only=True)
    approved_by = StaffSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Reply
        fields = ["id", "interaction", "account", "method", "text", "template", "is_boilerplate", "state",
                  "state_display", "platform_id", "error", "retry_at", "attempts", "created_by", "created_at",
                  "approved_by", "approved_at", "sent_at", "closes_loop"]
        read_only_fields = fields
        extra_kwargs = {"error": {"help_text": "Weibo's answer when it did not take the reply, or the approver's "
                                               "reason for refusing it."},
                        "retry_at": {"help_text": "Rate limited or busy: the reply goes again at this time."},
                        "platform_id": {"help_text": "Weibo's id of the comment once sent."}}


class TicketUpdateSerializer(serializers.ModelSerializer):
    by = StaffSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TicketUpdate
        fields = ["id", "by", "state", "note", "via", "created_at"]
        read_only_fields = fields


class TicketItemSerializer(serializers.ModelSerializer):
    """The item a ticket is about, as a department reads it."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    fan = FanBriefSerializer(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "account", "account_name", "kind", "fan", "text", "created_at", "status_text", "state",
                  "loop_closed_at"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """A complaint handed to a department, with its Weibo-first deadline."""

    department_name = serializers.CharField(source="department.name", read_only=True)
    created_by = StaffSerializer(read_only=True)
    item = TicketItemSerializer(source="interaction", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "interaction", "item", "department", "department_name", "state", "summary", "deadline",
                  "overdue", "created_by", "created_at", "updated_at", "resolution", "resolved_at", "escalated_at",
                  "external_id"]
        read_only_fields = fields

    def get_overdue(self, ticket: Ticket) -> bool:
        return ticket.state not in TICKET_DONE and ticket.deadline < timezone.now()


class TicketDetailSerializer(TicketSerializer):
    updates = TicketUpdateSerializer(many=True, read_only=True, help_text="Oldest first.")

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "updates"]
        read_only_fields = fields


class ItemAllowedSerializer(serializers.Serializer):
    reply = serializers.BooleanField(help_text="Answer, assign, tag, close and escalate the item.")


class InboxItemDetailSerializer(InboxItemSerializer):
    """An item with its conversation, our replies in it, the fan's history with the matrix (what the
    caller may see) and its tickets with their updates."""

    conversation = ConversationItemSerializer(many=True, read_only=True, source="detail.conversation",
                                              help_text="Oldest first.")
    replies = FanReplySerializer(many=True, read_only=True, source="detail.replies",
                                 help_text="Every reply in the conversation, oldest first.")
    history = HistoryItemSerializer(many=True, read_only=True, source="detail.history", help_text="Newest first.")
    tickets = TicketDetailSerializer(many=True, read_only=True, source="detail.tickets")
    allowed = serializers.SerializerMethodField()

    class Meta(InboxItemSerializer.Meta):
        fields = [*InboxItemSerializer.Meta.fields, "conversation", "replies", "history", "allowed"]
        read_only_fields = fields

    def get_loop_open(self, item: Interaction) -> bool:
        return item.loop_pending

    @extend_schema_field(ItemAllowedSerializer)
    def get_allowed(self, item: Interaction) -> dict:
        return {"reply": account_allows(self.context["request"].user, item.account, Action.REPLY)}


class InboxQuerySerializer(serializers.Serializer):
    """Filters of the inbox (those of the inbox page) and its keyset pagination."""

    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    assignee = serializers.RegexField(r"^(me|none|[0-9]{1,12})$", required=False,
                                      help_text='"me", "none" (nobody) or a person\'s id.')
    state = serializers.ChoiceField(choices=["open", "closed", "all"], required=False, default="open",
                                    help_text='"all" for open and closed.')
    sla = serializers.ChoiceField(choices=["breached", "near", "ok"], required=False)
    tag = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    q = serializers.CharField(required=False, max_length=100, help_text="In the text or the fan's name.")
    complaint = serializers.BooleanField(required=False, default=False, help_text="Complaints only.")
    loop = serializers.ChoiceField(choices=["open", "closed"], required=False,
                                   help_text='"open": resolved complaints the fan has not been told of; "closed": '
                                             "told.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    ordering = serializers.ChoiceField(choices=list(selectors.ORDERINGS), required=False, default=selectors.NEWEST,
                                       help_text='"newest" (the default) or "deadline": the first answer due soonest '
                                                 "first, items without a deadline last.")
    cursor = serializers.RegexField(keyset.NULLABLE_CURSOR_PATTERN, required=False,
                                    help_text="Where the page starts: the ``next`` link of the previous page.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=selectors.INBOX_PAGE_MAX,
                                         default=selectors.INBOX_PAGE)

    def filters(self) -> selectors.InboxFilters:
        data = self.validated_data
        return selectors.InboxFilters(
            account=data.get("account"), kind=data.get("kind", ""), assignee=data.get("assignee", ""),
            state="" if data["state"] == "all" else data["state"], sla=data.get("sla", ""), tag=data.get("tag"),
            q=data.get("q", ""), complaint=data["complaint"], loop=data.get("loop", ""),
            priority=data.get("priority"), ordering=data["ordering"])


class InboxPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last one.")
    results = InboxItemSerializer(many=True)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True,
                                                  help_text="A person's id; null gives the item back to nobody.")


class ItemTagsSerializer(serializers.Serializer):
    add = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False, default=list)
    remove = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False,
                                                default=list)

    def validate(self, attrs):
        if not attrs["add"] and not attrs["remove"]:
            raise serializers.ValidationError({"add": _("Give tags to add or to remove.")})
        return attrs


class ReplyWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, trim_whitespace=False,
                                 help_text="Checked as Weibo counts it and against the account's forbidden words.")
    template = serializers.PrimaryKeyRelatedField(queryset=ReplyTemplate.objects.filter(is_active=True),
                                                  required=False, allow_null=True,
                                                  help_text="The template it started from.")
    confirm_boilerplate = serializers.BooleanField(required=False, default=False,
                                                   help_text="Send a bare template all the same.")
    closes_loop = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="It tells the fan their complaint is resolved. Left out or null: yes for a public reply after a "
                  "department resolved the complaint, no otherwise.")


class EscalateSerializer(serializers.Serializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    summary = serializers.CharField(max_length=2000, help_text="What the department should do.")


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1,
                                max_length=BULK_MAX)
    action = serializers.ChoiceField(choices=["assign", "tag", "untag", "close"])
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True,
                                                  required=False, help_text="For assign (null: nobody).")
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False,
                                              help_text="For tag and untag.")

    def validate(self, attrs):
        if attrs["action"] == "assign" and "assignee" not in attrs:
            raise serializers.ValidationError({"assignee": _("Say whom to assign the items to (null: nobody).")})
        if attrs["action"] in ("tag", "untag") and not attrs.get("tags"):
            raise serializers.ValidationError({"tags": _("Choose the tags.")})
        return attrs


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    changed = serializers.IntegerField(help_text="Items (or tag links) that changed.")


# --- replies -------------------------------------------------------------------------------------

class RefuseSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, allow_blank=True, required=False, default="",
                                    help_text="Required: why, so that the author can fix the reply.")


# --- tickets -------------------------------------------------------------------------------------

class TicketWriteSerializer(serializers.Serializer):
    """A status update, from a department's person or an outside ticketing system."""

    state = serializers.ChoiceField(choices=TicketState.choices, required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    resolution = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                       help_text="Needed to resolve: the operator tells the fan this.")
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                        help_text="The ticket's id in the outside system.")


# --- fans ----------------------------------------------------------------------------------------

class FanSerializer(serializers.ModelSerializer):
    tags = TagRefSerializer(many=True, read_only=True)

    class Meta:
        model = Fan
        fields = ["id", "uid", "screen_name", "avatar_url", "location", "verified", "followers_count",
                  "friends_count", "statuses_count", "influence", "activity", "loyalty", "zombie",
                  "tipoffs_count", "last_interaction_at", "tags"]
        read_only_fields = fields


class FanNoteSerializer(serializers.ModelSerializer):
    created_by = StaffSerializer(read_only=True, allow_null=True)

    class Meta:
        model = FanNote
        fields = ["id", "text", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]
        extra_kwargs = {"text": {"trim_whitespace": False}}


class ScoreReasonsSerializer(serializers.Serializer):
    influence = serializers.ListField(child=serializers.CharField(), required=False)
    activity = serializers.ListField(child=serializers.CharField(), required=False)
    loyalty = serializers.ListField(child=serializers.CharField(), required=False)
    zombie = serializers.ListField(child=serializers.CharField(), required=False)


class FanDetailSerializer(FanSerializer):
    """A fan with their profile and its age, every score with its reasons in the caller's language,
    notes, and their latest interactions the caller may see."""

    profile_age_seconds = serializers.SerializerMethodField(
        help_text="How old the profile is (null: never read); Weibo may have been unable to return it since.")
    score_reasons = serializers.SerializerMethodField()
    notes = FanNoteSerializer(many=True, read_only=True, source="visible_notes")
    history = HistoryItemSerializer(many=True, read_only=True, source="recent")

    class Meta(FanSerializer.Meta):
        fields = [*FanSerializer.Meta.fields, "description", "gender", "verified_reason", "registered_at",
                  "profile_at", "profile_age_seconds", "profile_problem", "downstream_reposts", "positive_count",
                  "defends_count", "scored_at", "score_reasons", "first_seen_at", "notes", "history"]
        read_only_fields = fields

    def get_profile_age_seconds(self, fan: Fan) -> int | None:
        return None if fan.profile_at is None else int((timezone.now() - fan.profile_at).total_seconds())

    @extend_schema_field(ScoreReasonsSerializer)
    def get_score_reasons(self, fan: Fan) -> dict:
        return reasons_text(fan)


class FanQuerySerializer(serializers.Serializer):
    list = serializers.ChoiceField(choices=selectors.FAN_LISTS, required=False, default="all",
                                   help_text="node: node fans / opinion leaders; loyal: to reward; sharers: to "
                                             "revisit; dormant; zombies: to review.")
    q = serializers.CharField(required=False, max_length=100, default="", help_text="Name or exact uid.")
    tag = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class FanTagsSerializer(serializers.Serializer):
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, allow_empty=True,
                                              help_text="The fan's tags from now on (replaces them all).")

    def __init__(self, *args, tags=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tags is not None:
            self.fields["tags"].child_relation.queryset = tags


# --- configuration -------------------------------------------------------------------------------

class RoutingRuleSerializer(serializers.ModelSerializer):
    """Conditions → actions; the first active rule (by ``position``) that matches an arriving item acts."""

    add_tags = TagRefSerializer(many=True, read_only=True)
    assign_to = StaffSerializer(read_only=True, allow_null=True)
    assign_department_name = serializers.CharField(source="assign_department.name", read_only=True,
                                                   allow_null=True)
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=Kind.choices), read_only=True)

    class Meta:
        model = RoutingRule
        fields = ["id", "brand", "position", "name", "is_active", "keywords", "kinds", "accounts", "min_influence",
                  "min_loyalty", "zombie", "is_question", "min_length", "assign_to", "assign_department",
                  "assign_department_name", "assign_on_duty", "add_tags", "set_priority", "mark_complaint",
                  "matched_count", "created_at"]
        read_only_fields = fields


class ReplyTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReplyTemplate
        fields = ["id", "brand", "name", "text", "is_active"]
        read_only_fields = fields
