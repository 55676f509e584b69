from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from positioning.access import Action, account_allows
from positioning.models import Account
from team.models import User
from weibo_ops import dates

from .. import services
from ..approval import may_approve
from ..models import (
    Approval,
    MetricSnapshot,
    Pillar,
    Post,
    PostRevision,
    PostState,
    PostTarget,
    PublishAttempt,
    TargetState,
)
from ..status import post_status, target_status

EXCERPT = 40  # characters of a post's text on a calendar slot


class AwareDateTimeField(dates.ApiDateTimeField):
    """A date and time that must say its offset: "09:00" alone is ambiguous for a team that
    works in Asia/Shanghai with tools that run in UTC."""

    default_error_messages = {
        "naive": gettext_lazy("Give the time with its UTC offset, e.g. 2026-05-01T09:00:00+08:00."),
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class PillarSerializer(serializers.ModelSerializer):
    brand_name = serializers.CharField(source="brand.name", read_only=True)

    class Meta:
        model = Pillar
        fields = ["id", "brand", "brand_name", "name", "colour", "needs_approval", "is_active"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["brand"].read_only = True  # a pillar stays with its brand: its posts do
        return fields


# --- targets -----------------------------------------------------------------------------------

class TargetSerializer(serializers.ModelSerializer):
    """The post on one account."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    text = serializers.CharField(read_only=True, help_text="What goes out: the variant, else the post's text.")
    status = serializers.SerializerMethodField(help_text="The one status word shown in the pages (key and label).")

    def get_status(self, target) -> dict:
        found = target_status(target)
        return {"key": found.key, "label": found.label}

    class Meta:
        model = PostTarget
        fields = ["id", "post", "account", "account_name", "variant", "text", "state", "state_display", "status",
                  "scheduled_at", "next_attempt_at", "published_at", "mid", "url", "message", "attempts",
                  "reposts", "comments", "attitudes", "metrics_at"]
        read_only_fields = fields


class TargetListSerializer(TargetSerializer):
    """A target with what a list needs of its post."""

    post_state = serializers.ChoiceField(source="post.state", choices=PostState.choices, read_only=True)
    pillar = serializers.IntegerField(source="post.pillar_id", read_only=True)
    pillar_name = serializers.CharField(source="post.pillar.name", read_only=True)

    class Meta(TargetSerializer.Meta):
        fields = [*TargetSerializer.Meta.fields, "post_state", "pillar", "pillar_name"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublishAttempt
        fields = ["id", "started_at", "finished_at", "action", "outcome", "error_code", "error_body"]
        read_only_fields = fields


class TargetDetailSerializer(TargetListSerializer):
    publish_attempts = AttemptSerializer(many=True, read_only=True,
                                         help_text="Every call to Weibo for this target, oldest first.")

    class Meta(TargetListSerializer.Meta):
        fields = [*TargetListSerializer.Meta.fields, "publish_attempts"]
        read_only_fields = fields


class PostTargetSerializer(TargetSerializer):
    """A target inside its post, with its publish attempts."""

    publish_attempts = AttemptSerializer(many=True, read_only=True)

    class Meta(TargetSerializer.Meta):
        fields = [*TargetSerializer.Meta.fields, "publish_attempts"]
        read_only_fields = fields


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricSnapshot
        fields = ["taken_at", "reposts", "comments", "attitudes"]


class TargetMetricsSerializer(serializers.Serializer):
    """The latest counts of a published target and their growth, oldest snapshot first."""

    target = serializers.IntegerField(source="target.pk")
    reposts = serializers.IntegerField(source="target.reposts")
    comments = serializers.IntegerField(source="target.comments")
    attitudes = serializers.IntegerField(source="target.attitudes")
    metrics_at = serializers.DateTimeField(source="target.metrics_at", allow_null=True)
    snapshots = SnapshotSerializer(many=True)


# --- posts -------------------------------------------------------------------------------------

class PostSerializer(serializers.ModelSerializer):
    pillar_name = serializers.CharField(source="pillar.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    created_by = PersonSerializer(read_only=True)
    image_url = serializers.SerializerMethodField()
    targets = TargetSerializer(many=True, read_only=True)
    status = serializers.SerializerMethodField(help_text="The one status word shown in the pages (key and label).")

    class Meta:
        model = Post
        fields = ["id", "brand", "pillar", "pillar_name", "campaign", "text", "is_original", "state", "state_display",
                  "status", "version", "urgent", "image_url", "submitted_at", "review_comment", "created_by",
                  "created_at", "updated_at", "targets"]
        read_only_fields = fields

    def get_status(self, post) -> dict:
        found = post_status(post)
        return {"key": found.key, "label": found.label}

    def get_image_url(self, post: Post) -> str | None:
        if not post.image:
            return None
        return self.context["request"].build_absolute_uri(reverse("content_api:post-image", args=[post.pk]))


class ApprovalSerializer(serializers.ModelSerializer):
    reviewer = PersonSerializer(read_only=True)

    class Meta:
        model = Approval
        fields = ["id", "version", "reviewer", "decision", "comment", "created_at"]
        read_only_fields = fields


class RevisionSerializer(serializers.ModelSerializer):
    created_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PostRevision
        fields = ["version", "text", "variants", "pillar", "created_by", "created_at"]
        read_only_fields = fields


class AccountApprovalSerializer(serializers.Serializer):
    """What one account's playbook asks for: who approves (empty: anyone who may approve on the
    account), whether any or all of them, and who has approved this version."""

    account = serializers.IntegerField(source="account.pk")
    account_name = serializers.CharField(source="account.name")
    mode = serializers.CharField()
    approvers = PersonSerializer(many=True)
    approved_by = PersonSerializer(many=True)
    satisfied = serializers.BooleanField()


class DiffPartSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["same", "added", "removed"])
    text = serializers.CharField()

    def to_representation(self, instance):
        op, text = instance
        return {"op": op, "text": text}


class AllowedSerializer(serializers.Serializer):
    """What the caller may do with the post now (the buttons a page would show)."""

    edit = serializers.BooleanField()
    publish = serializers.BooleanField()
    review = serializers.BooleanField()
    fast_track = serializers.BooleanField()


class PostDetailSerializer(PostSerializer):
    """A post with its targets (and their publish attempts), decisions, versions, the approvals
    still awaited and the change since the previous version."""

    targets = PostTargetSerializer(many=True, read_only=True, source="detail.targets")
    approvals = ApprovalSerializer(many=True, read_only=True, source="detail.approvals")
    revisions = RevisionSerializer(many=True, read_only=True, source="detail.revisions",
                                   help_text="Newest first.")
    approval_plan = AccountApprovalSerializer(many=True, read_only=True, source="detail.plan",
                                              help_text="Only while the post is in review.")
    diff = DiffPartSerializer(many=True, read_only=True, source="detail.diff", allow_null=True,
                              help_text="The text against the previous version; null for the first one.")
    allowed = serializers.SerializerMethodField()

    class Meta(PostSerializer.Meta):
        fields = [*PostSerializer.Meta.fields, "approvals", "revisions", "approval_plan", "diff", "allowed"]
        read_only_fields = fields

    def to_representation(self, detail):
        detail.post.detail = detail
        return super().to_representation(detail.post)

    @staticmethod
    def _allowed(user: User, detail) -> dict:
        post = detail.post
        return {
            "edit": all(account_allows(user, t.account, Action.DRAFT) for t in detail.targets),
            "publish": all(account_allows(user, t.account, Action.PUBLISH) for t in detail.targets
                           if t.state not in services.LOCKED_STATES),
            "review": post.state == PostState.IN_REVIEW and any(
                may_approve(user, post, item.account, item.approvers) for item in detail.plan),
            "fast_track": user.is_org_wide and post.state != PostState.APPROVED,
        }

    @extend_schema_field(AllowedSerializer)
    def get_allowed(self, post: Post) -> dict:
        return self._allowed(self.context["request"].user, post.detail)


class PostWriteSerializer(serializers.Serializer):
    """A post to create or change. ``variants`` maps an account id to the text for that account
    (empty: the post's text). With ``scheduled_at`` a new post is also put on the calendar."""

    pillar = serializers.PrimaryKeyRelatedField(queryset=Pillar.objects.filter(is_active=True).select_related("brand"))
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=5000)
    accounts = serializers.PrimaryKeyRelatedField(queryset=Account.objects.select_related("brand"), many=True,
                                                  allow_empty=True)
    variants = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=5000), required=False,
                                     help_text="{account id: text for that account}")
    is_original = serializers.BooleanField(required=False, default=True)
    image = serializers.FileField(required=False, allow_null=True, write_only=True,
                                  help_text="JPEG, GIF or PNG under 5 MB (multipart).")
    scheduled_at = AwareDateTimeField(required=False, allow_null=True, write_only=True,
                                      help_text="Create only: schedule the new post at this time.")
    # content imports no campaigns (the import directions): the campaign model is reached through the field.
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Post._meta.get_field("campaign").related_model.objects.all(), required=False, allow_null=True,
        help_text="The brand's planning or live campaign the post belongs to (null: none).")

    def validate_variants(self, variants: dict) -> dict[int, str]:
        parsed = {}
        for key, text in variants.items():
            if not str(key).isdigit():
                raise serializers.ValidationError(_("Key variants by account id."))
            parsed[int(key)] = text
        return parsed

    def validate(self, attrs):
        accounts = attrs.get("accounts")
        variants = attrs.get("variants") or {}
        if accounts is not None and set(variants) - {a.pk for a in accounts}:
            raise serializers.ValidationError({"variants": _("A variant is for an account the post goes to.")})
        return attrs


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=500,
                                    trim_whitespace=False)


