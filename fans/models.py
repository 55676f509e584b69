"""Fan interaction (duty 4): every @, comment, private message and follow of the matrix in one inbox,
the rules that route them, the replies sent back, the tickets that carry complaints to other
departments ("Weibo first"), and one fan record per Weibo uid with its scores.

Times are stored in UTC and shown in Asia/Shanghai. Weibo ids stay strings.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from positioning.models import Account, Brand
from team.models import Department
from weibo_ops.weibo.crypto import EncryptedTextField


class Tag(models.Model):
    """A label on inbox items and fans (投诉, 建议, 表扬, 配送, ...), one set per brand."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="fan_tags")
    name = models.CharField(_("tag"), max_length=30)
    colour = models.CharField(_("colour"), max_length=7, default="#6b7280",
                              validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give a colour as #RRGGBB."))])
    replies_need_approval = models.BooleanField(
        _("replies need approval"), default=False,
        help_text=_("A reply to an item with this tag waits for a manager's or approver's approval."))

    class Meta:
        ordering = ["brand_id", "name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="fan_tag_unique_per_brand")]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Fan(models.Model):
    """One Weibo user, once across the whole matrix (unique by uid), as far as the brand knows them.

    The profile comes from the user objects Weibo sends with statuses and comments, and from
    ``users/show`` for those seen only through pushes; when Weibo cannot return it the last known
    data stays, with ``profile_at`` saying how old it is.
    """

    uid = models.CharField(_("Weibo uid"), max_length=20, unique=True)
    screen_name = models.CharField(_("Weibo name"), max_length=200, blank=True)
    description = models.CharField(_("profile"), max_length=1000, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    gender = models.CharField(_("gender"), max_length=2, blank=True)
    avatar_url = models.CharField(_("avatar"), max_length=1000, blank=True)
    followers_count = models.PositiveBigIntegerField(_("followers"), default=0)
    friends_count = models.PositiveBigIntegerField(_("following"), default=0)
    statuses_count = models.PositiveBigIntegerField(pgettext_lazy("fan profile count", "posts"), default=0)
    verified = models.BooleanField(_("verified"), default=False)
    verified_reason = models.CharField(_("verification"), max_length=500, blank=True)
    registered_at = models.DateTimeField(_("on Weibo since"), null=True, blank=True)
    profile_at = models.DateTimeField(_("profile as of"), null=True, blank=True)
    profile_problem = models.CharField(_("profile problem"), max_length=300, blank=True)
    profile_checked_at = models.DateTimeField(null=True, blank=True)

    # Scores (fans.scoring): 0-100, except zombie, a likelihood 0-1; the reasons are shown beside them.
    influence = models.PositiveSmallIntegerField(_("influence"), default=0)
    activity = models.PositiveIntegerField(_("interactions in 30 days"), default=0)
    loyalty = models.PositiveSmallIntegerField(_("loyalty"), default=0)
    zombie = models.FloatField(_("zombie likelihood"), default=0.0)
    score_reasons = models.JSONField(default=dict, blank=True)
    downstream_reposts = models.PositiveIntegerField(_("reposts caused"), default=0)
    positive_count = models.PositiveIntegerField(default=0)
    defends_count = models.PositiveIntegerField(default=0)
    tipoffs_count = models.PositiveIntegerField(_("negative posts reported"), default=0)
    scored_at = models.DateTimeField(null=True, blank=True)
    # Lottery hunter (抽奖控, fans.scoring): a likelihood 0-1. The posts behind it are read (through the
    # business search) only for campaign entrants: ``lottery_checked_at`` is empty for everyone else.
    hunter = models.FloatField(_("lottery hunter likelihood"), default=0.0)
    lottery_posts = models.PositiveIntegerField(_("lottery posts in 30 days"), default=0)
    lottery_brands = models.PositiveSmallIntegerField(_("brands' draws entered"), default=0)
    lottery_checked_at = models.DateTimeField(null=True, blank=True)

    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_interaction_at = models.DateTimeField(_("last interaction"), null=True, blank=True, db_index=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="fans")

    class Meta:
        ordering = ["-last_interaction_at", "-id"]
        verbose_name = _("fan")
        verbose_name_plural = _("fans")
        indexes = [
            models.Index(fields=["-influence"], name="fan_influence"),
            models.Index(fields=["-loyalty"], name="fan_loyalty"),
            models.Index(fields=["-zombie"], name="fan_zombie"),
            # The scorecard's node fans gained (selectors.kpi_fan_figures): those first seen in a period, a range.
            models.Index(fields=["first_seen_at"], name="fan_first_seen"),
            # Circles reached (selectors.kpi_circle_figures): only the few fans with a profile can name a circle.
            models.Index(fields=["id"], name="fan_with_profile", condition=Q(description__gt="")),
        ]

    def __str__(self) -> str:
        return self.screen_name or self.uid


class FanNote(models.Model):
    """A note on a fan, kept within the brand it was written for: one fan spans the brands of the
    installation, and what one brand's team writes (an order number, a phone) is not another's."""

    fan = models.ForeignKey(Fan, on_delete=models.CASCADE, related_name="notes")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("note"), max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note on a fan")
        verbose_name_plural = _("notes on fans")

    def __str__(self) -> str:
        return self.text[:30]


class Kind(models.TextChoices):
    MENTION = "mention", _("@ mention")
    COMMENT = "comment", pgettext_lazy("inbox item type", "Comment")
    COMMENT_MENTION = "comment_mention", _("@ in a comment")
    MESSAGE = "message", _("Private message")
    FOLLOW = "follow", _("New follower")
    UNFOLLOW = "unfollow", _("Unfollowed")
    # A key reposter of a watched cascade the team chose to talk to (fans.practices.key_node_reply).
    REPOST = "repost", _("Key reposter's repost")


class Source(models.TextChoices):
    MENTIONS = "mentions", _("statuses/mentions")
    COMMENTS_TO_ME = "comments_to_me", _("comments/to_me")
    COMMENTS_MENTIONS = "comments_mentions", _("comments/mentions")
    PUSH = "push", _("fan-service push")
    CASCADE = "cascade", _("repost cascade")


# Kinds that ask for an answer: they get SLA clocks and count in the response rate.
ANSWERABLE = [Kind.MENTION, Kind.COMMENT, Kind.COMMENT_MENTION, Kind.MESSAGE]


class State(models.TextChoices):
    OPEN = "open", pgettext_lazy("inbox item state", "Open")
    CLOSED = "closed", pgettext_lazy("inbox item state", "Closed")


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class Interaction(models.Model):
    """One thing a fan did towards one matrix account: an inbox item.

    ``platform_id`` is Weibo's id of the status, comment or message (a push's digest for pushes, which
    carry none); it is unique per account and object type, so a redelivered page or push is stored
    once.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    object_type = models.CharField(max_length=10)  # status, comment, message, event: what platform_id names
    platform_id = models.CharField(max_length=64)
    fan = models.ForeignKey(Fan, on_delete=models.PROTECT, related_name="interactions")
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("sent at"), db_index=True)  # on Weibo
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    # The post it is under (comments), or the post itself (mentions); its text kept as it was seen.
    status_id = models.CharField(max_length=20, blank=True)
    status_text = models.TextField(blank=True)
    status_author = models.CharField(max_length=200, blank=True)
    reply_to_id = models.CharField(max_length=20, blank=True)  # the comment this comment answers
    reply_to_text = models.TextField(blank=True)
    thread_key = models.CharField(max_length=80, db_index=True)  # one conversation: a post, or a DM pair
    # "//@name:" of a repost: who caused it (indexed: every rescore counts the reposts a fan caused)
    reposted_from = models.CharField(max_length=200, blank=True, db_index=True)
    # Text features (fans.text): for routing rules and the loyalty score.
    is_question = models.BooleanField(_("asks a question"), default=False)
    is_praise = models.BooleanField(_("praise"), default=False)
    defends = models.BooleanField(_("defends the brand"), default=False)

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    needs_answer = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    is_complaint = models.BooleanField(_("complaint"), default=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="inbox_items")
    assigned_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="interactions")
    routed_by = models.ForeignKey("RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    routed_at = models.DateTimeField(null=True, blank=True)

    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    first_response_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    # A resolved complaint whose fan was told so in public ("when a suggestion is implemented, tell them").
    loop_closed_at = models.DateTimeField(_("told the fan"), null=True, blank=True)
    # A department resolved it and the fan has not been told yet: kept as a flag (set when a ticket is
    # resolved, cleared by the reply that tells the fan) so that counting and listing these stays cheap
    # however many tickets were ever resolved.
    loop_pending = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        constraints = [
            models.UniqueConstraint(fields=["account", "object_type", "platform_id"], name="interaction_once"),
        ]
        indexes = [
            # The inbox's default list and its keyset pages: newest first, optionally per account.
            models.Index(fields=["-created_at", "-id"], name="inbox_newest"),
            models.Index(fields=["account", "-created_at", "-id"], name="inbox_account_newest"),
            models.Index(fields=["state", "-created_at", "-id"], name="inbox_state_newest"),
            # "Deadline first" (fans.selectors): the first answer due soonest, items without a deadline last. A
            # PostgreSQL b-tree in ascending order keeps NULLs last already (SQLite refuses NULLS LAST in an index).
            models.Index(fields=["first_response_due", "id"], name="inbox_deadline"),
            models.Index(fields=["state", "first_response_due", "id"], name="inbox_state_deadline"),
            models.Index(fields=["assignee", "state", "-created_at"], name="inbox_assignee"),
            models.Index(fields=["fan", "-created_at"], name="inbox_fan_history"),
            # The SLA counters read only open items that still wait for an answer.
            models.Index(fields=["first_response_due"], name="inbox_open_due",
                         condition=Q(state="open", needs_answer=True, first_response_at__isnull=True)),
            # The same items newest first: a page of "breached" reads 50 of them, not all then sorts.
            models.Index(fields=["-created_at", "-id"], name="inbox_open_waiting",
                         condition=Q(state="open", needs_answer=True, first_response_at__isnull=True)),
            models.Index(fields=["-created_at", "-id"], name="inbox_loop_pending", condition=Q(loop_pending=True)),
            # The KPIs' distinct fans of an account up to a day (reports.kpis): read from the index alone.
            models.Index(fields=["account", "created_at", "fan"], name="inbox_account_fans"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.fan}: {self.text[:30]}"


class AccountFan(models.Model):
    """When a fan first interacted with one account: the inbox's history in one row per (account, fan).

    "Fans who ever interacted with these accounts up to a day" (the active-fan share's denominator,
    ``selectors.kpi_fan_figures``) is then an index range over these rows rather than a scan of every
    interaction ever stored. ``ingest.fan_accounts_record`` keeps it wherever interactions are stored; they are
    never deleted but with their account, which takes these rows with it.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    fan = models.ForeignKey(Fan, on_delete=models.CASCADE, related_name="+")
    first_interaction_at = models.DateTimeField()  # the earliest ``Interaction.created_at`` of the pair

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "fan"], name="account_fan_once")]
        # The distinct fans of some accounts known before a time, read from the index alone.
        indexes = [models.Index(fields=["account", "first_interaction_at", "fan"], name="account_fan_first")]

    def __str__(self) -> str:
        return f"{self.fan_id} → {self.account_id} since {self.first_interaction_at:%Y-%m-%d}"


