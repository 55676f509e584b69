from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from positioning.models import PeerAccount

DEFAULT_PERIOD = timedelta(days=28)  # the benchmark page shows the last four weeks unless asked otherwise
CSV_MAX_BYTES = 2 * 1024 * 1024  # a year of daily rows for dozens of peers is far below this


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def initial_period() -> dict:
        end = timezone.localdate() - timedelta(days=1)
        return {"start": end - DEFAULT_PERIOD + timedelta(days=1), "end": end}

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class PeerForm(forms.ModelForm):
    class Meta:
        model = PeerAccount
        fields = ["weibo_uid", "name", "industry_note", "source", "search_keyword"]


class CsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: <code>uid, day, followers, posts, interactions_per_post</code> (UTF-8)."))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB: split it."))
        try:
            return file.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text: save it as “CSV UTF-8”.")) from None
