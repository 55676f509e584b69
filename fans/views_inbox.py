"""Pages of the inbox: the list across the matrix (filters, counts, live updates, bulk actions), a
conversation with its fan and tickets (reply, assign, tag, escalate, close), and the queue of
replies waiting for approval. They translate requests into calls of selectors and services, and
show every refusal on the page."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from positioning.access import Action, account_allows, accounts_for, people_who_may
from team.models import Department
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip, next_url
from weibo_ops.weibo import text as weibo_text

from . import replies, selectors, services, tickets
from .forms import (
    AssignForm,
    BulkForm,
    EscalateForm,
    InboxFilterForm,
    ItemUpdateForm,
    RefuseForm,
    ReplyForm,
    TagsForm,
    repliers,
)
from .models import (
    ANSWERABLE,
    Interaction,
    Reply,
    ReplyMethod,
    ReplyState,
    ReplyTemplate,
    Tag,
    TicketState,
)
from .scoring import reasons_text

POLL_SECONDS = 15  # how often the open inbox asks for new items (paused while ticking or typing)
RESENDABLE = [ReplyState.UNCONFIRMED, ReplyState.PAUSED]


def _refused(form, error: ValidationError | PermissionDenied) -> None:
    """A service's refusal, shown on the form it came from."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or _("You may not do that."))
    else:
        add_service_errors(form, error)


# --- the inbox -----------------------------------------------------------------------------------

@dataclass
class Row:
    item: Interaction
    sla: str
    ticket: object | None  # the newest ticket, for its state
    told: str  # "told", "not_told" (a resolved ticket, fan not told yet), or ""
    unanswered: bool  # open and still waiting for its first answer
    tags: list[Tag]  # the item's tags as shown beside its flags


def shown_tags(item: Interaction, tags: list[Tag]) -> list[Tag]:
    """The tags to show beside the item's complaint flag: a tag that only repeats the flag's word (the
    brand's "投诉" tag on a complaint) would say "投诉" twice on one row."""
    if not item.is_complaint:
        return tags
    flag = _("complaint").strip().casefold()
    return [tag for tag in tags if tag.name.strip().casefold() != flag]


def _row(item: Interaction, now) -> Row:
    tickets_ = list(item.tickets.all())  # prefetched
    ticket = max(tickets_, key=lambda t: (t.created_at, t.pk)) if tickets_ else None
    resolved = any(t.state == TicketState.RESOLVED for t in tickets_)
    told = "told" if item.loop_closed_at else "not_told" if resolved else ""
    return Row(item=item, sla=selectors.sla_status(item, now), ticket=ticket, told=told,
               unanswered=selectors.waits_for_answer(item), tags=shown_tags(item, list(item.tags.all())))


def _inbox_context(request) -> dict:
    user = request.user
    accounts = list(accounts_for(user, Action.VIEW).order_by("brand__name", "name"))
    tags = list(Tag.objects.filter(brand_id__in={a.brand_id for a in accounts}).order_by("name"))
    people = list(repliers(accounts_for(user, Action.VIEW)))
    form = InboxFilterForm(request.GET, user=user, accounts=accounts, tags=tags, people=people)
    cursor = request.GET.get("cursor", "")
    page = selectors.inbox_page(user=user, filters=form.filters(), cursor=cursor)
    query = QueryDict(mutable=True)
    for key, value in form.data.items():
        if value:
            query[key] = value
    deadline_first = form.filters().ordering == selectors.DEADLINE
    preset = query.copy()  # the filters without the order: which tab is current
    preset.pop("ordering", None)
    more = query.copy()
    if page.next_cursor:
        more["cursor"] = page.next_cursor
    return {
        "form": form, "rows": [_row(item, page.now) for item in page.items],
        "counts": selectors.inbox_counts(user=user),
        "next_url": f"?{more.urlencode()}" if page.next_cursor else "", "cursor": cursor,
        "first_url": f"?{query.urlencode()}", "query": query, "filtered": bool(query),
        "tags": tags, "people": [p for p in people if p.pk != user.pk], "poll_seconds": POLL_SECONDS,
        "here": request.get_full_path(), "deadline_first": deadline_first,
        "keep_order": "&ordering=deadline" if deadline_first else "", "preset": preset.urlencode(),
        # The filters stay open on a narrow screen once some are chosen: the person sees what narrows the list.
        "filters_open": any(key not in ("cursor", "ordering") for key in query),
    }


@login_required
@require_GET
def inbox(request):
    context = _inbox_context(request)
    if request.htmx and request.htmx.target == "inbox-live":
        return render(request, "fans/_inbox_live.html", context)
    return render(request, "fans/inbox.html", context)


def _back(request, fallback: str):
    return redirect(next_url(request, fallback))


