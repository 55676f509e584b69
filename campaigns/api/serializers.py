"""Campaigns API bodies. Writes are validated here for shape only; the services decide (and say why not)."""

from __future__ import annotations

from rest_framework import serializers

from positioning.models import Account, Brand
from team.models import Department, User

from ..models import (
    Activity,
    Campaign,
    Code,
    DeliveryState,
    Goal,
    Metric,
    Participant,
    PrizeApplication,
    Task,
    TaskState,
    Winner,
)


class ActivitySerializer(serializers.ModelSerializer):
    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.all())
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = Activity
        fields = ["id", "brand", "title", "kind", "description", "department", "owner", "sponsor", "starts_on",
                  "ends_on", "state", "decline_reason", "registered_by", "created_at"]
        read_only_fields = ["state", "decline_reason", "registered_by", "created_at"]


class GoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Goal
        fields = ["metric", "target"]


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign with its rules and the public side of its draw (the seed only once drawn)."""

    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.all())
    lead = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    accounts = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), many=True)
    activity = serializers.PrimaryKeyRelatedField(queryset=Activity.objects.all(), required=False, allow_null=True)
    goals = GoalSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "brand", "activity", "title", "kind", "brief", "lead", "sponsor", "accounts", "starts_at",
                  "ends_at", "budget", "prize_budget", "topic", "partner", "state", "winners_count", "rule_follow",
                  "rule_mentions", "rule_keyword", "rule_picture", "rules_version", "seed_hash", "committed_at",
                  "drawn_at", "revealed_seed", "participants_digest", "goals", "created_at"]
        read_only_fields = ["state", "rules_version", "seed_hash", "committed_at", "drawn_at", "revealed_seed",
                            "participants_digest", "created_at"]


class GoalsSerializer(serializers.Serializer):
    targets = serializers.DictField(child=serializers.IntegerField(min_value=0, allow_null=True),
                                    help_text="{metric: target}; 0 or null removes the goal. Metrics: "
                                              + ", ".join(Metric.values))


class TaskSerializer(serializers.ModelSerializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                               allow_null=True)
    depends_on = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), many=True, required=False)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "campaign", "title", "department", "owner", "due_at", "state", "depends_on", "note",
                  "done_at", "overdue"]
        read_only_fields = ["campaign", "state", "done_at"]

    def get_overdue(self, task) -> bool:
        from django.utils import timezone

        return task.state != TaskState.DONE and task.due_at < timezone.now()


class TaskStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=TaskState.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class PrizeSerializer(serializers.ModelSerializer):
    warnings = serializers.SerializerMethodField(help_text="The prize advisor's warnings, in the caller's language.")

    class Meta:
        model = PrizeApplication
        fields = ["id", "campaign", "name", "quantity", "unit_cost", "requested_by", "state", "warnings",
                  "decided_by", "decided_at", "decision_note", "created_at"]
        read_only_fields = ["campaign", "requested_by", "state", "decided_by", "decided_at", "decision_note",
                            "created_at"]

    def get_warnings(self, prize) -> list[str]:
        from ..prizes import warning_words

        return warning_words(prize.warnings)


class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class ParticipantSerializer(serializers.ModelSerializer):
    reasons = serializers.SerializerMethodField(help_text="Why excluded, in the caller's language.")

    class Meta:
        model = Participant
        fields = ["id", "uid", "screen_name", "first_entry_at", "entries", "followers", "ruled_eligible", "reasons",
                  "override", "override_reason", "override_at", "eligible"]
        read_only_fields = fields

    def get_reasons(self, participant) -> list[str]:
        from ..eligibility import reason_words

        return reason_words(participant.reasons)


class OverrideSerializer(serializers.Serializer):
    eligible = serializers.BooleanField(allow_null=True, help_text="true/false decides over the rules; null hands "
                                                                    "the decision back to them.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class WinnerSerializer(serializers.ModelSerializer):
    uid = serializers.CharField(source="participant.uid", read_only=True)
    screen_name = serializers.CharField(source="participant.screen_name", read_only=True)
    prize_name = serializers.CharField(source="prize.name", read_only=True, default=None)

    class Meta:
        model = Winner
        fields = ["id", "campaign", "rank", "uid", "screen_name", "prize", "prize_name", "notice_state",
                  "noticed_at", "delivery_state", "tracking", "delivery_note", "delivery_updated_at"]
        read_only_fields = fields


class DeliverySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=DeliveryState.choices)
    tracking = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class VerificationSerializer(serializers.Serializer):
    """What anyone needs to re-run the draw: ``manage.py verify_draw --participants list.txt --seed SEED
    --winners N --commitment SEED_HASH --digest DIGEST``."""

    seed_hash = serializers.CharField(help_text="SHA-256 of the seed, published before the draw.")
    committed_at = serializers.DateTimeField(allow_null=True)
    winners_count = serializers.IntegerField()
    drawn_at = serializers.DateTimeField(allow_null=True)
    seed = serializers.CharField(allow_blank=True, help_text="Revealed after the draw; empty before.")
    participants_digest = serializers.CharField(allow_blank=True,
                                                help_text="SHA-256 of the published participant list.")
    participants = serializers.CharField(allow_blank=True,
                                         help_text="The eligible uids drawn from, one a line (after the draw).")
    winners = serializers.ListField(child=serializers.CharField(), help_text="Winners' uids in the order drawn.")


class CodesGenerateSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=60)
    count = serializers.IntegerField(min_value=1)


class CodeSerializer(serializers.ModelSerializer):
    campaign_title = serializers.CharField(source="campaign.title", read_only=True)

    class Meta:
        model = Code
        fields = ["code", "campaign", "campaign_title", "channel", "redeemed_at", "redemption_id", "redeemed_where"]
        read_only_fields = fields


class RedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="As printed; dashes and spaces are ignored.")
    redemption_id = serializers.CharField(max_length=80, help_text="The receipt or transaction number: sending the "
                                                                   "same id again returns the same answer.")
    where = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX with a code column, optionally redemption_id, where, at.")


class ReportSerializer(serializers.Serializer):
    """The report's figures, each with its target (null: none set) and how it is computed."""

    campaign = serializers.IntegerField()
    now = serializers.DateTimeField()
    figures = serializers.ListField(child=serializers.DictField())
    excluded = serializers.DictField(child=serializers.IntegerField())
    channels = serializers.ListField(child=serializers.DictField())
    earlier = serializers.ListField(child=serializers.DictField())