class IngestCursor(models.Model):
    """Where polling one source of one account stands.

    ``since_id`` moves only in the transaction that stored the items, so a crash re-reads and a
    redelivery finds them stored. A poll that could not read back to ``since_id`` within its page
    limit keeps ``gap_max_id`` (continue below it) and ``gap_top_id`` (the newest id seen) so that
    the next poll fills the gap before the cursor moves on. ``lease_until`` keeps two workers from
    polling the same source at once; a killed worker's lease simply runs out.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ingest_cursors")
    source = models.CharField(max_length=20, choices=Source.choices)
    since_id = models.CharField(max_length=20, blank=True)
    gap_max_id = models.CharField(max_length=20, blank=True)
    gap_top_id = models.CharField(max_length=20, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)  # rate limited until then
    polled_at = models.DateTimeField(null=True, blank=True)
    stored_total = models.PositiveBigIntegerField(default=0)
    problem = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "source"], name="one_cursor_per_source")]

    def __str__(self) -> str:
        return f"{self.account} {self.source} since {self.since_id or '-'}"


class RoutingRule(models.Model):
    """Conditions → actions, in order; the first rule that matches an arriving item acts on it.

    Empty conditions match everything. Keywords match when any of them appears in the text.
    """

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="routing_rules")
    position = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    # conditions
    keywords = models.JSONField(_("any of these words"), default=list, blank=True)
    kinds = models.JSONField(_("types"), default=list, blank=True)
    accounts = models.ManyToManyField(Account, verbose_name=_("accounts"), blank=True, related_name="+")
    min_influence = models.PositiveSmallIntegerField(_("influence at least"), null=True, blank=True,
                                                     validators=[MaxValueValidator(100)])
    min_loyalty = models.PositiveSmallIntegerField(_("loyalty at least"), null=True, blank=True,
                                                   validators=[MaxValueValidator(100)])
    zombie = models.CharField(_("zombie fans"), max_length=8, blank=True,
                              choices=[("", _("any")), ("only", _("only zombies")), ("exclude", _("no zombies"))])
    is_question = models.BooleanField(_("asks a question"), default=False)
    min_length = models.PositiveSmallIntegerField(_("text at least (characters)"), null=True, blank=True)
    # actions
    assign_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assign to"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    assign_department = models.ForeignKey(
        Department, verbose_name=_("or to a department (round-robin)"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    # The person on inbox duty for the item's account when it arrives (team.roster); nobody on duty: unassigned.
    assign_on_duty = models.BooleanField(_("or to the account's person on inbox duty"), default=False)
    add_tags = models.ManyToManyField(Tag, verbose_name=_("add tags"), blank=True, related_name="+")
    set_priority = models.PositiveSmallIntegerField(_("set priority"), choices=Priority.choices, null=True, blank=True)
    mark_complaint = models.BooleanField(_("mark as complaint"), default=False)
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")  # round-robin position
    matched_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand_id", "position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(models.Model):
    """A starting point for a reply. The person must make it theirs: a bare template is flagged."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="reply_templates")
    name = models.CharField(_("name"), max_length=60)
    text = models.TextField(_("text"), max_length=1000)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["brand_id", "name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="reply_template_unique")]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self) -> str:
        return self.name


class ReplyState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    UNCONFIRMED = "unconfirmed", _("Answer lost; being checked")
    REJECTED = "rejected", _("Rejected by Weibo")
    REFUSED = "refused", _("Not approved")
    PAUSED = "paused", _("Paused: account needs re-authorisation")


REPLY_FINAL = [ReplyState.SENT, ReplyState.REJECTED, ReplyState.REFUSED]


class ReplyMethod(models.TextChoices):
    COMMENT_REPLY = "comment_reply", _("Reply to the comment")
    COMMENT = "comment", _("Comment on the post")
    MESSAGE = "message", _("Private message")


class Reply(models.Model):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="replies")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=20, choices=ReplyMethod.choices)
    text = models.TextField(_("reply"))
    template = models.ForeignKey(ReplyTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_boilerplate = models.BooleanField(_("bare template"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=ReplyState.choices, default=ReplyState.QUEUED)
    platform_id = models.CharField(max_length=20, blank=True)
    error = models.CharField(_("Weibo's answer"), max_length=500, blank=True)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # An answer was lost: Weibo may have the comment, so look under the post before sending again.
    needs_lookup = models.BooleanField(default=False)
    rip = models.GenericIPAddressField(null=True, blank=True)  # the sender's (or approver's) real IP
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fan_replies")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    closes_loop = models.BooleanField(_("tells the fan the complaint is resolved"), default=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        indexes = [models.Index(fields=["state", "retry_at"], name="reply_state_retry")]

    def __str__(self) -> str:
        return self.text[:30]


class DepartmentDesk(models.Model):
    """How a department takes escalations: its normal turnaround, the shorter "Weibo first" one, and
    where to tell it besides the app (its contacts' mail; a webhook when configured)."""

    department = models.OneToOneField(Department, on_delete=models.CASCADE, related_name="desk")
    normal_hours = models.PositiveSmallIntegerField(
        _("normal turnaround (hours)"), default=48, validators=[MinValueValidator(1), MaxValueValidator(720)])
    weibo_first_hours = models.PositiveSmallIntegerField(
        _("Weibo-first deadline (hours)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("Shorter than the normal turnaround: the fan is waiting in public."))
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = EncryptedTextField(blank=True)

    class Meta:
        verbose_name = _("department desk")
        verbose_name_plural = _("department desks")

    def __str__(self) -> str:
        return str(self.department)


class TicketState(models.TextChoices):
    OPEN = "open", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


TICKET_DONE = [TicketState.RESOLVED, TicketState.CANCELLED]


class Ticket(models.Model):
    """A complaint handed to a department with a Weibo-first deadline."""

    interaction = models.ForeignKey(Interaction, on_delete=models.PROTECT, related_name="tickets")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="fan_tickets")
    state = models.CharField(_("state"), max_length=20, choices=TicketState.choices, default=TicketState.OPEN)
    summary = models.TextField(_("what the department should do"), max_length=2000)
    deadline = models.DateTimeField(_("deadline"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Who follows the ticket up with the fan: the person who escalated it at first; a handover changes it.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("followed up by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="fan_tickets")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolution = models.TextField(_("resolution"), blank=True, max_length=2000)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    escalated_at = models.DateTimeField(_("escalated to the manager"), null=True, blank=True)
    external_id = models.CharField(_("id in the ticketing system"), max_length=100, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [models.Index(fields=["department", "state", "deadline"], name="ticket_desk")]
        constraints = [
            # One open ticket per item and department: a second click does not open a second ticket.
            models.UniqueConstraint(fields=["interaction", "department"], name="one_open_ticket",
                                    condition=Q(state__in=["open", "in_progress"])),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.department}"


class TicketUpdate(models.Model):
    """Everything that happened to a ticket, from the app or from an outside ticketing system."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="updates")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=20, choices=TicketState.choices, blank=True)  # the new state, if it changed
    note = models.TextField(_("note"), blank=True, max_length=2000)
    via = models.CharField(max_length=20, default="app")  # app, api
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.state or '-'}"


# --- fan practices (fans.practices) ---------------------------------------------------------------

class SuggestionState(models.TextChoices):
    NEW = "new", pgettext_lazy("suggestion state", "New")
    UNDER_REVIEW = "under_review", _("Under review")
    ADOPTED = "adopted", _("Adopted")
    DECLINED = "declined", _("Declined")


class Suggestion(models.Model):
    """A fan's suggestion, recorded from an inbox item; when adopted the fan is thanked in a reply
    (``reply``) that says what was adopted."""

    interaction = models.OneToOneField(Interaction, on_delete=models.PROTECT, related_name="suggestion")
    fan = models.ForeignKey(Fan, on_delete=models.PROTECT, related_name="suggestions")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("suggestion"), max_length=2000)
    area = models.CharField(_("product or area"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=SuggestionState.choices, default=SuggestionState.NEW)
    decision_note = models.TextField(_("decision"), max_length=2000, blank=True)
    adopted_what = models.CharField(_("what was adopted"), max_length=200, blank=True)
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [models.Index(fields=["brand", "state", "-created_at"], name="suggestion_log")]

    def __str__(self) -> str:
        return self.text[:30]


class FanGift(models.Model):
    """A reward given to a (loyal) fan: what, when, why, what it cost and who gave it."""

    fan = models.ForeignKey(Fan, on_delete=models.CASCADE, related_name="gifts")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(_("gift"), max_length=200)
    given_on = models.DateField(_("given on"))
    reason = models.CharField(_("why"), max_length=500)
    cost = models.DecimalField(_("cost (yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("gift to a fan")
        verbose_name_plural = _("gifts to fans")

    def __str__(self) -> str:
        return self.what


class FanRevisit(models.Model):
    """"Revisit this fan every N days": one schedule per fan and brand; the beat tells the assignee
    when it is due (``next_due``) and marking it done moves it on."""

    fan = models.ForeignKey(Fan, on_delete=models.CASCADE, related_name="revisits")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    every_days = models.PositiveSmallIntegerField(_("revisit every (days)"),
                                                  validators=[MinValueValidator(1), MaxValueValidator(365)])
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("who revisits"),
                                 on_delete=models.PROTECT, related_name="+")
    next_due = models.DateField(_("next revisit"), db_index=True)
    last_done_at = models.DateTimeField(_("last revisited"), null=True, blank=True)
    last_note = models.CharField(_("last revisit note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["next_due", "id"]
        verbose_name = _("revisit schedule")
        verbose_name_plural = _("revisit schedules")
        constraints = [models.UniqueConstraint(fields=["fan", "brand"], name="one_revisit_per_fan_brand")]

    def __str__(self) -> str:
        return f"{self.fan} / {self.every_days}"


class TipOff(models.Model):
    """A fan pointed the team to a negative post: the inbox item that did it, and the post."""

    interaction = models.OneToOneField(Interaction, on_delete=models.PROTECT, related_name="tipoff")
    fan = models.ForeignKey(Fan, on_delete=models.PROTECT, related_name="tipoffs")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("the negative post"), max_length=500)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tip-off")
        verbose_name_plural = _("tip-offs")

    def __str__(self) -> str:
        return self.url


class FollowerAudit(models.Model):
    """One reading of an account's followers (``friendships/followers``) with the likely zombies found.

    Weibo's Open API has no endpoint that removes a follower, so the list is for removal by hand in the
    Weibo client; ``read`` says how many followers the reading covered (Weibo returns only part)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="follower_audits")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read = models.PositiveIntegerField(_("followers read"), default=0)
    total = models.PositiveIntegerField(_("followers on Weibo"), default=0)
    problem = models.CharField(_("stopped because"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("follower audit")
        verbose_name_plural = _("follower audits")

    def __str__(self) -> str:
        return f"{self.account} {self.created_at:%Y-%m-%d}"


class FollowerAuditRow(models.Model):
    """A follower the audit found likely to be a zombie, with the reasons (scoring reason codes)."""

    audit = models.ForeignKey(FollowerAudit, on_delete=models.CASCADE, related_name="rows")
    uid = models.CharField(_("Weibo uid"), max_length=20)
    screen_name = models.CharField(_("Weibo name"), max_length=200, blank=True)
    zombie = models.FloatField(_("zombie likelihood"))
    reasons = models.JSONField(default=list, blank=True)
    followers_count = models.PositiveBigIntegerField(default=0)
    friends_count = models.PositiveBigIntegerField(default=0)
    statuses_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-zombie", "uid"]
        constraints = [models.UniqueConstraint(fields=["audit", "uid"], name="follower_audit_row_once")]

    def __str__(self) -> str:
        return self.screen_name or self.uid
