from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from team.models import User

from .access import (
    GRANT_FIELDS,
    ROLE_DEFAULTS,
    STRUCTURE_FIELDS,
    Action,
    account_structure_change_allowed,
    people_who_may,
)
from .models import Account, ApprovalMode, Brand, PlaybookVersion, TargetCircle
from .services import playbook_approvers_check
from .validators import parse_content_mix, parse_time_slots, parse_words


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ["name", "industry", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["brand", "name", "purpose", "region", "value_proposition", "tone_of_voice", "profile_text",
                  "owner", "is_active"]
        widgets = {
            "value_proposition": forms.Textarea(attrs={"rows": 3}),
            "tone_of_voice": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        if account_structure_change_allowed(by):
            self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")
        else:
            for name in STRUCTURE_FIELDS:
                del self.fields[name]
        self.fields["name"].widget.attrs.update({
            "hx-get": reverse_lazy("positioning:name_check"),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#name-check",
            "hx-swap": "innerHTML",
            "aria-describedby": "name-check",
        })

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("purpose") == "region" and not cleaned.get("region"):
            self.add_error("region", _("A regional account needs its region."))
        return cleaned


class CircleForm(forms.ModelForm):
    class Meta:
        model = TargetCircle
        fields = ["name", "description", "value"]


ACTION_CHOICES = [(a.value, label) for a, label in [
    (Action.DRAFT, _("draft")), (Action.APPROVE, _("approve")), (Action.PUBLISH, _("publish")),
    (Action.REPLY, _("reply")), (Action.MANAGE, _("manage positioning")),
]]


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("person"), queryset=User.objects.none())
    actions = forms.MultipleChoiceField(
        label=_("may"), choices=ACTION_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to let the person only see the account."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).select_related("department").order_by(
            "username")

    @staticmethod
    def defaults_for(user: User) -> list[str]:
        return sorted(a.value for a in ROLE_DEFAULTS.get(user.role, set()) if a in GRANT_FIELDS)

    def cleaned_actions(self) -> set[Action]:
        return {Action(a) for a in self.cleaned_data["actions"]}


class PlaybookForm(forms.Form):
    change_note = forms.CharField(label=_("what changed"), max_length=200, required=False)
    content_mix = forms.CharField(
        label=_("content mix per day"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One pillar a line with its posts a day, e.g. “产品资讯: 2”."),
    )
    time_slots = forms.CharField(
        label=_("posting time slots"), required=False,
        help_text=_("Times of day (Beijing time), separated by commas, e.g. 08:30, 12:00, 20:00."),
    )
    reply_within_hours = forms.IntegerField(
        label=_("reply to every @ and comment within (hours)"), min_value=1, max_value=72, initial=2)
    resolve_within_hours = forms.IntegerField(
        label=_("resolve every complaint and question within (hours)"), min_value=1, max_value=720, initial=24)
    replies_need_approval = forms.BooleanField(label=_("fan replies need approval"), required=False)
    interaction_rules = forms.CharField(label=_("interaction rules"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 4}))
    escalation_rules = forms.CharField(label=_("escalation rules"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 4}))
    forbidden_words = forms.CharField(
        label=_("forbidden words"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Separated by commas or new lines."),
    )
    approval_required = forms.BooleanField(label=_("posts need approval"), required=False, initial=True)
    approval_mode = forms.ChoiceField(label=_("approval by"), choices=ApprovalMode.choices, initial=ApprovalMode.ANY)
    approvers = forms.ModelMultipleChoiceField(label=_("approvers"), queryset=User.objects.none(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    approval_target_minutes = forms.IntegerField(label=_("approval target (minutes)"), min_value=1,
                                                 max_value=1440, initial=30)
    # Campaigns (活动策划)
    campaign_frequency = forms.CharField(label=_("how often the account runs campaigns"), max_length=200,
                                         required=False, help_text=_("For example “one a month, one per launch”."))
    campaign_themes = forms.CharField(label=_("campaign themes"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    prize_process = forms.CharField(
        label=_("how prizes are applied for"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who asks, who approves, which prizes suit the brand (its own products, keepsakes)."))
    campaign_reports = forms.CharField(label=_("which campaign reports go to whom"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data=None, *, account: Account, current: PlaybookVersion | None = None, **kwargs):
        """``current``: the version being edited; its values fill the form when nothing was posted."""
        if current is not None and data is None:
            kwargs["initial"] = {
                "content_mix": "\n".join(f"{i['pillar']}: {i['per_day']}" for i in current.content_mix),
                "time_slots": ", ".join(current.time_slots),
                "reply_within_hours": current.reply_within_hours,
                "resolve_within_hours": current.resolve_within_hours,
                "replies_need_approval": current.replies_need_approval,
                "interaction_rules": current.interaction_rules,
                "escalation_rules": current.escalation_rules,
                "forbidden_words": "\n".join(current.forbidden_words),
                "approval_required": current.approval_required,
                "approval_mode": current.approval_mode,
                "approvers": list(current.approvers.all()),
                "approval_target_minutes": current.approval_target_minutes,
                "campaign_frequency": current.campaign_frequency,
                "campaign_themes": current.campaign_themes,
                "prize_process": current.prize_process,
                "campaign_reports": current.campaign_reports,
            }
        super().__init__(data, **kwargs)
        self.account = account
        self.fields["approvers"].queryset = people_who_may(account, Action.APPROVE)

    def clean_content_mix(self):
        return parse_content_mix(self.cleaned_data["content_mix"])

    def clean_time_slots(self):
        return parse_time_slots(self.cleaned_data["time_slots"])

    def clean_forbidden_words(self):
        return parse_words(self.cleaned_data["forbidden_words"])

    def clean(self):
        cleaned = super().clean()
        if "approvers" in cleaned:
            try:
                playbook_approvers_check(account=self.account, approvers=list(cleaned["approvers"]),
                                         approval_required=cleaned.get("approval_required", False))
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned

