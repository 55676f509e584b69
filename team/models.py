from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A part of the company that Weibo work reaches: the Weibo team itself, customer service,
    PR, legal, logistics... Other departments receive escalations and campaign tasks."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.TextField(_("what it handles"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    REVIEWER = "reviewer", _("Reviewer")
    CS_AGENT = "cs_agent", _("Customer-service agent")
    PR = "pr", _("PR")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")
    DEPT_CONTACT = "dept_contact", _("Department contact")


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OPERATOR)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # The language the tool speaks to this person, chosen once with the switch in the header. It is not
    # taken from the browser: a Chinese team's tool stays Chinese on an English browser.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)

    class Meta:
        ordering = ["username"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_org_wide(self) -> bool:
        """Managers and administrators act on every account of the matrix."""
        return self.is_active and (self.is_superuser or self.role in (Role.MANAGER, Role.ADMIN))


SYSTEM_ACTOR = "system"  # actor_name of changes made by commands, not by a person

AUDIT_ACTIONS = {
    "brand.create": _("added the brand"),
    "brand.update": _("edited the brand"),
    "account.create": _("added the account"),
    "account.weibo_connect": _("connected the account to Weibo"),
    "pillar.create": _("added the content pillar"),
    "post.create": _("drafted the post"),
    "post.schedule": _("scheduled the post"),
    "post.approve": _("approved the post"),
    "post.update": _("edited the post"),
    "post.submit": _("submitted the post for review"),
    "post.reject": _("sent the post back"),
    "post.fast_track": _("fast-tracked the post"),
    "post.import": _("imported posts"),
    "pillar.update": _("edited the content pillar"),
    "target.move": _("moved the post to another slot"),
    "target.cancel": _("cancelled the post on an account"),
    "account.weibo_lost": _("lost the account's Weibo authorisation"),
    "account.weibo_disconnect": _("disconnected the account from Weibo"),
    "account.update": _("edited the account"),
    "account.member_set": _("set access"),
    "account.member_remove": _("removed access"),
    "circle.add": _("added a target circle"),
    "circle.remove": _("removed a target circle"),
    "playbook.publish": _("published a playbook version"),
    "department.create": _("added the department"),
    "department.update": _("edited the department"),
    "person.create": _("added the person"),
    "person.update": _("edited the person"),
    "api_token.create": _("created an API token"),
    "api_token.revoke": _("revoked an API token"),
    "inbox.assign": _("assigned an inbox item"),
    "inbox.close": _("closed an inbox item"),
    "inbox.reopen": _("reopened an inbox item"),
    "inbox.update": _("changed an inbox item"),
    "reply.create": _("wrote a reply to a fan"),
    "reply.approve": _("approved a reply to a fan"),
    "reply.refuse": _("sent a reply to a fan back"),
    "ticket.create": _("escalated a complaint to a department"),
    "ticket.update": _("updated a ticket"),
    "fan_tag.create": _("added a tag"),
    "fan_tag.update": _("edited a tag"),
    "routing_rule.create": _("added a routing rule"),
    "routing_rule.update": _("edited a routing rule"),
    "routing_rule.move": _("reordered the routing rules"),
    "reply_template.create": _("added a reply template"),
    "reply_template.update": _("edited a reply template"),
    "desk.update": _("set a department's escalation desk"),
    "inbox.tag": _("tagged an inbox item"),
    "inbox.untag": _("removed a tag from an inbox item"),
    "fan.tags": _("changed a fan's tags"),
    "incident.open": _("opened an incident"),
    "incident.type": _("judged an incident's type"),
    "incident.grade": _("changed an incident's grade"),
    "incident.close": _("closed an incident"),
    "incident.reopen": _("reopened an incident"),
    "suggestion.record": _("recorded a fan's suggestion"),
    "suggestion.decide": _("decided on a fan's suggestion"),
    "fan.gift": _("recorded a gift to a fan"),
    "fan.revisit_set": _("set a fan's revisit"),
    "fan.revisit_done": _("revisited a fan"),
    "fan.tipoff": _("credited a fan's tip-off"),
    "cascade.key_node_reply": _("replied to a key node of a cascade"),
    "fan.follower_audit": _("audited an account's followers"),
    "activity.register": _("registered a company activity"),
    "activity.decline": _("declined a company activity for Weibo"),
    "campaign.create": _("created the campaign"),
    "campaign.update": _("edited the campaign"),
    "campaign.goals": _("set the campaign's targets"),
    "campaign.start": _("started the campaign"),
    "campaign.close": _("closed the campaign"),
    "campaign.cancel": _("cancelled the campaign"),
    "campaign.commit": _("committed the draw's seed"),
    "campaign.draw": _("drew the winners"),
    "campaign_task.create": _("added a campaign task"),
    "campaign_task.update": _("edited a campaign task"),
    "campaign_task.state": _("updated a campaign task's status"),
    "prize.apply": _("asked for a prize"),
    "prize.decide": _("decided on a prize"),
    "participant.override": _("decided over the rules on a participant"),
    "winner.delivery": _("updated a prize delivery"),
    "codes.generate": _("made codes for a code hunt"),
    "codes.import": _("imported code redemptions"),
    "codes.export": _("exported codes for printing"),
    "absence.mark": _("marked a person absent"),
    "handover.propose": _("proposed a handover"),
    "handover.apply": _("handed work over to a stand-in"),
    "handover.undo": _("undid a handover"),
    "work.rebalance": _("moved open work to another person"),
    "peer.create": _("added a peer account"),
    "peer.import": _("imported peer figures from CSV"),
    "review_cycle.create": _("opened a review cycle"),
    "review_cycle.close": _("closed a review cycle"),
    "review.create": _("added a review"),
    "review.score": _("scored a review"),
    "kpi_target.create": _("set a KPI target"),
    "kpi_target.update": _("changed a KPI target"),
    "kpi_target.delete": _("removed a KPI target"),
    "shift.create": _("put a person on duty"),
    "shift.update": _("changed a shift"),
    "shift.delete": _("removed a shift"),
    "swap.request": _("asked to swap a shift"),
    "swap.approve": _("approved a shift swap"),
    "swap.refuse": _("refused a shift swap"),
    "swap.cancel": _("cancelled a shift swap request"),
    "inbox.route_duty": _("routed an inbox item to the person on duty"),
    "inbox.route_duty_none": _("found nobody on inbox duty: the item stays unassigned"),
}


# Change keys that are not model fields (what services record besides fields), in words.
CHANGE_LABELS = {
    "what": _("what"), "cost": _("cost"), "assignee": _("assigned to"), "hours": _("hours"), "url": _("link"),
    "read": _("read"), "zombies": _("likely zombie followers"), "webhook": _("webhook"), "value": _("value"),
    "accounts": _("accounts"), "weibo": _("Weibo connection"), "tags": _("tags"),
    "can_draft": _("may draft"), "can_reply": _("may reply"), "can_manage": _("may manage"),
    "can_approve": _("may approve"), "can_publish": _("may publish"), "is_active": _("active"),
    "weibo_uid": _("Weibo uid"), "profile_text": _("profile text"), "tone_of_voice": _("tone of voice"),
    "value_proposition": _("value proposition"), "scheduled_at": _("scheduled for"),
    "every_days": _("every (days)"), "title": _("title"), "state": _("state"), "region": _("region"),
    "purpose": _("purpose"), "owner": _("owner"), "name": _("name"), "kind": _("type"), "comment": _("comment"),
    "brand": _("brand"),
    "seed_hash": _("seed hash"), "winners": _("winners"), "participants_digest": _("participant list SHA-256"),
    "second_level": _("second-level reposts"), "participants": _("participants"), "fans_gained": _("fans gained"),
    "retained_7": _("still following after 7 days"), "retained_30": _("still following after 30 days"),
    "redemptions": _("code redemptions"), "consultations": _("consultations"),
    "channel": _("channel"), "codes": _("codes"), "redeemed": _("redeemed"), "refused": _("refused"),
}


def _change_value(field, value) -> str:
    """One recorded value in words: a choice's label, yes/no, a list joined; "—" for nothing."""
    if value is None or value in ("", []):
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    choices = dict(getattr(field, "flatchoices", None) or [])
    if choices and value in choices:
        return str(choices[value])
    if isinstance(value, list):
        return "、".join(_change_value(field, v) for v in value)
    if isinstance(value, str) and value.replace("_", "").isalpha() and "_" in value and value.isascii():
        return str(_("other value"))  # an internal key with no label: never shown as such
    return str(value)


class AuditEvent(models.Model):
    """Who did what, when, from where. Rows are only ever added."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept as text too, so the log still reads right after a person is deleted or renamed.
    actor_name = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    # The matrix account the event concerns, when there is one. A plain id, not a foreign key:
    # team sits below positioning and must not depend on it.
    account_id = models.BigIntegerField(_("account id"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    @property
    def actor_label(self) -> str:
        """Who, as people read it: changes made by set-up commands show as "system"."""
        return self.actor_name if self.actor_name != SYSTEM_ACTOR else str(_("system"))

    @property
    def changes_display(self) -> list[tuple[str, str, str]]:
        """``changes`` as people read them: each field by its verbose name, each value by its choice label
        (yes/no for booleans), so the log never shows a key such as ``can_draft`` or ``in_review``."""
        from django.apps import apps
        from django.core.exceptions import FieldDoesNotExist

        try:
            model = apps.get_model(self.object_type)
        except (LookupError, ValueError):
            model = None
        rows = []
        for name, pair in (self.changes or {}).items():
            field = None
            if model is not None:
                try:
                    field = model._meta.get_field(name)
                except FieldDoesNotExist:
                    field = None
            named = str(getattr(field, "verbose_name", "") or "")
            if named == name.replace("_", " "):  # Django's own default from the field's name: not words
                named = ""
            label = named or str(CHANGE_LABELS.get(name, "")) or str(_("other detail"))
            before, after = [*pair, None, None][:2] if isinstance(pair, list | tuple) else (None, pair)
            rows.append((label, _change_value(field, before), _change_value(field, after)))
        return rows

    @property
    def action_label(self) -> str:
        """Every action has words (``AUDIT_ACTIONS``, checked by a test); an unknown one reads "other action"."""
        label = AUDIT_ACTIONS.get(self.action)
        return str(label) if label is not None else str(_("other action"))


class Notice(models.Model):
    """Something a person must know or act on, shown in the app (and mailed when mail is set up)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    account_id = models.BigIntegerField(_("account id"), null=True, blank=True)  # plain id: see AuditEvent
    # The same event told twice is one notice: services pass a key naming the event.
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notice_once")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread")]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"


