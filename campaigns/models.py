"""Campaigns (活动策划, duty 3): company activities registered by any department, the campaigns the Weibo team
turns them into, the plan across departments, prizes, participants under rules, an honest draw, code hunts,
and the roll-ups the report reads.

The figures practitioners trust are the second-level reposts (二次转发量: reposts of reposts, depth ≥ 2) and
the retention of the fans a campaign brought; both are stored as they arrive (``CampaignStats``,
``CampaignDay``) so that the report never re-reads a million reposts.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from positioning.models import Account, Brand
from team.models import Department
from weibo_ops.weibo.crypto import EncryptedTextField

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class ActivityKind(models.TextChoices):
    LAUNCH = "launch", _("Product launch")
    PROMOTION = "promotion", _("Sales promotion")
    OFFLINE_EVENT = "offline_event", _("Offline event")
    PARTNERSHIP = "partnership", _("Joint activity with a partner")
    OTHER = "other", _("Other")


class ActivityState(models.TextChoices):
    NEW = "new", _("Waiting for the Weibo team")
    TAKEN = "taken", _("Turned into a campaign")
    DECLINED = "declined", _("Not for Weibo")


class Activity(models.Model):
    """A company activity a department registers (活动登记) so that the Weibo team hears of it while it is
    still being designed, not the day before it runs."""

    brand = models.ForeignKey(Brand, verbose_name=_("brand"), on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("activity"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=ActivityKind.choices)
    description = models.TextField(_("what is planned"), blank=True)
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="activities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="owned_activities")
    sponsor = models.CharField(_("senior sponsor"), max_length=100,
                               help_text=_("The senior person who backs the activity, with their title."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    state = models.CharField(_("state"), max_length=10, choices=ActivityState.choices, default=ActivityState.NEW)
    decline_reason = models.CharField(_("why not for Weibo"), max_length=300, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"),
                                      on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("company activity")
        verbose_name_plural = _("company activities")

    def __str__(self) -> str:
        return self.title


class CampaignKind(models.TextChoices):
    REPOST_PRIZE = "repost_prize", _("Repost with prize")
    COMMENT_PRIZE = "comment_prize", _("Comment with prize")
    PHOTO_UGC = "photo_ugc", _("Photo UGC")
    CODE_HUNT = "code_hunt", _("Code hunt")
    OFFLINE_EVENT = "offline_event", _("Offline event")
    CO_BRANDED = "co_branded", _("Co-branded with a partner")


DRAW_KINDS = {CampaignKind.REPOST_PRIZE, CampaignKind.COMMENT_PRIZE, CampaignKind.PHOTO_UGC}


class CampaignState(models.TextChoices):
    PLANNING = "planning", _("Planning")
    LIVE = "live", _("Live")
    DRAWN = "drawn", _("Winners drawn")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    brand = models.ForeignKey(Brand, verbose_name=_("brand"), on_delete=models.CASCADE, related_name="campaigns")
    activity = models.OneToOneField(Activity, verbose_name=_("company activity"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="campaign")
    title = models.CharField(_("campaign"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=CampaignKind.choices)
    brief = models.TextField(_("brief"), blank=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lead"), on_delete=models.PROTECT,
                             related_name="led_campaigns")
    sponsor = models.CharField(_("senior sponsor"), max_length=100, blank=True)
    accounts = models.ManyToManyField(Account, verbose_name=_("accounts"), related_name="campaigns")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    budget = models.DecimalField(_("budget (yuan)"), default=Decimal("0"), **MONEY)
    prize_budget = models.DecimalField(_("prize budget (yuan)"), default=Decimal("0"), **MONEY)
    topic = models.CharField(_("topic"), max_length=60, blank=True,
                             help_text=_("The campaign's #topic#, without the # signs."))
    partner = models.CharField(_("partner"), max_length=100, blank=True,
                               help_text=_("For a co-branded campaign: the partner brand."))
    state = models.CharField(_("state"), max_length=10, choices=CampaignState.choices,
                             default=CampaignState.PLANNING)
    featured_post = models.ForeignKey("content.Post", verbose_name=_("featured post"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="featured_in")
    pin_reminded_at = models.DateTimeField(null=True, blank=True)
    unpin_reminded_at = models.DateTimeField(null=True, blank=True)

    # Eligibility rules (参与规则). Any change after the seed is committed blocks the draw.
    rule_follow = models.BooleanField(_("must follow the account"), default=True)
    rule_mentions = models.PositiveSmallIntegerField(_("friends to @"), default=0,
                                                     validators=[MaxValueValidator(10)])
    rule_keyword = models.CharField(_("must contain"), max_length=60, blank=True,
                                    help_text=_("A keyword or code every entry must contain."))
    rule_picture = models.BooleanField(_("must carry a picture"), default=False)
    rules_version = models.PositiveIntegerField(default=1)
    winners_count = models.PositiveSmallIntegerField(_("winners"), default=0, validators=[MaxValueValidator(1000)])

    # The draw: commit (hash published) → draw → reveal. The seed is a secret until the draw.
    seed = EncryptedTextField(blank=True)
    seed_hash = models.CharField(_("seed hash (SHA-256)"), max_length=64, blank=True)
    committed_at = models.DateTimeField(_("seed committed at"), null=True, blank=True)
    committed_rules_version = models.PositiveIntegerField(null=True, blank=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    revealed_seed = models.CharField(_("seed"), max_length=64, blank=True)  # public once drawn
    participants_digest = models.CharField(_("participant list SHA-256"), max_length=64, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="campaign_ends_after_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def has_draw(self) -> bool:
        return self.kind in DRAW_KINDS


class Metric(models.TextChoices):
    SECOND_LEVEL = "second_level", _("Second-level reposts")
    PARTICIPANTS = "participants", _("Participants")
    FANS_GAINED = "fans_gained", _("Fans gained")
    RETAINED_7 = "retained_7", _("Fans still following after 7 days")
    RETAINED_30 = "retained_30", _("Fans still following after 30 days")
    REDEMPTIONS = "redemptions", _("Code redemptions")
    CONSULTATIONS = "consultations", _("Consultations brought into the inbox")


class Goal(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="goals")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    target = models.PositiveIntegerField(_("target"))

    class Meta:
        ordering = ["campaign_id", "metric"]
        constraints = [models.UniqueConstraint(fields=["campaign", "metric"], name="goal_once_per_metric")]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} ≥ {self.target}"


class TaskState(models.TextChoices):
    TODO = "todo", _("To do")
    DOING = "doing", _("In progress")
    DONE = "done", _("Done")


class Task(models.Model):
    """One piece of the cross-department plan: the bus, the venue, the stock, the landing page."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="campaign_tasks")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="campaign_tasks")
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("status"), max_length=10, choices=TaskState.choices, default=TaskState.TODO)
    depends_on = models.ManyToManyField("self", verbose_name=_("waits for"), symmetrical=False, blank=True,
                                        related_name="blocks")
    note = models.CharField(_("note"), max_length=500, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    overdue_noticed_at = models.DateTimeField(null=True, blank=True)  # told once
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("campaign task")
        verbose_name_plural = _("campaign tasks")
        indexes = [models.Index(fields=["state", "due_at"], name="campaign_task_due")]

    def __str__(self) -> str:
        return self.title


class PrizeState(models.TextChoices):
    PENDING = "pending", _("Waiting for a manager")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class PrizeApplication(models.Model):
    """A prize asked for (奖品申请): what, how many, at what cost; a manager approves it. The advisor's warnings
    are stored with it as codes and shown in words."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="prizes")
    name = models.CharField(_("prize"), max_length=120)
    quantity = models.PositiveIntegerField(_("how many"), validators=[MinValueValidator(1)])
    unit_cost = models.DecimalField(_("cost each (yuan)"), **MONEY)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("asked by"),
                                     on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=PrizeState.choices, default=PrizeState.PENDING)
    warnings = models.JSONField(default=list, blank=True)  # [[code, values], ...] from campaigns.prizes
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("prize application")
        verbose_name_plural = _("prize applications")

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"

    @property
    def total_cost(self) -> Decimal:
        return self.unit_cost * self.quantity


class Harvest(models.Model):
    """Where reading one campaign post's reposts and comments stands (a cursor per post, like a cascade's); or,
    with ``topic``, where searching a photo-UGC campaign's #topic# for entrants' own posts stands (``polled_at``
    is then the cursor: the search pages by time)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="harvests")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    status_id = models.CharField(_("Weibo id"), max_length=20)  # blank for a topic search
    topic = models.CharField(_("topic"), max_length=60, blank=True)
    reposts_since_id = models.CharField(max_length=20, blank=True)
    comments_since_id = models.CharField(max_length=20, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(_("read at"), null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "status_id"], name="harvest_once_per_post")]

    def __str__(self) -> str:
        return self.status_id


