"""Pages of the response to opinion: the alerts with their evidence, crisis incidents (grade and why, type and
handling, the checklist, the one voice of statements, the timeline, closing with the lessons learnt), the
printable post-incident report, and the watched repost cascades with their tree and the detector's signals.

Everyone who may see a brand's monitoring looks (``Can.VIEW``); PR people and managers change things
(``Can.RESPOND``); drafting a statement also needs the draft permission on the chosen accounts (content checks
it). The views translate requests into calls of ``sentiment.incidents`` and ``sentiment.selectors`` and show
every refusal on the page."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from content import selectors as content_selectors
from positioning.access import Action, accounts_for
from positioning.models import Brand
from team.models import User
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip, next_url

from . import alerts as alerts_services
from . import evidence as evidence_words
from . import incidents as incident_services
from . import labels, propagation, selectors
from .access import Can, brands_for, monitoring_allows, monitoring_require, settings_allowed
from .forms_response import (
    AlertFilterForm,
    CloseForm,
    FastTrackForm,
    GradeForm,
    IncidentFilterForm,
    IncidentOpenForm,
    IncidentTypeForm,
    NoteForm,
    StatementForm,
    clean_id,
)
from .models import Alert, Cascade, Grade, Incident, IncidentTask, IncidentType, Mention, Statement

INCIDENTS_PAGE = 50  # incidents a page: a screenful of crises is already a bad month
CASCADES_SHOWN = 200  # watched posts listed, flagged first
MENTIONS_SHOWN = 20  # linked mentions on the incident page; the mention list has the rest
TREE_READ_LIMIT = 20_000  # reposts read to draw a tree: the detector reads as many (cascades.DETECT_LIMIT)
PUBLISHED = "published"  # content's TargetState.PUBLISHED


def _refused(form, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or _("You may not do that."))
    else:
        add_service_errors(form, error)


def _say(request, error: ValidationError | PermissionDenied) -> None:
    for message in getattr(error, "messages", None) or [str(error) or _("You may not do that.")]:
        messages.error(request, message)


def _visible_brands(request) -> list[Brand]:
    """The brands whose monitoring the person sees (403 when none, as on the listening pages)."""
    brands = list(brands_for(request.user, Can.VIEW).order_by("name"))
    if not brands:
        raise PermissionDenied(_("You may not see opinion monitoring: ask a manager for access to one of the "
                                 "brand's accounts."))
    return brands


def _nav(request, brand: Brand | None) -> dict:
    """What the monitoring sub-navigation reads: the chosen brand carried along, the rules and settings links
    for those who may change them."""
    return {"brand_query": f"?brand={brand.pk}" if brand else "",
            "can_rules": brands_for(request.user, Can.RULES).exists(),
            "can_settings": settings_allowed(request.user)}


# --- the detector's signals in plain words --------------------------------------------------------------------

SHARE_CODES = {"copy", "recurring", "young"}  # value and threshold are shares of the cascade


def _number(value, code: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if code in SHARE_CODES:
        return f"{value * 100:.1f} %"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _share(value) -> str:
    return f"{float(value) * 100:.1f} %" if isinstance(value, int | float) and math.isfinite(value) else "—"


def _burst_words(e: dict) -> list[str]:
    return [_("%(count)s reposts within the same second (%(at)s, Beijing time); %(seconds)s seconds of the cascade "
              "had as many as the threshold or more.") % {"count": e["count"], "at": e["second_shown"],
                                                          "seconds": e.get("seconds_at_threshold", 1)}]


def _regular_words(e: dict) -> list[str]:
    words = []
    if e.get("cv") is not None:
        words.append(_("%(n)s reposts in a row from %(start)s to %(end)s came %(gap)s seconds apart on average, with "
                       "a variation of only %(cv)s: people repost in bursts, timers do not.") % {
            "n": e["window_reposts"], "start": e["window_start"], "end": e["window_end"],
            "gap": e["mean_gap_seconds"], "cv": e["cv"]})
    if e.get("even_minutes"):
        words.append(_("%(minutes)s minutes in a row from %(start)s had exactly %(count)s reposts each.") % {
            "minutes": e["even_minutes"], "start": e["even_minutes_start"], "count": e["even_per_minute"]})
    return words


def _copy_words(e: dict) -> list[str]:
    return [_("%(count)s of %(reposts)s reposts (%(share)s) carry the same remark: “%(text)s”.") % {
        "count": e["count"], "reposts": e["reposts"], "share": _share(e["share"]), "text": e["text"]}]


def _scope_words(e: dict) -> list[str]:
    if e.get("suspects_accounts"):
        return [_("Among the %(accounts)s accounts of the burst, the even stretch or the copied remark: %(share)s.")
                % {"accounts": e["suspects_accounts"], "share": _share(e.get("suspects_share"))}]
    return []


def _recurring_words(e: dict) -> list[str]:
    return [_("%(share)s of %(accounts)s reposting accounts also reposted the brand's other negative posts.") % {
        "share": _share(e["share"]), "accounts": e["accounts"]}, *_scope_words(e)]


def _young_words(e: dict) -> list[str]:
    return [_("%(share)s of %(accounts)s reposting accounts were younger than %(days)s days or had fewer than "
              "%(fans)s followers.") % {"share": _share(e["share"]), "accounts": e["accounts"],
                                         "days": f"{e.get('young_days', 30):g}", "fans": e.get("fanless_followers", 5)},
            *_scope_words(e)]


SIGNAL_WORDS = {"burst": _burst_words, "regular": _regular_words, "copy": _copy_words,
                "recurring": _recurring_words, "young": _young_words}


def signal_words(code: str, evidence: dict) -> list[str]:
    """What the evidence says, as sentences; the raw evidence is shown next to them anyway."""
    if evidence.get("reason"):
        return [_("Not measured: %(reason)s.") % {"reason": evidence_words.reason_words(str(evidence["reason"]))}]
    try:
        return SIGNAL_WORDS[code](evidence)
    except (KeyError, TypeError, ValueError):
        return []


def signal_rows(signals: list[dict], *, fired_only: bool = False, names: dict[str, str] | None = None) -> list[dict]:
    """The detector's signals (``Cascade.signals``) for a page: label, value against threshold, the organic
    baseline and the evidence in plain words, the example accounts by name (``names``: uid -> screen name) with
    their profile link. Fired ones first."""
    rows = []
    for s in signals:
        if fired_only and not s.get("fired"):
            continue
        code = str(s.get("code", ""))
        evidence = s.get("evidence") if isinstance(s.get("evidence"), dict) else {}
        value = s.get("value")
        measured = isinstance(value, int | float) and math.isfinite(value)
        rows.append({
            "code": code, "label": alerts_services.SIGNAL_LABELS.get(code, code), "fired": bool(s.get("fired")),
            "measured": measured,
            "value": _number(value, code), "threshold": _number(s.get("threshold"), code),
            "baseline": evidence_words.baseline_words(code) if measured else "",
            "words": signal_words(code, evidence),
            "examples": evidence_words.example_accounts([str(u) for u in evidence.get("example_uids") or []],
                                                         names or {}),
            "evidence": evidence_words.evidence_facts(evidence),
        })
    rows.sort(key=lambda r: not r["fired"])
    return rows


def _example_uids(signals: list[dict]) -> list[str]:
    return [str(u) for s in signals if isinstance(s.get("evidence"), dict)
            for u in s["evidence"].get("example_uids") or []]


# --- alerts ------------------------------------------------------------------------------------------------

def _alert_rows(alerts: list[Alert], user: User) -> list[dict]:
    attacks = [a for a in alerts if a.kind == "attack"]
    names = selectors.reposter_names(
        cascade_ids=[a.cascade_id for a in attacks if a.cascade_id],
        uids=[u for a in attacks for u in _example_uids(a.evidence.get("signals") or [])])
    return [{"alert": a, "signals": signal_rows(a.evidence.get("signals") or [], fired_only=True, names=names)
             if a.kind == "attack" else [], "can_respond": monitoring_allows(user, a.brand, Can.RESPOND)}
            for a in alerts]


@login_required
@require_GET
def alerts(request):
    brands = _visible_brands(request)
    form = AlertFilterForm(request.GET, brands=brands)
    acknowledged = form.value("acknowledged")
    rows = selectors.alert_list(request.user, form.chosen_brand(), kind=form.value("kind") or None,
                                unacknowledged=acknowledged == "no")
    if acknowledged == "yes":
        rows = [a for a in rows if a.acknowledged_at]
    return render(request, "sentiment/alerts.html", {
        "form": form, "rows": _alert_rows(rows, request.user), "filtered": any(form.data.values()),
        "here": request.get_full_path(), "single": None, **_nav(request, form.chosen_brand())})


@login_required
@require_GET
def alert(request, alert_id: int):
    one = get_object_or_404(Alert.objects.select_related("brand", "group", "mention", "cascade", "incident",
                                                         "acknowledged_by"), pk=alert_id)
    monitoring_require(request.user, one.brand, Can.VIEW)
    return render(request, "sentiment/alerts.html", {
        "form": None, "rows": _alert_rows([one], request.user), "single": one, "here": request.get_full_path(),
        **_nav(request, None)})


@login_required
@require_POST
def alert_ack(request, alert_id: int):
    one = get_object_or_404(Alert.objects.select_related("brand"), pk=alert_id)
    monitoring_require(request.user, one.brand, Can.VIEW)
    alerts_services.alert_acknowledge(alert=one, by=request.user)
    messages.success(request, _("Alert acknowledged."))
    return redirect(next_url(request, reverse("sentiment:alerts")))


# --- the incident list and opening one ------------------------------------------------------------------------

@login_required
@require_GET
def incidents(request):
    brands = _visible_brands(request)
    form = IncidentFilterForm(request.GET, brands=brands)
    now = timezone.now()
    rows = selectors.incident_list(request.user, form.chosen_brand(), state=form.value("state") or None).annotate(
        open_steps=Count("tasks", filter=Q(tasks__done_at__isnull=True), distinct=True),
        overdue_steps=Count("tasks", filter=Q(tasks__done_at__isnull=True, tasks__due_at__lt=now), distinct=True))
    page = Paginator(rows, INCIDENTS_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "sentiment/incidents.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_open": brands_for(request.user, Can.RESPOND).exists(), **_nav(request, form.chosen_brand())})


def _open_source(request, data) -> tuple[Alert | None, Mention | None]:
    """The alert or mention an incident is opened from (``?alert=`` / ``?mention=``), if the person sees it."""
    alert_obj = mention = None
    if alert_id := clean_id(data.get("alert")):
        alert_obj = get_object_or_404(Alert.objects.select_related("brand", "incident", "mention", "cascade"),
                                      pk=alert_id)
        monitoring_require(request.user, alert_obj.brand, Can.RESPOND)
    elif mention_id := clean_id(data.get("mention")):
        mention = get_object_or_404(Mention.objects.select_related("brand"), pk=mention_id)
        monitoring_require(request.user, mention.brand, Can.RESPOND)
    return alert_obj, mention


def _open_initial(alert_obj: Alert | None, mention: Mention | None) -> dict:
    if alert_obj is not None:
        return {"brand": alert_obj.brand_id, "title": alert_obj.title[:200],
                "kind": IncidentType.ATTACK if alert_obj.kind == "attack" else IncidentType.UNKNOWN}
    if mention is not None:
        who = mention.author_name or mention.author_uid
        return {"brand": mention.brand_id, "title": (f"{who}: {mention.text}" if who else mention.text)[:80]}
    return {}


@login_required
@require_http_methods(["GET", "POST"])
def incident_open(request):
    respond = brands_for(request.user, Can.RESPOND)
    if not respond.exists():
        raise PermissionDenied(_("Only PR people and managers open incidents."))
    source = request.POST if request.method == "POST" else request.GET
    alert_obj, mention = _open_source(request, source)
    if alert_obj is not None and alert_obj.incident_id and alert_obj.incident.state != "closed" \
            and request.method == "GET":
        messages.info(request, _("This alert is already part of an incident."))
        return redirect("sentiment:incident", alert_obj.incident_id)
    fixed = alert_obj.brand if alert_obj else mention.brand if mention else None
    brands = respond.filter(pk=fixed.pk) if fixed else respond.order_by("name")
    status = 200
    if request.method == "POST":
        form = IncidentOpenForm(request.POST, brands=brands)
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = incident_services.incident_open(
                    brand=data["brand"], by=request.user, title=data["title"], alert=alert_obj, mention=mention,
                    kind=data["kind"], summary=data["summary"])
            except (ValidationError, PermissionDenied) as error:
                _refused(form, error)
            else:
                messages.success(request, _("Incident opened: its first steps are on the checklist."))
                return redirect("sentiment:incident", incident.pk)
        status = 400
    else:
        form = IncidentOpenForm(initial=_open_initial(alert_obj, mention), brands=brands)
    return render(request, "sentiment/incident_open.html", {
        "form": form, "alert": alert_obj, "mention": mention, **_nav(request, fixed)}, status=status)


# --- one incident ---------------------------------------------------------------------------------------------

def _incident_of(request, incident_id: int, can: Can = Can.VIEW) -> Incident:
    incident = get_object_or_404(Incident.objects.select_related("brand", "opened_by"), pk=incident_id)
    monitoring_require(request.user, incident.brand, can)
    return incident


def _grade_why(incident: Incident, events) -> dict:
    """The figures behind the grade and the brand's thresholds, with the ones the figures reach; the serious
    matters found; the inputs stored with the last automatic grade."""
    thresholds = incident_services.grade_thresholds(alerts_services.monitoring_settings(incident.brand))
    matters = incident_services.incident_matters(incident)
    computed, _inputs = incident_services.grade_assess(participants=incident.participants, reach=incident.reach,
                                                       thresholds=thresholds, matters=matters)
    rows = [{"grade": Grade(g), "people": t["people"], "reach": t["reach"],
             "people_met": incident.participants >= t["people"], "reach_met": incident.reach >= t["reach"],
             "current": g == incident.grade} for g, t in thresholds.items()]
    return {"rows": rows, "computed": Grade(computed), "manual": computed != incident.grade,
            "matters": [{"label": _(m.label), "grade": Grade(m.grade), "keywords": "、".join(words),
                         "legal": m.legal} for m, words in matters],
            "raised_by": incident_services.grade_inputs_text(incident_services.incident_grade_inputs(incident,
                                                                                                     events))}


def statement_view(statement: Statement, user: User | None = None) -> dict:
    """A statement of the one voice as shown: content's one status word for the post and for each
    account, and "publish now" only for someone whom content lets publish it."""
    post = statement.post
    targets = list(post.targets.all())
    for target in targets:
        target.status = content_selectors.target_status(target, post)
    approvals = list(post.approvals.all())
    status = content_selectors.post_status(post, targets)
    return {"statement": statement, "post": post, "targets": targets, "approvals": approvals,
            "state": status.key, "state_label": status.label, "tone": status.tone, "approved": post.state == "approved",
            "can_publish": user is not None and status.key != PUBLISHED
            and content_selectors.post_publish_now_allowed(user=user, post=post)}


def _incident_reads(incident: Incident) -> dict:
    """The incident page's rows beyond the selector's: latest mentions and linked cascades."""
    mentions = list(incident.mentions.order_by("-posted_at", "-pk")[:MENTIONS_SHOWN])
    cascades = list(Cascade.objects.filter(Q(mention__incidents=incident) | Q(alerts__incident=incident))
                    .distinct().order_by("-flagged", "-created_at"))
    return {"mentions": mentions, "cascades": cascades}


def _can_tick(user: User, task: IncidentTask, can_respond: bool) -> bool:
    """PR and managers tick any step; an owner or their department their own (as the service allows)."""
    return can_respond or task.owner_id == user.pk or bool(task.department_id and
                                                           task.department_id == user.department_id)


def _task_row(user: User, task: IncidentTask, can_respond: bool, now) -> dict:
    return {"task": task, "overdue": not task.done_at and task.due_at < now,
            "can_tick": _can_tick(user, task, can_respond)}


def _incident_page(request, incident: Incident, *, status: int = 200, **forms):
    user = request.user
    detail = selectors.incident_detail(incident)
    can_respond = monitoring_allows(user, incident.brand, Can.RESPOND)
    defaults = {
        "type_form": IncidentTypeForm(initial={"kind": "" if incident.kind == IncidentType.UNKNOWN else incident.kind,
                                               "handling": incident.handling}),
        "grade_form": GradeForm(initial={"grade": incident.grade}),
        "note_form": NoteForm(), "close_form": CloseForm(), "fast_track_form": FastTrackForm(),
    }
    now = timezone.now()
    return render(request, "sentiment/incident.html", {
        **defaults, **forms, "incident": incident, "detail": detail, "now_time": now,
        "tasks": [_task_row(user, t, can_respond, now) for t in detail.tasks],
        "timeline": [{"event": e, "label": incident_services.event_label(e.kind)} for e in detail.events],
        "statements": [statement_view(s, user) for s in detail.statements], "why": _grade_why(incident, detail.events),
        "can_respond": can_respond, "can_fast_track": can_respond and user.is_org_wide,
        "is_closed": incident.state == "closed", **_incident_reads(incident), **_nav(request, incident.brand),
    }, status=status)


@login_required
@require_GET
def incident(request, incident_id: int):
    return _incident_page(request, _incident_of(request, incident_id))


def _incident_action(request, incident: Incident, *, form_name: str, form, call, success: str):
    """Validate ``form`` and run ``call(cleaned_data)``; on a refusal show the page again with the reason."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _refused(form, error)
            status = 403 if isinstance(error, PermissionDenied) else 400
            return _incident_page(request, incident, status=status, **{form_name: form})
        messages.success(request, success)
        return redirect("sentiment:incident", incident.pk)
    return _incident_page(request, incident, status=400, **{form_name: form})