# --- absence, handover, workload (team.handover, team.work) ---------------------------------------

class AbsenceKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    SICK = "sick", _("Sick")
    LEFT = "left", _("Left the company")


class Absence(models.Model):
    """A person away from ``starts_on`` to ``ends_on`` (both days included; open when empty). While it
    runs, nothing new is assigned to them and their open work is handed over."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
                               related_name="absences")
    kind = models.CharField(_("kind"), max_length=10, choices=AbsenceKind.choices, default=AbsenceKind.LEAVE)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: open-ended."))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="absence_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.starts_on}"


class HandoverState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPLIED = "applied", _("Applied")
    UNDONE = "undone", _("Undone")


# The checklist a reviewer ticks before the work moves. No passwords or tokens: accounts connect by OAuth.
HANDOVER_CHECKLIST = {
    "playbook": _("The stand-in has read each account's playbook handover page"),
    "incidents": _("Open incidents are briefed to the stand-in"),
    "replies": _("Pending replies and approvals are checked"),
    "schedule": _("Scheduled posts of the coming days are checked"),
}


class Handover(models.Model):
    """Open work of one person moving to a stand-in, in one reviewed step that can be undone."""

    absence = models.ForeignKey(Absence, null=True, blank=True, on_delete=models.SET_NULL, related_name="handovers")
    from_person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.CASCADE,
                                    related_name="handovers_from")
    to_person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("stand-in"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="handovers_to")
    state = models.CharField(_("state"), max_length=10, choices=HandoverState.choices, default=HandoverState.PROPOSED)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)  # the ticked HANDOVER_CHECKLIST keys
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self) -> str:
        return f"#{self.pk} {self.from_person} → {self.to_person or '?'}"


class HandoverItem(models.Model):
    """One item of a handover, as it was listed and moved."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=40)  # team.work source kind
    object_id = models.BigIntegerField()
    title = models.CharField(_("item"), max_length=200)
    account_id = models.BigIntegerField(null=True, blank=True)  # plain id: see AuditEvent
    marker = models.CharField(max_length=120, blank=True)  # the item's touched marker right after the move
    moved = models.BooleanField(default=False)
    moved_back = models.BooleanField(default=False)
    kept_reason = models.CharField(max_length=200, blank=True)  # why undo left it with the stand-in

    class Meta:
        ordering = ["kind", "id"]
        constraints = [models.UniqueConstraint(fields=["handover", "kind", "object_id"], name="handover_item_once")]

    def __str__(self) -> str:
        return self.title


