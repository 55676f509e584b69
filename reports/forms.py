"""The scorecard's choices: whose figures (the brand, one account, one person) and over which days."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from positioning.access import Action, accounts_for
from positioning.models import Brand
from team.models import User

PERIOD_MAX = timedelta(days=366)  # a scorecard covers at most a year: longer periods are reviews, not scorecards


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


class ScorecardForm(forms.Form):
    """GET filters of the scorecard. The choices offered are those the person may see."""

    brand = forms.ModelChoiceField(label=_("Brand"), queryset=Brand.objects.none(), required=False)
    account = forms.ModelChoiceField(label=_("Account"), queryset=Brand.objects.none(), required=False,
                                     empty_label=_("All accounts"))
    person = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none(), required=False,
                                    empty_label=_("Nobody in particular"))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        accounts = accounts_for(user, Action.VIEW).order_by("brand__name", "name")
        self.fields["account"].queryset = accounts
        self.fields["brand"].queryset = (Brand.objects.all() if user.is_org_wide
                                         else Brand.objects.filter(pk__in=accounts.values("brand_id")))
        self.fields["person"].queryset = (User.objects.filter(is_active=True) if user.is_org_wide
                                          else User.objects.filter(pk=user.pk))

    def clean(self):
        data = super().clean()
        first, last = month_bounds(timezone.localdate())
        start, end = data.get("start") or first, data.get("end") or last
        if end < start:
            raise ValidationError({"end": _("The period ends before it starts. Give an end on or after the start.")})
        if end - start > PERIOD_MAX:
            raise ValidationError({"end": _("A scorecard covers at most a year. Choose a shorter period.")})
        account, person = data.get("account"), data.get("person")
        if account is not None and person is not None:
            raise ValidationError({"person": _("Choose an account or a person, not both.")})
        brand = account.brand if account is not None else data.get("brand") or self.fields["brand"].queryset.first()
        data.update(start=start, end=end, brand=brand)
        return data


class TargetForm(forms.Form):
    """One target set inline on the scorecard, for the scope and period shown."""

    kpi = forms.CharField(max_length=40)
    value = forms.DecimalField(label=_("Target"), max_digits=14, decimal_places=2, required=False)
