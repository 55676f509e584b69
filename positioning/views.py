from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from team.models import User
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip
from weibo_ops.weibo.errors import WeiboError

from . import selectors, services, weibo
from .access import Action, account_create_allowed, account_require, account_view, actions_on, brand_manage_allowed
from .forms import AccountForm, BrandForm, CircleForm, MemberForm, PlaybookForm
from .models import NAME_IDEAL_MAX, NAME_IDEAL_MIN, Account, Brand, ConnectionState, PlaybookVersion, TargetCircle


def name_warning(name: str) -> str | None:
    length = len(name.strip())
    if length and not NAME_IDEAL_MIN <= length <= NAME_IDEAL_MAX:
        return _(
            "“%(name)s” has %(n)s characters. Names of %(min)s to %(max)s characters are the easiest to remember."
        ) % {"name": name.strip(), "n": length, "min": NAME_IDEAL_MIN, "max": NAME_IDEAL_MAX}
    return None


@login_required
def matrix(request):
    accounts = list(selectors.matrix(user=request.user))
    brands: dict[Brand, list[Account]] = {}
    for account in accounts:
        account.name_warning = name_warning(account.name)
        brands.setdefault(account.brand, []).append(account)
    return render(request, "positioning/matrix.html", {
        "brands": brands, "can_create": account_create_allowed(request.user),
        "can_manage_brands": brand_manage_allowed(request.user),
    })


@login_required
@require_GET
def name_check(request):
    """htmx: the warning under the name field while a person types."""
    warning = name_warning(request.GET.get("name", "")[:30])
    return render(request, "positioning/_name_check.html", {"warning": warning})


