from __future__ import annotations

from datetime import datetime

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from positioning.access import Action, accounts_for
from positioning.models import Account
from team.models import User
from weibo_ops import dates

from .models import Pillar, Post
from .services import CAMPAIGN_OPEN

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# What the live checks read: the texts and accounts, never the picture (htmx would not upload it).
CHECKED_FIELDS = "#post-form [name='text'], #post-form [name='accounts'], #post-form [name^='variant_']"


class LocalDateTimeField(dates.DateTimeField):
    """A ``datetime-local`` input read as Asia/Shanghai wall-clock time (the current time zone)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)
    input_formats = [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class PostForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), strip=True,
                           error_messages={"required": _("Write the post's text.")})
    accounts = forms.ModelMultipleChoiceField(
        label=_("Post to"), queryset=Account.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one account to post to.")})
    pillar = forms.ModelChoiceField(label=_("Content pillar"), queryset=Pillar.objects.none(),
                                    error_messages={"required": _("Choose the post's content pillar.")})
    is_original = forms.BooleanField(label=_("Original content (not a repost or quote)"), required=False,
                                     initial=True)
    image = forms.FileField(label=_("Picture (JPEG, GIF or PNG under 5 MB)"), required=False)
    scheduled_at = LocalDateTimeField(label=_("Publish at (Beijing time)"), required=False)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Post.objects.none(), required=False,
                                      empty_label=_("No campaign"))

    def __init__(self, *args, by: User, post: Post | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.by = by
        self.post = post
        drafting = accounts_for(by, Action.DRAFT).order_by("brand__name", "name")
        if post is not None:
            drafting = drafting | Account.objects.filter(post_targets__post=post)
        self.fields["accounts"].queryset = drafting.distinct().select_related("brand")
        self.fields["pillar"].queryset = (Pillar.objects.filter(brand_id__in=drafting.values("brand_id"),
                                                                is_active=True).order_by("name"))
        # The brand's campaigns being planned or running (content imports no campaigns: the model via the field).
        campaigns = Post._meta.get_field("campaign").related_model.objects.filter(
            brand_id__in=drafting.values("brand_id"), state__in=CAMPAIGN_OPEN)
        if post is not None and post.campaign_id:
            campaigns = campaigns | campaigns.model.objects.filter(pk=post.campaign_id)  # kept though over
        self.fields["campaign"].queryset = campaigns.order_by("-starts_at", "-pk")
        check = {"hx-post": reverse_lazy("content:check"), "hx-target": "#checks", "hx-swap": "innerHTML",
                 "hx-trigger": "input changed delay:400ms, change", "hx-include": CHECKED_FIELDS}
        if post is not None:
            check["hx-vals"] = f'{{"post": "{post.pk}"}}'
        self.fields["text"].widget.attrs.update(check)
        self.fields["accounts"].widget.attrs.update(check)
        self.account_list = list(self.fields["accounts"].queryset)
        for account in self.account_list:
            name = f"variant_{account.pk}"
            self.fields[name] = forms.CharField(
                label=_("Text for %(account)s (optional)") % {"account": account.name}, required=False,
                widget=forms.Textarea(attrs={"rows": 3, **check}))

    def variant_fields(self):
        return [self[f"variant_{account.pk}"] for account in self.account_list]

    def variants(self) -> dict[int, str]:
        return {account.pk: self.cleaned_data.get(f"variant_{account.pk}", "") for account in self.account_list}

    def clean_scheduled_at(self) -> datetime | None:
        at = self.cleaned_data.get("scheduled_at")
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at)
        return at


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500,
                              widget=forms.TextInput(attrs={"placeholder": _("What to change (needed to reject)")}))


class FastTrackForm(forms.Form):
    reason = forms.CharField(label=_("Why it cannot wait"), max_length=500)


class ScheduleForm(forms.Form):
    scheduled_at = LocalDateTimeField(label=_("Publish at (Beijing time)"))


class PillarForm(forms.ModelForm):
    class Meta:
        model = Pillar
        fields = ["name", "colour", "needs_approval", "is_active"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
