"""Opinion monitoring (duty 5): the keyword groups a brand listens for, the mentions heard from every
source with their sentiment, the alerts raised on them, the crisis incidents handled with one voice,
and the repost cascades watched for coordinated attacks.

Times are stored in UTC and shown in Asia/Shanghai. Weibo ids stay strings.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from positioning.models import Brand
from team.models import Department
from weibo_ops.weibo.crypto import EncryptedTextField


class GroupKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    PRODUCT = "product", _("Product")
    COMPETITOR = "competitor", _("Competitor")
    PERSON = "person", _("Key person")


class RuleGroup(models.Model):
    """A keyword group: a mention matches when it holds an include term, no exclude term, and (when
    context terms are given) one of the context terms too, e.g. 鲜牧 only with 牛奶/酸奶 nearby."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="rule_groups")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=GroupKind.choices, default=GroupKind.BRAND)
    include_terms = models.JSONField(_("include terms"), default=list)
    exclude_terms = models.JSONField(_("exclude terms"), default=list, blank=True)
    context_terms = models.JSONField(_("required context"), default=list, blank=True,
                                     help_text=_("When given, a mention must also hold one of these words."))
    search_enabled = models.BooleanField(_("search Weibo for it"), default=True,
                                         help_text=_("Poll the commercial keyword search for the include terms."))
    is_active = models.BooleanField(_("active"), default=True)
    # The commercial search is windowed by time: each poll asks from here to now, and this moves only in the
    # transaction that stored what the poll found.
    searched_until = models.DateTimeField(null=True, blank=True)
    # More hits than one poll reads: the newest were read; the next poll fills [searched_until, gap_end]
    # before the window moves on to gap_top (where the poll that found the gap stopped).
    search_gap_end = models.DateTimeField(null=True, blank=True)
    search_gap_top = models.DateTimeField(null=True, blank=True)
    search_lease_until = models.DateTimeField(null=True, blank=True)
    search_paused_until = models.DateTimeField(null=True, blank=True)
    searched_at = models.DateTimeField(null=True, blank=True)
    search_problem = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand_id", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="rule_group_unique_per_brand")]
        verbose_name = _("keyword group")
        verbose_name_plural = _("keyword groups")

    def __str__(self) -> str:
        return self.name


class MentionSource(models.TextChoices):
    SEARCH = "search", _("Keyword search")
    MENTIONS = "mentions", _("@ mentions")
    COMMENTS = "comments", pgettext_lazy("mention source", "Comments")
    PUSH = "push", _("Fan-service push")
    IMPORT = "import", _("File import")
    REPORT = "report", _("Manual report")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Inbound(models.Model):
    """A raw item waiting for the pipeline: what the inbox, pushes, imports and reports hand over.

    The pipeline claims a batch with a conditional update, stores the mentions and deletes the rows in one
    transaction, so a killed worker's claim simply runs out and the batch is taken again."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=12, choices=MentionSource.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [models.Index(fields=["claimed_until", "id"], name="inbound_claim")]

    def __str__(self) -> str:
        return f"{self.source} {self.pk}"


class MentionQuerySet(models.QuerySet):
    def of_fans(self) -> MentionQuerySet:
        """Mentions that are people's voice: not posted or reposted by one of the brand's own accounts. Every
        sentiment figure (today's counts, the board, alerts, incidents) counts these only."""
        return self.filter(own=False)


class Mention(models.Model):
    """One post or comment about the brand, from one source, with its sentiment and keywords.

    Unique per brand by Weibo id; a near-identical copy of a recent mention (the same text once links,
    @names and punctuation are set aside) is counted on the first one (``copies``) instead of stored
    again."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="mentions")
    source = models.CharField(_("source"), max_length=12, choices=MentionSource.choices)
    platform_id = models.CharField(_("Weibo id"), max_length=64, blank=True)
    object_type = models.CharField(max_length=10, default="status")  # status, comment or message
    url = models.URLField(_("link"), max_length=500, blank=True)
    text = models.TextField(_("text"))
    text_key = models.CharField(max_length=40, db_index=True)  # sha1 of the normalised text
    author_uid = models.CharField(_("author uid"), max_length=20, blank=True)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_followers = models.PositiveBigIntegerField(_("followers"), default=0)
    author_verified = models.BooleanField(_("verified"), default=False)
    author_created_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), db_index=True)
    stored_at = models.DateTimeField(auto_now_add=True)
    reposts = models.PositiveIntegerField(_("reposts"), default=0)
    comments = models.PositiveIntegerField(pgettext_lazy("mention count", "comments"), default=0)
    likes = models.PositiveIntegerField(_("likes"), default=0)
    root_id = models.CharField(max_length=64, blank=True)  # the post a repost or comment is under
    copies = models.PositiveIntegerField(_("copies"), default=1)
    sentiment = models.CharField(_("sentiment"), max_length=8, choices=Sentiment.choices)
    score = models.FloatField(_("confidence"), default=0.0)
    corrected = models.BooleanField(_("corrected by a person"), default=False)
    # Posted (or reposted) by one of the brand's own accounts (Account.weibo_uid or its connection's uid), set
    # when stored: the brand's own voice, never counted as fans' sentiment.
    own = models.BooleanField(_("the brand's own post"), default=False)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    groups = models.ManyToManyField(RuleGroup, related_name="mentions", blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    report_note = models.CharField(_("note"), max_length=500, blank=True)
    import_batch = models.ForeignKey("ImportBatch", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="mentions")

    objects = MentionQuerySet.as_manager()

    class Meta:
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "platform_id"], condition=~Q(platform_id=""),
                                    name="mention_unique_weibo_id"),
        ]
        indexes = [
            models.Index(fields=["brand", "-posted_at", "-id"], name="mention_brand_time"),
            models.Index(fields=["brand", "sentiment", "-posted_at"], name="mention_brand_sentiment"),
        ]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def fan_label(self) -> str:
        """The stored sentiment as fans' voice: "" for the brand's own post (see ``labels.mention_label``)."""
        return "" if self.own else self.sentiment


class MentionCopy(models.Model):
    """The Weibo id of a near-identical copy counted on a mention (``copies``) rather than stored."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    platform_id = models.CharField(max_length=64)
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="copy_ids")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["brand", "platform_id"], name="mention_copy_once")]

    def __str__(self) -> str:
        return self.platform_id