def _bulk_run(request, data) -> str:
    items, by, ip = list(data["items"]), request.user, client_ip(request)
    if data["action"] == "assign":
        n = services.items_assign(items=items, to=data["to"], by=by, ip=ip)
        return (_("%(n)d items given to %(person)s.") % {"n": n, "person": data["to"]} if data["to"]
                else _("%(n)d items given back to nobody.") % {"n": n})
    if data["action"] == "tag":
        services.items_tag(items=items, tags=[data["tag"]], by=by, ip=ip)
        return _("Tagged %(n)d items “%(tag)s”.") % {"n": len(items), "tag": data["tag"].name}
    n = services.items_close(items=items, by=by, ip=ip)
    return _("%(n)d items closed.") % {"n": n}


@login_required
@require_POST
def bulk(request):
    """Assign, tag or close the ticked items. A refusal on any of them changes none."""
    form = BulkForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            messages.success(request, _bulk_run(request, form.cleaned_data))
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _("Nothing was changed."))
            for message in getattr(error, "messages", None) or [str(error)]:
                messages.error(request, message)
    return _back(request, reverse("fans:inbox"))


# --- one conversation ----------------------------------------------------------------------------

def _visible_item(request, item_id: int) -> Interaction:
    return get_object_or_404(selectors.visible_items(user=request.user)
                             .select_related("account", "account__brand", "fan", "assignee", "closed_by"), pk=item_id)


def _departments() -> list[tuple[Department, int]]:
    return [(department, desk.weibo_first_hours) for department, desk in selectors.department_desks()]


def _item_page(request, item: Interaction, *, status: int = 200, **forms):
    user = request.user
    thread = selectors.thread(user=user, item=item)
    can_reply = account_allows(user, item.account, Action.REPLY)
    open_loop = replies.ticket_resolved_open_loops(item=item)
    current_tags = list(item.tags.all())
    people = list(people_who_may(item.account, Action.REPLY))
    defaults = {
        "reply_form": ReplyForm(item=item, initial={"closes_loop": open_loop}),
        "assign_form": AssignForm(people=people, initial={"assignee": str(item.assignee_id or "")}),
        "tags_form": TagsForm(item=item, initial={"tags": current_tags}),
        "update_form": ItemUpdateForm(initial={"priority": item.priority, "is_complaint": item.is_complaint}),
        "escalate_form": EscalateForm(),
    }
    method = replies.reply_method(item) if item.kind in ANSWERABLE else ""
    is_message = method == ReplyMethod.MESSAGE
    return render(request, "fans/item.html", {
        **defaults, **forms, "item": item, "thread": thread, "fan": item.fan, "reasons": reasons_text(item.fan),
        "can_reply": can_reply, "answerable": item.kind in ANSWERABLE, "open_loop": open_loop,
        "current_tags": current_tags, "shown_tags": shown_tags(item, current_tags),
        "sla": selectors.sla_status(item), "departments": _departments(),
        "resendable": RESENDABLE, "now_time": timezone.now(), "reply_method": method,
        "limit": weibo_text.MESSAGE_MAX_LENGTH if is_message else weibo_text.MAX_LENGTH,
        "message_window": replies.message_window(item) if is_message else None,
        "duty_routing": selectors.duty_routing_of(item=item),
    }, status=status)


@login_required
@require_GET
def item(request, item_id: int):
    return _item_page(request, _visible_item(request, item_id))


@login_required
@require_GET
def reply_check(request, item_id: int):
    """htmx: what would stop the reply, as the person types."""
    item = _visible_item(request, item_id)
    text = (request.GET.get("text") or "")[:5000].strip()
    template_id = request.GET.get("template", "")
    template = None
    if template_id.isascii() and template_id.isdigit():
        template = ReplyTemplate.objects.filter(brand_id=item.account.brand_id, pk=template_id).first()
    try:
        problems = replies.reply_check(item=item, text=text, template=template) if text else []
    except ValidationError as error:
        problems = [replies.Problem("text", m) for m in error.messages]
    return render(request, "fans/_item_checks.html", {
        "checked": bool(text), "problems": problems, "length": weibo_text.weibo_length(text),
        "limit": weibo_text.MESSAGE_MAX_LENGTH if item.kind == "message" else weibo_text.MAX_LENGTH})


@login_required
@require_POST
def item_reply(request, item_id: int):
    item = _visible_item(request, item_id)
    form = ReplyForm(request.POST, item=item)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reply = replies.reply_create(item=item, text=data["text"], by=request.user, template=data["template"],
                                         confirm_boilerplate=data["confirm_boilerplate"], rip=client_ip(request),
                                         closes_loop=data["closes_loop"])
        except (ValidationError, PermissionDenied) as error:
            _refused(form, error)
            return _item_page(request, item, reply_form=form,
                              status=403 if isinstance(error, PermissionDenied) else 400)
        messages.success(request, _("Reply waits for approval; the approvers have been told.")
                         if reply.state == ReplyState.AWAITING_APPROVAL
                         else _("Reply queued: its Weibo outcome shows below in a moment."))
        return redirect("fans:item", item.pk)
    return _item_page(request, item, reply_form=form, status=400)


