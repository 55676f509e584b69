"""Campaign writes: the intake, the campaign and its goals, the plan across departments, prize applications,
overrides, the draw and prize delivery. Each service checks who may act (``campaigns.access``), validates,
writes, records the change in the audit log and tells whoever must know, once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.access import Action, people_who_may
from positioning.models import Account, Brand
from team.handover import assignee_available_require
from team.models import Department, Role, User
from team.services import audit_record, audited_create, audited_update, changes_between, notice_send, snapshot
from weibo_ops.queue import enqueue_on_commit

from . import draw as drawing
from . import eligibility
from .access import (
    activity_decide_require,
    activity_register_require,
    campaign_create_require,
    campaign_manage_require,
    prize_decide_require,
    task_update_require,
)
from .models import (
    Activity,
    ActivityState,
    Campaign,
    CampaignState,
    CampaignStats,
    Goal,
    Metric,
    Participant,
    PrizeApplication,
    PrizeState,
    Task,
    TaskState,
    Winner,
)
from .prizes import prize_warnings

WINNERS_NOTIFY_TASK = "campaigns.winners_notify"
ACTIVITY_FIELDS = ["title", "kind", "description", "department", "owner", "sponsor", "starts_on", "ends_on"]
CAMPAIGN_FIELDS = ["title", "kind", "brief", "lead", "sponsor", "starts_at", "ends_at", "budget", "prize_budget",
                   "topic", "partner", "featured_post", "winners_count", "rule_follow", "rule_mentions",
                   "rule_keyword", "rule_picture"]
RULE_FIELDS = {"rule_follow", "rule_mentions", "rule_keyword", "rule_picture", "starts_at", "ends_at", "kind"}
TASK_FIELDS = ["title", "department", "owner", "due_at", "note"]


def weibo_team(brand: Brand) -> list[User]:
    """Who hears of a new company activity: whoever may draft on one of the brand's accounts, managers included."""
    people: dict[int, User] = {}
    for account in Account.objects.filter(brand=brand, is_active=True):
        people.update({p.pk: p for p in people_who_may(account, Action.DRAFT)})
    return list(people.values())


def _url(name: str, *args) -> str:
    return reverse(f"campaigns:{name}", args=args)


# --- intake --------------------------------------------------------------------------------------------

@transaction.atomic
def activity_register(*, brand: Brand, by: User, title: str, kind: str, department: Department, owner: User,
                      sponsor: str, starts_on, ends_on, description: str = "", ip: str | None = None) -> Activity:
    """A department registers an upcoming activity; the Weibo team is told at once."""
    activity_register_require(by)
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The activity ends before it starts: check the dates.")})
    activity = Activity(brand=brand, title=title.strip(), kind=kind, description=description, department=department,
                        owner=owner, sponsor=sponsor.strip(), starts_on=starts_on, ends_on=ends_on, registered_by=by)
    audited_create(activity, fields=ACTIVITY_FIELDS, by=by, action="activity.register", ip=ip)
    notice_send(recipients=weibo_team(brand), kind="campaign.activity",
                title=_("%(department)s plans “%(title)s” from %(start)s: make it a campaign while it is designed")
                % {"department": department.name, "title": activity.title, "start": starts_on},
                body=activity.description, url=_url("activity", activity.pk),
                dedupe_key=f"activity:{activity.pk}")
    return activity


@transaction.atomic
def activity_decline(*, activity: Activity, by: User, reason: str, ip: str | None = None) -> Activity:
    activity_decide_require(by, activity)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the activity is not for Weibo: the department reads it.")})
    if activity.state != ActivityState.NEW:
        raise ValidationError(_("This activity was already decided on."))
    audited_update(activity, fields=["state", "decline_reason"], by=by, action="activity.decline", ip=ip,
                   values={"state": ActivityState.DECLINED, "decline_reason": reason.strip()})
    notice_send(recipients=[activity.registered_by, activity.owner], kind="campaign.activity_declined",
                title=_("The Weibo team will not run “%(title)s” on Weibo") % {"title": activity.title},
                body=reason, url=_url("activity", activity.pk), dedupe_key=f"activity-declined:{activity.pk}")
    return activity


# --- campaigns -----------------------------------------------------------------------------------------

