from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from knox.models import AuthToken

from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip

from . import selectors, services
from .forms import DepartmentForm, PersonForm
from .models import Department, Role, User
from .permissions import (
    audit_view_allowed,
    departments_manage_allowed,
    people_manage_allowed,
    person_change_allowed,
)

AUDIT_PAGE = 50  # rows per page of the audit log


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def people(request):
    role = request.GET.get("role") or None
    if role not in Role.values:
        role = None
    department_id = _int_or_none(request.GET.get("department"))
    q = (request.GET.get("q") or "").strip()[:60]
    return render(request, "team/people.html", {
        "people": selectors.people_list(department_id=department_id, role=role, q=q or None,
                                        include_inactive=people_manage_allowed(request.user)),
        "departments": selectors.department_list(),
        "roles": Role.choices,
        "filters": {"role": role, "department": department_id, "q": q},
        "can_manage": people_manage_allowed(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, person_id: int | None = None):
    if not people_manage_allowed(request.user):
        raise PermissionDenied(_("Only managers and administrators manage people."))
    person = get_object_or_404(User, pk=person_id) if person_id else None
    if person is not None and not person_change_allowed(request.user, person):
        raise PermissionDenied(_("Only an administrator can change an administrator."))
    form = PersonForm(request.POST or None, instance=person, by=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "password"}
        try:
            if person is None:
                created = services.person_create(by=request.user, password=form.cleaned_data["password"],
                                                 ip=client_ip(request), **data)
                message = _("%(name)s can now sign in.") % {"name": created}
            else:
                data.pop("username", None)
                services.person_update(person=person, by=request.user, ip=client_ip(request), **data)
                message = _("Saved.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("team:people")
    return render(request, "team/person_form.html", {"form": form, "person": person})


@login_required
@require_http_methods(["GET", "POST"])
def departments(request, department_id: int | None = None):
    can_manage = departments_manage_allowed(request.user)
    department = get_object_or_404(Department, pk=department_id) if department_id else None
    if request.method == "POST" and not can_manage:
        raise PermissionDenied(_("Only managers and administrators edit departments."))
    if department is not None and not can_manage:
        raise PermissionDenied(_("Only managers and administrators edit departments."))
    form = DepartmentForm(request.POST or None, instance=department) if can_manage else None
    if request.method == "POST" and form.is_valid():
        if department is None:
            services.department_create(by=request.user, ip=client_ip(request), **form.cleaned_data)
            messages.success(request, _("Department added."))
        else:
            services.department_update(department=department, by=request.user, ip=client_ip(request),
                                       **form.cleaned_data)
            messages.success(request, _("Saved."))
        return redirect("team:departments")
    return render(request, "team/departments.html", {
        "departments": selectors.department_list(), "form": form, "editing": department,
    })


@login_required
def audit(request):
    if not audit_view_allowed(request.user):
        raise PermissionDenied(_("Only managers and administrators read the audit log."))
    action = (request.GET.get("action") or "").strip()[:60]
    events = selectors.audit_list(action=action or None, actor_id=_int_or_none(request.GET.get("actor")))
    page = Paginator(events, AUDIT_PAGE).get_page(request.GET.get("page"))
    return render(request, "team/audit.html", {"page": page, "action": action})


@never_cache  # the page that shows a new token must not be kept by any cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    new_token = None
    if request.method == "POST":
        _instance, new_token = services.api_token_create(user=request.user, ip=client_ip(request))
    return render(request, "team/tokens.html", {
        "tokens": AuthToken.objects.filter(user=request.user).order_by("-created"),
        "new_token": new_token,
    })


@login_required
@require_POST
def token_revoke(request, token_id: str):
    if services.api_token_revoke(user=request.user, token_id=token_id, ip=client_ip(request)):
        messages.success(request, _("The token was revoked; programs using it are now refused."))
    return redirect("team:tokens")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def notices(request):
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("notice") if i.isascii() and i.isdigit()]
        count = services.notice_mark_read(user=request.user, notice_ids=ids or None)
        messages.success(request, _("%(count)d notice(s) marked as read.") % {"count": count})
        return redirect("team:notices")
    return render(request, "team/notices.html", {"notices": selectors.notice_list(user=request.user)})


@require_POST
def language_set(request):
    """The language switch of the header and of the login page. A signed-in person's choice is stored
    on the person (every session, every device, the API); the cookie carries it to the login page."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Choose one of the offered languages."))
    if request.user.is_authenticated:
        services.person_language_set(person=request.user, language=language)
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                        path=settings.LANGUAGE_COOKIE_PATH, secure=settings.LANGUAGE_COOKIE_SECURE,
                        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response