@login_required
@require_http_methods(["GET", "POST"])
def brand_edit(request, brand_id: int | None = None):
    if not brand_manage_allowed(request.user):
        raise PermissionDenied(_("Only managers and administrators edit brands."))
    brand = get_object_or_404(Brand, pk=brand_id) if brand_id else None
    form = BrandForm(request.POST or None, instance=brand)
    if request.method == "POST" and form.is_valid():
        if brand is None:
            services.brand_create(by=request.user, ip=client_ip(request), **form.cleaned_data)
        else:
            services.brand_update(brand=brand, by=request.user, ip=client_ip(request), **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("positioning:matrix")
    return render(request, "positioning/brand_form.html", {"form": form, "brand": brand})


@login_required
@require_http_methods(["GET", "POST"])
def account_new(request):
    if not account_create_allowed(request.user):
        raise PermissionDenied(_("Only managers and administrators add accounts to the matrix."))
    form = AccountForm(request.POST or None, initial={"owner": request.user}, by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(by=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _account_saved(request, account, _("Account added. Next: write its playbook."))
    return _account_form(request, form, None)


@login_required
@account_view(Action.VIEW)
def account_detail(request, account: Account):
    detail = selectors.account_detail(account=account)
    return render(request, "positioning/account_detail.html", {
        "d": detail, "account": account, "name_warning": name_warning(account.name),
        "can_manage": Action.MANAGE in actions_on(request.user, account),
        "circle_form": CircleForm(), "member_form": MemberForm(),
    })


@login_required
@require_http_methods(["GET", "POST"])
@account_view(Action.MANAGE)
def account_edit(request, account: Account):
    form = AccountForm(request.POST or None, instance=account, by=request.user)
    if request.method == "POST" and form.is_valid():
        # The form wrote onto ``account`` already; the service reads the stored row for its diff.
        fresh = Account.objects.get(pk=account.pk)
        try:
            services.account_update(account=fresh, by=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _account_saved(request, fresh, _("Saved."))
    return _account_form(request, form, account)


def _account_form(request, form: AccountForm, account: Account | None):
    return render(request, "positioning/account_form.html", {
        "form": form, "account": account, "name_warning": name_warning(form["name"].value() or ""),
    })


def _account_saved(request, account: Account, message: str):
    warning = name_warning(account.name)
    if warning:
        messages.warning(request, warning)
    messages.success(request, message)
    return redirect("positioning:account", account_id=account.pk)


def _circles(request, account: Account, form: CircleForm | None = None):
    """After a change to the circles: the list again (htmx), or back to the account page."""
    if request.htmx:
        return render(request, "positioning/_circles.html", {
            "account": account, "circles": account.circles.all(), "circle_form": form or CircleForm(),
            "can_manage": True})
    if form is not None and form.errors:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("positioning:account", account_id=account.pk)


@login_required
@require_POST
@account_view(Action.MANAGE)
def circle_add(request, account: Account):
    form = CircleForm(request.POST)
    if form.is_valid():
        try:
            services.circle_add(account=account, by=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _circles(request, account, form if form.errors else None)


@login_required
@require_POST
@account_view(Action.MANAGE)
def circle_remove(request, account: Account, circle_id: int):
    circle = get_object_or_404(TargetCircle, pk=circle_id, account=account)
    services.circle_remove(circle=circle, by=request.user, ip=client_ip(request))
    return _circles(request, account)


@login_required
@require_POST
@account_view(Action.MANAGE)
def member_set(request, account: Account):
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person."))
        return redirect("positioning:account", account_id=account.pk)
    try:
        services.account_member_set(account=account, user=form.cleaned_data["user"],
                                    actions=form.cleaned_actions(), by=request.user, ip=client_ip(request))
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Access saved."))
    return redirect("positioning:account", account_id=account.pk)


@login_required
@require_POST
@account_view(Action.MANAGE)
def member_remove(request, account: Account, user_id: int):
    person = get_object_or_404(User, pk=user_id)
    try:
        services.account_member_remove(account=account, user=person, by=request.user, ip=client_ip(request))
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("%(name)s no longer has access to %(account)s.") % {
            "name": person, "account": account})
    return redirect("positioning:account", account_id=account.pk)


@login_required
@require_http_methods(["GET", "POST"])
@account_view(Action.MANAGE)
def playbook_edit(request, account: Account):
    current = selectors.playbook_current(account=account)
    form = PlaybookForm(request.POST or None, account=account, current=current)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        approvers = list(data.pop("approvers"))
        try:
            version = services.playbook_publish(account=account, by=request.user, approvers=approvers,
                                                ip=client_ip(request), **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Playbook version %(n)s published.") % {"n": version.number})
            return redirect("positioning:account", account_id=account.pk)
    return render(request, "positioning/playbook_form.html", {"form": form, "account": account, "current": current})


@login_required
@account_view(Action.VIEW)
def playbook_version(request, account: Account, number: int):
    version = get_object_or_404(
        PlaybookVersion.objects.select_related("created_by").prefetch_related("approvers"),
        account=account, number=number,
    )
    previous = (PlaybookVersion.objects.filter(account=account, number__lt=number).prefetch_related("approvers")
                .order_by("-number").first())
    return render(request, "positioning/playbook_version.html", {
        "account": account, "version": version, "previous": previous,
        "diff": selectors.playbook_diff(old=previous, new=version),
    })


@login_required
@account_view(Action.VIEW)
def handover(request, account: Account):
    return render(request, "positioning/handover.html", {"account": account, **selectors.handover(account=account)})


# --- Weibo connection (OAuth2) ------------------------------------------------------------------
OAUTH_SESSION_KEY = "weibo_oauth"
OAUTH_STATE_TTL = 15 * 60  # seconds a person has to finish authorising on Weibo


def _callback_url(request) -> str:
    return settings.WEIBO_CALLBACK_URL or request.build_absolute_uri(reverse("positioning:weibo_callback"))


@login_required
@require_POST
@account_view(Action.MANAGE)
def weibo_connect(request, account: Account):
    """Sends the person to Weibo's consent page; the callback comes back with a code and our state."""
    redirect_uri = _callback_url(request)
    start = weibo.weibo_connect_start(account=account, redirect_uri=redirect_uri)
    pending = {
        state: entry for state, entry in request.session.get(OAUTH_SESSION_KEY, {}).items()
        if time.time() - entry["at"] < OAUTH_STATE_TTL
    }
    pending[start.state] = {"account": account.pk, "redirect_uri": redirect_uri, "at": time.time()}
    request.session[OAUTH_SESSION_KEY] = pending
    return redirect(start.url)


@login_required
@require_GET
def weibo_callback(request):
    pending = request.session.get(OAUTH_SESSION_KEY, {})
    entry = pending.pop(request.GET.get("state", ""), None)
    request.session[OAUTH_SESSION_KEY] = pending
    if entry is None or time.time() - entry["at"] > OAUTH_STATE_TTL:
        messages.error(request, _("This Weibo authorisation did not start here or took too long (state check "
                                  "failed). Start it again from the account page."))
        return redirect("positioning:matrix")
    account = get_object_or_404(Account, pk=entry["account"])
    account_require(request.user, account, Action.MANAGE)
    if request.GET.get("error") or not request.GET.get("code"):
        messages.warning(request, _("Weibo authorisation was cancelled (%(reason)s); the account is unchanged.")
                         % {"reason": request.GET.get("error_description") or request.GET.get("error") or "no code"})
        return redirect("positioning:account", account.pk)
    try:
        connection = weibo.weibo_connect_finish(account=account, code=request.GET["code"][:200],
                                                redirect_uri=entry["redirect_uri"], by=request.user,
                                                ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except WeiboError as exc:
        messages.error(request, _("Weibo did not complete the authorisation: %(why)s") % {"why": exc.describe()})
    else:
        messages.success(request, _("%(account)s is connected to Weibo as %(name)s (uid %(uid)s).") % {
            "account": account.name, "name": connection.screen_name or "—", "uid": connection.uid})
    return redirect("positioning:account", account.pk)


@login_required
@require_POST
@account_view(Action.MANAGE)
def weibo_check(request, account: Account):
    connection = weibo.weibo_connection_check(account=account)
    if connection is None:
        messages.warning(request, _("The account is not connected to Weibo."))
    elif connection.state == ConnectionState.CONNECTED:
        messages.success(request, _("Weibo accepts the account's authorisation."))
    else:
        messages.error(request, _("The account needs re-authorisation on Weibo."))
    return redirect("positioning:account", account.pk)


@login_required
@require_POST
@account_view(Action.MANAGE)
def weibo_disconnect(request, account: Account):
    result = weibo.weibo_disconnect(account=account, by=request.user, ip=client_ip(request))
    if result is None or result.revoked:
        messages.success(request, _("The account is disconnected from Weibo and its authorisation is revoked there; "
                                    "its jobs are paused."))
    else:
        messages.warning(request, _(
            "The account is disconnected here and its jobs are paused, but Weibo could not revoke its authorisation "
            "(%(why)s): the token still works at Weibo until it expires. Sign in to weibo.com as the account and "
            "remove this app under Settings, Authorised apps.") % {"why": result.problem})
    return redirect("positioning:account", account.pk)
