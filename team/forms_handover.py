"""Forms of the absence, handover and workload pages (team.views_handover)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HANDOVER_CHECKLIST, AbsenceKind, User
from .work import work_sources


def _people():
    return User.objects.filter(is_active=True).order_by("username")


class AbsenceForm(forms.Form):
    person = forms.ModelChoiceField(label=_("person"), queryset=User.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=AbsenceKind.choices)
    starts_on = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("until"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Empty: open-ended. Someone who left the company is away for good."))
    note = forms.CharField(label=_("note"), max_length=300, required=False)
    to_person = forms.ModelChoiceField(label=_("stand-in"), queryset=User.objects.none(), required=False,
                                       help_text=_("Empty: suggest someone who may act on the accounts of the work."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people()
        self.fields["to_person"].queryset = _people()

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The absence ends before it starts: give a later day."))
        if cleaned.get("person") and cleaned.get("person") == cleaned.get("to_person"):
            self.add_error("to_person", _("The stand-in must be someone else."))
        return cleaned


class HandoverApplyForm(forms.Form):
    to_person = forms.ModelChoiceField(label=_("stand-in"), queryset=User.objects.none())
    checklist = forms.MultipleChoiceField(label=_("checklist"), choices=list(HANDOVER_CHECKLIST.items()),
                                          widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_person"].queryset = _people()


class RebalanceForm(forms.Form):
    from_person = forms.ModelChoiceField(label=_("from"), queryset=User.objects.none())
    kind = forms.ChoiceField(label=_("work"), choices=())
    to_person = forms.ModelChoiceField(label=_("handed to"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_person"].queryset = _people()
        self.fields["to_person"].queryset = _people()
        self.fields["kind"].choices = [(s.kind, s.label) for s in work_sources()]
