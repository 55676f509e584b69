"""Pages of listening: the overview (trend, word clouds, today's counts), the mention list with sentiment
corrections, the positive word-of-mouth board, keyword groups, file imports, manual reports and the
monitoring settings. They translate requests into calls of ``trends`` (reads) and ``services``/``imports``
(writes), and show every refusal on the page.

Every page works on one brand: ``?brand=<id>`` when the person sees several, else their only one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from positioning.access import Action, accounts_for
from positioning.models import Brand
from weibo_ops.forms import add_service_errors

from . import imports, retraining, services, trends
from .access import Can, brands_for, monitoring_require, settings_allowed
from .forms import (
    CorrectionForm,
    GroupForm,
    ImportMapForm,
    ImportUploadForm,
    MentionFilterForm,
    ReportForm,
    SettingsForm,
    WordOfMouthForm,
    group_initial,
    settings_initial,
)
from .models import ImportBatch, ImportState, Mention, MentionSource, RuleGroup, Sentiment

CLOUD_DAYS = 7  # the word clouds read the last week
CHART_HEIGHT = 120  # SVG units of the tallest bar
BAR_WIDTH = 20  # SVG units per bucket, gap included


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _brand(request, can: Can = Can.VIEW) -> tuple[Brand, list[Brand]]:
    """The brand the page is about and the brands the person may choose from (403 when none)."""
    brands = list(brands_for(request.user, can).order_by("name"))
    if not brands:
        if can == Can.VIEW:
            raise PermissionDenied(_("You may not see opinion monitoring: ask a manager for access to one of the "
                                     "brand's accounts."))
        if can == Can.SETTINGS:
            raise PermissionDenied(_("Only PR people and managers change the monitoring settings."))
        raise PermissionDenied(_("Only PR, managers and those who manage one of the brand's accounts change its "
                                 "monitoring."))
    wanted = request.POST.get("brand") or request.GET.get("brand") or ""
    brand = next((b for b in brands if str(b.pk) == wanted), None) if wanted else brands[0]
    if brand is None:
        raise PermissionDenied(_("You may not see the monitoring of this brand."))
    return brand, brands


def _here(name: str, brand: Brand, brands: list[Brand], *args) -> str:
    url = reverse(name, args=args)
    return f"{url}?brand={brand.pk}" if len(brands) > 1 else url


def _base(brand: Brand, brands: list[Brand], user, **context) -> dict:
    return {"brand": brand, "brands": brands, "many_brands": len(brands) > 1,
            "brand_query": f"?brand={brand.pk}" if len(brands) > 1 else "",
            "can_rules": brand.pk in set(brands_for(user, Can.RULES).values_list("pk", flat=True)),
            "can_settings": settings_allowed(user), **context}


def _refused(request, error: ValidationError | PermissionDenied) -> None:
    for message in getattr(error, "messages", None) or [str(error)]:
        messages.error(request, message)


# --- the overview --------------------------------------------------------------------------------

@dataclass
class Bar:
    x: int
    label: str
    title: str
    segments: list[tuple[str, int, int, int]]  # (sentiment, y, height, count), bottom up


def chart(series: trends.Series) -> dict:
    """Stacked bars of a series as SVG geometry: negative at the bottom, then neutral, then positive."""
    peak = max(series.peak, 1)
    bars = []
    fmt = "%H:00" if series.unit == "hour" else "%m-%d"
    for index, bucket in enumerate(series.buckets):
        y = CHART_HEIGHT
        segments = []
        for sentiment in (Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE):
            count = bucket.counts.get(sentiment, 0)
            height = round(count * CHART_HEIGHT / peak)
            if count and not height:
                height = 1
            y -= height
            segments.append((str(sentiment), y, height, count))
        label = bucket.start.strftime(fmt)
        title = _("%(when)s: %(neg)d negative, %(neu)d neutral, %(pos)d positive") % {
            "when": label, "neg": bucket.negative, "neu": bucket.neutral, "pos": bucket.positive}
        bars.append(Bar(x=index * BAR_WIDTH, label=label, title=title, segments=segments))
    every = 4 if series.unit == "hour" else 1  # label every 4th hour, every day
    # The labels are HTML under the SVG, one grid cell per ``every`` bars: the SVG stretches to the card's width
    # (preserveAspectRatio="none"), and text inside it stretched with it and ran into its neighbours.
    return {"series": series, "bars": bars, "width": max(1, len(bars)) * BAR_WIDTH, "height": CHART_HEIGHT,
            "peak": series.peak, "bar": BAR_WIDTH - 4, "every": every,
            "labels": [bar.label for bar in bars[::every]]}


@login_required
@require_GET
def overview(request):
    brand, brands = _brand(request)
    since = timezone.now() - timedelta(days=CLOUD_DAYS)
    today = trends.today_counts(brand)
    return render(request, "sentiment/overview.html", _base(
        brand, brands, request.user,
        day=chart(trends.trend_series(brand, hours=24)), week=chart(trends.trend_series(brand, days=7)),
        cloud_negative=trends.word_cloud(brand, since=since, sentiment=Sentiment.NEGATIVE),
        cloud_all=trends.word_cloud(brand, since=since), today=today,
        today_sentiments=[(v, label, today.by_sentiment.get(v, 0)) for v, label in Sentiment.choices],
        today_sources=[(v, label, today.by_source[v]) for v, label in MentionSource.choices if today.by_source.get(v)],
        alerts=trends.latest_alerts(brand), incidents=trends.open_incidents(brand)))


# --- the mention list ----------------------------------------------------------------------------

@login_required
@require_GET
def mentions(request):
    brand, brands = _brand(request)
    groups = list(RuleGroup.objects.filter(brand=brand).order_by("name"))
    form = MentionFilterForm(request.GET, groups=groups)
    filters = form.filters()
    cursor = request.GET.get("cursor", "")
    page = trends.mention_page(request.user, brand, filters, cursor)
    query = QueryDict(mutable=True)
    for key, value in form.data.items():
        if value:
            query[key] = value
    if len(brands) > 1:
        query["brand"] = str(brand.pk)
    more = query.copy()
    if page.next_cursor:
        more["cursor"] = page.next_cursor
    context = _base(brand, brands, request.user, form=form, rows=page.items, filtered=filters.active,
                    next_url=f"?{more.urlencode()}" if page.next_cursor else "", cursor=cursor,
                    first_url=f"?{query.urlencode()}", sentiments=Sentiment.choices,
                    learning=retraining.model_learning(), min_corrections=retraining.MIN_CORRECTIONS)
    if request.htmx and request.htmx.target == "mention-list":
        return render(request, "sentiment/_mention_rows.html", context)
    return render(request, "sentiment/mentions.html", context)


@login_required
@require_POST
def mention_correct(request, mention_id: int):
    """Set a mention's sentiment by hand; htmx gets the row back, a plain form goes back to the list."""
    mention = get_object_or_404(Mention.objects.select_related("brand"), pk=mention_id)
    monitoring_require(request.user, mention.brand, Can.VIEW)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return render(request, "sentiment/_mention_rows.html",
                          {"rows": [mention], "sentiments": Sentiment.choices, "row_error": _("Choose a sentiment.")},
                          status=400)
        messages.error(request, _("Choose a sentiment."))
    else:
        services.mention_correct(mention=mention, by=request.user, label=form.cleaned_data["label"])
        if request.htmx:
            mention = Mention.objects.prefetch_related("groups").get(pk=mention.pk)
            return render(request, "sentiment/_mention_rows.html",
                          {"rows": [mention], "sentiments": Sentiment.choices, "just_corrected": mention.pk})
        messages.success(request, _("Sentiment set to %(label)s.") % {"label": mention.get_sentiment_display()})
    return redirect(f"{reverse('sentiment:mentions')}?brand={mention.brand_id}#mention-{mention.pk}")


