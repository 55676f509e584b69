"""Forms of the listening pages. They only parse input: the services decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from positioning.models import Account
from weibo_ops import dates

from .imports import FIELDS
from .models import GroupKind, MentionSource, MonitoringSettings, RuleGroup, Sentiment
from .services import GRADE_LEVELS, GRADE_MEASURES, grades_of
from .trends import MentionFilters

# Terms are written one per line or separated by commas (ASCII or Chinese), 、 or semicolons.
TERM_SPLIT = re.compile(r"[\n\r,，、;；]+")


def terms_parse(value: str) -> list[str]:
    """The words as typed; the service trims, deduplicates and checks them."""
    return [part.strip() for part in TERM_SPLIT.split(value or "") if part.strip()]


class TermsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("One per line or separated by commas; each at most 30 characters."))
        super().__init__(strip=False, max_length=400_000, **kwargs)

    def to_python(self, value):
        return terms_parse(super().to_python(value))

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=GroupKind.choices)
    include_terms = TermsField(label=_("Listen for any of these terms"))
    exclude_terms = TermsField(label=_("…but not when the text holds any of these"))
    context_terms = TermsField(label=_("…and only when it also holds one of these (optional)"),
                               help_text=_("E.g. 鲜牧 only with 牛奶 or 酸奶 nearby. One per line or comma separated."))
    search_enabled = forms.BooleanField(label=_("Search Weibo for the terms"), required=False, initial=True,
                                        help_text=_("Poll the commercial keyword search for the include terms."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


def group_initial(group: RuleGroup) -> dict:
    return {"name": group.name, "kind": group.kind, "include_terms": group.include_terms,
            "exclude_terms": group.exclude_terms, "context_terms": group.context_terms,
            "search_enabled": group.search_enabled, "is_active": group.is_active}


def _int(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 16 else None


CORRECTED_CHOICES = [("", _("either")), ("yes", _("corrected by a person")), ("no", _("as the model said"))]


class MentionFilterForm(forms.Form):
    """The mention list's GET filters. Stale or unknown values are dropped rather than refused."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Text or author")}))
    group = forms.ChoiceField(label=_("Keyword group"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("any")), *MentionSource.choices])
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False, choices=[("", _("any")), *Sentiment.choices])
    corrected = forms.ChoiceField(label=_("Verdict"), required=False, choices=CORRECTED_CHOICES)
    since = dates.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = dates.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    min_followers = forms.IntegerField(label=_("Author's followers at least"), required=False, min_value=0,
                                       max_value=10**12)
    has_copies = forms.BooleanField(label=_("Copied by others"), required=False)

    def __init__(self, data, *, groups: list[RuleGroup]):
        super().__init__({})
        self.fields["group"].choices = [("", _("any")), *((str(g.pk), g.name) for g in groups)]
        known = {}
        for name, field in self.fields.items():
            value = str((data or {}).get(name, ""))
            if isinstance(field, forms.ChoiceField) and value not in {str(v) for v, _label in field.choices}:
                continue
            known[name] = value[:100]
        self.data = known

    def filters(self) -> MentionFilters:
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return MentionFilters(
            q=(data.get("q") or "").strip(), group=_int(data.get("group")), source=data.get("source") or "",
            sentiment=data.get("sentiment") or "", corrected=data.get("corrected") or "",
            since=data.get("since"), until=data.get("until"), min_followers=data.get("min_followers"),
            has_copies=bool(data.get("has_copies")))


class CorrectionForm(forms.Form):
    label = forms.ChoiceField(label=_("Sentiment"), choices=Sentiment.choices)


class ReportForm(forms.Form):
    link = forms.CharField(label=_("Link to the post"), required=False, max_length=500,
                           widget=forms.TextInput(attrs={"type": "url", "inputmode": "url",
                                                         "placeholder": "https://weibo.com/…"}),
                           help_text=_("A weibo.com or m.weibo.cn link. With a link, the text is optional."))
    text = forms.CharField(label=_("The post's text"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 5}),
                           help_text=_("Needed when there is no link, e.g. a screenshot's words."))
    note = forms.CharField(label=_("Note for the PR team"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Who told you, why it matters, anything the post does not say."))


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Export file (CSV or .xlsx)"),
                           help_text=_("From a third-party monitoring service: the first row names the columns. "
                                       "Up to 20,000 rows and 10 MB."))


class ImportMapForm(forms.Form):
    """One select per field of ours: which of the file's columns fills it."""

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((c, c) for c in columns)]
        for name, (label, _aliases) in FIELDS.items():
            self.fields[name] = forms.ChoiceField(label=label, choices=choices, required=name == "text")
        self.fields["text"].error_messages["required"] = _("Choose the column that holds the mention's text.")

    def mapping(self) -> dict[str, str]:
        return {name: column for name, column in self.cleaned_data.items() if column}


class WordOfMouthForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Post from"), queryset=Account.objects.none(), empty_label=None)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts


class SettingsForm(forms.Form):
    bucket_minutes = forms.IntegerField(label=_("Bucket (minutes)"), min_value=1, max_value=1440,
                                        help_text=_("Negative mentions are counted per bucket of this length."))
    spike_min_count = forms.IntegerField(label=_("Minimum negative mentions"), min_value=1, max_value=100_000,
                                         help_text=_("A bucket alerts only with at least this many."))
    spike_factor = forms.FloatField(label=_("Times the usual"), min_value=1.0, max_value=1000.0,
                                    help_text=_("…and at least this many times the usual level for that hour."))
    influential_followers = forms.IntegerField(
        label=_("Influential account (followers)"), min_value=1, max_value=2_000_000_000,
        help_text=_("A negative post by an account with this many followers alerts on its own."))
    yellow_people = forms.IntegerField(label=_("Yellow: people taking part"), min_value=1)
    yellow_reach = forms.IntegerField(label=_("Yellow: reach (followers)"), min_value=1)
    orange_people = forms.IntegerField(label=_("Orange: people taking part"), min_value=1)
    orange_reach = forms.IntegerField(label=_("Orange: reach (followers)"), min_value=1)
    red_people = forms.IntegerField(label=_("Red: people taking part"), min_value=1)
    red_reach = forms.IntegerField(label=_("Red: reach (followers)"), min_value=1)
    webhook_url = forms.URLField(label=_("Alert webhook"), required=False, assume_scheme="https",
                                 help_text=_("Optional: every alert is also sent here (e.g. a group chat bot)."))
    webhook_secret = forms.CharField(
        label=_("Webhook secret"), required=False, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Signs every call. Never shown again: leave blank to keep the current one."))
    clear_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    email_alerts = forms.BooleanField(label=_("E-mail alerts to PR"), required=False)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        grades = {level: {m: data.pop(f"{level}_{m}") for m in GRADE_MEASURES} for level in GRADE_LEVELS}
        secret = data.pop("webhook_secret") or None  # blank keeps the stored secret
        if data.pop("clear_secret"):
            secret = ""
        data["webhook_url"] = data.get("webhook_url") or ""
        return {**data, "grades": grades, "webhook_secret": secret}


def settings_initial(monitoring: MonitoringSettings) -> dict:
    initial = {name: getattr(monitoring, name) for name in ("bucket_minutes", "spike_min_count", "spike_factor",
                                                            "influential_followers", "webhook_url", "email_alerts")}
    for level, values in grades_of(monitoring).items():
        for measure, value in values.items():
            initial[f"{level}_{measure}"] = value
    return initial