def _check_dates(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The campaign must end after it starts.")})


@transaction.atomic
def campaign_create(*, brand: Brand, by: User, title: str, kind: str, lead: User, accounts: list[Account],
                    starts_at: datetime, ends_at: datetime, activity: Activity | None = None, ip: str | None = None,
                    **fields: Any) -> Campaign:
    """A campaign on some of the brand's accounts; made from a registered activity, that activity is taken."""
    campaign_create_require(by, accounts)
    if not accounts:
        raise ValidationError({"accounts": _("Choose the accounts the campaign runs on.")})
    if any(account.brand_id != brand.pk for account in accounts):
        raise ValidationError({"accounts": _("Every account must be one of %(brand)s's.") % {"brand": brand.name}})
    _check_dates(starts_at, ends_at)
    if activity is not None:
        activity_decide_require(by, activity)
        if activity.state != ActivityState.NEW:
            raise ValidationError({"activity": _("This activity was already decided on.")})
    campaign = Campaign(brand=brand, title=title.strip(), kind=kind, lead=lead, starts_at=starts_at, ends_at=ends_at,
                        activity=activity, created_by=by,
                        sponsor=fields.pop("sponsor", "") or (activity.sponsor if activity else ""),
                        **{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
    audited_create(campaign, fields=[f for f in CAMPAIGN_FIELDS if f != "featured_post"], by=by,
                   action="campaign.create", ip=ip)
    campaign.accounts.set(accounts)
    CampaignStats.objects.create(campaign=campaign)
    if activity is not None:
        Activity.objects.filter(pk=activity.pk).update(state=ActivityState.TAKEN)
        notice_send(recipients=[activity.registered_by, activity.owner], kind="campaign.activity_taken",
                    title=_("“%(title)s” is now a Weibo campaign led by %(lead)s")
                    % {"title": activity.title, "lead": lead}, url=_url("campaign", campaign.pk),
                    dedupe_key=f"activity-taken:{activity.pk}")
    if lead != by:
        notice_send(recipients=[lead], kind="campaign.lead", title=_("You lead the campaign “%(title)s”")
                    % {"title": campaign.title}, url=_url("campaign", campaign.pk), dedupe_key=f"lead:{campaign.pk}")
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: User, values: dict[str, Any], accounts: list[Account] | None = None,
                    ip: str | None = None) -> Campaign:
    """Edits the campaign. A change to the eligibility rules or dates counts as a new version of the rules:
    once a seed is committed, the draw then refuses to run until a new seed is committed."""
    campaign_manage_require(by, campaign)
    if campaign.drawn_at is not None and RULE_FIELDS & {k for k, v in values.items() if getattr(campaign, k) != v}:
        raise ValidationError(_("The winners are drawn: the rules and dates can no longer change."))
    _check_dates(values.get("starts_at", campaign.starts_at), values.get("ends_at", campaign.ends_at))
    featured = values.get("featured_post")
    if featured is not None and featured.campaign_id != campaign.pk:
        raise ValidationError({"featured_post": _("Feature one of the campaign's own posts.")})
    before = snapshot(campaign, sorted(RULE_FIELDS))
    audited_update(campaign, fields=CAMPAIGN_FIELDS, values=values, by=by, action="campaign.update", ip=ip)
    if changes_between(before, snapshot(campaign, sorted(RULE_FIELDS))):
        campaign.rules_version += 1
        campaign.save(update_fields=["rules_version"])
    if accounts is not None and set(accounts) != set(campaign.accounts.all()):
        campaign_create_require(by, accounts)
        if not accounts:
            raise ValidationError({"accounts": _("Choose the accounts the campaign runs on.")})
        old = sorted(a.name for a in campaign.accounts.all())
        campaign.accounts.set(accounts)
        audit_record(actor=by, action="campaign.update", target=campaign, ip=ip,
                     changes={"accounts": [old, sorted(a.name for a in accounts)]})
    return campaign


@transaction.atomic
def campaign_goals_set(*, campaign: Campaign, by: User, targets: dict[str, int | None]) -> list[Goal]:
    """Sets the targets given (None or 0 removes one); returns the campaign's goals."""
    campaign_manage_require(by, campaign)
    unknown = set(targets) - set(Metric.values)
    if unknown:
        raise ValidationError({"metric": _("Unknown metric: %(names)s.") % {"names": ", ".join(sorted(unknown))}})
    before = {g.metric: g.target for g in campaign.goals.all()}
    for metric, target in targets.items():
        if target is not None and target < 0:
            raise ValidationError({metric: _("A target cannot be negative.")})
        if target:
            Goal.objects.update_or_create(campaign=campaign, metric=metric, defaults={"target": target})
        else:
            Goal.objects.filter(campaign=campaign, metric=metric).delete()
    after = {g.metric: g.target for g in campaign.goals.all()}
    if before != after:
        audit_record(actor=by, action="campaign.goals", target=campaign,
                     changes={m: [before.get(m), after.get(m)] for m in set(before) | set(after)
                              if before.get(m) != after.get(m)})
    return list(campaign.goals.all())


def _state_change(campaign: Campaign, by: User | None, allowed: set[str], to: str, action: str) -> Campaign:
    changed = Campaign.objects.filter(pk=campaign.pk, state__in=allowed).update(state=to, updated_at=timezone.now())
    if not changed:
        raise ValidationError(_("The campaign is %(state)s: it cannot go to “%(to)s” from there.")
                              % {"state": campaign.get_state_display(), "to": CampaignState(to).label})
    audit_record(actor=by, action=action, target=campaign, changes={"state": [campaign.state, to]})
    campaign.state = to
    return campaign


@transaction.atomic
def campaign_start(*, campaign: Campaign, by: User | None) -> Campaign:
    """Planning → live (by the lead, or by the clock at the start time)."""
    if by is not None:
        campaign_manage_require(by, campaign)
    return _state_change(campaign, by, {CampaignState.PLANNING}, CampaignState.LIVE, "campaign.start")


@transaction.atomic
def campaign_close(*, campaign: Campaign, by: User) -> Campaign:
    campaign_manage_require(by, campaign)
    return _state_change(campaign, by, {CampaignState.LIVE, CampaignState.DRAWN}, CampaignState.CLOSED,
                         "campaign.close")


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by: User) -> Campaign:
    campaign_manage_require(by, campaign)
    return _state_change(campaign, by, {CampaignState.PLANNING, CampaignState.LIVE}, CampaignState.CANCELLED,
                         "campaign.cancel")


@transaction.atomic
def campaign_close_entries(*, campaign: Campaign, by: User, now: datetime | None = None) -> Campaign:
    """Ends the entry window now (a campaign that reached its goal early, or a plan that changed). The window is
    a rule: a seed committed before this must be committed again before the draw."""
    now = now or timezone.now()
    if now >= campaign.ends_at:
        raise ValidationError(_("Entries already closed on %(end)s.")
                              % {"end": timezone.localtime(campaign.ends_at).strftime("%Y-%m-%d %H:%M")})
    if now <= campaign.starts_at:
        raise ValidationError(_("The campaign has not started: cancel it instead."))
    return campaign_update(campaign=campaign, by=by, values={"ends_at": now})


def campaigns_start_due(*, now: datetime | None = None) -> int:
    """Campaigns whose start time has come go live (the clock acts: no person in the audit log)."""
    now = now or timezone.now()
    started = 0
    for campaign in Campaign.objects.filter(state=CampaignState.PLANNING, starts_at__lte=now):
        try:
            campaign_start(campaign=campaign, by=None)
            started += 1
        except ValidationError:  # another worker started it
            continue
    return started


# --- the plan across departments ----------------------------------------------------------------------

def _reaches(start: list[Task], goal: Task) -> bool:
    """Whether ``goal`` is among ``start`` or what they wait for, however far back."""
    seen: set[int] = set()
    frontier = [t.pk for t in start]
    while frontier:
        if goal.pk in frontier:
            return True
        seen.update(frontier)
        frontier = [pk for pk in Task.depends_on.through.objects.filter(from_task_id__in=frontier)
                    .values_list("to_task_id", flat=True) if pk not in seen]
    return False


def _dependencies_set(task: Task, depends_on: list[Task]) -> None:
    if any(other.campaign_id != task.campaign_id for other in depends_on):
        raise ValidationError({"depends_on": _("A task can only wait for tasks of the same campaign.")})
    if task.pk and _reaches(depends_on, task):
        raise ValidationError({"depends_on": _("“%(task)s” would end up waiting for itself: a dependency cycle. "
                                               "Remove one of the waits.") % {"task": task.title}})
    task.depends_on.set(depends_on)


@transaction.atomic
def task_create(*, campaign: Campaign, by: User, title: str, department: Department, due_at: datetime,
                owner: User | None = None, depends_on: list[Task] | None = None, note: str = "",
                ip: str | None = None) -> Task:
    campaign_manage_require(by, campaign)
    assignee_available_require(owner, field="owner")
    if owner is not None and owner.department_id not in (None, department.pk) and owner.role == Role.DEPT_CONTACT:
        raise ValidationError({"owner": _("%(person)s is not in %(department)s.")
                               % {"person": owner, "department": department.name}})
    task = Task(campaign=campaign, title=title.strip(), department=department, owner=owner, due_at=due_at, note=note)
    audited_create(task, fields=TASK_FIELDS, by=by, action="campaign_task.create", ip=ip)
    _dependencies_set(task, depends_on or [])
    recipients = [owner] if owner is not None else list(department.people.filter(is_active=True))
    notice_send(recipients=[p for p in recipients if p != by], kind="campaign.task",
                title=_("New task for “%(campaign)s”: %(task)s, due %(due)s")
                % {"campaign": campaign.title, "task": task.title,
                   "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")},
                url=_url("my_tasks"), dedupe_key=f"task:{task.pk}")
    return task


