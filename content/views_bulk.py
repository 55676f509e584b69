"""Pages for bulk work on the calendar: import posts from a file (upload → preview → confirm) and
export the calendar with metrics. They translate requests into calls of ``bulk``; nothing more."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from positioning.access import Action, accounts_for
from positioning.models import Account
from weibo_ops import dates
from weibo_ops.forms import add_service_errors
from weibo_ops.requests import client_ip

from . import bulk

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ISO_DATE = "%Y-%m-%d"  # what <input type="date"> sends and shows, whatever the language
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv,"
                                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
        error_messages={"required": gettext_lazy("Choose the file to import.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Up to %(rows)s rows and %(mb)s MB. Columns: 账号, 日期, 时间, 内容支柱, "
                                          "正文, 原创.") % {"rows": bulk.MAX_ROWS,
                                                          "mb": bulk.MAX_FILE_BYTES // 1024 // 1024}


class ExportForm(forms.Form):
    start = dates.DateField(label=gettext_lazy("From"), widget=DATE_INPUT, input_formats=[ISO_DATE])
    end = dates.DateField(label=gettext_lazy("To (inclusive)"), widget=DATE_INPUT, input_formats=[ISO_DATE])
    account = forms.ModelChoiceField(label=gettext_lazy("Account"), queryset=Account.objects.none(),
                                     required=False, empty_label=gettext_lazy("All my accounts"))
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=[("xlsx", "Excel (XLSX)"), ("csv", "CSV")],
                               initial="xlsx", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts_for(user, Action.VIEW).order_by("brand__name", "name")


def _export_initial() -> dict:
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    return {"start": monday, "end": monday + timedelta(days=6), "format": "xlsx"}


def _page(request, *, form=None, preview=None, errors=(), status=200):
    return render(request, "content/import.html", {
        "form": form or ImportForm(),
        "errors": list(errors),
        "export_form": ExportForm(user=request.user, initial=_export_initial()),
        **(preview or {}),
    }, status=status)


def _preview(file: bulk.ImportFile, rows: list[bulk.ImportRow], token: str) -> dict:
    valid = sum(1 for r in rows if r.ok)
    return {"file": file, "rows": rows, "token": token, "valid": valid, "invalid": len(rows) - valid,
            "all_valid": valid == len(rows)}


@login_required
@require_http_methods(["GET", "POST"])
def import_posts(request):
    """GET: the upload form (``?template=1``: the template CSV). POST a file: the preview.
    POST ``token`` and ``mode`` (all|valid): the import."""
    if request.method == "GET":
        if request.GET.get("template"):
            return _template(request)
        return _page(request)
    if "token" in request.POST:
        return _confirm(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        file = bulk.import_parse(upload=form.cleaned_data["file"])
        token = bulk.import_sign(file, by=request.user)
    except ValidationError as error:
        add_service_errors(form, ValidationError({"file": error.messages}))
        return _page(request, form=form, status=400)
    rows = bulk.import_check(rows=file.rows, by=request.user)
    return _page(request, preview=_preview(file, rows, token))


def _confirm(request):
    mode = request.POST.get("mode")
    token = request.POST.get("token", "")
    try:
        file = bulk.import_load(token, by=request.user)
    except ValidationError as error:
        return _page(request, errors=error.messages, status=400)
    if mode not in ("all", "valid"):
        return _page(request, errors=[_("Choose whether to import all rows or only the valid ones.")], status=400)
    try:
        result = bulk.posts_import(file=file, by=request.user, ip=client_ip(request), only_valid=mode == "valid")
    except ValidationError as error:
        if getattr(error, "code", None) == "done":
            messages.info(request, " ".join(error.messages))
            return redirect("content:calendar")
        messages.error(request, " ".join(error.messages))
        return _page(request, preview=_preview(file, bulk.import_check(rows=file.rows, by=request.user), token),
                     status=409)
    if result.refused:
        messages.error(request, _("Nothing was imported: some rows are not valid any more (see below). Fix the "
                                  "file, or import only the valid rows."))
        return _page(request, preview=_preview(file, result.rows, token), status=409)
    messages.success(request, ngettext(
        "Imported %(count)s post from %(file)s (%(waiting)s waiting for approval).",
        "Imported %(count)s posts from %(file)s (%(waiting)s waiting for approval).",
        len(result.posts)) % {"count": len(result.posts), "file": file.name, "waiting": result.waiting})
    first = min(timezone.localtime(r.at).date() for r in result.rows if r.ok)
    return redirect(f"{reverse('content:calendar')}?start={first.isoformat()}")


def _template(request):
    body = bulk.import_template(by=request.user, language=translation.get_language() or "zh-hans")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="content-import-template.csv"'
    return response


@login_required
@require_GET
def export(request):
    """The calendar from ``start`` to ``end`` with metrics, as ``format`` (csv or xlsx); without
    parameters, the form that asks for them."""
    if not request.GET:
        return render(request, "content/export.html", {
            "export_form": ExportForm(user=request.user, initial=_export_initial())})
    form = ExportForm(request.GET, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            table = bulk.calendar_export(user=request.user, start=data["start"], end=data["end"],
                                         account=data["account"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _download(table, data["format"] or "xlsx")
    return render(request, "content/export.html", {"export_form": form}, status=400)


def _download(table: bulk.ExportTable, fmt: str):
    if fmt == "csv":
        response = StreamingHttpResponse(bulk.export_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(bulk.export_xlsx(table), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{table.filename_stem}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