class SentimentCorrection(models.Model):
    """A person's verdict on a mention's sentiment; ``train_sentiment --corrections`` trains on these."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="sentiment_corrections")
    mention = models.ForeignKey(Mention, null=True, blank=True, on_delete=models.SET_NULL, related_name="corrections")
    text = models.TextField()
    label = models.CharField(max_length=8, choices=Sentiment.choices)
    was = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:30]}"


class ImportState(models.TextChoices):
    MAPPING = "mapping", _("Waiting for the column mapping")
    QUEUED = "queued", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportBatch(models.Model):
    """An export from a third-party monitoring service: read, mapped to our fields, then imported."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="mention_imports")
    filename = models.CharField(_("file"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=ImportState.choices, default=ImportState.MAPPING)
    columns = models.JSONField(default=list)  # the file's header
    rows = models.JSONField(default=list)  # the file's rows as read, until they are imported
    mapping = models.JSONField(default=dict, blank=True)  # our field → the file's column
    rows_total = models.PositiveIntegerField(default=0)
    rows_queued = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)  # [{row, message}]

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class MonitoringSettings(models.Model):
    """A brand's alert thresholds, incident grades and where alerts go."""

    brand = models.OneToOneField(Brand, on_delete=models.CASCADE, related_name="monitoring")
    bucket_minutes = models.PositiveSmallIntegerField(_("bucket (minutes)"), default=10,
                                                      validators=[MinValueValidator(1)])
    spike_min_count = models.PositiveSmallIntegerField(
        _("minimum negative mentions"), default=10, validators=[MinValueValidator(1)],
        help_text=_("A bucket alerts only with at least this many negative mentions."))
    spike_factor = models.FloatField(_("times the usual"), default=3.0, validators=[MinValueValidator(1.0)],
                                     help_text=_("…and at least this many times the usual level for that hour."))
    influential_followers = models.PositiveIntegerField(
        _("influential account (followers)"), default=100_000,
        help_text=_("A negative post by an account with this many followers alerts on its own."))
    grades = models.JSONField(_("grade thresholds"), default=dict, blank=True,
                              help_text=_("People taking part and reach (followers) for yellow, orange and red."))
    webhook_url = models.URLField(_("alert webhook"), blank=True)
    webhook_secret = EncryptedTextField(_("webhook secret"), blank=True)
    email_alerts = models.BooleanField(_("e-mail alerts"), default=True)

    def __str__(self) -> str:
        return f"{self.brand} monitoring"


class AlertKind(models.TextChoices):
    SPIKE = "spike", _("Negative spike")
    INFLUENCER = "influencer", _("Negative post by an influential account")
    ATTACK = "attack", _("Coordinated attack")


