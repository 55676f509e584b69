"""Forms of the response pages: the alert filters, opening and typing an incident, a manual grade change, a
note, closing with the lessons learnt, drafting a statement of the one voice and fast-tracking it. They validate
input; the services in ``sentiment.incidents`` decide what is allowed."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from positioning.access import Action, accounts_for
from positioning.models import Account, Brand
from team.models import User

from .models import AlertKind, Grade, Handling, IncidentState, IncidentType

ACK_CHOICES = [("", _("any")), ("no", _("Not acknowledged")), ("yes", _("Acknowledged"))]
STATE_CHOICES = [("", _("any")), *IncidentState.choices]
TEXT_MAX = 2000  # characters of a Weibo long post: a statement is one post
# A statement is a content post: the composer's live checks (Weibo length, Weibo's rules, forbidden words,
# similar posts) count it as it is typed.
STATEMENT_CHECKED = "#statement-form [name='text'], #statement-form [name='accounts']"
STATEMENT_CHECK = {"hx-post": reverse_lazy("content:check"), "hx-target": "#statement-checks", "hx-swap": "innerHTML",
                   "hx-trigger": "input changed delay:400ms, change, load", "hx-include": STATEMENT_CHECKED}


def _digits(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class _Lenient(forms.Form):
    """GET filters: a value outside the choices (a stale link, a typo in the URL) is forgotten, not an error."""

    def __init__(self, data, **choices):
        super().__init__({})
        for name, options in choices.items():
            self.fields[name].choices = options
        known = {}
        for name, field in self.fields.items():
            value = (data or {}).get(name, "")
            if isinstance(field, forms.ChoiceField) and value not in {str(v) for v, _label in field.choices}:
                continue
            known[name] = value
        self.data = known

    def value(self, name: str) -> str:
        return (self.cleaned_data.get(name) if self.is_valid() else "") or ""


class AlertFilterForm(_Lenient):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("any")), *AlertKind.choices])
    acknowledged = forms.ChoiceField(label=_("Acknowledged"), required=False, choices=ACK_CHOICES)
    brand = forms.ChoiceField(label=_("Brand"), required=False)

    def __init__(self, data, *, brands: list[Brand]):
        super().__init__(data, brand=[("", _("all brands")), *((str(b.pk), b.name) for b in brands)])
        self.brands = {str(b.pk): b for b in brands}

    def chosen_brand(self) -> Brand | None:
        return self.brands.get(self.value("brand"))


class IncidentFilterForm(_Lenient):
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    brand = forms.ChoiceField(label=_("Brand"), required=False)

    def __init__(self, data, *, brands: list[Brand]):
        super().__init__(data, brand=[("", _("all brands")), *((str(b.pk), b.name) for b in brands)])
        self.brands = {str(b.pk): b for b in brands}

    def chosen_brand(self) -> Brand | None:
        return self.brands.get(self.value("brand"))


class IncidentOpenForm(forms.Form):
    brand = forms.ModelChoiceField(label=_("Brand"), queryset=Brand.objects.none(),
                                   error_messages={"required": _("Choose the brand.")})
    title = forms.CharField(label=_("Title"), max_length=200,
                            error_messages={"required": _("Give the incident a short title.")})
    kind = forms.ChoiceField(label=_("Type"), choices=IncidentType.choices, initial=IncidentType.UNKNOWN)
    summary = forms.CharField(label=_("What happened"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, brands, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = brands


class IncidentTypeForm(forms.Form):
    # An undetermined incident shows "not yet judged" selected: no type is preselected for the person.
    kind = forms.ChoiceField(label=_("Type"), choices=[("", IncidentType.UNKNOWN.label),
                                                       *(c for c in IncidentType.choices if c[0] != "unknown")],
                             error_messages={"required": _("Choose the type.")})
    handling = forms.ChoiceField(label=_("Handling"), required=False, choices=[("", "—"), *Handling.choices],
                                 help_text=_("Only for a customer misunderstanding: privately first, or publicly."))

    def clean(self):
        data = super().clean()
        if data.get("kind") != IncidentType.MISUNDERSTANDING:
            data["handling"] = ""
        elif not data.get("handling"):
            self.add_error("handling", _("Choose how to handle the misunderstanding: cold or hot."))
        return data


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    reason = forms.CharField(label=_("Why"), max_length=500,
                             error_messages={"required": _("Say why the grade changes: it goes in the report.")})


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("Write the note first.")})


class CloseForm(forms.Form):
    lessons = forms.CharField(label=_("Lessons learnt"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"required": _("Write down the lessons learnt before closing.")})


class StatementForm(forms.Form):
    text = forms.CharField(label=_("Statement"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 6}),
                           error_messages={"required": _("Write the statement first.")})
    accounts = forms.ModelMultipleChoiceField(
        label=_("Publish on"), queryset=Account.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one account to publish on."),
                        "invalid_choice": _("You may not draft on that account.")})

    def __init__(self, *args, brand: Brand, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the accounts the person may draft on are offered; content checks it again.
        self.fields["accounts"].queryset = (accounts_for(user, Action.DRAFT).filter(brand=brand, is_active=True)
                                            .order_by("name"))
        self.fields["text"].widget.attrs.update({**STATEMENT_CHECK, "aria-describedby": "statement-checks"})
        self.fields["accounts"].widget.attrs.update({k: v for k, v in STATEMENT_CHECK.items() if k != "hx-trigger"}
                                                    | {"hx-trigger": "change"})
        # Weibo takes a post only with a link on the app's registered domain: start the statement with one.
        link = f"https://{settings.WEIBO_SAFE_DOMAIN}/"
        self.fields["text"].initial = f"\n{link}"
        self.fields["text"].help_text = _("Keep a link to %(domain)s in it: Weibo publishes a post only with a link "
                                          "on the app's domain.") % {"domain": settings.WEIBO_SAFE_DOMAIN}


class FastTrackForm(forms.Form):
    reason = forms.CharField(label=_("Why it cannot wait"), max_length=500,
                             error_messages={"required": _("Say why this statement cannot wait for the usual "
                                                           "approval.")})


def clean_id(value) -> int | None:
    """An id from the query string, or None when it is not one."""
    return _digits(value)

