"""Serializers of the fan practices: suggestions, gifts, revisits, tip-offs, key-node replies and the
follower audit."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from positioning.models import Account
from team.models import User

from .. import scoring
from ..models import (
    FanGift,
    FanRevisit,
    FollowerAudit,
    FollowerAuditRow,
    Suggestion,
    SuggestionState,
    TipOff,
)
from .serializers import StaffSerializer

MAX_ID = 2**31 - 1


class SuggestionSerializer(serializers.ModelSerializer):
    created_by = StaffSerializer(read_only=True, allow_null=True)
    decided_by = StaffSerializer(read_only=True, allow_null=True)
    reply_state = serializers.CharField(source="reply.state", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Suggestion
        fields = ["id", "interaction", "fan", "brand", "text", "area", "state", "decision_note", "adopted_what",
                  "reply", "reply_state", "created_by", "created_at", "decided_by", "decided_at"]
        read_only_fields = fields


class SuggestionWriteSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The inbox item the suggestion came in.")
    text = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True,
                                 help_text="The suggestion; the item's text when left out.")
    area = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class SuggestionDecideSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[s for s in SuggestionState.values if s != SuggestionState.NEW])
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    adopted_what = serializers.CharField(max_length=200, required=False, default="", allow_blank=True,
                                         help_text="What was adopted (required for adopted): the fan is told.")
    reply_text = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True,
                                       help_text="The thank-you reply; a standard one naming what was adopted "
                                                 "when left out.")

    def validate(self, attrs):
        if attrs["state"] == SuggestionState.ADOPTED and not attrs["adopted_what"].strip():
            raise serializers.ValidationError({"adopted_what": _("Say what was adopted: the fan is told in the "
                                                                 "reply.")})
        return attrs


class GiftSerializer(serializers.ModelSerializer):
    given_by = StaffSerializer(read_only=True, allow_null=True)

    class Meta:
        model = FanGift
        fields = ["id", "fan", "brand", "what", "given_on", "reason", "cost", "given_by", "created_at"]
        read_only_fields = ["id", "brand", "given_by", "created_at"]

    def __init__(self, *args, fans=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fans is not None:
            self.fields["fan"].queryset = fans


class RevisitSerializer(serializers.ModelSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    due = serializers.SerializerMethodField()

    class Meta:
        model = FanRevisit
        fields = ["id", "fan", "brand", "every_days", "assignee", "next_due", "due", "last_done_at", "last_note"]
        read_only_fields = ["id", "brand", "next_due", "due", "last_done_at", "last_note"]

    def __init__(self, *args, fans=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fans is not None:
            self.fields["fan"].queryset = fans

    def get_due(self, revisit) -> bool:
        from django.utils import timezone

        return revisit.next_due <= timezone.localdate()


class RevisitDoneSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class TipOffSerializer(serializers.ModelSerializer):
    created_by = StaffSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TipOff
        fields = ["id", "interaction", "fan", "brand", "url", "note", "created_by", "created_at"]
        read_only_fields = fields


class TipOffWriteSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The inbox item with the tip-off.")
    url = serializers.URLField(max_length=500, help_text="The negative post the fan pointed to.")
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class KeyNodeReplySerializer(serializers.Serializer):
    cascade = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    mid = serializers.RegexField(r"^[0-9]{1,20}$", help_text="The key reposter's repost (its Weibo id).")
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.filter(is_active=True),
                                                 help_text="The matrix account that comments.")
    text = serializers.CharField(max_length=1000, trim_whitespace=True)


class FollowerAuditRowSerializer(serializers.ModelSerializer):
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = FollowerAuditRow
        fields = ["uid", "screen_name", "zombie", "reasons", "followers_count", "friends_count", "statuses_count"]
        read_only_fields = fields

    def get_reasons(self, row) -> list[str]:
        return scoring.reason_words(row.reasons)


class FollowerAuditSerializer(serializers.ModelSerializer):
    zombies = serializers.IntegerField(read_only=True, default=0)
    removal = serializers.SerializerMethodField()

    class Meta:
        model = FollowerAudit
        fields = ["id", "account", "created_at", "read", "total", "problem", "zombies", "removal"]
        read_only_fields = fields

    def get_removal(self, audit) -> str:
        return _("Weibo's Open API cannot remove a follower: export the list (CSV) and remove them by hand in "
                 "the Weibo client.")


class FollowerAuditDetailSerializer(FollowerAuditSerializer):
    rows = FollowerAuditRowSerializer(many=True, read_only=True)

    class Meta(FollowerAuditSerializer.Meta):
        fields = [*FollowerAuditSerializer.Meta.fields, "rows"]
        read_only_fields = fields


class FollowerAuditWriteSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.filter(is_active=True))
    pages = serializers.IntegerField(min_value=1, max_value=10, default=10,
                                     help_text="Calls of friendships/followers to spend (200 followers each).")