@transaction.atomic
def task_update(*, task: Task, by: User, values: dict[str, Any], depends_on: list[Task] | None = None,
                ip: str | None = None) -> Task:
    """Edits what the task is (the campaign's runners); a new due time may be missed again, so it is told again."""
    campaign_manage_require(by, task.campaign)
    if "owner" in values and values["owner"] is not None and values["owner"].pk != task.owner_id:
        assignee_available_require(values["owner"], field="owner")
    due_before = task.due_at
    audited_update(task, fields=TASK_FIELDS, values=values, by=by, action="campaign_task.update", ip=ip)
    if depends_on is not None:
        _dependencies_set(task, depends_on)
    if task.due_at != due_before:
        Task.objects.filter(pk=task.pk).update(overdue_noticed_at=None)
    return task


@transaction.atomic
def task_state_set(*, task: Task, by: User, state: str, note: str | None = None, ip: str | None = None) -> Task:
    """The owner or their department moves the task along; done means done at this moment."""
    task_update_require(by, task)
    if state not in TaskState.values:
        raise ValidationError({"state": _("Choose to do, in progress or done.")})
    if state == TaskState.DONE:
        waiting = [t.title for t in task.depends_on.exclude(state=TaskState.DONE)]
        if waiting:
            raise ValidationError({"state": _("This task waits for: %(tasks)s. Finish those first.")
                                   % {"tasks": "、".join(waiting)}})
    values: dict[str, Any] = {"state": state, "done_at": timezone.now() if state == TaskState.DONE else None}
    if note is not None:
        values["note"] = note
    audited_update(task, fields=["state", "done_at", "note"], values=values, by=by, action="campaign_task.state",
                   ip=ip)
    return task