@login_required
@require_POST
def incident_type(request, incident_id: int):
    incident = _incident_of(request, incident_id, Can.RESPOND)
    form = IncidentTypeForm(request.POST)
    return _incident_action(
        request, incident, form_name="type_form", form=form, success=_("Type saved: its steps are on the checklist."),
        call=lambda d: incident_services.incident_set_type(incident=incident, by=request.user, kind=d["kind"],
                                                           handling=d["handling"]))


@login_required
@require_POST
def incident_grade(request, incident_id: int):
    incident = _incident_of(request, incident_id, Can.RESPOND)
    form = GradeForm(request.POST)
    return _incident_action(
        request, incident, form_name="grade_form", form=form, success=_("Grade changed."),
        call=lambda d: incident_services.incident_grade_set(incident=incident, by=request.user, grade=d["grade"],
                                                            reason=d["reason"]))


@login_required
@require_POST
def incident_note(request, incident_id: int):
    incident = _incident_of(request, incident_id, Can.RESPOND)
    form = NoteForm(request.POST)
    return _incident_action(
        request, incident, form_name="note_form", form=form, success=_("Note added to the timeline."),
        call=lambda d: incident_services.incident_note(incident=incident, by=request.user, text=d["text"]))


@login_required
@require_POST
def incident_close(request, incident_id: int):
    incident = _incident_of(request, incident_id, Can.RESPOND)
    form = CloseForm(request.POST)
    return _incident_action(
        request, incident, form_name="close_form", form=form, success=_("Incident closed. The report is ready."),
        call=lambda d: incident_services.incident_close(incident=incident, by=request.user, lessons=d["lessons"]))