class ApproveSerializer(CommentSerializer):
    scheduled_at = AwareDateTimeField(required=False, help_text="Also schedule every remaining account at this "
                                      "time, in the same step (needs the publish permission on them).")


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=500,
                                    trim_whitespace=False, help_text="Required: what the author should change.")


class FastTrackSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=500,
                                   trim_whitespace=False, help_text="Required: why it cannot wait.")


class ScheduleSerializer(serializers.Serializer):
    scheduled_at = AwareDateTimeField()
    accounts = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), many=True, required=False,
                                                  help_text="Only these accounts' targets (default: all).")


class MoveSerializer(serializers.Serializer):
    scheduled_at = AwareDateTimeField()


class PublishNowSerializer(serializers.Serializer):
    targets = serializers.ListField(child=serializers.IntegerField(),
                                    help_text="The targets queued for publishing now.")
    post = PostDetailSerializer()


class CheckSerializer(serializers.Serializer):
    """A text to check before it is drafted: what Weibo or the accounts' playbooks would refuse."""

    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=5000)
    accounts = serializers.PrimaryKeyRelatedField(queryset=Account.objects.select_related("brand"), many=True,
                                                  required=False)
    variants = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=5000), required=False)
    post = serializers.IntegerField(required=False, allow_null=True,
                                    help_text="The post being edited: not compared with itself.")

    validate_variants = PostWriteSerializer.validate_variants


class SimilarSerializer(serializers.Serializer):
    post = serializers.IntegerField(source="post.pk", allow_null=True)
    text = serializers.CharField(source="post.text")
    pillar_name = serializers.CharField(source="post.pillar.name")
    created_at = serializers.DateTimeField(source="post.created_at", allow_null=True)
    score = serializers.FloatField(help_text="0 to 100: how close the texts are, in %.")
    hidden = serializers.BooleanField(help_text="The post is on accounts the caller cannot see: only its score "
                                                "is given.")

    def to_representation(self, instance):
        if instance.hidden:
            return {"post": None, "text": "", "pillar_name": "", "created_at": None, "score": instance.score,
                    "hidden": True}
        return super().to_representation(instance)


class CheckResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    problems = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                     help_text='By field: "text" or "variant_<account id>".')
    lengths = serializers.DictField(child=serializers.IntegerField(),
                                    help_text='Weibo length by field: "text" or "variant_<account id>".')
    limit = serializers.IntegerField()
    similar = SimilarSerializer(allow_null=True)


# --- review queue ------------------------------------------------------------------------------

class QueueItemSerializer(serializers.Serializer):
    """A post waiting for the caller's review, with the approval clock."""

    post = PostSerializer()
    waiting_minutes = serializers.IntegerField()
    target_minutes = serializers.IntegerField(help_text="The strictest approval target of its accounts' playbooks.")
    breached = serializers.BooleanField()
    first_slot = serializers.DateTimeField(allow_null=True, help_text="The earliest time it is scheduled for.")
    awaiting = AccountApprovalSerializer(many=True, help_text="Accounts whose approval is still missing.")
    diff = DiffPartSerializer(many=True, allow_null=True)