def tasks_flag_overdue(*, now: datetime | None = None) -> int:
    """Tells, once per due time, the owner (or the department), the campaign's lead, and the owners of the tasks
    it blocks, about every task past its due time; returns how many were told."""
    now = now or timezone.now()
    told = 0
    overdue = (Task.objects.filter(due_at__lt=now, overdue_noticed_at__isnull=True)
               .exclude(state=TaskState.DONE).exclude(campaign__state=CampaignState.CANCELLED)
               .select_related("campaign__lead", "department", "owner"))
    for task in overdue:
        with transaction.atomic():
            if not Task.objects.filter(pk=task.pk, overdue_noticed_at__isnull=True).update(overdue_noticed_at=now):
                continue  # another worker told it
            blocked = list(task.blocks.exclude(state=TaskState.DONE).select_related("owner"))
            recipients = ([task.owner] if task.owner else list(task.department.people.filter(is_active=True)))
            recipients += [task.campaign.lead] + [t.owner for t in blocked if t.owner]
            title = (_("Overdue and blocking %(n)s tasks: %(task)s (%(campaign)s)")
                     % {"n": len(blocked), "task": task.title, "campaign": task.campaign.title} if blocked else
                     _("Overdue: %(task)s (%(campaign)s)") % {"task": task.title, "campaign": task.campaign.title})
            contacts = {p for p in recipients if p.role == Role.DEPT_CONTACT}  # they see their tasks, not the plan
            plan = _url("campaign_plan", task.campaign_id)
            for people, url in ((contacts, _url("my_tasks")), ([p for p in recipients if p not in contacts], plan)):
                notice_send(recipients=list(people), kind="campaign.task_overdue", title=title, url=url,
                            dedupe_key=f"task-overdue:{task.pk}:{task.due_at.timestamp():.0f}")
            told += 1
    return told


