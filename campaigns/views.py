"""Pages: the intake, campaigns and their goals, the plan across departments (and a department's own tasks),
prizes, participants, the draw and its public verification. They translate requests into calls of selectors and
services, and nothing else; who may do what is ``campaigns.access`` (buttons shown only to who may press them)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from positioning.models import Brand
from team.models import Role
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip, next_url

from . import draw as drawing
from . import selectors, services
from .access import (
    activities_for,
    activity_decide_require,
    campaign_manage_require,
    campaign_view_require,
    campaigns_for,
    is_weibo_team,
    task_update_allowed,
)
from .eligibility import REASON_LABELS, REASON_TEXT, reason_words
from .forms import (
    ActivityForm,
    CampaignForm,
    DeclineForm,
    DeliveryForm,
    GoalsForm,
    OverrideForm,
    PrizeDecideForm,
    PrizeForm,
    TaskForm,
    TaskStateForm,
    VerifyForm,
    campaign_initial,
    task_initial,
)
from .models import (
    Activity,
    ActivityState,
    Campaign,
    Participant,
    PrizeApplication,
    PrizeState,
    Task,
    TaskState,
    Winner,
)
from .prizes import SUGGESTION, prize_warnings, warning_words

LIST_TABS = ("active", "closed", "all")  # the list's tabs; their labels are in the template
TIMELINE_DAYS_MAX = 120  # days the timeline spans at most: beyond that the bars would be slivers


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _campaign(request, pk: int) -> Campaign:
    campaign = get_object_or_404(Campaign.objects.select_related("brand", "lead", "activity", "featured_post",
                                                                 "stats"), pk=pk)
    campaign_view_require(request.user, campaign)
    return campaign


def _weibo_side(request, pk: int) -> Campaign:
    """The campaign, for pages of its Weibo side (participants, the draw): not for department contacts."""
    campaign = _campaign(request, pk)
    if not selectors.sees_weibo_side(request.user, campaign):
        raise PermissionDenied(_("This part of the campaign is for the Weibo team. Your tasks are under “My "
                                 "tasks”."))
    return campaign


def _context(request, campaign: Campaign, **more) -> dict:
    return {"campaign": campaign, "can": selectors.campaign_access(request.user, campaign), **more}


def _refusal(request, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("You may not do that."))
        return
    for message in error.messages:
        messages.error(request, message)


# --- campaigns -------------------------------------------------------------------------------------------

@login_required
@require_GET
def campaign_list(request):
    """The duty's front page. A department contact works on tasks, not campaigns: their tasks instead."""
    if request.user.role == Role.DEPT_CONTACT:
        return redirect("campaigns:my_tasks")
    state = request.GET.get("state", "active")
    if state not in LIST_TABS:
        state = "active"
    return render(request, "campaigns/list.html", {
        "campaigns": list(selectors.campaign_list(user=request.user, state=state)), "state": state,
        "weibo_team": is_weibo_team(request.user), "new_intake": selectors.open_intake_count(request.user),
    })