@login_required
@require_POST
def incident_reopen(request, incident_id: int):
    incident = _incident_of(request, incident_id, Can.RESPOND)
    try:
        incident_services.incident_reopen(incident=incident, by=request.user,
                                          reason=(request.POST.get("reason") or "")[:500])
    except (ValidationError, PermissionDenied) as error:
        _say(request, error)
    else:
        messages.success(request, _("Incident reopened."))
    return redirect("sentiment:incident", incident.pk)


@login_required
@require_POST
def task_toggle(request, task_id: int):
    """Tick or untick a checklist step; htmx swaps the step in place, a plain form goes back to the page."""
    task = get_object_or_404(IncidentTask.objects.select_related("incident__brand"), pk=task_id)
    monitoring_require(request.user, task.incident.brand, Can.VIEW)  # the service lets owners tick their own
    done = request.POST.get("done")
    if done not in ("0", "1"):
        done = "0" if task.done_at else "1"
    call = incident_services.task_done if done == "1" else incident_services.task_undo
    task = call(task=task, by=request.user)
    task = IncidentTask.objects.select_related("owner", "department", "done_by", "incident__brand").get(pk=task.pk)
    if request.htmx:
        can_respond = monitoring_allows(request.user, task.incident.brand, Can.RESPOND)
        return render(request, "sentiment/_incident_task.html", {
            "row": _task_row(request.user, task, can_respond, timezone.now()), "incident": task.incident})
    messages.success(request, _("Step done.") if task.done_at else _("Step open again."))
    return redirect("sentiment:incident", task.incident_id)


