from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weibo_ops.weibo.crypto import EncryptedTextField

from .validators import validate_content_mix, validate_forbidden_words, validate_time_slots

# A Weibo name is best kept short: 3 to 5 characters are easy to remember (DOMAIN.md, duty 1).
NAME_IDEAL_MIN = 3  # characters
NAME_IDEAL_MAX = 5  # characters
PROFILE_MAX = 70  # characters: the longest profile (简介) Weibo shows in full


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class Purpose(models.TextChoices):
    BRAND_VOICE = "brand_voice", _("Brand voice")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    PRODUCT = "product", _("Product line")
    REGION = "region", _("Region")
    RECRUITMENT = "recruitment", _("Recruitment")
    EXECUTIVE = "executive", _("Executive")
    OTHER = "other", _("Other")


class Account(models.Model):
    """One Weibo account of the brand's matrix (矩阵账号)."""

    brand = models.ForeignKey(Brand, verbose_name=_("brand"), on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(_("Weibo name"), max_length=30)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    region = models.CharField(_("region"), max_length=60, blank=True,
                              help_text=_("For regional accounts: the area it serves."))
    value_proposition = models.TextField(
        _("value to its circles"), blank=True,
        help_text=_("What the account gives the people it is for: why they would follow it."),
    )
    tone_of_voice = models.TextField(_("tone of voice"), blank=True,
                                     help_text=_("How the account speaks: like a person, not a press release."))
    profile_text = models.CharField(_("profile text"), max_length=PROFILE_MAX, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_accounts")
    weibo_uid = models.CharField(_("Weibo uid"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand__name", "name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="account_name_unique_per_brand")]

    def __str__(self) -> str:
        return self.name

    @property
    def name_is_ideal_length(self) -> bool:
        return NAME_IDEAL_MIN <= len(self.name) <= NAME_IDEAL_MAX


class TargetCircle(models.Model):
    """A circle of people (目标圈子) the account is for, and what it carries to them."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="circles")
    name = models.CharField(_("circle"), max_length=60)
    description = models.CharField(_("who they are"), max_length=200, blank=True)
    value = models.CharField(_("what we carry to them"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("target circle")
        verbose_name_plural = _("target circles")
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="circle_name_unique_per_account")]

    def __str__(self) -> str:
        return self.name


class AccountMember(models.Model):
    """What one person may do on one account. Managers and administrators need no row: they may
    do everything on every account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_grants")
    can_draft = models.BooleanField(_("draft"), default=False)
    can_approve = models.BooleanField(_("approve"), default=False)
    can_publish = models.BooleanField(_("publish"), default=False)
    can_reply = models.BooleanField(_("reply"), default=False)
    can_manage = models.BooleanField(_("manage positioning"), default=False)

    class Meta:
        ordering = ["account_id", "user__username"]
        verbose_name = _("account member")
        verbose_name_plural = _("account members")
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="one_grant_per_person_and_account")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account}"


class ApprovalMode(models.TextChoices):
    ANY = "any", _("Any one approver")
    ALL = "all", _("All approvers")