def _brand_of(accounts, fallback: Activity | None) -> Brand | None:
    if accounts:
        return accounts[0].brand
    return fallback.brand if fallback is not None else None


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    activity = None
    activity_id = request.GET.get("activity", "")
    if activity_id.isascii() and activity_id.isdigit() and len(activity_id) < 19:
        activity = get_object_or_404(activities_for(request.user), pk=activity_id)
        activity_decide_require(request.user, activity)
    elif not is_weibo_team(request.user):
        raise PermissionDenied(_("Only the Weibo team starts campaigns. Register the activity instead: the Weibo "
                                 "team is told at once."))
    initial = {"lead": request.user.pk, "rule_follow": True}
    if activity is not None:
        initial.update(title=activity.title, sponsor=activity.sponsor, brief=activity.description,
                       starts_at=timezone.make_aware(datetime.combine(activity.starts_on, time(0, 0))),
                       ends_at=timezone.make_aware(datetime.combine(activity.ends_on, time(23, 59))))
    form = CampaignForm(request.POST or None, by=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        accounts = list(form.cleaned_data["accounts"])
        try:
            campaign = services.campaign_create(
                brand=_brand_of(accounts, activity), by=request.user, accounts=accounts, activity=activity,
                ip=client_ip(request), **form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Campaign created. Next: its goals and its plan."))
            return redirect("campaigns:campaign", campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "activity": activity, "campaign": None},
                  status=_status(form))


@login_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    can = selectors.campaign_access(request.user, campaign)
    tasks = list(selectors.campaign_tasks(campaign=campaign))
    return render(request, "campaigns/detail.html", _context(
        request, campaign, accounts=list(campaign.accounts.all()), goals=selectors.goal_figures(campaign),
        tasks_open=sum(1 for t in tasks if t.state != TaskState.DONE),
        tasks_overdue=sum(1 for t in tasks if t.overdue), tasks_blocking=sum(1 for t in tasks if t.blocking),
        prizes_pending=campaign.prizes.filter(state=PrizeState.PENDING).count(),
        posts=selectors.campaign_posts(campaign) if can.weibo_side else [],
        counts=selectors.participant_counts(campaign=campaign) if can.weibo_side else None,
        entries_open=campaign.starts_at < timezone.now() < campaign.ends_at,
    ))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int):
    campaign = _campaign(request, pk)
    campaign_manage_require(request.user, campaign)
    form = CampaignForm(request.POST or None, by=request.user, campaign=campaign, initial=campaign_initial(campaign))
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, by=request.user, values=form.values(),
                                     accounts=list(form.cleaned_data["accounts"]), ip=client_ip(request))
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("campaigns:campaign", campaign.pk)
    return render(request, "campaigns/campaign_form.html", _context(request, campaign, form=form, activity=None),
                  status=_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_goals(request, pk: int):
    campaign = _campaign(request, pk)
    campaign_manage_require(request.user, campaign)
    initial = {goal.metric: goal.target for goal in campaign.goals.all()}
    form = GoalsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_goals_set(campaign=campaign, by=request.user, targets=form.targets())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Goals saved."))
            return redirect("campaigns:campaign", campaign.pk)
    return render(request, "campaigns/goals.html", _context(request, campaign, form=form), status=_status(form))


@login_required
@require_POST
def campaign_state(request, pk: int):
    campaign = _campaign(request, pk)
    action = {"start": services.campaign_start, "close": services.campaign_close,
              "cancel": services.campaign_cancel, "close_entries": services.campaign_close_entries,
              }.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    try:
        action(campaign=campaign, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Entries are closed.") if request.POST["action"] == "close_entries"
                         else _("The campaign is now: %(state)s.") % {"state": campaign.get_state_display()})
    return redirect("campaigns:campaign", campaign.pk)


# --- intake ----------------------------------------------------------------------------------------------

@login_required
@require_GET
def intake(request):
    state = request.GET.get("state", ActivityState.NEW)
    if state not in {*ActivityState.values, "all"}:
        state = ActivityState.NEW
    return render(request, "campaigns/intake.html", {
        "activities": list(selectors.activity_list(user=request.user, state="" if state == "all" else state)),
        "state": state, "states": ActivityState.choices, "weibo_team": is_weibo_team(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request):
    form = ActivityForm(request.POST or None, by=request.user)
    brands = list(Brand.objects.order_by("name")[:2])
    if request.method == "POST" and form.is_valid():
        if not brands:
            form.add_error(None, _("No brand is set up yet: ask a manager to create it first."))
        else:
            data = form.cleaned_data
            try:
                activity = services.activity_register(
                    brand=brands[0], by=request.user, title=data["title"], kind=data["kind"],
                    department=data["department"], owner=data["owner"], sponsor=data["sponsor"],
                    starts_on=data["starts_on"], ends_on=data["ends_on"], description=data["description"],
                    ip=client_ip(request))
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Registered. The Weibo team has been told."))
                return redirect("campaigns:activity", activity.pk)
    return render(request, "campaigns/activity_form.html", {"form": form}, status=_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def activity_detail(request, pk: int):
    activity = get_object_or_404(activities_for(request.user).select_related("campaign"), pk=pk)
    weibo_team = is_weibo_team(request.user, activity.brand)
    form = DeclineForm(request.POST or None)
    if request.method == "POST":
        activity_decide_require(request.user, activity)
        if form.is_valid():
            try:
                services.activity_decline(activity=activity, by=request.user, reason=form.cleaned_data["reason"],
                                          ip=client_ip(request))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Declined; the department has been told why."))
                return redirect("campaigns:activity", activity.pk)
    campaign = getattr(activity, "campaign", None)
    return render(request, "campaigns/activity.html", {
        "activity": activity, "form": form, "weibo_team": weibo_team,
        "campaign": campaign if campaign is not None and _visible(request.user, campaign) else None,
    }, status=_status(form))


def _visible(user, campaign: Campaign) -> bool:
    return (user.role != Role.DEPT_CONTACT
            and selectors.campaign_list(user=user, state="all").filter(pk=campaign.pk).exists())


# --- the plan ----------------------------------------------------------------------------------------------

def _timeline(tasks: list[Task], campaign: Campaign) -> dict | None:
    """Bars by due date: each task from the campaign's start (or its creation, if later) to its due day."""
    if not tasks:
        return None
    today = timezone.localdate()
    first = min([timezone.localtime(campaign.starts_at).date(), today,
                 *(timezone.localtime(t.created_at).date() for t in tasks)])
    last = max([timezone.localtime(campaign.ends_at).date(), *(timezone.localtime(t.due_at).date() for t in tasks)])
    if (last - first).days > TIMELINE_DAYS_MAX:
        first = max(first, today - timedelta(days=TIMELINE_DAYS_MAX // 4))
        last = first + timedelta(days=TIMELINE_DAYS_MAX)
    span = (last - first).days + 1
    rows = []
    for task in sorted(tasks, key=lambda t: (t.due_at, t.pk)):
        due = min(max(timezone.localtime(task.due_at).date(), first), last)
        start = min(max(timezone.localtime(task.created_at).date(), first), due)
        rows.append({"task": task, "start": (start - first).days + 1, "end": (due - first).days + 2})
    return {"days": span, "first": first, "last": last, "rows": rows,
            "today": (today - first).days + 1 if first <= today <= last else None}


@login_required
@require_GET
def campaign_plan(request, pk: int):
    campaign = _campaign(request, pk)
    tasks = list(selectors.campaign_tasks(campaign=campaign))
    for task in tasks:
        task.may_update = task_update_allowed(request.user, task)
    return render(request, "campaigns/plan.html", _context(
        request, campaign, tasks=tasks, timeline=_timeline(tasks, campaign), states=TaskState.choices,
        view="timeline" if request.GET.get("view") == "timeline" else "list"))


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request, pk: int):
    campaign = _campaign(request, pk)
    campaign_manage_require(request.user, campaign)
    form = TaskForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.task_create(campaign=campaign, by=request.user, title=data["title"],
                                 department=data["department"], owner=data["owner"], due_at=data["due_at"],
                                 depends_on=list(data["depends_on"]), note=data["note"], ip=client_ip(request))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Task added; its department has been told."))
            return redirect("campaigns:campaign_plan", campaign.pk)
    return render(request, "campaigns/task_form.html", _context(request, campaign, form=form, task=None),
                  status=_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request, task_id: int):
    task = get_object_or_404(Task.objects.select_related("campaign__brand", "campaign__lead"), pk=task_id)
    campaign = _campaign(request, task.campaign_id)
    campaign_manage_require(request.user, campaign)
    form = TaskForm(request.POST or None, campaign=campaign, task=task, initial=task_initial(task))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.task_update(task=task, by=request.user, depends_on=list(data["depends_on"]),
                                 values={k: data[k] for k in ["title", "department", "owner", "due_at", "note"]},
                                 ip=client_ip(request))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("campaigns:campaign_plan", campaign.pk)
    return render(request, "campaigns/task_form.html", _context(request, campaign, form=form, task=task),
                  status=_status(form))


@login_required
@require_POST
def task_state(request, task_id: int):
    task = get_object_or_404(Task.objects.select_related("campaign", "department"), pk=task_id)
    if not task_update_allowed(request.user, task):
        raise PermissionDenied(_("This task is for %(department)s. Its owner or the campaign's lead updates it.")
                               % {"department": task.department.name})
    form = TaskStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to do, in progress or done."))
    else:
        try:
            services.task_state_set(task=task, by=request.user, state=form.cleaned_data["state"],
                                    ip=client_ip(request))
        except (ValidationError, PermissionDenied) as error:
            _refusal(request, error)
        else:
            messages.success(request, _("“%(task)s”: %(state)s.") % {"task": task.title,
                                                                   "state": task.get_state_display()})
    return redirect(next_url(request, reverse("campaigns:my_tasks")))


def _my_tasks_context(request) -> dict:
    tasks = list(selectors.my_tasks(user=request.user))
    # A department contact sees the task, not the campaign's pages; the Weibo team gets a link to the plan.
    planners = set() if request.user.role == Role.DEPT_CONTACT or not tasks else set(
        campaigns_for(request.user).filter(pk__in={t.campaign_id for t in tasks}).values_list("pk", flat=True))
    for task in tasks:
        task.show_plan = task.campaign_id in planners
    return {"tasks": tasks, "states": TaskState.choices, "overdue": sum(1 for t in tasks if t.overdue)}


@login_required
@require_GET
def my_tasks(request):
    return render(request, "campaigns/my_tasks.html", _my_tasks_context(request))


@login_required
@require_GET
def my_tasks_part(request):
    """The same list as a block of another page (the department desk loads it with htmx)."""
    return render(request, "campaigns/_my_tasks.html", {**_my_tasks_context(request),
                                                         "back": next_url(request, reverse("campaigns:my_tasks"))})


# --- prizes --------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def campaign_prizes(request, pk: int):
    campaign = _campaign(request, pk)
    can = selectors.campaign_access(request.user, campaign)
    form = PrizeForm(request.POST or None)
    advice: list[str] = []
    if request.method == "POST":
        campaign_manage_require(request.user, campaign)
        if form.is_valid():
            data = form.cleaned_data
            advice = warning_words(prize_warnings(campaign=campaign, name=data["name"], quantity=data["quantity"],
                                                  unit_cost=data["unit_cost"]))
            if advice and request.POST.get("confirm") != "1":
                pass  # shown with the form: submit again to apply anyway
            else:
                try:
                    prize = services.prize_apply(campaign=campaign, by=request.user, name=data["name"],
                                                 quantity=data["quantity"], unit_cost=data["unit_cost"],
                                                 ip=client_ip(request))
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, _("Applied for %(prize)s; the managers have been told.")
                                     % {"prize": str(prize)})
                    return redirect("campaigns:campaign_prizes", campaign.pk)
    prizes = list(selectors.prize_list(campaign=campaign))
    for prize in prizes:
        prize.warning_words = warning_words(prize.warnings)
        prize.may_decide = (prize.state == PrizeState.PENDING and request.user.is_org_wide
                            and prize.requested_by_id != request.user.pk)
    return render(request, "campaigns/prizes.html", _context(
        request, campaign, form=form, prizes=prizes, advice=advice, suggestion=SUGGESTION,
        decide_form=PrizeDecideForm(), may_apply=can.manage,
        approved=sum((p.total_cost for p in prizes if p.state == PrizeState.APPROVED), 0),
    ), status=400 if (form.is_bound and form.errors) else 200)


@login_required
@require_POST
def prize_decide(request, prize_id: int):
    prize = get_object_or_404(PrizeApplication.objects.select_related("campaign"), pk=prize_id)
    campaign = _campaign(request, prize.campaign_id)
    form = PrizeDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or to refuse."))
    else:
        try:
            services.prize_decide(prize=prize, by=request.user, approve=form.cleaned_data["decision"] == "approve",
                                  note=form.cleaned_data["note"], ip=client_ip(request))
        except (ValidationError, PermissionDenied) as error:
            _refusal(request, error)
        else:
            messages.success(request, _("Decided: %(prize)s is %(state)s.")
                             % {"prize": str(prize), "state": prize.get_state_display()})
    return redirect("campaigns:campaign_prizes", campaign.pk)


# --- participants -----------------------------------------------------------------------------------------------

@login_required
@require_GET
def campaign_participants(request, pk: int):
    campaign = _weibo_side(request, pk)
    show = request.GET.get("show", "")
    show = show if show in ("eligible", "excluded") else ""
    reason = request.GET.get("reason", "")
    reason = reason if reason in REASON_TEXT else ""
    after = request.GET.get("after", "")
    after = int(after) if after.isascii() and after.isdigit() and len(after) < 19 else None
    people = selectors.participant_list(campaign=campaign, show=show, reason=reason, after=after)
    for person in people:
        person.reason_words = reason_words(person.reasons)
    counts = selectors.participant_counts(campaign=campaign)
    return render(request, "campaigns/participants.html", _context(
        request, campaign, people=people, counts=counts, show=show, reason=reason,
        by_reason=[(code if code in REASON_TEXT else "", REASON_LABELS.get(code, code), n)
                   for code, n in counts.by_reason],
        next_after=people[-1].pk if len(people) == selectors.PARTICIPANTS_PAGE else None,
        override_form=OverrideForm(), drawn=campaign.drawn_at is not None))


@login_required
@require_POST
def participants_check(request, pk: int):
    campaign = _weibo_side(request, pk)
    campaign_manage_require(request.user, campaign)
    try:
        result = services.campaign_participants_check(campaign=campaign, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Rules applied to %(n)s participants: %(e)s eligible.")
                         % {"n": result.participants, "e": result.eligible})
        for problem in result.follower_problems:
            messages.warning(request, _("The followers list could not be read in full (%(problem)s): people "
                                        "with no pushed follow event may show as not following.")
                             % {"problem": problem})
    return redirect("campaigns:campaign_participants", campaign.pk)


@login_required
@require_POST
def participant_override(request, participant_id: int):
    person = get_object_or_404(Participant.objects.select_related("campaign"), pk=participant_id)
    campaign = _weibo_side(request, person.campaign_id)
    campaign_manage_require(request.user, campaign)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
    else:
        try:
            services.participant_override(participant=person, by=request.user, eligible=form.eligible(),
                                          reason=form.cleaned_data["reason"], ip=client_ip(request))
        except (ValidationError, PermissionDenied) as error:
            _refusal(request, error)
        else:
            messages.success(request, _("Decision recorded for %(person)s.") % {"person": str(person)})
    return redirect(next_url(request, reverse("campaigns:campaign_participants", args=[campaign.pk])))


# --- the draw ---------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def campaign_draw(request, pk: int):
    campaign = _weibo_side(request, pk)
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "commit":
                services.campaign_commit_seed(campaign=campaign, by=request.user, ip=client_ip(request))
                messages.success(request, _("Seed committed: its hash is public now."))
            elif action == "draw":
                winners = services.campaign_draw(campaign=campaign, by=request.user, ip=client_ip(request))
                messages.success(request, _("%(n)s winners drawn; the seed is revealed and they are being told.")
                                 % {"n": len(winners)})
            else:
                raise Http404
        except ValidationError as error:
            errors = error.messages
        except PermissionDenied as error:
            errors = [str(error)]
        else:
            return redirect("campaigns:campaign_draw", campaign.pk)
        campaign.refresh_from_db()
    winners = list(selectors.winner_list(campaign=campaign))
    return render(request, "campaigns/draw.html", _context(
        request, campaign, errors=errors, winners=winners, counts=selectors.participant_counts(campaign=campaign),
        delivery_form=DeliveryForm(), rules_changed=bool(campaign.committed_at)
        and campaign.committed_rules_version != campaign.rules_version,
        public_url=request.build_absolute_uri(reverse("campaigns:public_draw", args=[campaign.pk]))),
        status=400 if errors else 200)


@login_required
@require_POST
def winner_delivery(request, winner_id: int):
    winner = get_object_or_404(Winner.objects.select_related("campaign", "participant"), pk=winner_id)
    campaign = _weibo_side(request, winner.campaign_id)
    campaign_manage_require(request.user, campaign)
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the delivery state."))
    else:
        data = form.cleaned_data
        try:
            services.winner_delivery_update(winner=winner, by=request.user, state=data["delivery_state"],
                                            tracking=data["tracking"], note=data["note"], ip=client_ip(request))
        except (ValidationError, PermissionDenied) as error:
            _refusal(request, error)
        else:
            messages.success(request, _("Delivery updated for %(person)s.") % {"person": str(winner.participant)})
    return redirect("campaigns:campaign_draw", campaign.pk)


# --- public verification (no sign-in) ------------------------------------------------------------------------------

def _public_campaign(pk: int) -> Campaign:
    """Only a campaign whose seed is committed is public: before that there is nothing to verify, and a campaign
    still being planned is not announced."""
    return get_object_or_404(Campaign.objects.exclude(committed_at=None), pk=pk)


def _published_list(campaign: Campaign) -> str:
    return drawing.participants_text(services.eligible_uids(campaign))


@require_http_methods(["GET", "POST"])
def public_draw(request, pk: int):
    campaign = _public_campaign(pk)
    drawn = campaign.drawn_at is not None
    winners = list(selectors.winner_list(campaign=campaign).values_list("participant__uid", flat=True)) if drawn \
        else []
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = drawing.verify(participants=form.cleaned_data["participants"], seed=form.cleaned_data["seed"],
                                    count=campaign.winners_count, commitment=campaign.seed_hash,
                                    list_digest=campaign.participants_digest,
                                    published_winners=winners if drawn else None)
        except ValueError as error:
            form.add_error("participants", _("The list has a line that is not a Weibo uid (digits only): %(line)s")
                           % {"line": str(error)})
    return render(request, "campaigns/public_draw.html", {
        "campaign": campaign, "drawn": drawn, "winners": winners, "form": form, "result": result,
    }, status=_status(form))


@require_GET
def public_participants(request, pk: int):
    campaign = _public_campaign(pk)
    if campaign.drawn_at is None:
        raise Http404
    response = HttpResponse(_published_list(campaign), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-participants.txt"'
    return response