# --- one voice ------------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def statement_new(request, incident_id: int):
    """Draft a statement; the earlier ones stand above the text so that the new one keeps the same line."""
    incident = _incident_of(request, incident_id, Can.RESPOND)
    status = 200
    if request.method == "POST":
        form = StatementForm(request.POST, brand=incident.brand, user=request.user)
        if form.is_valid():
            try:
                incident_services.statement_draft(incident=incident, by=request.user, text=form.cleaned_data["text"],
                                                  accounts=list(form.cleaned_data["accounts"]))
            except (ValidationError, PermissionDenied) as error:
                _refused(form, error)
                status = 403 if isinstance(error, PermissionDenied) else 400
            else:
                messages.success(request, _("Statement drafted and sent for review."))
                return redirect("sentiment:incident", incident.pk)
        else:
            status = 400
    else:
        form = StatementForm(brand=incident.brand, user=request.user)
    earlier = [statement_view(s, request.user) for s in selectors.incident_detail(incident).statements]
    return render(request, "sentiment/incident_statement.html", {
        "incident": incident, "form": form, "earlier": earlier, **_nav(request, incident.brand)}, status=status)


def _statement_of(request, statement_id: int) -> Statement:
    statement = get_object_or_404(Statement.objects.select_related("incident__brand", "post"), pk=statement_id)
    monitoring_require(request.user, statement.incident.brand, Can.RESPOND)
    return statement