# --- prizes ---------------------------------------------------------------------------------------------

@transaction.atomic
def prize_apply(*, campaign: Campaign, by: User, name: str, quantity: int, unit_cost: Decimal,
                ip: str | None = None) -> PrizeApplication:
    """Asks for a prize; the advisor's warnings are stored with it and the managers are told."""
    campaign_manage_require(by, campaign)
    prize = PrizeApplication(campaign=campaign, name=name.strip(), quantity=quantity, unit_cost=unit_cost,
                             requested_by=by)
    prize.full_clean()
    prize.warnings = prize_warnings(campaign=campaign, name=prize.name, quantity=quantity, unit_cost=unit_cost)
    audited_create(prize, fields=["name", "quantity", "unit_cost"], by=by, action="prize.apply", ip=ip)
    managers = User.objects.filter(Q(role__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True), is_active=True)
    notice_send(recipients=[m for m in managers if m != by], kind="campaign.prize",
                title=_("Prize to approve for “%(campaign)s”: %(prize)s") % {"campaign": campaign.title,
                                                                            "prize": str(prize)},
                url=_url("campaign_prizes", campaign.pk), dedupe_key=f"prize:{prize.pk}")
    return prize


@transaction.atomic
def prize_decide(*, prize: PrizeApplication, by: User, approve: bool, note: str = "",
                 ip: str | None = None) -> PrizeApplication:
    """A manager approves or refuses; an approval above the prize budget is refused with the figures."""
    prize_decide_require(by, prize)
    if prize.state != PrizeState.PENDING:
        raise ValidationError(_("This prize was already decided on."))
    if approve:
        approved = sum((p.total_cost for p in prize.campaign.prizes.filter(state=PrizeState.APPROVED)),
                       Decimal("0"))
        if approved + prize.total_cost > prize.campaign.prize_budget:
            raise ValidationError(_("Approving this would spend %(total)s yuan on prizes, above the budget of "
                                    "%(budget)s yuan. Raise the prize budget or ask for fewer.")
                                  % {"total": f"{approved + prize.total_cost:.2f}",
                                     "budget": f"{prize.campaign.prize_budget:.2f}"})
    elif not note.strip():
        raise ValidationError({"note": _("Say why the prize is refused: whoever asked reads it.")})
    audited_update(prize, fields=["state", "decided_by", "decided_at", "decision_note"], by=by, ip=ip,
                   action="prize.decide", values={"state": PrizeState.APPROVED if approve else PrizeState.REFUSED,
                                                  "decided_by": by, "decided_at": timezone.now(),
                                                  "decision_note": note.strip()})
    notice_send(recipients=[prize.requested_by], kind="campaign.prize_decided",
                title=(_("Prize approved: %(prize)s") if approve else _("Prize refused: %(prize)s"))
                % {"prize": str(prize)}, body=note, url=_url("campaign_prizes", prize.campaign_id),
                dedupe_key=f"prize-decided:{prize.pk}")
    return prize


# --- participants, the draw, delivery -----------------------------------------------------------------

@transaction.atomic
def participant_override(*, participant: Participant, by: User, eligible: bool | None, reason: str,
                         ip: str | None = None) -> Participant:
    """A person decides over the rules (None hands the decision back to them); who and why are kept."""
    campaign = participant.campaign
    campaign_manage_require(by, campaign)
    if campaign.drawn_at is not None:
        raise ValidationError(_("The winners are drawn: eligibility can no longer change."))
    if eligible is not None and not reason.strip():
        raise ValidationError({"reason": _("Say why you decide over the rules: it is shown with the decision.")})
    audited_update(participant, fields=["override", "override_reason", "override_by", "override_at", "eligible"],
                   by=by, ip=ip, action="participant.override",
                   values={"override": eligible, "override_reason": reason.strip() if eligible is not None else "",
                           "override_by": by if eligible is not None else None,
                           "override_at": timezone.now() if eligible is not None else None,
                           "eligible": participant.ruled_eligible if eligible is None else eligible})
    return participant