# --- word of mouth -------------------------------------------------------------------------------

@login_required
@require_GET
def board(request):
    brand, brands = _brand(request)
    accounts = accounts_for(request.user, Action.DRAFT).filter(brand=brand, is_active=True).order_by("name")
    account_list = list(accounts)
    return render(request, "sentiment/board.html", _base(
        brand, brands, request.user, rows=trends.positive_board(brand), accounts=account_list,
        days=trends.BOARD_DAYS,
        wom_actions=[("thank", _("Thank")), ("repost", _("Repost")), ("quote", _("Quote"))]))


@login_required
@require_POST
def board_action(request, mention_id: int, action: str):
    mention = get_object_or_404(Mention.objects.select_related("brand"), pk=mention_id)
    monitoring_require(request.user, mention.brand, Can.VIEW)
    act = services.WORD_OF_MOUTH.get(action)
    back = redirect(f"{reverse('sentiment:board')}?brand={mention.brand_id}#mention-{mention.pk}")
    accounts = accounts_for(request.user, Action.DRAFT).filter(brand=mention.brand, is_active=True)
    form = WordOfMouthForm(request.POST, accounts=accounts)
    if act is None:
        messages.error(request, _("Choose thank, repost or quote."))
        return back
    if not form.is_valid():
        raise PermissionDenied(_("You may not draft posts on any account of %(brand)s: ask a manager.")
                               % {"brand": mention.brand.name})
    try:
        post = act(mention=mention, by=request.user, account=form.cleaned_data["account"])
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _("No draft was made."))
        _refused(request, error)
        return back
    messages.success(request, _("Draft made: edit it if you like, then send it for approval."))
    return redirect("content:post", post.pk)


# --- keyword groups ------------------------------------------------------------------------------

