from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from team.models import User

from ..access import GRANT_FIELDS, Action, actions_on
from ..models import Account, AccountMember, Brand, PlaybookVersion, TargetCircle
from ..validators import validate_content_mix, validate_forbidden_words, validate_time_slots


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "industry", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class CircleSerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetCircle
        fields = ["id", "name", "description", "value"]


class AccountSerializer(serializers.ModelSerializer):
    circles = CircleSerializer(many=True, read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True,
                                               required=False)
    name_is_ideal_length = serializers.BooleanField(read_only=True)
    my_permissions = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = ["id", "brand", "name", "name_is_ideal_length", "purpose", "region", "value_proposition",
                  "tone_of_voice", "profile_text", "owner", "weibo_uid", "is_active", "circles", "my_permissions",
                  "created_at", "updated_at"]
        read_only_fields = ["weibo_uid", "created_at", "updated_at"]

    def get_my_permissions(self, account: Account) -> list[str]:
        return sorted(a.value for a in actions_on(self.context["request"].user, account))

    def validate(self, attrs):
        purpose = attrs.get("purpose", getattr(self.instance, "purpose", None))
        region = attrs.get("region", getattr(self.instance, "region", ""))
        if purpose == "region" and not region:
            raise serializers.ValidationError({"region": _("A regional account needs its region.")})
        return attrs


class AccountMemberSerializer(serializers.ModelSerializer):
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=[a.value for a in GRANT_FIELDS]), write_only=True, required=False)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = AccountMember
        fields = ["id", "user", "can_draft", "can_approve", "can_publish", "can_reply", "can_manage", "permissions"]
        read_only_fields = ["can_draft", "can_approve", "can_publish", "can_reply", "can_manage"]

    def actions(self) -> set[Action]:
        return {Action(a) for a in self.validated_data.get("permissions", [])}


class PlaybookSerializer(serializers.ModelSerializer):
    content_mix = serializers.JSONField(validators=[validate_content_mix], required=False)
    time_slots = serializers.JSONField(validators=[validate_time_slots], required=False)
    forbidden_words = serializers.JSONField(validators=[validate_forbidden_words], required=False)
    approvers = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True,
                                                   required=False)
    created_by = serializers.StringRelatedField()
    posts_per_day = serializers.IntegerField(read_only=True)

    class Meta:
        model = PlaybookVersion
        fields = ["id", "account", "number", "created_at", "created_by", "change_note", "content_mix",
                  "posts_per_day", "time_slots", "reply_within_hours", "resolve_within_hours", "replies_need_approval",
                  "interaction_rules", "escalation_rules",
                  "forbidden_words", "approval_required", "approval_mode", "approvers", "approval_target_minutes",
                  "campaign_frequency", "campaign_themes", "prize_process", "campaign_reports"]
        read_only_fields = ["account", "number", "created_at", "created_by"]


class BudgetKindSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    blocked_until = serializers.DateTimeField(allow_null=True)


class BudgetSerializer(serializers.Serializer):
    resets_at = serializers.DateTimeField()
    limited_until = serializers.DateTimeField(allow_null=True, help_text="Calls wait until then, if set.")
    calls = BudgetKindSerializer()
    posts = BudgetKindSerializer()
    comments = BudgetKindSerializer()
    messages = BudgetKindSerializer()

    def to_representation(self, instance):
        return instance.as_dict()


class WeiboStatusSerializer(serializers.Serializer):
    """The account's Weibo connection (never its token) and what is left of its hourly budget."""

    state = serializers.ChoiceField(choices=["connected", "needs_reauth", "disconnected", "not_connected"])
    uid = serializers.CharField(allow_blank=True)
    screen_name = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    connected_at = serializers.DateTimeField(allow_null=True)
    problem = serializers.CharField(allow_blank=True)
    budget = BudgetSerializer()

    def to_representation(self, instance):
        connection, budget = instance["connection"], instance["budget"]
        return {
            "state": connection.state if connection else "not_connected",
            "uid": connection.uid if connection else "",
            "screen_name": connection.screen_name if connection else "",
            "expires_at": connection.expires_at.isoformat() if connection and connection.expires_at else None,
            "connected_at": connection.connected_at.isoformat() if connection else None,
            "problem": connection.problem if connection else "",
            "budget": budget.as_dict(),
        }