@login_required
@require_POST
def statement_fast_track(request, statement_id: int):
    statement = _statement_of(request, statement_id)
    form = FastTrackForm(request.POST)
    if not form.is_valid():
        return _incident_page(request, statement.incident, status=400, fast_track_form=form)
    try:
        incident_services.statement_fast_track(statement=statement, by=request.user,
                                               reason=form.cleaned_data["reason"], ip=client_ip(request))
    except PermissionDenied as error:
        _refused(form, error)
        return _incident_page(request, statement.incident, status=403, fast_track_form=form)
    except ValidationError as error:
        _refused(form, error)
        return _incident_page(request, statement.incident, status=400, fast_track_form=form)
    messages.success(request, _("Statement approved by fast-track: publish it now."))
    return redirect("sentiment:incident", statement.incident_id)


@login_required
@require_POST
def statement_publish(request, statement_id: int):
    statement = _statement_of(request, statement_id)
    try:
        ids = incident_services.statement_publish(statement=statement, by=request.user, ip=client_ip(request))
    except (ValidationError, PermissionDenied) as error:
        _say(request, error)
    else:
        messages.success(request, _("Publishing on %(n)d accounts: the Weibo links show here in a moment.")
                         % {"n": len(ids)})
    return redirect("sentiment:incident", statement.incident_id)


