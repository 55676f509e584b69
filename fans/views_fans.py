"""Pages: the fan CRM (lists, one fan with scores, tags, notes and history) and the response and
resolution rates."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from positioning.access import Action, accounts_for, people_who_may
from team.models import User
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip

from . import practices, scoring, selectors, services
from .forms_config import FanNoteForm, FanTagsForm
from .forms_practices import GiftForm, RevisitDoneForm, RevisitForm
from .models import Fan, Tag

FANS_PAGE = 50  # fans per page of the CRM list
STATS_DAYS = (1, 7, 30)  # the windows the rates page offers

FAN_TABS = {
    "all": gettext_lazy("All fans"),
    "node": gettext_lazy("Node fans / opinion leaders"),
    "loyal": gettext_lazy("Loyal fans to reward"),
    "sharers": gettext_lazy("Sharers to revisit"),
    "dormant": gettext_lazy("Dormant"),
    "zombies": gettext_lazy("Zombies to review"),
}
SCORES = (
    ("influence", gettext_lazy("Influence"), "/100"),
    ("activity", gettext_lazy("Activity (interactions in 30 days)"), ""),
    ("loyalty", gettext_lazy("Loyalty"), "/100"),
    ("zombie", gettext_lazy("Zombie likelihood"), ""),
    ("hunter", gettext_lazy("Lottery hunter likelihood"), ""),
)


def _visible_tags(user: User, action: Action = Action.VIEW):
    if user.is_org_wide:
        return Tag.objects.select_related("brand").order_by("brand__name", "name")
    brands = accounts_for(user, action).values("brand_id")
    return Tag.objects.filter(brand_id__in=brands).select_related("brand").order_by("brand__name", "name")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None


@login_required
@require_GET
def fan_list(request):
    which = request.GET.get("list", "all")
    if which not in selectors.FAN_LISTS:
        which = "all"
    q = request.GET.get("q", "").strip()[:100]
    tag = _int(request.GET.get("tag"))
    fans = selectors.fan_list(user=request.user, which=which, q=q, tag=tag)
    page = Paginator(fans, FANS_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("list", which), ("q", q.replace("\x00", "")), ("tag", tag or "")) if v})
    return render(request, "fans/fans.html", {
        "page": page, "which": which, "q": q, "tag": tag, "tags": list(_visible_tags(request.user)),
        "tabs": [(key, FAN_TABS[key]) for key in selectors.FAN_LISTS], "query": query,
        "zombie_threshold": scoring.ZOMBIE_THRESHOLD,
    })


def _fan_may_edit(user: User, fan: Fan) -> bool:
    return user.is_org_wide or accounts_for(user, Action.REPLY).filter(interactions__fan=fan).exists()


def _profile_age(fan: Fan) -> int | None:
    return (timezone.now() - fan.profile_at).days if fan.profile_at else None


@login_required
@require_http_methods(["GET", "POST"])
def fan_detail(request, fan_id: int):
    fan = get_object_or_404(selectors.visible_fans(user=request.user)
                            .prefetch_related(selectors.fan_tags_prefetch(user=request.user)), pk=fan_id)
    tags = _visible_tags(request.user, Action.REPLY)  # the tags this person may set (fan_tags_set agrees)
    note_form = FanNoteForm(request.POST if request.POST.get("form") == "note" else None)
    tags_form = FanTagsForm(request.POST if request.POST.get("form") == "tags" else None, tags=tags,
                            initial={"tags": list(fan.tags.all())})
    care = _care_forms(request, fan)
    if request.method == "POST":
        saved = _fan_post(request, fan, note_form, tags_form) or _care_post(request, fan, **care)
        if saved:
            messages.success(request, saved)
            return redirect("fans:fan", fan.pk)
    reasons = scoring.reasons_text(fan)
    scores = [{"key": key, "label": label, "value": getattr(fan, key), "unit": unit, "reasons": reasons.get(key, [])}
              for key, label, unit in SCORES]
    return render(request, "fans/fan_detail.html", {
        "fan": fan, "scores": scores, "profile_days": _profile_age(fan),
        "history": selectors.fan_history(user=request.user, fan=fan),
        "notes": selectors.fan_notes(user=request.user, fan=fan),
        "note_form": note_form, "tags_form": tags_form, "can_edit": _fan_may_edit(request.user, fan),
        "is_zombie": fan.zombie >= scoring.ZOMBIE_THRESHOLD, "is_hunter": fan.hunter >= scoring.HUNTER_THRESHOLD,
        **care,
        "gifts": list(selectors.gift_list(user=request.user, fan=fan)[:50]),
        "revisits": list(selectors.revisit_list(user=request.user, fan=fan)),
        "suggestions": list(selectors.suggestion_list(user=request.user, fan=fan)[:50]),
        "tipoffs": list(selectors.tipoff_list(user=request.user, fan=fan)[:50]),
        "today": timezone.localdate(), "done_form": RevisitDoneForm(),
    }, status=400 if note_form.errors or tags_form.errors or any(f.errors for f in care.values()) else 200)


def _care_forms(request, fan: Fan) -> dict:
    """The gift and revisit forms of the fan page; the revisit's people are those who reply on an
    account the fan wrote to."""
    which = request.POST.get("form") if request.method == "POST" else None
    accounts = accounts_for(request.user, Action.REPLY).filter(interactions__fan=fan).distinct()
    people = {p.pk: p for a in accounts for p in people_who_may(a, Action.REPLY)}.values()
    return {"gift_form": GiftForm(request.POST if which == "gift" else None),
            "revisit_form": RevisitForm(request.POST if which == "revisit" else None, people=list(people),
                                        initial={"assignee": request.user.pk})}


def _care_post(request, fan: Fan, gift_form: GiftForm, revisit_form: RevisitForm) -> str | None:
    """Record a gift or set the revisit schedule; the message, or None when the form has errors."""
    if gift_form.is_bound and gift_form.is_valid():
        try:
            practices.gift_record(fan=fan, by=request.user, **gift_form.cleaned_data)
        except ValidationError as error:
            add_service_errors(gift_form, error)
            return None
        return _("Gift recorded.")
    if revisit_form.is_bound and revisit_form.is_valid():
        try:
            revisit = practices.revisit_set(fan=fan, by=request.user, **revisit_form.cleaned_data)
        except ValidationError as error:
            add_service_errors(revisit_form, error)
            return None
        return _("Revisits set: the first is due on %(d)s.") % {"d": revisit.next_due.isoformat()}
    return None


def _fan_post(request, fan: Fan, note_form: FanNoteForm, tags_form: FanTagsForm) -> str | None:
    """Add a note or set the tags; the message to show, or None when the form has errors.
    A person who may not act on the fan gets the service's PermissionDenied (403)."""
    if note_form.is_bound and note_form.is_valid():
        try:
            services.fan_note_add(fan=fan, text=note_form.cleaned_data["text"], by=request.user)
        except ValidationError as error:
            add_service_errors(note_form, error)
            return None
        return _("Note added.")
    if tags_form.is_bound and tags_form.is_valid():
        try:
            services.fan_tags_set(fan=fan, tags=list(tags_form.cleaned_data["tags"]), by=request.user,
                                  ip=client_ip(request))
        except ValidationError as error:
            add_service_errors(tags_form, error)
            return None
        return _("Tags saved.")
    return None


@login_required
@require_GET
def stats(request):
    days = _int(request.GET.get("days")) or 7
    if days not in STATS_DAYS:
        days = 7
    since = timezone.now() - timedelta(days=days)
    rates = selectors.rates(user=request.user, since=since)
    return render(request, "fans/stats.html", {
        "days": days, "choices": STATS_DAYS, "since": since,
        "accounts": selectors.rate_rows(rates["accounts"]), "people": selectors.rate_rows(rates["people"]),
    })
