"""Pages: the configuration of fan interaction — routing rules, reply templates, tags and the
department desks. Everyone with an account sees them; managers and administrators change them
(the services refuse everyone else)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from positioning.access import Action, accounts_for
from positioning.models import Brand
from team.models import Department, User
from weibo_ops.forms import add_service_errors

from . import selectors, services
from .forms_config import DeskForm, RuleForm, TagForm, TemplateForm, rule_initial
from .models import DepartmentDesk, Kind, Priority, ReplyTemplate, RoutingRule, Tag


def _brands(user: User) -> list[Brand]:
    if user.is_org_wide:
        return list(Brand.objects.order_by("name"))
    return list(Brand.objects.filter(pk__in=accounts_for(user, Action.VIEW).values("brand_id")).order_by("name"))


def _require_manager(user: User, what: str) -> None:
    if not user.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators change %(what)s. Ask a manager.") % {"what": what})


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- routing rules -------------------------------------------------------------------------------

def rule_rows(brands: list[Brand]) -> QuerySet[RoutingRule]:
    return (RoutingRule.objects.filter(brand__in=brands).select_related("brand", "assign_to", "assign_department")
            .prefetch_related("accounts", "add_tags").order_by("brand__name", "position", "id"))


def rule_conditions(rule: RoutingRule) -> list[str]:
    """The rule's conditions in words (prefetched accounts; no queries)."""
    words = []
    kinds = dict(Kind.choices)
    if rule.kinds:
        words.append(_("type is %(kinds)s") % {"kinds": _(" or ").join(str(kinds.get(k, k)) for k in rule.kinds)})
    accounts = list(rule.accounts.all())
    if accounts:
        words.append(_("on %(accounts)s") % {"accounts": "、".join(a.name for a in accounts)})
    if rule.keywords:
        words.append(_("the text contains any of: %(words)s") % {"words": "、".join(rule.keywords)})
    if rule.min_influence is not None:
        words.append(_("the fan's influence is at least %(n)d") % {"n": rule.min_influence})
    if rule.min_loyalty is not None:
        words.append(_("the fan's loyalty is at least %(n)d") % {"n": rule.min_loyalty})
    if rule.zombie == "only":
        words.append(_("the fan looks like a zombie"))
    elif rule.zombie == "exclude":
        words.append(_("the fan does not look like a zombie"))
    if rule.is_question:
        words.append(_("the text asks a question"))
    if rule.min_length:
        words.append(_("the text has at least %(n)d characters") % {"n": rule.min_length})
    return words or [_("every item that asks for an answer")]


def rule_actions(rule: RoutingRule) -> list[str]:
    words = []
    if rule.assign_to_id:
        words.append(_("assign to %(person)s") % {"person": rule.assign_to})
    if rule.assign_department_id:
        words.append(_("assign in turn to the people of %(department)s") % {"department": rule.assign_department})
    if rule.assign_on_duty:
        words.append(_("assign to the account's person on inbox duty"))
    tags = list(rule.add_tags.all())
    if tags:
        words.append(_("tag %(tags)s") % {"tags": "、".join(t.name for t in tags)})
    if rule.set_priority is not None:
        words.append(_("set priority %(priority)s") % {"priority": Priority(rule.set_priority).label})
    if rule.mark_complaint:
        words.append(_("mark as complaint"))
    return words