class PlaybookVersion(models.Model):
    """The account's written rules (运营手册), one immutable row per version: editing the playbook
    publishes a new version, so a stand-in always sees who changed what and when."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="playbook_versions")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    change_note = models.CharField(_("what changed"), max_length=200, blank=True)
    # [{"pillar": "产品", "per_day": 2}, ...]: how many posts of each content pillar a day.
    content_mix = models.JSONField(_("content mix per day"), default=list, blank=True,
                                   validators=[validate_content_mix])
    # ["08:30", "12:00", ...]: Asia/Shanghai wall-clock times, sorted.
    time_slots = models.JSONField(_("posting time slots"), default=list, blank=True,
                                  validators=[validate_time_slots])
    reply_within_hours = models.PositiveSmallIntegerField(
        _("reply to every @ and comment within (hours)"), default=2,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    resolve_within_hours = models.PositiveSmallIntegerField(
        _("resolve every complaint and question within (hours)"), default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )
    replies_need_approval = models.BooleanField(
        _("fan replies need approval"), default=False,
        help_text=_("Replies from the inbox wait for an approver before they go out."))
    interaction_rules = models.TextField(_("interaction rules"), blank=True)
    escalation_rules = models.TextField(_("escalation rules"), blank=True)
    forbidden_words = models.JSONField(_("forbidden words"), default=list, blank=True,
                                       validators=[validate_forbidden_words])
    approval_required = models.BooleanField(_("posts need approval"), default=True)
    approval_mode = models.CharField(_("approval by"), max_length=3, choices=ApprovalMode.choices,
                                     default=ApprovalMode.ANY)
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("approvers"), blank=True,
                                       related_name="+")
    approval_target_minutes = models.PositiveSmallIntegerField(
        _("approval target (minutes)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )
    # Campaigns (活动策划): how often, on what themes, how prizes are asked for, who gets which report.
    campaign_frequency = models.CharField(_("how often the account runs campaigns"), max_length=200, blank=True)
    campaign_themes = models.TextField(_("campaign themes"), blank=True)
    prize_process = models.TextField(_("how prizes are applied for"), blank=True)
    campaign_reports = models.TextField(_("which campaign reports go to whom"), blank=True)

    class Meta:
        ordering = ["account_id", "-number"]
        get_latest_by = "number"
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        constraints = [models.UniqueConstraint(fields=["account", "number"], name="playbook_version_unique")]

    def __str__(self) -> str:
        return f"{self.account} v{self.number}"

    @property
    def posts_per_day(self) -> int:
        return sum(int(item.get("per_day", 0)) for item in self.content_mix)


class ConnectionState(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")
    DISCONNECTED = "disconnected", _("Disconnected")


class WeiboConnection(models.Model):
    """The account's OAuth2 authorisation on Weibo: whose token, until when, and whether it works.

    The token is encrypted at rest. While the state is not "connected" every job of the account is
    paused: ``positioning.weibo.account_client`` refuses to call Weibo for it.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="weibo_connection")
    state = models.CharField(_("state"), max_length=20, choices=ConnectionState.choices,
                             default=ConnectionState.CONNECTED)
    uid = models.CharField(_("Weibo uid"), max_length=20)
    screen_name = models.CharField(_("Weibo name"), max_length=100, blank=True)
    access_token = EncryptedTextField()
    scope = models.CharField(_("scope"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected at"))
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("connected by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    # Counts the authorisations of this account, so that each lost one is announced exactly once.
    generation = models.PositiveIntegerField(default=1)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    problem_at = models.DateTimeField(_("since"), null=True, blank=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Weibo connection")
        verbose_name_plural = _("Weibo connections")

    def __str__(self) -> str:
        return f"{self.account} → {self.uid} ({self.state})"

    def expires_in_days(self, *, now: datetime | None = None) -> int | None:
        """Whole days the token has left (0 within the last day), or None when Weibo named no expiry."""
        if self.expires_at is None:
            return None
        return max(0, (self.expires_at - (now or timezone.now())) // timedelta(days=1))

    @property
    def days_left(self) -> int | None:
        return self.expires_in_days()

    @property
    def expiry_near(self) -> bool:
        days = self.days_left
        return days is not None and days < settings.WEIBO_TOKEN_EXPIRY_WARN_DAYS


# --- Peer benchmarks (issue 17, point 4) -------------------------------------------------------------------------
class PeerSource(models.TextChoices):
    GATEWAY = "gateway", _("Read from Weibo")
    CSV = "csv", _("Imported from CSV")


class PeerAccount(models.Model):
    """A Weibo account of another brand in the industry that the brand measures itself against (标杆)."""

    brand = models.ForeignKey(Brand, verbose_name=_("brand"), on_delete=models.CASCADE, related_name="peers")
    weibo_uid = models.CharField(_("Weibo uid"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    industry_note = models.CharField(_("industry note"), max_length=200, blank=True,
                                     help_text=_("Why this account is a peer: same products, same region, ..."))
    source = models.CharField(_("figures from"), max_length=10, choices=PeerSource.choices,
                              default=PeerSource.GATEWAY)
    # The business search needs keywords (q): the peer's posts are found by these and the ``ids`` filter.
    search_keyword = models.CharField(
        _("search keyword"), max_length=60, blank=True,
        help_text=_("A word every post of the peer carries (usually its brand name); empty: its name."))
    is_active = models.BooleanField(_("active"), default=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand_id", "name"]
        verbose_name = _("peer account")
        verbose_name_plural = _("peer accounts")
        constraints = [models.UniqueConstraint(fields=["brand", "weibo_uid"], name="peer_uid_unique_per_brand")]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword(self) -> str:
        return self.search_keyword or self.name


class Measured(models.TextChoices):
    SEARCH = "search", _("users/show and the business search")
    TIMELINE = "timeline", _("users/show and the account's own timeline")
    PROFILE = "profile", _("users/show only: posts from the change in its post count")
    CSV = "csv", _("CSV import")


class BenchmarkSnapshot(models.Model):
    """One day's public figures of a peer or of one of the brand's own accounts (exactly one of the two), so that
    both are measured the same way and sit side by side."""

    peer = models.ForeignKey(PeerAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="snapshots")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="benchmark_snapshots")
    day = models.DateField(_("day"))  # Asia/Shanghai calendar day
    followers = models.PositiveIntegerField(_("followers"))
    statuses_count = models.PositiveIntegerField(_("posts in all"), null=True, blank=True)  # users/show
    posts = models.PositiveIntegerField(_("posts that day"), null=True, blank=True)  # None: not measurable
    # Reposts + comments + likes of the day's posts per post; None when it could not be measured.
    interactions_per_post = models.FloatField(_("interactions per post"), null=True, blank=True)
    measured = models.CharField(_("measured by"), max_length=10, choices=Measured.choices)
    measured_at = models.DateTimeField(_("measured at"), default=timezone.now)

    class Meta:
        ordering = ["day", "pk"]
        verbose_name = _("benchmark snapshot")
        verbose_name_plural = _("benchmark snapshots")
        constraints = [
            models.CheckConstraint(condition=models.Q(peer__isnull=True) ^ models.Q(account__isnull=True),
                                   name="snapshot_of_peer_xor_account"),
            models.UniqueConstraint(fields=["peer", "day"], name="snapshot_once_per_peer_day"),
            models.UniqueConstraint(fields=["account", "day"], name="snapshot_once_per_account_day"),
        ]

    def __str__(self) -> str:
        return f"{self.peer or self.account} {self.day}"
