"""Forms of the duty roster's pages (``positioning.views_roster``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from team.models import Duty, Role, User

from .models import Account
from .roster import MAX_REPEAT_WEEKS


def _people():
    return User.objects.filter(is_active=True).exclude(role=Role.DEPT_CONTACT).order_by("username")


class ShiftForm(forms.Form):
    """A shift as people plan it: a day, a start and an end time (an end at or before the start is the next
    day: a night shift), repeated weekly if asked."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    person = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    duty = forms.ChoiceField(label=_("Duty"), choices=Duty.choices)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}),
                          help_text=_("At or before the start: the shift ends the next day."))
    repeat_weeks = forms.IntegerField(label=_("Weeks"), min_value=1, max_value=MAX_REPEAT_WEEKS, initial=1,
                                      help_text=_("1: this week only; more: the same hours every week."))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["person"].queryset = _people()

    def service_fields(self) -> dict:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        starts = timezone.make_aware(datetime.combine(data["day"], data["start"]), tz)
        ends = timezone.make_aware(datetime.combine(data["day"], data["end"]), tz)
        if ends <= starts:
            ends = timezone.make_aware(datetime.combine(data["day"] + timedelta(days=1), data["end"]), tz)
        return {"account": data["account"], "person": data["person"], "duty": data["duty"], "starts_at": starts,
                "ends_at": ends, "repeat_weeks": data["repeat_weeks"], "note": data["note"]}


class SwapForm(forms.Form):
    to_person = forms.ModelChoiceField(label=_("Hand the shift to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_person"].queryset = _people()
