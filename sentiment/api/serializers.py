"""Shapes of the opinion monitoring API: keyword groups, mentions and their corrections, trends and the word
cloud, alerts, incidents with their checklist, timeline and statements, and repost cascades; and the bodies of
the actions on them.

List serializers read only what the views load (``select_related`` / ``prefetch_related``), so that a page
costs the same number of queries whatever its size.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from positioning.models import Account, Brand
from team.models import User
from weibo_ops import dates, keyset
from weibo_ops.links import weibo_url

from ..models import (
    Alert,
    Cascade,
    Grade,
    Handling,
    Incident,
    IncidentEvent,
    IncidentTask,
    IncidentType,
    Mention,
    MentionSource,
    RuleGroup,
    Sentiment,
    SentimentCorrection,
    Statement,
)
from ..pipeline import MAX_TEXT
from ..propagation import TREE_JSON_LIMIT

MAX_ID = 2**63 - 1  # the largest bigint: a larger id is no id of ours (and would overflow the query)
MENTIONS_PAGE = 50  # mentions per page
MENTIONS_PAGE_MAX = 200  # keeps one page's payload bounded
SUBMIT_MAX = 1000  # raw items per submit call: one pipeline batch or two
TREE_LIMIT_MAX = 2000  # nodes of a drawn tree: more is unreadable and heavy
TREND_HOURS_MAX = 24 * 7  # hourly series: a week at most
TREND_DAYS_MAX = 90  # daily series: a quarter at most
# Content's post states, read through the relation: sentiment uses content's services and selectors only.
POST_STATES = Statement._meta.get_field("post").related_model._meta.get_field("state").choices


class MonitoringPersonSerializer(serializers.ModelSerializer):
    """A person of the team, as a reference."""

    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class GroupRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleGroup
        fields = ["id", "name", "kind"]
        read_only_fields = fields


# --- keyword groups --------------------------------------------------------------------------------

def _terms_field(help_text: str, *, required: bool = False) -> serializers.ListField:
    # Empty and repeated terms are dropped, over-long ones refused, by the service (services.terms_clean).
    return serializers.ListField(child=serializers.CharField(allow_blank=True), required=required,
                                 help_text=help_text, **({} if required else {"default": list}))


class RuleGroupSerializer(serializers.ModelSerializer):
    """A keyword group: a mention matches when it holds an include term, no exclude term, and (when context
    terms are given) one of the context terms too. The search state says how the Weibo search for it fares."""

    include_terms = _terms_field("At least one; each matched anywhere in the text.", required=True)
    exclude_terms = _terms_field("A mention holding one of these does not match.")
    context_terms = _terms_field("When given, a mention must also hold one of these words.")

    class Meta:
        model = RuleGroup
        fields = ["id", "brand", "name", "kind", "include_terms", "exclude_terms", "context_terms", "search_enabled",
                  "is_active", "searched_at", "searched_until", "search_paused_until", "search_problem",
                  "created_at", "updated_at"]
        read_only_fields = ["searched_at", "searched_until", "search_paused_until", "search_problem", "created_at",
                            "updated_at"]
        extra_kwargs = {
            "searched_at": {"help_text": "When the search last ran for this group."},
            "searched_until": {"help_text": "Posts up to here have been searched."},
            "search_paused_until": {"help_text": "Rate limited: the search waits until then."},
            "search_problem": {"help_text": "Why the last search failed, or empty."},
        }
        validators: list = []  # the name's uniqueness per brand: the service's field error

    def __init__(self, *args, brands=None, **kwargs):
        super().__init__(*args, **kwargs)
        if brands is not None and "brand" in self.fields and not self.fields["brand"].read_only:
            self.fields["brand"].queryset = brands

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["brand"].read_only = True  # a group stays with its brand: its mentions do
        return fields


# --- mentions --------------------------------------------------------------------------------------

class MentionSerializer(serializers.ModelSerializer):
    """One post or comment about the brand, with its sentiment, keywords and the groups it matched."""

    groups = GroupRefSerializer(many=True, read_only=True)
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Mention
        fields = ["id", "brand", "source", "platform_id", "object_type", "url", "text", "author_uid", "author_name",
                  "author_followers", "author_verified", "posted_at", "stored_at", "reposts", "comments", "likes",
                  "root_id", "copies", "sentiment", "score", "corrected", "keywords", "groups"]
        read_only_fields = fields
        extra_kwargs = {
            "object_type": {"help_text": "status or comment."},
            "copies": {"help_text": "Near-identical copies counted on this mention, itself included."},
            "score": {"help_text": "The model's confidence in the sentiment (0 to 1)."},
            "root_id": {"help_text": "The post a repost or comment is under."},
        }


class CorrectionSerializer(serializers.ModelSerializer):
    created_by = MonitoringPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SentimentCorrection
        fields = ["id", "label", "was", "created_by", "created_at"]
        read_only_fields = fields


class IncidentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "title", "state", "grade"]
        read_only_fields = fields


class MentionDetailSerializer(MentionSerializer):
    """A mention with who reported it, the corrections of its sentiment and the incidents it is part of."""

    reported_by = MonitoringPersonSerializer(read_only=True, allow_null=True)
    corrections = CorrectionSerializer(many=True, read_only=True, help_text="Newest first.")
    incidents = IncidentRefSerializer(many=True, read_only=True)

    class Meta(MentionSerializer.Meta):
        fields = [*MentionSerializer.Meta.fields, "author_created_at", "reported_by", "report_note", "import_batch",
                  "corrections", "incidents"]
        read_only_fields = fields


class MentionQuerySerializer(serializers.Serializer):
    """Filters of the mention list and its keyset pagination."""

    brand = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    group = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="A keyword group.")
    source = serializers.ChoiceField(choices=MentionSource.choices, required=False)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)
    corrected = serializers.BooleanField(required=False, allow_null=True, default=None,
                                         help_text="true: corrected by a person; false: as the model said.")
    since = dates.ApiDateTimeField(required=False, help_text="Posted at or after.")
    until = dates.ApiDateTimeField(required=False, help_text="Posted before.")
    q = serializers.CharField(required=False, max_length=100, help_text="In the text or the author's name.")
    min_followers = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID,
                                             help_text="Authors with at least this many followers.")
    cursor = serializers.RegexField(keyset.CURSOR_PATTERN, required=False,
                                    help_text="Where the page starts: the ``next`` link of the previous page.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MENTIONS_PAGE_MAX,
                                         default=MENTIONS_PAGE)

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": _("Give an end after the start.")})
        return attrs


@extend_schema_serializer(many=False)  # the list answers one page object, not an array of them
class MentionPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last one.")
    results = MentionSerializer(many=True)


class MentionCorrectSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=Sentiment.choices, help_text="The sentiment a person judged it to have.")


class MentionReportSerializer(serializers.Serializer):
    """A post someone (a loyal fan, a colleague) pointed out: by its link or its text."""

    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.none())
    link = serializers.URLField(max_length=500, required=False, allow_blank=True, default="",
                                help_text="The post on Weibo.")
    text = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="",
                                 help_text="What it says, when there is no link.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                 help_text="Who reported it and why.")

    def __init__(self, *args, brands=None, **kwargs):
        super().__init__(*args, **kwargs)
        if brands is not None:
            self.fields["brand"].queryset = brands

    def validate(self, attrs):
        if not attrs["link"] and not attrs["text"].strip():
            raise serializers.ValidationError({"link": _("Give the post's link or its text.")})
        return attrs


class MentionRawSerializer(serializers.Serializer):
    """One raw item from an outside system: the fields of ``sentiment.pipeline.Raw``."""

    text = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=True)
    platform_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                        help_text="The Weibo id: an item already stored is not stored twice.")
    object_type = serializers.ChoiceField(choices=["status", "comment"], required=False, default="status")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="",
                               help_text="The post on Weibo: an http(s) link on weibo.com, weibo.cn or t.cn.")
    author_uid = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    author_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    author_followers = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False, default=0)
    author_verified = serializers.BooleanField(required=False, default=False)
    author_created_at = dates.ApiDateTimeField(required=False, allow_null=True, default=None)
    posted_at = dates.ApiDateTimeField(required=False, allow_null=True, default=None,
                                          help_text="Left out: when it is handed over.")
    reposts = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, default=0)
    comments = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, default=0)
    likes = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, default=0)
    root_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                    help_text="The post a repost or comment is under.")

    def validate_url(self, value: str) -> str:
        if value and not weibo_url(value):
            raise serializers.ValidationError(_("Give the post's link on Weibo (http or https, on weibo.com, "
                                                "weibo.cn or t.cn), or leave it out."))
        return value


class MentionSubmitSerializer(serializers.Serializer):
    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.none())
    source = serializers.ChoiceField(choices=[MentionSource.IMPORT], required=False, default=MentionSource.IMPORT,
                                     help_text="Outside systems hand items over as imports.")
    items = MentionRawSerializer(many=True, min_length=1, max_length=SUBMIT_MAX,
                              help_text="Errors come back per item, in the items' order.")

    def __init__(self, *args, brands=None, **kwargs):
        super().__init__(*args, **kwargs)
        if brands is not None:
            self.fields["brand"].queryset = brands


class MentionQueuedSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Items queued for the pipeline.")


# --- trends and the word cloud ---------------------------------------------------------------------

class TrendQuerySerializer(serializers.Serializer):
    brand = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    hours = serializers.IntegerField(required=False, min_value=1, max_value=TREND_HOURS_MAX,
                                     help_text="An hourly series over this many hours (the default: 24).")
    days = serializers.IntegerField(required=False, min_value=1, max_value=TREND_DAYS_MAX,
                                    help_text="A daily series over this many days, instead of hours.")
    group = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="A keyword group.")

    def validate(self, attrs):
        if "hours" in attrs and "days" in attrs:
            raise serializers.ValidationError({"days": _("Give hours or days, not both.")})
        return attrs


class TrendPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The hour or day the counts are for.")
    negative = serializers.IntegerField()
    neutral = serializers.IntegerField()
    positive = serializers.IntegerField()
    total = serializers.IntegerField()


class TrendSerializer(serializers.Serializer):
    brand = serializers.IntegerField()
    step = serializers.ChoiceField(choices=["hour", "day"])
    points = TrendPointSerializer(many=True, help_text="Oldest first; every hour or day, empty ones too.")


class WordCloudQuerySerializer(serializers.Serializer):
    brand = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    hours = serializers.IntegerField(required=False, min_value=1, max_value=TREND_HOURS_MAX,
                                     help_text="Mentions of the last this many hours.")
    days = serializers.IntegerField(required=False, min_value=1, max_value=TREND_DAYS_MAX,
                                    help_text="Mentions of the last this many days (the default: 7).")
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)

    def validate(self, attrs):
        if "hours" in attrs and "days" in attrs:
            raise serializers.ValidationError({"days": _("Give hours or days, not both.")})
        return attrs


class WordSerializer(serializers.Serializer):
    text = serializers.CharField()
    count = serializers.IntegerField(help_text="Mentions with this keyword.")
    size = serializers.IntegerField(help_text="A font step: 1 (smallest) to 5.")


class WordCloudSerializer(serializers.Serializer):
    brand = serializers.IntegerField()
    words = WordSerializer(many=True, help_text="Biggest first, then alphabetically.")


# --- alerts ----------------------------------------------------------------------------------------

class MentionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mention
        fields = ["id", "text", "author_name", "author_followers", "url", "posted_at", "sentiment"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    """A negative spike, a negative post by an influential account, or a coordinated attack; one per happening."""

    group = GroupRefSerializer(read_only=True, allow_null=True)
    mention = MentionBriefSerializer(read_only=True, allow_null=True)
    acknowledged_by = MonitoringPersonSerializer(read_only=True, allow_null=True)
    evidence = serializers.JSONField(read_only=True, help_text="What the alert was raised on.")

    class Meta:
        model = Alert
        fields = ["id", "brand", "kind", "title", "group", "mention", "cascade", "incident", "bucket_start", "count",
                  "baseline", "evidence", "created_at", "updated_at", "acknowledged_at", "acknowledged_by"]
        read_only_fields = fields
        extra_kwargs = {"count": {"help_text": "Negative mentions in the bucket (spikes)."},
                        "baseline": {"help_text": "The usual count for that hour (spikes)."}}


# --- incidents -------------------------------------------------------------------------------------

class IncidentSerializer(serializers.ModelSerializer):
    opened_by = MonitoringPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = ["id", "brand", "title", "kind", "handling", "grade", "state", "summary", "participants", "reach",
                  "negative", "opened_by", "opened_at", "graded_at", "closed_at", "lessons"]
        read_only_fields = fields


class IncidentTaskSerializer(serializers.ModelSerializer):
    owner = MonitoringPersonSerializer(read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True, allow_null=True)
    done_by = MonitoringPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = IncidentTask
        fields = ["id", "key", "title", "owner", "department", "department_name", "due_at", "done_at", "done_by"]
        read_only_fields = fields


class IncidentEventSerializer(serializers.ModelSerializer):
    actor = MonitoringPersonSerializer(read_only=True, allow_null=True)
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = IncidentEvent
        fields = ["id", "at", "actor", "kind", "text", "data"]
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer):
    """A statement of the incident's one voice: a content post, approved and published like any other."""

    text = serializers.CharField(source="post.text", read_only=True)
    post_state = serializers.ChoiceField(source="post.state", choices=POST_STATES, read_only=True,
                                         help_text="The content post's state: approved once fast-tracked.")
    urgent = serializers.BooleanField(source="post.urgent", read_only=True, help_text="Fast-tracked.")
    accounts = serializers.SerializerMethodField(help_text="The accounts it goes out on.")
    created_by = MonitoringPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Statement
        fields = ["id", "incident", "post", "text", "post_state", "urgent", "accounts", "created_by", "created_at"]
        read_only_fields = fields

    def get_accounts(self, statement: Statement) -> list[int]:
        return [target.account_id for target in statement.post.targets.all()]


