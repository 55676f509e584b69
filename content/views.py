"""Pages: the calendar, the composer, the review queue and each post. They translate requests into
calls of selectors and services, and nothing else."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from positioning.access import Action, account_allows, accounts_for
from weibo_ops import dates
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip, next_url
from weibo_ops.weibo import text as weibo_text

from . import selectors, services
from .access import (
    allowed,
    post_edit_require,
    post_fast_track_require,
    post_schedule_require,
    target_cancel_require,
    target_move_require,
)
from .approval import may_approve, post_authors
from .forms import FastTrackForm, PillarForm, PostForm, ReviewForm, ScheduleForm
from .models import Pillar, Post, PostState, PostTarget, TargetState
from .status import post_status, target_status

# The states in which one account's post can still be moved or cancelled.
MOVABLE = [TargetState.WAITING, TargetState.SCHEDULED, TargetState.DUPLICATE, TargetState.FORBIDDEN,
           TargetState.FAILED, TargetState.NEEDS_REAUTH]
POSTS_PAGE = 30  # posts per page of the post list
MONTH_DAYS = 35  # five weeks: a month view always shows whole weeks
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2999, 12, 1)  # calendar pages outside these are typos


def _visible_post(request, post_id: int) -> Post:
    """The post, or 404 when it does not exist or the person sees none of its accounts."""
    post = get_object_or_404(Post.objects.select_related("pillar", "brand", "created_by"), pk=post_id)
    if not selectors.post_visible(user=request.user, post=post):
        raise Http404
    return post


def _back(request, post: Post):
    return redirect(next_url(request, reverse("content:post", args=[post.pk])))


def _day(value: str | None) -> date | None:
    """A date from a query string, or None when there is none or it is not a real date."""
    try:
        day = parse_date(value or "")
    except ValueError:  # 2025-02-30
        return None
    return day if day and MIN_DAY <= day <= MAX_DAY else None


def _act(request, call, success):
    """Run one service call; show its refusal, or ``success`` (a message, or a function of the result)."""
    try:
        result = call()
    except (ValidationError, PermissionDenied) as error:
        _service_error(request, error)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _service_error(request, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("You may not do that."))
        return
    for message in (error.messages if hasattr(error, "messages") else [str(error)]):
        messages.error(request, message)


# --- calendar ----------------------------------------------------------------------------------

@login_required
@require_GET
def calendar(request):
    view = "month" if request.GET.get("view") == "month" else "week"
    today = timezone.localdate()
    start = _day(request.GET.get("start")) or today
    if view == "week":
        start -= timedelta(days=start.weekday())
        days, step = 7, timedelta(days=7)
    else:
        first = start.replace(day=1)
        start = first - timedelta(days=first.weekday())
        days, step = MONTH_DAYS, None
    account = None
    account_id = request.GET.get("account", "")
    if account_id:
        if not (account_id.isascii() and account_id.isdigit()):
            raise Http404
        account = get_object_or_404(accounts_for(request.user, Action.VIEW), pk=account_id)
    rows = selectors.calendar(user=request.user, start=start, days=days, account=account)
    if view == "month":
        month_first = (_day(request.GET.get("start")) or today).replace(day=1)
        previous = (month_first - timedelta(days=1)).replace(day=1)
        following = (month_first + timedelta(days=32)).replace(day=1)
    else:
        month_first, previous, following = None, start - step, start + step
    return render(request, "content/calendar.html", {
        "rows": rows, "view": view, "start": start, "days": [start + timedelta(days=n) for n in range(days)],
        "previous": previous, "following": following, "today": today, "month_first": month_first,
        "now": timezone.now(),  # a slot that has begun is no gap to write for any more
        "account": account, "accounts": accounts_for(request.user, Action.VIEW).filter(is_active=True),
        "cadence": selectors.cadence(user=request.user),
        "weeks": [[start + timedelta(days=w * 7 + d) for d in range(7)] for w in range(days // 7)],
        "drafting": {a.pk for a in accounts_for(request.user, Action.DRAFT)},
        "publishing": {a.pk for a in accounts_for(request.user, Action.PUBLISH)},
    })


# --- composer ----------------------------------------------------------------------------------

def _initial(request) -> dict:
    initial: dict = {"is_original": True}
    campaign_id = request.GET.get("campaign", "")
    if campaign_id.isascii() and campaign_id.isdigit() and len(campaign_id) < 19:
        initial["campaign"] = int(campaign_id)  # offered only if it is one of the form's choices
    account_id = request.GET.get("account", "")
    if account_id.isascii() and account_id.isdigit():
        initial["accounts"] = list(accounts_for(request.user, Action.DRAFT).filter(pk=account_id))
    with contextlib.suppress(ValueError):
        at = datetime.fromisoformat(request.GET.get("at", ""))
        if dates.date_in_range(at):  # a link's time far outside any plan is dropped like an unreadable one
            initial["scheduled_at"] = timezone.localtime(at) if timezone.is_aware(at) else at
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def compose(request):
    form = PostForm(request.POST or None, request.FILES or None, by=request.user, initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_create(by=request.user, pillar=data["pillar"], text=data["text"],
                                        accounts=list(data["accounts"]), variants=form.variants(),
                                        is_original=data["is_original"], image=data.get("image"),
                                        campaign=data.get("campaign"))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, form, post, _("Draft saved."))
    return _composer(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, post_id: int):
    post = _visible_post(request, post_id)
    targets = list(post.targets.select_related("account"))
    initial = {"text": post.text, "pillar": post.pillar, "is_original": post.is_original, "campaign": post.campaign_id,
               "accounts": [t.account for t in targets],
               "scheduled_at": min((t.scheduled_at for t in targets if t.scheduled_at), default=None)}
    for target in targets:
        initial[f"variant_{target.account_id}"] = target.variant
    form = PostForm(request.POST or None, request.FILES or None, by=request.user, post=post, initial=initial)
    if initial["scheduled_at"]:
        form.initial["scheduled_at"] = timezone.localtime(initial["scheduled_at"])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_update(post=post, by=request.user, pillar=data["pillar"], text=data["text"],
                                        accounts=list(data["accounts"]), variants=form.variants(),
                                        is_original=data["is_original"], image=data.get("image"),
                                        ip=client_ip(request), campaign=data.get("campaign"))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_save(request, form, post, _("Saved."))
    return _composer(request, form, post)


def _after_save(request, form: PostForm, post: Post, saved: str):
    """Save, then (when asked) submit or schedule. A refusal of the second step keeps the draft."""
    at = form.cleaned_data.get("scheduled_at")
    intent = request.POST.get("intent", "save")
    try:
        if intent == "submit" and at:
            post = services.post_schedule(post=post, at=at, by=request.user, ip=client_ip(request))
        elif intent == "submit":
            post = services.post_submit(post=post, by=request.user, ip=client_ip(request))
        elif at:
            services.post_retime(post=post, at=at, by=request.user, ip=client_ip(request))
    except (ValidationError, PermissionDenied) as error:
        messages.success(request, saved)
        _service_error(request, error)
        return redirect("content:post_edit", post.pk)
    post.refresh_from_db()
    if intent == "submit":
        messages.success(request, _("Submitted for review.") if post.state == PostState.IN_REVIEW
                         else _("Scheduled.") if at else _("Approved: no approval is needed for it."))
    else:
        messages.success(request, saved)
    return redirect("content:post", post.pk)


def _composer(request, form: PostForm, post: Post | None):
    return render(request, "content/compose.html", {
        "form": form, "post": post, "limit": weibo_text.MAX_LENGTH, "safe_domain": settings.WEIBO_SAFE_DOMAIN,
        "checks": _checks(request, form.data if form.is_bound else None, post, form),
    }, status=400 if form.is_bound and form.errors else 200)


def _checks(request, data, post: Post | None, form: PostForm | None = None) -> dict:
    """What the live checks show: the Weibo length of each text, what Weibo or a playbook would
    refuse, and the closest post of the last 30 days."""
    if data is None:
        return {}
    text = (data.get("text") or "")[:5000]
    form = form or PostForm(by=request.user, post=post)
    chosen = [a for a in form.account_list if str(a.pk) in data.getlist("accounts")]
    variants = {a.pk: (data.get(f"variant_{a.pk}") or "").strip()[:5000] for a in chosen}
    lengths = [(_("Text"), weibo_text.weibo_length(text))]
    lengths += [(account.name, weibo_text.weibo_length(variants[account.pk])) for account in chosen
                if variants[account.pk]]
    problems = services.post_problems(text=text, accounts=chosen, variants=variants) if text.strip() else {}
    names = {f"variant_{a.pk}": a.name for a in chosen}
    similar = None
    brand = chosen[0].brand if chosen else (post.brand if post else None)
    if text.strip() and brand is not None:
        similar = selectors.similar_post(brand=brand, text=text, exclude_post_id=post.pk if post else None)
        if similar is not None and not selectors.post_visible(user=request.user, post=similar.post):
            similar.hidden = True  # its score warns; its words stay with the accounts that may see them
    return {"lengths": lengths, "limit": weibo_text.MAX_LENGTH,
            "problems": [(names.get(k, _("Text")), m) for k, ms in problems.items() for m in ms],
            "similar": similar, "checked": bool(text.strip())}


@login_required
@require_POST
def check(request):
    """htmx: the live checks under the composer as the person types."""
    post = None
    if request.POST.get("post"):
        post = _visible_post(request, int(request.POST["post"]) if request.POST["post"].isascii()
                             and request.POST["post"].isdigit() else 0)
    return render(request, "content/_checks.html", {"checks": _checks(request, request.POST, post)})


# --- posts -------------------------------------------------------------------------------------

@login_required
@require_GET
def post_list(request):
    state = request.GET.get("state") if request.GET.get("state") in PostState.values else None
    page = Paginator(selectors.post_list(user=request.user, state=state), POSTS_PAGE).get_page(request.GET.get("page"))
    return render(request, "content/post_list.html", {"page": page, "state": state, "states": PostState.choices})


@login_required
@require_GET
def post_detail(request, post_id: int):
    post = _visible_post(request, post_id)
    user = request.user
    detail = selectors.post_detail(post=post, user=user)
    # Accounts the post can still go out on: nothing to schedule or publish once all are out or cancelled.
    remaining = [t for t in detail.targets if t.state not in [*services.LOCKED_STATES, TargetState.CANCELLED]]
    # Each button is offered only to whom the service behind it lets through (content/access.py).
    for target in detail.targets:
        target.status = target_status(target, post)
        target.can_move = target.state in MOVABLE and allowed(target_move_require, user, target)
        target.can_cancel = target.state in MOVABLE and allowed(target_cancel_require, user, target)
    can_publish = bool(remaining) and allowed(post_schedule_require, user, remaining)
    can_review = post.state == PostState.IN_REVIEW and any(
        may_approve(user, post, item.account, item.approvers) for item in detail.plan)
    return render(request, "content/post_detail.html", {
        "d": detail, "post": post, "status": post_status(post, detail.targets),
        "can_edit": allowed(post_edit_require, user, detail.targets),
        "can_publish": can_publish, "can_review": can_review, "can_approve_and_schedule": can_review and can_publish,
        # Why a reviewer sees no approve button: they wrote some of the text.
        "wrote_it": post.state == PostState.IN_REVIEW and user.pk in post_authors(post) and any(
            account_allows(user, item.account, Action.APPROVE) for item in detail.plan),
        "can_fast_track": post.state != PostState.APPROVED and allowed(post_fast_track_require, user),
        "review_form": ReviewForm(), "fast_track_form": FastTrackForm(),
        "schedule_form": ScheduleForm(initial={"scheduled_at": _next_quarter()}),
    })


def _next_quarter() -> datetime:
    now = timezone.localtime() + timedelta(minutes=15)
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


@login_required
@require_GET
def post_image(request, post_id: int):
    post = _visible_post(request, post_id)
    if not post.image:
        raise Http404
    kind = services.image_kind(post.image.open("rb").read(16))
    response = FileResponse(post.image.open("rb"), content_type=kind or "application/octet-stream")
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def post_submit(request, post_id: int):
    post = _visible_post(request, post_id)
    _act(request, lambda: services.post_submit(post=post, by=request.user, ip=client_ip(request)),
         lambda done: _("Submitted for review.") if done.state == PostState.IN_REVIEW
         else _("Approved: no approval is needed for it."))
    return _back(request, post)


@login_required
@require_POST
def post_review(request, post_id: int):
    """Approve or reject in one click, with an optional comment (a rejection needs one)."""
    post = _visible_post(request, post_id)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    decision = request.POST.get("decision")
    try:
        if decision == "approve_schedule":
            schedule = ScheduleForm(request.POST)
            if not schedule.is_valid():
                _form_errors(request, schedule)
                return _queue_response(request) if request.htmx else _back(request, post)
            at = schedule.cleaned_data["scheduled_at"]
            post = services.post_approve_and_schedule(
                post=post, by=request.user, ip=client_ip(request), comment=comment,
                at=timezone.make_aware(at) if timezone.is_naive(at) else at)
            messages.success(request, _("Approved and scheduled.") if post.state == PostState.APPROVED
                             else _("Your approval is recorded and the time is set; the post waits for the "
                                    "other approvers."))
        elif decision == "approve":
            post = services.post_approve(post=post, by=request.user, ip=client_ip(request), comment=comment)
            messages.success(request, _("Approved: “%(text)s”.") % {"text": post.text[:30]}
                             if post.state == PostState.APPROVED
                             else _("Your approval is recorded; the post waits for the other approvers."))
        elif decision == "reject":
            services.post_reject(post=post, by=request.user, comment=comment, ip=client_ip(request))
            messages.success(request, _("Sent back to the author."))
        else:
            messages.error(request, _("Choose approve or reject."))
    except (ValidationError, PermissionDenied) as error:
        _service_error(request, error)
    if request.htmx:
        return _queue_response(request)
    return _back(request, post)


@login_required
@require_POST
def post_fast_track(request, post_id: int):
    post = _visible_post(request, post_id)
    _act(request, lambda: services.post_fast_track(post=post, by=request.user, reason=request.POST.get("reason", ""),
                                                   ip=client_ip(request)),
         _("Fast-tracked: the override is recorded."))
    return _back(request, post)


@login_required
@require_POST
def post_schedule(request, post_id: int):
    post = _visible_post(request, post_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, post)
    at = form.cleaned_data["scheduled_at"]
    _act(request, lambda: services.post_schedule(post=post, at=timezone.make_aware(at) if timezone.is_naive(at)
                                                 else at, by=request.user, ip=client_ip(request)),
         lambda done: _("Scheduled.") if done.state == PostState.APPROVED
         else _("Scheduled; it goes out once approved."))
    return _back(request, post)


@login_required
@require_POST
def post_publish_now(request, post_id: int):
    post = _visible_post(request, post_id)
    _act(request, lambda: services.post_publish_now(post=post, by=request.user, ip=client_ip(request)),
         _("Publishing now; the states below update when Weibo answers."))
    return _back(request, post)


def _visible_target(request, target_id: int) -> PostTarget:
    target = get_object_or_404(PostTarget.objects.select_related("post", "account"), pk=target_id)
    if not account_allows(request.user, target.account, Action.VIEW):
        raise Http404
    return target


@login_required
@require_POST
def target_move(request, target_id: int):
    """Move one account's post to another slot: a form on the post page, or a drop on the calendar
    (htmx; the answer is 204, or 400 with the reason)."""
    target = _visible_target(request, target_id)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        at = form.cleaned_data["scheduled_at"]
        try:
            services.target_move(target=target, at=timezone.make_aware(at) if timezone.is_naive(at) else at,
                                 by=request.user, ip=client_ip(request))
        except (ValidationError, PermissionDenied) as error:
            if request.htmx:
                return HttpResponse(" ".join(getattr(error, "messages", [str(error)])), status=400,
                                    content_type="text/plain; charset=utf-8")
            _service_error(request, error)
        else:
            if request.htmx:
                return HttpResponse(status=204, headers={"HX-Refresh": "true"})
            messages.success(request, _("Moved."))
    else:
        if request.htmx:
            return HttpResponse(" ".join(m for ms in form.errors.values() for m in ms), status=400,
                                content_type="text/plain; charset=utf-8")
        _form_errors(request, form)
    return _back(request, target.post)


@login_required
@require_POST
def target_cancel(request, target_id: int):
    target = _visible_target(request, target_id)
    _act(request, lambda: services.target_cancel(target=target, by=request.user, ip=client_ip(request)),
         _("Cancelled on %(account)s.") % {"account": target.account.name})
    return _back(request, target.post)


# --- review queue ------------------------------------------------------------------------------

def _queue_response(request):
    template = "content/_queue.html" if request.htmx else "content/queue.html"
    items = selectors.review_queue(user=request.user)
    for item in items:
        remaining = [t for t in item.post.targets.all() if t.state not in [*services.LOCKED_STATES,
                                                                            TargetState.CANCELLED]]
        item.can_schedule = bool(remaining) and allowed(post_schedule_require, request.user, remaining)
        # The time offered: the post's own slot while it is ahead, else the next quarter hour.
        item.schedule_at = item.first_slot if item.first_slot and item.first_slot > timezone.now() else _next_quarter()
    return render(request, template, {"items": items, "review_form": ReviewForm()})


@login_required
@require_GET
def queue(request):
    return _queue_response(request)


# --- pillars -----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def pillars(request):
    brands = {a.brand for a in accounts_for(request.user, Action.VIEW)}
    form = PillarForm(request.POST or None)
    if request.method == "POST":
        brand = next((b for b in brands if str(b.pk) == request.POST.get("brand")), None)
        if brand is None:
            raise Http404
        if form.is_valid():
            try:
                services.pillar_create(brand=brand, by=request.user, name=form.cleaned_data["name"],
                                       colour=form.cleaned_data["colour"],
                                       needs_approval=form.cleaned_data["needs_approval"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Pillar added."))
                return redirect("content:pillars")
    return render(request, "content/pillars.html", {
        "pillars": selectors.pillar_list(user=request.user), "form": form, "brands": sorted(brands, key=str),
        "can_edit": request.user.is_org_wide,
    }, status=400 if form.is_bound and form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def pillar_edit(request, pillar_id: int):
    pillar = get_object_or_404(selectors.pillar_list(user=request.user), pk=pillar_id)
    if not request.user.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators edit content pillars."))
    form = PillarForm(request.POST or None, instance=Pillar.objects.get(pk=pillar.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.pillar_update(pillar=pillar, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("content:pillars")
    return render(request, "content/pillar_form.html", {"form": form, "pillar": pillar})