def _draw_ready(campaign: Campaign) -> None:
    if not campaign.has_draw:
        raise ValidationError(_("A %(kind)s campaign has no draw.") % {"kind": campaign.get_kind_display()})
    if campaign.winners_count < 1:
        raise ValidationError({"winners_count": _("Set how many winners the draw picks first.")})


@transaction.atomic
def campaign_commit_seed(*, campaign: Campaign, by: User, ip: str | None = None) -> Campaign:
    """Makes the secret seed and publishes its hash; a new commitment replaces an older one until the draw."""
    campaign_manage_require(by, campaign)
    _draw_ready(campaign)
    if campaign.drawn_at is not None:
        raise ValidationError(_("The winners are already drawn."))
    seed = drawing.seed_new()
    before = campaign.seed_hash
    campaign.seed, campaign.seed_hash = seed, drawing.seed_commitment(seed)
    campaign.committed_at, campaign.committed_rules_version = timezone.now(), campaign.rules_version
    campaign.save(update_fields=["seed", "seed_hash", "committed_at", "committed_rules_version", "updated_at"])
    audit_record(actor=by, action="campaign.commit", target=campaign, ip=ip,
                 changes={"seed_hash": [before or None, campaign.seed_hash]})
    return campaign


def eligible_uids(campaign: Campaign) -> list[str]:
    return list(Participant.objects.filter(campaign=campaign, eligible=True).values_list("uid", flat=True))


def _prize_slots(campaign: Campaign) -> list[PrizeApplication]:
    """Approved prizes one per unit, in the order asked for: winner 1 gets the first."""
    return [prize for prize in campaign.prizes.filter(state=PrizeState.APPROVED).order_by("created_at", "id")
            for _unit in range(prize.quantity)]


def campaign_draw(*, campaign: Campaign, by: User, now: datetime | None = None, followers: set[str] | None = None,
                  ip: str | None = None) -> list[Winner]:
    """Evaluates eligibility one last time, publishes the list, draws, reveals the seed and queues telling the
    winners. Refused before the commitment, after the rules changed since it, before entries close, twice."""
    now = now or timezone.now()
    campaign_manage_require(by, campaign)
    _draw_ready(campaign)
    if campaign.drawn_at is not None:
        raise ValidationError(_("The winners were drawn on %(at)s; a draw never runs twice.")
                              % {"at": timezone.localtime(campaign.drawn_at).strftime("%Y-%m-%d %H:%M")})
    if not campaign.committed_at:
        raise ValidationError(_("Commit the seed first: its hash must be public before the draw."))
    if campaign.committed_rules_version != campaign.rules_version:
        raise ValidationError(_("The rules changed after the seed was committed. Commit a new seed, so that the "
                                "public sees the rules that decided before the draw."))
    if now < campaign.ends_at:
        raise ValidationError(_("Entries are open until %(end)s: draw after they close.")
                              % {"end": timezone.localtime(campaign.ends_at).strftime("%Y-%m-%d %H:%M")})
    eligibility.participants_evaluate(campaign=campaign, followers=followers, now=now)
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, drawn_at__isnull=True).update(drawn_at=now):
            raise ValidationError(_("Someone else drew the winners a moment ago."))
        published = drawing.participants_text(eligible_uids(campaign))
        seed = campaign.seed
        winners_uids = drawing.winners(drawing.participants_parse(published), seed, campaign.winners_count)
        campaign.drawn_at, campaign.drawn_by, campaign.revealed_seed = now, by, seed
        campaign.participants_digest = drawing.digest(published)
        campaign.state = CampaignState.DRAWN
        campaign.save(update_fields=["drawn_at", "drawn_by", "revealed_seed", "participants_digest", "state",
                                     "updated_at"])
        people = {p.uid: p for p in Participant.objects.filter(campaign=campaign, uid__in=winners_uids)}
        prizes = _prize_slots(campaign)
        winners = Winner.objects.bulk_create(
            Winner(campaign=campaign, participant=people[uid], rank=rank,
                   prize=prizes[rank - 1] if rank <= len(prizes) else None)
            for rank, uid in enumerate(winners_uids, start=1))
        audit_record(actor=by, action="campaign.draw", target=campaign, ip=ip,
                     changes={"winners": [None, len(winners)],
                              "participants_digest": [None, campaign.participants_digest]})
        enqueue_on_commit(WINNERS_NOTIFY_TASK, campaign.pk)
    return winners


