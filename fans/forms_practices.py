"""Forms of the fan practices: they only parse input; ``fans.practices`` decides."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from positioning.models import Account
from team.models import User

from .models import SuggestionState


class SuggestionForm(forms.Form):
    text = forms.CharField(label=_("Suggestion"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Left empty, the fan's message is recorded as it stands."))
    area = forms.CharField(label=_("Product or area"), max_length=100, required=False)


class SuggestionDecideForm(forms.Form):
    state = forms.ChoiceField(label=_("Decision"), choices=[
        (s.value, s.label) for s in SuggestionState if s != SuggestionState.NEW])
    adopted_what = forms.CharField(label=_("What was adopted"), max_length=200, required=False,
                                   help_text=_("Needed to adopt: the fan is thanked in a reply that says it."))
    reply_text = forms.CharField(label=_("Reply to the fan"), max_length=1000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text=_("Left empty, a standard thank-you naming what was adopted."))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class TipOffForm(forms.Form):
    url = forms.URLField(label=_("Link to the negative post"), max_length=500, assume_scheme="https")
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class GiftForm(forms.Form):
    what = forms.CharField(label=_("Gift"), max_length=200)
    given_on = forms.DateField(label=_("Given on"), widget=forms.DateInput(attrs={"type": "date"}),
                               initial=timezone.localdate)
    reason = forms.CharField(label=_("Why"), max_length=500)
    cost = forms.DecimalField(label=_("Cost (yuan)"), min_value=0, max_digits=10, decimal_places=2)


class RevisitForm(forms.Form):
    every_days = forms.IntegerField(label=_("Revisit every (days)"), min_value=1, max_value=365, initial=30)
    assignee = forms.ModelChoiceField(label=_("Who revisits"), queryset=User.objects.none())

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(pk__in=[p.pk for p in people], is_active=True)


class RevisitDoneForm(forms.Form):
    note = forms.CharField(label=_("What you talked about"), max_length=500, required=False)


class KeyNodeReplyForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Comment as"), queryset=Account.objects.none(), empty_label=None)
    text = forms.CharField(label=_("Comment under their repost"), max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(pk__in=[a.pk for a in accounts])


class FollowerAuditForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none(), empty_label=None)
    pages = forms.IntegerField(label=_("Pages to read (200 followers each)"), min_value=1, max_value=10, initial=5)

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(pk__in=[a.pk for a in accounts])