@login_required
@require_GET
def rules(request):
    brands = _brands(request.user)
    rows = list(rule_rows(brands))
    for rule in rows:
        rule.conditions_text, rule.actions_text = rule_conditions(rule), rule_actions(rule)
    return render(request, "fans/rules.html", {"rules": rows, "can_edit": request.user.is_org_wide,
                                               "many_brands": len(brands) > 1})


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request):
    _require_manager(request.user, _("routing rules"))
    form = RuleForm(request.POST or None, brands=_brands(request.user))
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            rule = services.rule_create(brand=form.chosen_brand(), by=request.user, **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Rule “%(name)s” added at the end of the list.") % {"name": rule.name})
            return redirect("fans:rules")
    return render(request, "fans/rule_form.html", {"form": form, "rule": None}, status=_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, rule_id: int):
    brands = _brands(request.user)
    rule = get_object_or_404(rule_rows(brands), pk=rule_id)
    _require_manager(request.user, _("routing rules"))
    form = RuleForm(request.POST or None, brands=brands, brand=rule.brand, initial=rule_initial(rule))
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(rule=rule, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("fans:rules")
    return render(request, "fans/rule_form.html", {"form": form, "rule": rule}, status=_status(form))


@login_required
@require_POST
def rule_move(request, rule_id: int):
    rule = get_object_or_404(RoutingRule.objects.filter(brand__in=_brands(request.user)), pk=rule_id)
    services.rule_move(rule=rule, by=request.user, up=request.POST.get("direction") != "down")
    messages.success(request, _("Order changed: “%(name)s” moved.") % {"name": rule.name})
    return redirect(f"{reverse('fans:rules')}#rule-{rule.pk}")


# --- reply templates -----------------------------------------------------------------------------

@login_required
@require_GET
def templates(request):
    brands = _brands(request.user)
    rows = ReplyTemplate.objects.filter(brand__in=brands).select_related("brand").order_by("brand__name", "name")
    return render(request, "fans/templates.html", {"templates": rows, "can_edit": request.user.is_org_wide,
                                                   "many_brands": len(brands) > 1})


@dataclass(frozen=True)
class _Editable:
    """A brand's setting edited on a form page: reply templates and tags share one create/edit path."""

    model: type
    form: type
    create: Callable
    update: Callable
    key: str  # the object's name in the template and in the update service
    page: str
    back: str
    fields: tuple[str, ...]
    what: str
    added: str
    saved: str


def _edit(request, spec: _Editable, object_id: int | None = None):
    brands = _brands(request.user)
    obj = get_object_or_404(spec.model.objects.filter(brand__in=brands), pk=object_id) if object_id else None
    _require_manager(request.user, str(spec.what))
    extra = {"brand": obj.brand, "initial": {f: getattr(obj, f) for f in spec.fields}} if obj else {}
    form = spec.form(request.POST or None, brands=brands, **extra)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "brand"}
        try:
            if obj is None:
                spec.create(brand=form.chosen_brand(), by=request.user, **data)
            else:
                spec.update(**{spec.key: obj}, by=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, str(spec.saved if obj else spec.added))
            return redirect(spec.back)
    return render(request, spec.page, {"form": form, spec.key: obj}, status=_status(form))


TEMPLATE_PAGE = _Editable(
    ReplyTemplate, TemplateForm, services.template_create, services.template_update, "template",
    "fans/template_form.html", "fans:templates", ("name", "text", "is_active"), gettext_lazy("reply templates"),
    gettext_lazy("Template added."), gettext_lazy("Template saved."))
TAG_PAGE = _Editable(
    Tag, TagForm, services.tag_create, services.tag_update, "tag", "fans/tag_form.html", "fans:tags",
    ("name", "colour", "replies_need_approval"), gettext_lazy("tags"), gettext_lazy("Tag added."),
    gettext_lazy("Tag saved."))


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request):
    return _edit(request, TEMPLATE_PAGE)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, template_id: int):
    return _edit(request, TEMPLATE_PAGE, template_id)


# --- tags ----------------------------------------------------------------------------------------

@login_required
@require_GET
def tags(request):
    brands = _brands(request.user)
    rows = Tag.objects.filter(brand__in=brands).select_related("brand").order_by("brand__name", "name")
    return render(request, "fans/tags.html", {"tags": rows, "can_edit": request.user.is_org_wide,
                                              "many_brands": len(brands) > 1})


@login_required
@require_http_methods(["GET", "POST"])
def tag_new(request):
    return _edit(request, TAG_PAGE)


@login_required
@require_http_methods(["GET", "POST"])
def tag_edit(request, tag_id: int):
    return _edit(request, TAG_PAGE, tag_id)


# --- department desks ----------------------------------------------------------------------------

@login_required
@require_GET
def desks(request):
    rows = []
    for department, desk in selectors.department_desks():
        department.desk_or_default = desk
        rows.append(department)
    return render(request, "fans/desks.html", {"departments": rows, "can_edit": request.user.is_org_wide})


@login_required
@require_http_methods(["GET", "POST"])
def desk_edit(request, department_id: int):
    department = get_object_or_404(Department.objects.select_related("desk"), pk=department_id)
    _require_manager(request.user, _("department desks"))
    desk = getattr(department, "desk", None) or DepartmentDesk(department=department)
    form = DeskForm(request.POST or None, initial={"normal_hours": desk.normal_hours,
                                                   "weibo_first_hours": desk.weibo_first_hours,
                                                   "webhook_url": desk.webhook_url})
    if request.method == "POST" and form.is_valid():
        try:
            services.desk_set(department=department, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Desk of %(department)s saved.") % {"department": department.name})
            return redirect("fans:desks")
    return render(request, "fans/desk_form.html", {"form": form, "department": department,
                                                   "has_secret": bool(desk.pk and desk.webhook_secret)},
                  status=_status(form))