class IncidentDetailSerializer(IncidentSerializer):
    """An incident with its checklist, its timeline (oldest first), its statements and what it was opened on."""

    tasks = IncidentTaskSerializer(many=True, read_only=True)
    events = IncidentEventSerializer(many=True, read_only=True, help_text="Oldest first.")
    statements = StatementSerializer(many=True, read_only=True)
    alerts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    mentions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "tasks", "events", "statements", "alerts", "mentions"]
        read_only_fields = fields


class IncidentOpenSerializer(serializers.Serializer):
    """Open an incident on an alert, on a mention, or on neither (something heard elsewhere)."""

    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.none())
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=IncidentType.choices, required=False, default=IncidentType.UNKNOWN)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    alert = serializers.PrimaryKeyRelatedField(queryset=Alert.objects.none(), required=False, allow_null=True,
                                               default=None)
    mention = serializers.PrimaryKeyRelatedField(queryset=Mention.objects.none(), required=False, allow_null=True,
                                                 default=None)

    def __init__(self, *args, brands=None, **kwargs):
        super().__init__(*args, **kwargs)
        if brands is not None:
            self.fields["brand"].queryset = brands
            self.fields["alert"].queryset = Alert.objects.filter(brand__in=brands)
            self.fields["mention"].queryset = Mention.objects.filter(brand__in=brands)

    def validate(self, attrs):
        errors = {}
        for name in ("alert", "mention"):
            if attrs[name] is not None and attrs[name].brand_id != attrs["brand"].pk:
                errors[name] = [_("It is not of this brand.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class IncidentTypeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IncidentType.choices)
    handling = serializers.ChoiceField(choices=Handling.choices, required=False, allow_blank=True, default="",
                                       help_text="For a misunderstanding: cold (privately first) or hot (publicly).")


class IncidentGradeSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    reason = serializers.CharField(max_length=1000, help_text="Why this grade: it goes on the timeline.")


class IncidentCloseSerializer(serializers.Serializer):
    lessons = serializers.CharField(max_length=5000, help_text="What the team learnt.")


class IncidentReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class IncidentNoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class StatementDraftSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="Checked as Weibo counts it, like any post.")
    accounts = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none(), many=True, allow_empty=False,
                                                  help_text="Accounts of the incident's brand.")

    def __init__(self, *args, brand=None, **kwargs):
        super().__init__(*args, **kwargs)
        if brand is not None:
            self.fields["accounts"].child_relation.queryset = Account.objects.filter(brand=brand)


class StatementFastTrackSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why it cannot wait for the usual approval.")


class ReportGradeChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    # "from" is a Python keyword: the field is named in get_fields.
    to = serializers.CharField()
    manual = serializers.BooleanField(help_text="Set by a person (else by the figures).")
    reason = serializers.CharField()
    by = serializers.CharField(help_text="Who, or empty for the system.")

    def get_fields(self):
        return {"from": serializers.CharField(allow_null=True), **super().get_fields()}


class ReportVolumeSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    negative = serializers.IntegerField(help_text="Negative mentions of the incident in the bucket, copies counted.")


class ReportTimelineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField()
    text = serializers.CharField()
    data = serializers.JSONField()


class ReportApprovalSerializer(serializers.Serializer):
    by = serializers.CharField()
    decision = serializers.CharField()
    fast_tracked = serializers.BooleanField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class ReportTargetSerializer(serializers.Serializer):
    account = serializers.CharField()
    state = serializers.CharField(help_text="The post target's state.")
    mid = serializers.CharField()
    url = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class ReportStatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    state = serializers.CharField(help_text="The post's state.")
    urgent = serializers.BooleanField()
    drafted_by = serializers.CharField()
    drafted_at = serializers.DateTimeField()
    approvals = ReportApprovalSerializer(many=True)
    targets = ReportTargetSerializer(many=True)
    published = serializers.BooleanField()


