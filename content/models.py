"""Posts of the brand, their targets on the matrix accounts, and every attempt to publish them.

A post is written once and published to one or more accounts: each (post, account) is a
``PostTarget`` with its own schedule and state, because each account has its own token, budget and
fate on the platform. Times are stored in UTC and shown in Asia/Shanghai.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from positioning.models import Account, Brand


class Pillar(models.Model):
    """A content pillar (company news, product, public topics, customer care, ...) of a brand."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="pillars")
    name = models.CharField(_("pillar"), max_length=40)
    colour = models.CharField(_("colour"), max_length=7, default="#4a7bd0",
                              validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give a colour as #RRGGBB."))])
    needs_approval = models.BooleanField(
        _("needs approval"), default=True,
        help_text=_("Posts of this pillar go through approval where the account's playbook asks for it."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["brand_id", "name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="pillar_name_unique_per_brand")]
        verbose_name = _("content pillar")
        verbose_name_plural = _("content pillars")

    def __str__(self) -> str:
        return self.name


class PostState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Post(models.Model):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="posts")
    pillar = models.ForeignKey(Pillar, verbose_name=_("pillar"), on_delete=models.PROTECT, related_name="posts")
    text = models.TextField(_("text"))
    is_original = models.BooleanField(_("original"), default=True,
                                      help_text=_("Originality is a KPI: a repost or quote is not original."))
    state = models.CharField(_("state"), max_length=20, choices=PostState.choices, default=PostState.DRAFT)
    version = models.PositiveIntegerField(default=1)  # every edit of an approved post is a new version
    urgent = models.BooleanField(_("fast-tracked"), default=False)
    image = models.FileField(_("image"), upload_to="posts/%Y/%m/", blank=True)
    submitted_at = models.DateTimeField(_("submitted for review"), null=True, blank=True)  # the approval clock
    review_comment = models.CharField(_("reviewer's comment"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    # Who holds the post now (drafts it on, answers its review): the author at first; a handover or a rebalance
    # (team.work) changes it without rewriting who wrote it.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_posts")
    # Who wrote the current version: like the author, they do not approve it themselves.
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    campaign = models.ForeignKey("campaigns.Campaign", verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="posts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.text[:30]


class TargetState(models.TextChoices):
    WAITING = "waiting", _("Waiting for approval")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    CONFIRMING = "confirming", _("Confirming with Weibo")
    PUBLISHED = "published", _("Published")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")
    DUPLICATE = "duplicate", _("Rejected as duplicate")
    FORBIDDEN = "forbidden", _("Rejected as forbidden content")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# States a target can be published from, and states nothing happens to any more.
DUE_STATES = [TargetState.SCHEDULED, TargetState.CONFIRMING]
FINAL_STATES = [TargetState.PUBLISHED, TargetState.DUPLICATE, TargetState.FORBIDDEN, TargetState.FAILED,
                TargetState.CANCELLED]


class PostTarget(models.Model):
    """The post on one account: when, in which words, and what became of it."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="post_targets")
    variant = models.TextField(_("text for this account"), blank=True,
                               help_text=_("Leave empty to publish the post's text."))
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True, db_index=True)
    state = models.CharField(_("state"), max_length=20, choices=TargetState.choices, default=TargetState.WAITING)
    # When the next step may happen: the schedule at first, later a backoff or the end of a rate limit.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker took it (state publishing)
    first_call_at = models.DateTimeField(null=True, blank=True)  # the first share call: the look-up starts here
    # Set before every share call and cleared by a definite answer: while it is set, Weibo may hold the
    # post although we never heard so, and the next step is to look for it, not to post again.
    needs_lookup = models.BooleanField(default=False)
    pending = models.BooleanField(default=False)  # Weibo said 20032: accepted, visible within minutes
    lookups = models.PositiveSmallIntegerField(default=0)  # look-ups since the last share call
    dispatched_at = models.DateTimeField(null=True, blank=True)  # when the dispatcher last queued it
    rip = models.GenericIPAddressField(_("approver's IP"), null=True, blank=True)
    mid = models.CharField(_("Weibo id"), max_length=20, blank=True)
    url = models.URLField(_("link"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    message = models.CharField(_("status message"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The latest counts from statuses/count, and when to read them next (decaying; empty: no more).
    reposts = models.PositiveIntegerField(_("reposts"), default=0)
    comments = models.PositiveIntegerField(_("comments"), default=0)
    attitudes = models.PositiveIntegerField(_("likes"), default=0)
    metrics_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    metrics_next_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        constraints = [models.UniqueConstraint(fields=["post", "account"], name="one_target_per_account")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="target_due"),
                   # The KPIs (reports.kpis) read an account's posts published in a period.
                   models.Index(fields=["account", "published_at"], name="target_published",
                                condition=models.Q(state="published"))]
        verbose_name = _("post target")
        verbose_name_plural = _("post targets")

    def __str__(self) -> str:
        return f"{self.post} → {self.account}"

    @property
    def text(self) -> str:
        return self.variant or self.post.text


class PublishAttempt(models.Model):
    """One call to Weibo for a target (or one look-up to confirm it), kept for ever."""

    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="publish_attempts")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    action = models.CharField(max_length=10)  # "share" or "lookup"
    outcome = models.CharField(max_length=20)  # "published", "found", "not_found" or a gateway outcome
    error_code = models.IntegerField(null=True, blank=True)
    error_body = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        # The dispatcher counts each account's shares of the last minute (its pace) every few seconds.
        indexes = [models.Index(fields=["started_at"], name="attempt_started")]

    def __str__(self) -> str:
        return f"{self.target_id} {self.action} {self.outcome}"


class PostRevision(models.Model):
    """The post as it was at each version, so a reviewer sees what changed since the last one."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    text = models.TextField()
    variants = models.JSONField(default=dict, blank=True)  # {account name: text}
    pillar = models.CharField(max_length=40)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post_id", "version"]
        constraints = [models.UniqueConstraint(fields=["post", "version"], name="one_revision_per_version")]

    def __str__(self) -> str:
        return f"{self.post_id} v{self.version}"


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    FAST_TRACKED = "fast_tracked", _("Fast-tracked by a manager")


class Approval(models.Model):
    """One reviewer's decision on one version of a post (a fast-track is a manager's override)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    version = models.PositiveIntegerField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.post_id} v{self.version} {self.decision}"


class MetricSnapshot(models.Model):
    """The counts of a published post at one moment: growth curves beyond the platform's window."""

    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField()
    reposts = models.PositiveIntegerField()
    comments = models.PositiveIntegerField()
    attitudes = models.PositiveIntegerField()

    class Meta:
        ordering = ["target_id", "taken_at"]
        indexes = [models.Index(fields=["target", "taken_at"], name="snapshot_target_time")]

    def __str__(self) -> str:
        return f"{self.target_id} @ {self.taken_at:%Y-%m-%d %H:%M}"