def _item_action(request, item: Interaction, *, form_name: str, form, call, success: str):
    """Validate ``form``, run ``call(cleaned_data)``; on a refusal show the page again with the reason."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _refused(form, error)
        else:
            messages.success(request, success)
            return redirect("fans:item", item.pk)
    return _item_page(request, item, status=400, **{form_name: form})


@login_required
@require_POST
def item_assign(request, item_id: int):
    item = _visible_item(request, item_id)
    form = AssignForm(request.POST, people=list(people_who_may(item.account, Action.REPLY)))
    return _item_action(request, item, form_name="assign_form", form=form,
                        call=lambda d: services.items_assign(items=[item], to=form.person(), by=request.user,
                                                             ip=client_ip(request)),
                        success=_("Assignment saved."))


@login_required
@require_POST
def item_tags(request, item_id: int):
    item = _visible_item(request, item_id)
    form = TagsForm(request.POST, item=item)

    def call(data):
        chosen = set(data["tags"])
        current = set(item.tags.all())
        with transaction.atomic():  # both or neither
            if chosen - current:
                services.items_tag(items=[item], tags=list(chosen - current), by=request.user, ip=client_ip(request))
            if current - chosen:
                services.items_tag(items=[item], tags=list(current - chosen), by=request.user, remove=True,
                                   ip=client_ip(request))

    return _item_action(request, item, form_name="tags_form", form=form, call=call, success=_("Tags saved."))


@login_required
@require_POST
def item_update(request, item_id: int):
    item = _visible_item(request, item_id)
    form = ItemUpdateForm(request.POST)
    return _item_action(request, item, form_name="update_form", form=form,
                        call=lambda d: services.item_update(item=item, by=request.user, priority=d["priority"],
                                                            is_complaint=d["is_complaint"], ip=client_ip(request)),
                        success=_("Saved."))


@login_required
@require_POST
def item_escalate(request, item_id: int):
    item = _visible_item(request, item_id)
    form = EscalateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = tickets.ticket_create(item=item, department=data["department"], summary=data["summary"],
                                           by=request.user, ip=client_ip(request))
        except (ValidationError, PermissionDenied) as error:
            _refused(form, error)
        else:
            messages.success(request, _("Ticket #%(n)d for %(department)s: Weibo first, due %(due)s (Beijing time).")
                             % {"n": ticket.pk, "department": ticket.department.name,
                                "due": timezone.localtime(ticket.deadline).strftime("%Y-%m-%d %H:%M")})
            return redirect("fans:item", item.pk)
    return _item_page(request, item, status=400, escalate_form=form)


@login_required
@require_POST
def item_close(request, item_id: int):
    item = _visible_item(request, item_id)
    try:
        services.items_close(items=[item], by=request.user, ip=client_ip(request))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
    else:
        messages.success(request, _("Closed."))
    return _back(request, reverse("fans:item", args=[item.pk]))


@login_required
@require_POST
def item_reopen(request, item_id: int):
    item = _visible_item(request, item_id)
    try:
        services.item_reopen(item=item, by=request.user, ip=client_ip(request))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
    else:
        messages.success(request, _("Reopened."))
    return redirect("fans:item", item.pk)


def _visible_reply(request, reply_id: int) -> Reply:
    reply = get_object_or_404(Reply.objects.select_related("account", "interaction"), pk=reply_id)
    if not account_allows(request.user, reply.account, Action.VIEW):
        raise Http404
    return reply


@login_required
@require_POST
def reply_resend(request, reply_id: int):
    reply = _visible_reply(request, reply_id)
    try:
        replies.reply_resend(reply=reply, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
    else:
        messages.success(request, _("Sending again."))
    return redirect("fans:item", reply.interaction_id)


# --- approvals -----------------------------------------------------------------------------------

def _awaiting(request) -> list[Reply]:
    """Replies waiting for approval on the accounts where the person approves, oldest first."""
    accounts = accounts_for(request.user, Action.APPROVE).values("pk")
    return list(Reply.objects.filter(state=ReplyState.AWAITING_APPROVAL, account__in=accounts)
                .select_related("interaction__fan", "account", "created_by", "template").order_by("created_at", "id"))


@login_required
@require_GET
def approvals(request):
    return render(request, "fans/approvals.html", {"replies": _awaiting(request), "refuse_form": RefuseForm()})


@login_required
@require_POST
def approval_decide(request, reply_id: int):
    reply = _visible_reply(request, reply_id)
    decision = request.POST.get("decision")
    form = RefuseForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        if decision == "approve":
            replies.reply_approve(reply=reply, by=request.user, rip=client_ip(request))
            messages.success(request, _("Approved: the reply is on its way to Weibo."))
        elif decision == "refuse":
            replies.reply_refuse(reply=reply, by=request.user, comment=comment)
            messages.success(request, _("Sent back to the author."))
        else:
            messages.error(request, _("Choose approve or send back."))
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", None) or [str(error)]:
            messages.error(request, message)
    return _back(request, reverse("fans:approvals"))