class ReportStepSerializer(serializers.Serializer):
    key = serializers.CharField()
    step = serializers.CharField()
    owner = serializers.CharField()
    department = serializers.CharField()
    due_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    done_by = serializers.CharField()
    on_time = serializers.BooleanField()


class IncidentReportSerializer(serializers.Serializer):
    """The post-incident review (``selectors.incident_report``): figures, grades, volume, timeline, statements,
    checklist and lessons."""

    title = serializers.CharField()
    brand = serializers.CharField(help_text="The brand's name.")
    summary = serializers.CharField()
    type = serializers.CharField(help_text="The incident type's code; type_label says it in words.")
    type_label = serializers.CharField()
    handling = serializers.CharField()
    grade = serializers.CharField()
    state = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    grade_history = ReportGradeChangeSerializer(many=True)
    participants = serializers.IntegerField()
    reach = serializers.IntegerField()
    negative = serializers.IntegerField()
    mentions = serializers.IntegerField()
    volume = ReportVolumeSerializer(many=True)
    timeline = ReportTimelineSerializer(many=True, help_text="Oldest first, the statements' publication included.")
    statements = ReportStatementSerializer(many=True)
    checklist = ReportStepSerializer(many=True)
    checklist_done = serializers.IntegerField()
    checklist_total = serializers.IntegerField()
    policy = serializers.CharField(help_text="The no-deletion policy the team follows.")
    lessons = serializers.CharField()


# --- cascades --------------------------------------------------------------------------------------

class SignalSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="burst, regular, copy, recurring, young, ...")
    value = serializers.FloatField(allow_null=True, help_text="Null when it could not be measured.")
    threshold = serializers.FloatField()
    baseline = serializers.CharField(help_text="What the threshold was set from.")
    fired = serializers.BooleanField()
    evidence = serializers.JSONField()


class CascadeSerializer(serializers.ModelSerializer):
    """A watched post and its reposts, with the tree's figures and the attack detector's verdict."""

    stats = serializers.JSONField(read_only=True, help_text="total, direct, second level, depth.")
    signals = serializers.SerializerMethodField()

    class Meta:
        model = Cascade
        fields = ["id", "brand", "root_id", "mention", "root_text", "root_author", "root_uid", "root_posted_at",
                  "negative", "reposts_seen", "watch_until", "polled_at", "checked_at", "problem", "flagged",
                  "attack_score", "signals", "stats", "created_at"]
        read_only_fields = fields
        extra_kwargs = {"flagged": {"help_text": "The detector judged the reposting coordinated."},
                        "attack_score": {"help_text": "At least 0 exactly when flagged."}}

    @extend_schema_field(SignalSerializer(many=True))
    def get_signals(self, cascade: Cascade) -> list[dict]:
        return list(cascade.signals or [])


class TreeQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=TREE_LIMIT_MAX, default=TREE_JSON_LIMIT,
                                     help_text="Nodes drawn at most, the root included; the biggest branches stay.")


class TreeNodeSerializer(serializers.Serializer):
    mid = serializers.CharField()
    screen_name = serializers.CharField()
    uid = serializers.CharField()
    at = serializers.FloatField(help_text="Unix seconds.")
    text = serializers.CharField()
    downstream = serializers.IntegerField(help_text="Reposts in this node's subtree, itself not counted.")
    children = serializers.ListField(child=serializers.DictField(), help_text="Nodes of the same shape.")
    hidden = serializers.IntegerField(help_text="Reposts directly under this node left out by the limit.")


class KeyNodeSerializer(serializers.Serializer):
    mid = serializers.CharField()
    screen_name = serializers.CharField()
    uid = serializers.CharField()
    followers = serializers.IntegerField(allow_null=True)
    downstream = serializers.IntegerField(help_text="Reposts that came through this reposter.")
    direct = serializers.IntegerField(help_text="Reposts of this repost itself.")
    depth = serializers.IntegerField()