@login_required
@require_GET
def rules(request):
    brand, brands = _brand(request, Can.RULES)
    groups = list(RuleGroup.objects.filter(brand=brand).order_by("kind", "name"))
    return render(request, "sentiment/rules.html", _base(brand, brands, request.user, groups=groups))


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request):
    brand, brands = _brand(request, Can.RULES)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(brand=brand, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Keyword group “%(name)s” added.") % {"name": group.name})
            return redirect(_here("sentiment:rules", brand, brands))
    return render(request, "sentiment/rule_form.html", _base(brand, brands, request.user, form=form, group=None),
                  status=_status(form))


def _group(request, group_id: int) -> tuple[RuleGroup, list[Brand]]:
    group = get_object_or_404(RuleGroup.objects.select_related("brand"), pk=group_id)
    monitoring_require(request.user, group.brand, Can.RULES)
    return group, list(brands_for(request.user, Can.RULES).order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, group_id: int):
    group, brands = _group(request, group_id)
    form = GroupForm(request.POST or None, initial=group_initial(group))
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(group=group, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Keyword group saved."))
            return redirect(_here("sentiment:rules", group.brand, brands))
    return render(request, "sentiment/rule_form.html",
                  _base(group.brand, brands, request.user, form=form, group=group), status=_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def rule_delete(request, group_id: int):
    group, brands = _group(request, group_id)
    if request.method == "POST":
        name = group.name
        services.group_delete(group=group, by=request.user)
        messages.success(request, _("Keyword group “%(name)s” deleted; its mentions stay.") % {"name": name})
        return redirect(_here("sentiment:rules", group.brand, brands))
    return render(request, "sentiment/rule_form.html",
                  _base(group.brand, brands, request.user, form=None, group=group, deleting=True))


# --- imports -------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    brand, brands = _brand(request, Can.RULES)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = imports.import_read(brand=brand, by=request.user, upload=form.cleaned_data["file"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("sentiment:import_map", batch.pk)
    batches = list(ImportBatch.objects.filter(brand=brand).defer("rows").select_related("uploaded_by")[:20])
    return render(request, "sentiment/import_upload.html",
                  _base(brand, brands, request.user, form=form, batches=batches), status=_status(form))


def _batch(request, batch_id: int) -> tuple[ImportBatch, list[Brand]]:
    batch = get_object_or_404(ImportBatch.objects.select_related("brand", "uploaded_by"), pk=batch_id)
    monitoring_require(request.user, batch.brand, Can.RULES)
    return batch, list(brands_for(request.user, Can.RULES).order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request, batch_id: int):
    batch, brands = _batch(request, batch_id)
    if batch.state != ImportState.MAPPING:
        return redirect("sentiment:import_detail", batch.pk)
    form = ImportMapForm(request.POST or None, columns=batch.columns, initial=batch.mapping)
    mapping = batch.mapping
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        if "confirm" in request.POST:
            try:
                imports.import_confirm(batch=batch, by=request.user, mapping=mapping)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("sentiment:import_detail", batch.pk)
    preview, problem = [], ""
    if "text" in mapping:
        try:
            preview = imports.import_preview(batch=batch, mapping=mapping)
        except ValidationError as error:
            problem = " ".join(error.messages)
    fields = [(name, label) for name, (label, _aliases) in imports.FIELDS.items() if name in mapping]
    return render(request, "sentiment/import_map.html", _base(
        batch.brand, brands, request.user, batch=batch, form=form, preview=preview, fields=fields, problem=problem,
        preview_problems=sum(1 for row in preview if row.problems)), status=_status(form))


@login_required
@require_GET
def import_detail(request, batch_id: int):
    batch, brands = _batch(request, batch_id)
    skipped = [p for p in batch.problems if not p.get("warning")]
    warnings = [p for p in batch.problems if p.get("warning")]  # imported without what the warning names
    return render(request, "sentiment/import_detail.html", _base(batch.brand, brands, request.user, batch=batch,
                                                                 skipped=skipped, warnings=warnings))


# --- manual reports ------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    brand, brands = _brand(request)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mention_report(brand=brand, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Thank you: the post is queued and shows among the mentions in a minute."))
            return redirect(_here("sentiment:report", brand, brands))
    return render(request, "sentiment/report_form.html", _base(brand, brands, request.user, form=form),
                  status=_status(form))


# --- settings ------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request):
    brand, brands = _brand(request, Can.SETTINGS)
    monitoring = services.settings_for(brand)
    form = SettingsForm(request.POST or None, initial=settings_initial(monitoring))
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(brand=brand, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Monitoring settings of %(brand)s saved.") % {"brand": brand.name})
            return redirect(_here("sentiment:settings", brand, brands))
    return render(request, "sentiment/settings_form.html", _base(
        brand, brands, request.user, form=form, has_secret=bool(monitoring.webhook_secret)), status=_status(form))