@transaction.atomic
def winner_delivery_update(*, winner: Winner, by: User, state: str, tracking: str = "", note: str = "",
                           ip: str | None = None) -> Winner:
    campaign_manage_require(by, winner.campaign)
    if state == "shipped" and not tracking.strip():
        raise ValidationError({"tracking": _("Give the tracking number of the parcel.")})
    return audited_update(winner, fields=["delivery_state", "tracking", "delivery_note", "delivery_updated_at"],
                          by=by, ip=ip, action="winner.delivery",
                          values={"delivery_state": state, "tracking": tracking.strip(), "delivery_note": note.strip(),
                                  "delivery_updated_at": timezone.now()})


def _remind_once(campaign: Campaign, field: str, now: datetime, *, kind: str, title: str, body: str) -> int:
    if not Campaign.objects.filter(pk=campaign.pk, **{f"{field}__isnull": True}).update(**{field: now}):
        return 0  # another worker reminded
    notice_send(recipients=[campaign.lead], kind=kind, title=title, body=body, url=_url("campaign", campaign.pk),
                dedupe_key=f"{kind}:{campaign.pk}")
    return 1


def campaigns_pin_remind(*, now: datetime | None = None) -> int:
    """The featured post is pinned (置顶) for the campaign's run and unpinned after it. Weibo's open API has no
    pin call, so the lead is reminded, once each: to pin when the post is out, to unpin when the campaign
    ends. Returns how many reminders were sent."""
    now = now or timezone.now()
    sent = 0
    live = (Campaign.objects.filter(state__in=[CampaignState.LIVE, CampaignState.DRAWN],
                                    featured_post__isnull=False)
            .select_related("lead", "featured_post").prefetch_related("featured_post__targets__account"))
    for campaign in live:
        published = [t for t in campaign.featured_post.targets.all() if t.published_at and t.url]
        where = "、".join(f"{t.account.name} {t.url}" for t in published)
        end = timezone.localtime(campaign.ends_at).strftime("%Y-%m-%d %H:%M")
        if published and campaign.pin_reminded_at is None and now < campaign.ends_at:
            sent += _remind_once(campaign, "pin_reminded_at", now, kind="campaign.pin", body=where,
                                 title=_("Pin the featured post of “%(campaign)s” until %(end)s")
                                 % {"campaign": campaign.title, "end": end})
        elif campaign.pin_reminded_at is not None and campaign.unpin_reminded_at is None and now >= campaign.ends_at:
            sent += _remind_once(campaign, "unpin_reminded_at", now, kind="campaign.unpin", body=where,
                                 title=_("“%(campaign)s” has ended: unpin its featured post")
                                 % {"campaign": campaign.title})
    return sent


def campaign_participants_check(*, campaign: Campaign, by: User) -> eligibility.Evaluation:
    """Applies the rules to everyone who entered so far (the followers read within the budget), so that the team
    sees who is excluded and why before the draw, and can decide over the rules where they are wrong."""
    campaign_manage_require(by, campaign)
    if campaign.drawn_at is not None:
        raise ValidationError(_("The winners are drawn: eligibility was fixed by the draw."))
    return eligibility.participants_evaluate(campaign=campaign)


def campaigns_tick(*, now: datetime | None = None) -> dict[str, int]:
    """What the clock does for campaigns, once a minute: campaigns whose start has come go live, overdue tasks
    are told, the featured post's pin and unpin reminders go out."""
    now = now or timezone.now()
    return {"started": campaigns_start_due(now=now), "overdue": tasks_flag_overdue(now=now),
            "pin_reminders": campaigns_pin_remind(now=now)}