# --- calendar and cadence ----------------------------------------------------------------------

class CalendarQuerySerializer(serializers.Serializer):
    start = dates.ApiDateField(required=False, help_text="First day (Asia/Shanghai); default today.")
    days = serializers.IntegerField(required=False, default=7, min_value=1, max_value=31)
    account = serializers.IntegerField(required=False, help_text="Only this account.")


class SlotTargetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    post = serializers.IntegerField(source="post_id")
    state = serializers.ChoiceField(choices=TargetState.choices)
    post_state = serializers.ChoiceField(source="post.state", choices=PostState.choices)
    excerpt = serializers.SerializerMethodField()
    scheduled_at = serializers.DateTimeField()
    pillar = serializers.IntegerField(source="post.pillar_id")
    pillar_name = serializers.CharField(source="post.pillar.name")
    pillar_colour = serializers.CharField(source="post.pillar.colour")

    def get_excerpt(self, target: PostTarget) -> str:
        return target.text[:EXCERPT]


class SlotSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    planned = serializers.BooleanField(help_text="A slot of the playbook (false: a post at another time).")
    gap = serializers.BooleanField(help_text="A planned slot with nothing scheduled or published.")
    targets = SlotTargetSerializer(many=True)


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    planned = serializers.IntegerField(help_text="Posts a day in the playbook.")
    done = serializers.IntegerField(help_text="Posts scheduled or published.")
    short = serializers.IntegerField()
    missing_pillars = serializers.ListField(child=serializers.CharField())
    slots = SlotSerializer(many=True)


class CalendarRowSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account.pk")
    account_name = serializers.CharField(source="account.name")
    playbook = serializers.IntegerField(source="playbook.number", allow_null=True,
                                        help_text="The playbook version the plan comes from.")
    days = DaySerializer(many=True)


class CalendarSerializer(serializers.Serializer):
    start = serializers.DateField()
    days = serializers.IntegerField()
    rows = CalendarRowSerializer(many=True)


class CadenceQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, default=30, min_value=1, max_value=90)


class DayCountSerializer(serializers.Serializer):
    day = serializers.DateField()
    count = serializers.IntegerField()

    def to_representation(self, instance):
        day, count = instance
        return {"day": day.isoformat(), "count": count}


class CadenceSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account.pk")
    account_name = serializers.CharField(source="account.name")
    per_day = serializers.IntegerField(help_text="The playbook's plan.")
    counts = DayCountSerializer(many=True, help_text="Posts published per day, oldest first, today last.")
    streak = serializers.IntegerField()
    gaps = serializers.IntegerField()
    average = serializers.FloatField()