# --- the post-incident report ---------------------------------------------------------------------------------

TIME_KEYS = {"at", "start", "opened_at", "closed_at", "drafted_at", "due_at", "done_at", "published_at"}


def _times(value):
    """The report's ISO times as datetimes, so that the page shows them in Beijing time."""
    if isinstance(value, dict):
        return {k: (_parse(v) if k in TIME_KEYS else _times(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_times(v) for v in value]
    return value


def _parse(value):
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


CHART_W, CHART_H, CHART_PAD = 640, 180, 28  # SVG units: the chart scales to the page width


def volume_chart(volume: list[dict]) -> dict | None:
    """Bars of negative mentions per bucket as SVG geometry; None without any."""
    if not volume:
        return None
    peak = max(v["negative"] for v in volume) or 1
    inner_w, inner_h = CHART_W - 2 * CHART_PAD, CHART_H - 2 * CHART_PAD
    step = inner_w / len(volume)
    bars = []
    for i, v in enumerate(volume):
        height = inner_h * v["negative"] / peak
        bars.append({"x": round(CHART_PAD + i * step, 2), "y": round(CHART_PAD + inner_h - height, 2),
                     "w": round(max(step * 0.8, 1), 2), "h": round(height, 2), "n": v["negative"], "start": v["start"]})
    top = max(volume, key=lambda v: v["negative"])
    return {"bars": bars, "peak": peak, "peak_at": top["start"], "first": volume[0]["start"],
            "last": volume[-1]["start"], "w": CHART_W, "h": CHART_H, "pad": CHART_PAD,
            "base": CHART_PAD + inner_h, "right": CHART_W - CHART_PAD}


@login_required
@require_GET
def incident_report(request, incident_id: int):
    incident = _incident_of(request, incident_id)
    report = _times(selectors.incident_report(incident))
    return render(request, "sentiment/incident_report.html", {
        "incident": incident, "report": report, "chart": volume_chart(report["volume"]),
        **_nav(request, incident.brand)})


# --- cascades -------------------------------------------------------------------------------------------------

@login_required
@require_GET
def cascades(request):
    brands = _visible_brands(request)
    brand = next((b for b in brands if str(b.pk) == request.GET.get("brand", "")), None)
    flagged = request.GET.get("flagged") == "1"
    rows = labels.cascade_rows([brand] if brand else brands, flagged=flagged, limit=CASCADES_SHOWN)
    return render(request, "sentiment/cascades.html", {"rows": rows, "flagged": flagged, "chosen": brand,
                                                       "many": len(brands) > 1, **_nav(request, brand)})


def cascade_tree(cascade: Cascade) -> propagation.Tree:
    """The repost tree from the stored reposts (their resolved parents kept; blank ones resolved again)."""
    rows = (cascade.repost_rows.order_by("posted_at", "id")
            .values_list("platform_id", "uid", "screen_name", "posted_at", "text", "parent_id", "followers",
                         "friends", "statuses", "account_created_at", "verified")[:TREE_READ_LIMIT])
    records = [propagation.Repost(mid=pid, uid=uid, screen_name=name, at=at.timestamp(), text=text,
                                  parent_mid=parent or None, followers=followers, friends=friends, statuses=statuses,
                                  account_created=created.timestamp() if created else None, verified=verified)
               for pid, uid, name, at, text, parent, followers, friends, statuses, created, verified in rows]
    root_at = cascade.root_posted_at.timestamp() if cascade.root_posted_at else None
    return propagation.tree_build(cascade.root_id, cascade.root_author, records, root_uid=cascade.root_uid,
                                  root_at=root_at, root_text=cascade.root_text)


OPEN_DEPTH = 2  # tree levels shown unfolded: the root's reposts and theirs


def tree_rows(root: dict) -> list[dict]:
    """The nested tree as a flat list in document order, for a template without recursion: a branch opens
    ``<details><ul>``, a leaf is one item and then closes ``closes`` levels of its ancestors."""
    rows: list[dict] = []
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        children = node.get("children") or []
        rows.append({"node": node, "depth": depth, "branch": bool(children), "open": depth < OPEN_DEPTH,
                     "at": datetime.fromtimestamp(node["at"], UTC) if node.get("at") is not None else None,
                     "closes": range(0)})
        stack.extend((child, depth + 1) for child in reversed(children))
    for i, row in enumerate(rows):
        if not row["branch"]:
            following = rows[i + 1]["depth"] if i + 1 < len(rows) else 0
            row["closes"] = range(max(row["depth"] - following, 0))
    return rows


@login_required
@require_GET
def cascade(request, cascade_id: int):
    one = get_object_or_404(Cascade.objects.select_related("brand", "mention"), pk=cascade_id)
    monitoring_require(request.user, one.brand, Can.VIEW)
    tree = cascade_tree(one)
    drawn = propagation.tree_json(tree)
    return render(request, "sentiment/cascade.html", {
        "cascade": one, "tree": tree, "rows": tree_rows(drawn), "drawn_limit": propagation.TREE_JSON_LIMIT,
        "signals": signal_rows(one.signals or [], names=selectors.reposter_names(
            cascade_ids=[one.pk], uids=_example_uids(one.signals or []))),
        "score": one.attack_score if math.isfinite(one.attack_score) else None,
        "score_words": evidence_words.score_words(one.attack_score) if one.flagged else "",
        "alerts": list(one.alerts.select_related("incident").order_by("-created_at")),
        # "Talk to the key node": the accounts of the brand this person may comment from (fans:key_node_reply).
        "reply_accounts": list(accounts_for(request.user, Action.REPLY).filter(brand=one.brand, is_active=True)
                               .order_by("name")),
        **_nav(request, one.brand)})

