"""Pages of the fan practices: "记为建议" and "tip-off" on an inbox item, the suggestion log, the care
list (revisits due, gifts), talking to a cascade's key reposter, and the follower audit with its CSV.

The key-node action lives here rather than in ``sentiment``: ``fans`` already reads ``sentiment``, so a
``sentiment`` view that called ``fans`` would make the two apps import each other."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from positioning.access import Action, accounts_for
from sentiment.selectors import cascade_key_node
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip

from . import practices, selectors
from .forms_practices import (
    FollowerAuditForm,
    KeyNodeReplyForm,
    RevisitDoneForm,
    SuggestionDecideForm,
    SuggestionForm,
    TipOffForm,
)
from .models import FanRevisit, FollowerAudit, ReplyState, SuggestionState

LIST_PAGE = 50  # rows per page of the practice lists


def _visible_item(request, item_id: int):
    return get_object_or_404(selectors.visible_items(user=request.user).select_related("account", "fan"), pk=item_id)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_POST
def item_suggestion(request, item_id: int):
    """One click "记为建议": the item's text becomes the fan's suggestion (or the text given)."""
    item = _visible_item(request, item_id)
    form = SuggestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(list(form.errors.values()))))
        return redirect("fans:item", item.pk)
    try:
        practices.suggestion_record(item=item, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Recorded in the suggestion log."))
    return redirect("fans:item", item.pk)


@login_required
@require_POST
def item_tipoff(request, item_id: int):
    """Credit the item's fan with a tip-off about a negative post."""
    item = _visible_item(request, item_id)
    form = TipOffForm(request.POST)
    if form.is_valid():
        try:
            practices.tipoff_record(item=item, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        problems = [f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".lstrip(": ")
                    for f, e in form.errors.items()]
        messages.error(request, " ".join(problems))
    else:
        messages.success(request, _("Tip-off credited to %(fan)s.") % {"fan": item.fan})
    return redirect("fans:item", item.pk)


@login_required
@require_GET
def suggestions(request):
    state = request.GET.get("state", "")
    if state not in SuggestionState.values:
        state = ""
    rows = selectors.suggestion_list(user=request.user, state=state)
    page = Paginator(rows, LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "fans/suggestions.html", {
        "page": page, "state": state, "states": SuggestionState.choices, "form": SuggestionDecideForm(),
        "reply_accounts": _reply_accounts(request.user)})


def _reply_accounts(user) -> set[int]:
    """The accounts whose suggestions the person may decide (the decision may answer the fan)."""
    return set(accounts_for(user, Action.REPLY).values_list("pk", flat=True))


@login_required
@require_POST
def suggestion_decide(request, suggestion_id: int):
    suggestion = get_object_or_404(selectors.suggestion_list(user=request.user), pk=suggestion_id)
    form = SuggestionDecideForm(request.POST)
    if form.is_valid():
        try:
            suggestion = practices.suggestion_decide(suggestion=suggestion, by=request.user, rip=client_ip(request),
                                                     **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        rows = selectors.suggestion_list(user=request.user)
        return render(request, "fans/suggestions.html", {
            "page": Paginator(rows, LIST_PAGE).get_page(1), "state": "", "states": SuggestionState.choices,
            "form": SuggestionDecideForm(), "failed": suggestion.pk, "failed_form": form,
            "reply_accounts": _reply_accounts(request.user)}, status=400)
    if suggestion.reply and suggestion.reply.state == ReplyState.AWAITING_APPROVAL:
        messages.success(request, _("Adopted; the thank-you reply waits for approval."))
    elif suggestion.reply:
        messages.success(request, _("Adopted; the thank-you reply is queued."))
    else:
        messages.success(request, _("Suggestion updated."))
    return redirect("fans:suggestions")


@login_required
@require_GET
def care(request):
    """Loyal fans' care: revisits due (and all schedules), the latest gifts."""
    revisits = list(selectors.revisit_list(user=request.user)[:200])
    may = selectors.fans_may_act_on(user=request.user, fan_ids=[r.fan_id for r in revisits])
    for revisit in revisits:
        revisit.may_act = revisit.fan_id in may
    today = timezone.localdate()
    gifts = Paginator(selectors.gift_list(user=request.user), LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "fans/care.html", {
        "due": [r for r in revisits if r.next_due <= today], "later": [r for r in revisits if r.next_due > today],
        "gifts": gifts, "today": today, "done_form": RevisitDoneForm()})


@login_required
@require_POST
def revisit_done(request, revisit_id: int):
    revisit = get_object_or_404(selectors.revisit_list(user=request.user), pk=revisit_id)
    form = RevisitDoneForm(request.POST)
    if form.is_valid():
        revisit = practices.revisit_done(revisit=revisit, by=request.user, note=form.cleaned_data["note"])
        messages.success(request, _("Revisit recorded; the next one is due on %(d)s.")
                         % {"d": revisit.next_due.isoformat()})
    else:
        messages.error(request, _error_text(ValidationError(list(form.errors.values()))))
    return _back(request, revisit)


def _back(request, revisit: FanRevisit):
    if request.POST.get("back") == "fan":
        return redirect("fans:fan", revisit.fan_id)
    return redirect("fans:care")


@login_required
@require_POST
def key_node_reply(request, cascade_id: int, mid: str):
    """Comment under a key reposter's repost of a cascade, from the cascade page."""
    node = cascade_key_node(user=request.user, cascade_id=cascade_id, mid=mid)
    if node is None:
        raise Http404
    accounts = list(accounts_for(request.user, Action.REPLY).filter(brand_id=node.brand_id, is_active=True))
    form = KeyNodeReplyForm(request.POST, accounts=accounts)
    back = redirect("sentiment:cascade", cascade_id)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(list(form.errors.values()))))
        return back
    try:
        reply = practices.key_node_reply(
            node=practices.KeyNode(mid=node.mid, uid=node.uid, screen_name=node.screen_name, text=node.text),
            account=form.cleaned_data["account"], text=form.cleaned_data["text"], by=request.user,
            rip=client_ip(request))
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return back
    messages.success(request, _("Your comment to %(name)s waits for approval.") % {"name": node.screen_name or node.uid}
                     if reply.state == ReplyState.AWAITING_APPROVAL else
                     _("Your comment to %(name)s is queued.") % {"name": node.screen_name or node.uid})
    return back