class EntryKind(models.TextChoices):
    REPOST = "repost", pgettext_lazy("campaign entry", "Repost")
    COMMENT = "comment", pgettext_lazy("campaign entry", "Comment")
    POST = "post", pgettext_lazy("campaign entry", "Own post with the topic")


class Entry(models.Model):
    """One repost or comment of a campaign post, as read from Weibo, with its place in the repost tree."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    platform_id = models.CharField(max_length=20)
    status_id = models.CharField(max_length=20)  # the campaign post it answers
    parent_id = models.CharField(max_length=20, blank=True)  # the repost it reposted; blank: the post itself
    depth = models.PositiveSmallIntegerField(default=1)  # 1: repost of the post; 2+: second level
    uid = models.CharField(max_length=20)
    screen_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    posted_at = models.DateTimeField()
    mentions = models.PositiveSmallIntegerField(default=0)  # @s in the entrant's own words
    has_picture = models.BooleanField(default=False)
    followers = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["posted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "kind", "platform_id"], name="entry_once")]
        indexes = [models.Index(fields=["campaign", "uid"], name="entry_person"),
                   models.Index(fields=["campaign", "screen_name", "posted_at"], name="entry_name")]

    def __str__(self) -> str:
        return self.platform_id


class Participant(models.Model):
    """One person in the campaign, however many times they entered; eligible or excluded with the reasons.
    A person's override is kept beside the rules' verdict, with who and why."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    uid = models.CharField(_("Weibo uid"), max_length=20)
    screen_name = models.CharField(_("Weibo name"), max_length=200, blank=True)
    fan = models.ForeignKey("fans.Fan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_entry_at = models.DateTimeField(_("first entry"))
    first_entry_id = models.CharField(max_length=20)
    entries = models.PositiveIntegerField(_("entries"), default=1)
    followers = models.PositiveBigIntegerField(_("followers"), default=0)
    ruled_eligible = models.BooleanField(default=False)  # the rules' verdict
    reasons = models.JSONField(default=list, blank=True)  # [[code, values], ...]: why excluded
    override = models.BooleanField(null=True, blank=True)  # a person's decision, above the rules
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    override_reason = models.CharField(_("why"), max_length=300, blank=True)
    override_at = models.DateTimeField(null=True, blank=True)
    eligible = models.BooleanField(_("eligible"), default=False)  # the override if any, else the rules
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["first_entry_at", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "uid"], name="participant_once")]
        indexes = [models.Index(fields=["campaign", "eligible"], name="participant_eligible")]

    def __str__(self) -> str:
        return self.screen_name or self.uid