class Alert(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=12, choices=AlertKind.choices)
    group = models.ForeignKey(RuleGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    mention = models.ForeignKey(Mention, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    cascade = models.ForeignKey("Cascade", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    incident = models.ForeignKey("Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    bucket_start = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(default=0)
    baseline = models.FloatField(default=0.0)
    title = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict, blank=True)
    # One alert per happening: a spike that goes on for an hour is one alert, updated, not six.
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["brand", "dedupe_key"], name="alert_once")]

    def __str__(self) -> str:
        return self.title


class IncidentType(models.TextChoices):
    UNKNOWN = "unknown", _("Not yet judged")
    OUR_FAULT = "our_fault", _("Our fault")
    MISUNDERSTANDING = "misunderstanding", _("Customer misunderstanding")
    ATTACK = "attack", _("Malicious attack")
    COLLATERAL = "collateral", _("Collateral damage")


class Handling(models.TextChoices):
    COLD = "cold", _("Cold: privately first")
    HOT = "hot", _("Hot: publicly")


class Grade(models.TextChoices):
    BLUE = "blue", _("Blue")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")


GRADE_ORDER = [Grade.BLUE, Grade.YELLOW, Grade.ORANGE, Grade.RED]


class IncidentState(models.TextChoices):
    OPEN = "open", pgettext_lazy("incident state", "Open")
    MONITORING = "monitoring", _("Calming, still watched")
    CLOSED = "closed", pgettext_lazy("incident state", "Closed")


class Incident(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=IncidentType.choices, default=IncidentType.UNKNOWN)
    handling = models.CharField(_("handling"), max_length=4, choices=Handling.choices, blank=True)
    grade = models.CharField(_("grade"), max_length=6, choices=Grade.choices, default=Grade.BLUE)
    state = models.CharField(_("state"), max_length=10, choices=IncidentState.choices, default=IncidentState.OPEN)
    summary = models.TextField(_("what happened"), blank=True)
    participants = models.PositiveIntegerField(_("people taking part"), default=0)
    reach = models.PositiveBigIntegerField(_("reach (followers)"), default=0)
    negative = models.PositiveIntegerField(_("negative mentions"), default=0)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    lessons = models.TextField(_("lessons learnt"), blank=True)
    mentions = models.ManyToManyField(Mention, related_name="incidents", blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title


class IncidentTask(models.Model):
    """One checklist step: what, who (a person or a department), by when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    key = models.CharField(max_length=40)  # which checklist step, so that regrading does not add it twice
    title = models.CharField(_("step"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="incident_tasks")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    # Claimed with a conditional update by the beat that tells the owner a step is overdue: told once.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="incident_task_once")]

    def __str__(self) -> str:
        return self.title


class IncidentEvent(models.Model):
    """The incident's timeline: everything that happened, in order, with who did it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    kind = models.CharField(max_length=30)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class Statement(models.Model):
    """A statement of the incident's one voice; drafted, approved and published as a content post."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="statements")
    post = models.OneToOneField("content.Post", on_delete=models.PROTECT, related_name="statement")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"statement {self.pk} of {self.incident_id}"


class Cascade(models.Model):
    """A watched post and its reposts: rebuilt into a tree and checked for coordinated reposting."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="cascades")
    root_id = models.CharField(_("Weibo id"), max_length=64)
    mention = models.ForeignKey(Mention, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    root_text = models.TextField(blank=True)
    root_author = models.CharField(max_length=200, blank=True)
    root_uid = models.CharField(max_length=20, blank=True)
    root_posted_at = models.DateTimeField(null=True, blank=True)
    negative = models.BooleanField(default=False)
    reposts_seen = models.PositiveIntegerField(default=0)
    since_id = models.CharField(max_length=20, blank=True)
    watch_until = models.DateTimeField()
    next_poll_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True)
    flagged = models.BooleanField(_("coordinated"), default=False)
    attack_score = models.FloatField(default=0.0)
    signals = models.JSONField(default=list, blank=True)  # the detector's signals with their evidence
    checked_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)  # total, direct, second level, depth
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["brand", "root_id"], name="cascade_once_per_post")]

    def __str__(self) -> str:
        return f"cascade {self.root_id}"


class Repost(models.Model):
    cascade = models.ForeignKey(Cascade, on_delete=models.CASCADE, related_name="repost_rows")
    platform_id = models.CharField(max_length=64)
    parent_id = models.CharField(max_length=64, blank=True)  # resolved from the //@ chain; blank = the root
    uid = models.CharField(max_length=20)
    screen_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    posted_at = models.DateTimeField()
    followers = models.PositiveBigIntegerField(null=True, blank=True)
    friends = models.PositiveBigIntegerField(null=True, blank=True)
    statuses = models.PositiveBigIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    account_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["posted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["cascade", "platform_id"], name="repost_once")]

    def __str__(self) -> str:
        return self.platform_id