def _audit_accounts(user):
    return list(accounts_for(user, Action.MANAGE).filter(is_active=True).order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def follower_audits(request):
    accounts = _audit_accounts(request.user)
    form = FollowerAuditForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        try:
            audit = practices.follower_audit_run(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("fans:follower_audit", audit.pk)
    audits = list(selectors.follower_audit_list(user=request.user)[:50])
    return render(request, "fans/follower_audits.html", {"form": form, "audits": audits, "accounts": accounts},
                  status=400 if form.errors else 200)


def _audit(request, audit_id: int) -> FollowerAudit:
    return get_object_or_404(selectors.follower_audit_list(user=request.user).select_related("account"), pk=audit_id)


@login_required
@require_GET
def follower_audit(request, audit_id: int):
    audit = _audit(request, audit_id)
    rows = Paginator(audit.rows.all(), 100).get_page(request.GET.get("page"))
    for row in rows:
        row.words = practices.scoring.reason_words(row.reasons)
    return render(request, "fans/follower_audit.html", {"audit": audit, "rows": rows})


@login_required
@require_GET
def follower_audit_csv(request, audit_id: int):
    audit = _audit(request, audit_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="zombie-followers-{audit.pk}.csv"'
    response.write("\ufeff")  # a BOM, so that Excel opens the Chinese names as UTF-8
    csv.writer(response).writerows(practices.follower_audit_csv_rows(audit))
    return response