class NoticeState(models.TextChoices):
    WAITING = "waiting", _("Not told yet")
    SENT = "sent", _("Told")
    FAILED = "failed", _("Could not be told")


class DeliveryState(models.TextChoices):
    WAITING_ADDRESS = "waiting_address", _("Waiting for the address")
    READY = "ready", _("Address received")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    RETURNED = "returned", _("Returned")


class Winner(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="winners")
    participant = models.OneToOneField(Participant, on_delete=models.PROTECT, related_name="win")
    rank = models.PositiveSmallIntegerField(_("order drawn"))
    prize = models.ForeignKey(PrizeApplication, verbose_name=_("prize"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="winners")
    notice_state = models.CharField(_("told"), max_length=10, choices=NoticeState.choices,
                                    default=NoticeState.WAITING)
    notice_method = models.CharField(max_length=10, blank=True)  # comment or message
    notice_problem = models.CharField(max_length=300, blank=True)
    noticed_at = models.DateTimeField(_("told at"), null=True, blank=True)
    notice_platform_id = models.CharField(max_length=20, blank=True)
    delivery_state = models.CharField(_("prize delivery"), max_length=20, choices=DeliveryState.choices,
                                      default=DeliveryState.WAITING_ADDRESS)
    tracking = models.CharField(_("tracking number"), max_length=60, blank=True)
    delivery_note = models.CharField(_("note"), max_length=300, blank=True)
    delivery_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["campaign", "rank"], name="winner_rank_once")]

    def __str__(self) -> str:
        return str(self.participant)


class Code(models.Model):
    """A unique code for a code hunt (printed on packaging or ads), per channel; redeemed once."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="codes")
    channel = models.CharField(_("channel"), max_length=60)
    code = models.CharField(_("code"), max_length=20, unique=True)
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    redemption_id = models.CharField(_("redemption id"), max_length=80, null=True, blank=True, unique=True)
    redeemed_where = models.CharField(_("where"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign_id", "channel", "id"]
        indexes = [models.Index(fields=["campaign", "channel", "redeemed_at"], name="code_channel")]

    def __str__(self) -> str:
        return self.code


class CampaignStats(models.Model):
    """The campaign's running totals, added to as entries are stored: what the report reads."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="stats", primary_key=True)
    reposts = models.PositiveBigIntegerField(default=0)
    second_level = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveBigIntegerField(default=0)
    posts = models.PositiveBigIntegerField(default=0)  # entrants' own posts with the topic (photo UGC)
    max_depth = models.PositiveSmallIntegerField(default=0)
    reach = models.PositiveBigIntegerField(default=0)  # followers of the people who entered, summed per entry
    updated_at = models.DateTimeField(null=True, blank=True)
    # Written by each evaluation of the rules (campaigns.eligibility), so that the report does not read every
    # participant's reasons: {reason code: participants excluded with it}.
    excluded = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.reposts} reposts"


class CampaignDay(models.Model):
    """Per day (Asia/Shanghai): entries stored that day, for the report's timeline."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    reposts = models.PositiveBigIntegerField(default=0)
    second_level = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveBigIntegerField(default=0)
    posts = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["campaign_id", "day"]
        constraints = [models.UniqueConstraint(fields=["campaign", "day"], name="campaign_day_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day}"