# --- Reviews (issue 17, point 5) ---------------------------------------------------------------------------------

class ReviewScale(models.TextChoices):
    FIVE = "1-5", _("1 to 5")
    HUNDRED = "0-100", _("0 to 100")


SCALE_BOUNDS = {ReviewScale.FIVE: (1, 5), ReviewScale.HUNDRED: (0, 100)}  # lowest and highest score allowed


class CycleState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ReviewCycle(models.Model):
    """A brand-wide round of reviews for one period: self, peer and leader scores weighted into one total."""

    brand = models.ForeignKey("positioning.Brand", verbose_name=_("brand"), on_delete=models.CASCADE,
                              related_name="review_cycles")
    name = models.CharField(_("name"), max_length=100)
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    scale = models.CharField(_("scale"), max_length=10, choices=ReviewScale.choices, default=ReviewScale.FIVE)
    self_weight = models.PositiveSmallIntegerField(_("self weight (%)"), default=20)
    peer_weight = models.PositiveSmallIntegerField(_("peer weight (%)"), default=30)
    leader_weight = models.PositiveSmallIntegerField(_("leader weight (%)"), default=50)
    state = models.CharField(_("state"), max_length=10, choices=CycleState.choices, default=CycleState.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "pk"]
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        constraints = [
            models.CheckConstraint(condition=models.Q(self_weight__lte=100, peer_weight__lte=100,
                                                      leader_weight__lte=100), name="review_weights_at_most_100"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="review_cycle_period"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bounds(self) -> tuple[int, int]:
        return SCALE_BOUNDS[ReviewScale(self.scale)]


class Review(models.Model):
    """One person's review in a cycle, and the leader who gives the leader score."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reviews")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person reviewed"), on_delete=models.CASCADE,
                               related_name="reviews")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT,
                               related_name="reviews_led")

    class Meta:
        ordering = ["cycle_id", "person__username"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [models.UniqueConstraint(fields=["cycle", "person"], name="one_review_per_person_and_cycle")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.cycle}"


class ScoreRole(models.TextChoices):
    SELF = "self", _("Self")
    PEER = "peer", _("Peer")
    LEADER = "leader", _("Leader")


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_scores_given")
    role = models.CharField(_("as"), max_length=10, choices=ScoreRole.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review_id", "role", "pk"]
        verbose_name = _("review score")
        verbose_name_plural = _("review scores")
        # One score per person and role on a review: a second self score, or a peer scoring twice, is refused.
        constraints = [models.UniqueConstraint(fields=["review", "by", "role"], name="one_score_per_role_and_person")]

    def __str__(self) -> str:
        return f"{self.review} {self.role} {self.score}"

# --- KPI targets (issue 17: KPIs, targets, scorecards) ---------------------------------------------------

class KpiTarget(models.Model):
    """What a KPI (``team.kpis``) should reach over a period, for the brand, one account or one person. The
    scope is the person when one is named, else the account, else the brand."""

    kpi = models.CharField(_("KPI"), max_length=40)
    brand = models.ForeignKey("positioning.Brand", verbose_name=_("brand"), on_delete=models.CASCADE,
                              related_name="kpi_targets")
    account = models.ForeignKey("positioning.Account", verbose_name=_("account"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="kpi_targets")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="kpi_targets")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    value = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand_id", "kpi", "start", "id"]
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="kpi_target_period"),
            models.CheckConstraint(condition=models.Q(account__isnull=True) | models.Q(person__isnull=True),
                                   name="kpi_target_one_scope"),
        ]
        indexes = [models.Index(fields=["brand", "start", "end"], name="kpi_target_period_idx")]

    def __str__(self) -> str:
        scope = self.person or self.account or self.brand
        return f"{self.kpi} {scope} {self.start}–{self.end}"

    @property
    def scope(self) -> str:
        return "person" if self.person_id else "account" if self.account_id else "brand"


# --- Duty roster (issue 17): shifts per account and swaps -------------------------------------------------------

class Duty(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    MONITORING = "monitoring", _("Monitoring")


class Shift(models.Model):
    """One person on one duty for one account from ``starts_at`` (inclusive) to ``ends_at`` (exclusive).

    Evenings, nights and weekends are ordinary shifts. One person's shifts never overlap, whatever the account;
    that and the person's grant on the account are checked by the services (``positioning.roster``), which know
    the grants; the table itself only refuses an empty or backward interval.
    """

    account = models.ForeignKey("positioning.Account", verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="shifts")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="shifts")
    duty = models.CharField(_("duty"), max_length=12, choices=Duty.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="shift_ends_after_start")]
        indexes = [
            # "Who is on now" and the week grid: an account's shifts by time.
            models.Index(fields=["account", "duty", "starts_at"], name="shift_account_time"),
            # The overlap check and "my shifts": one person's shifts by time.
            models.Index(fields=["person", "starts_at"], name="shift_person_time"),
        ]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")

    def __str__(self) -> str:
        from django.utils import timezone as tz

        start, end = tz.localtime(self.starts_at), tz.localtime(self.ends_at)
        return f"{self.person} {self.get_duty_display()} {start:%Y-%m-%d %H:%M}–{end:%H:%M}"


class SwapState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class ShiftSwap(models.Model):
    """A request to hand a shift to another person; approved by a manager (or someone who manages the account),
    it moves the shift to ``to_person``."""

    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="swaps")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.CASCADE, related_name="+")
    to_person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handed to"), on_delete=models.CASCADE,
                                  related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=SwapState.choices, default=SwapState.REQUESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["shift"], condition=models.Q(state="requested"),
                                               name="one_open_swap_per_shift")]
        verbose_name = _("shift swap")
        verbose_name_plural = _("shift swaps")

    def __str__(self) -> str:
        return f"{self.shift} → {self.to_person}"


# Change keys of the roster's audit events that are not fields of the audited row, in words.
CHANGE_LABELS.update({"person": _("person"), "to_person": _("handed to"), "reason": _("reason")})
