"""Forms of the campaign pages: they read and check input; the services decide and write.

Plain forms (not ModelForms) for the campaign and its tasks: a ModelForm would write the typed values into the
instance while validating, and the service compares the stored rules with the new ones to tell that they changed.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from positioning.access import Action, accounts_for
from positioning.models import Account
from team.models import Department, Role, User
from weibo_ops import dates

from .models import (
    Activity,
    Campaign,
    DeliveryState,
    Metric,
    PrizeApplication,
    Task,
    TaskState,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
CAMPAIGN_FORM_FIELDS = ["title", "kind", "brief", "sponsor", "budget", "prize_budget", "topic", "partner",
                        "winners_count", "rule_follow", "rule_mentions", "rule_keyword", "rule_picture"]


class LocalDateTimeField(dates.DateTimeField):
    """A ``datetime-local`` input read as Asia/Shanghai wall-clock time (the current time zone)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)
    input_formats = [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

    def clean(self, value) -> datetime | None:
        at = super().clean(value)
        return timezone.make_aware(at) if at is not None and timezone.is_naive(at) else at


def _people():
    return User.objects.filter(is_active=True).select_related("department").order_by("department__name",
                                                                                   "username")


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} · {obj.department.name}" if obj.department_id else str(obj)


class ActivityForm(forms.ModelForm):
    owner = PersonChoice(label=_("owner"), queryset=User.objects.none())

    class Meta:
        model = Activity
        fields = ["title", "kind", "department", "owner", "sponsor", "starts_on", "ends_on", "description"]
        field_classes = {"starts_on": dates.DateField, "ends_on": dates.DateField}
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}),
                   "ends_on": forms.DateInput(attrs={"type": "date"}),
                   "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["department"].queryset = Department.objects.order_by("name")
        if not self.is_bound:
            self.initial.setdefault("owner", by.pk)
            self.initial.setdefault("department", by.department_id)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why it is not for Weibo"), max_length=300,
                             error_messages={"required": _("Say why the activity is not for Weibo: the department "
                                                           "reads it.")})


class CampaignForm(forms.Form):
    """The campaign: what, who, where, when, money, the rules of the draw and the featured post."""

    lead = PersonChoice(label=_("lead"), queryset=User.objects.none())
    accounts = forms.ModelMultipleChoiceField(
        label=_("accounts"), queryset=Account.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the accounts the campaign runs on.")})
    starts_at = LocalDateTimeField(label=_("Starts at (Beijing time)"))
    ends_at = LocalDateTimeField(label=_("Ends at (Beijing time)"))
    featured_post = forms.ModelChoiceField(label=_("featured post"), queryset=None, required=False,
                                           help_text=_("Pinned for the campaign's duration: you are reminded to "
                                                       "pin and to unpin it."))

    def __init__(self, *args, by: User, campaign: Campaign | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        generated = forms.fields_for_model(Campaign, fields=CAMPAIGN_FORM_FIELDS)
        self.fields.update({name: generated[name] for name in CAMPAIGN_FORM_FIELDS})
        self.order_fields(["title", "kind", "accounts", "lead", "sponsor", "starts_at", "ends_at", "brief"])
        self.fields["brief"].widget.attrs["rows"] = 3
        drafting = accounts_for(by, Action.DRAFT)
        if campaign is not None:
            drafting = drafting | Account.objects.filter(campaigns=campaign)
        self.fields["accounts"].queryset = drafting.distinct().select_related("brand").order_by("brand__name", "name")
        self.fields["lead"].queryset = _people().exclude(role=Role.DEPT_CONTACT)
        posts = campaign.posts.order_by("-created_at") if campaign is not None else Campaign.objects.none()
        self.fields["featured_post"].queryset = posts
        self.fields["featured_post"].label_from_instance = lambda post: post.text[:40]
        if campaign is None:
            del self.fields["featured_post"]

    def clean(self):
        data = super().clean()
        accounts = list(data.get("accounts") or [])
        if len({account.brand_id for account in accounts}) > 1:
            self.add_error("accounts", _("A campaign runs on one brand's accounts: choose accounts of one brand."))
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in [*CAMPAIGN_FORM_FIELDS, "lead", "starts_at", "ends_at",
                                                          *(["featured_post"] if "featured_post" in self.fields
                                                            else [])]}


def campaign_initial(campaign: Campaign) -> dict:
    initial = {name: getattr(campaign, name) for name in [*CAMPAIGN_FORM_FIELDS, "featured_post"]}
    initial.update(lead=campaign.lead_id, accounts=list(campaign.accounts.all()),
                   starts_at=timezone.localtime(campaign.starts_at), ends_at=timezone.localtime(campaign.ends_at))
    return initial


class GoalsForm(forms.Form):
    """One target per metric; empty or 0 removes it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for metric in Metric:
            self.fields[metric.value] = forms.IntegerField(label=metric.label, required=False, min_value=0,
                                                           max_value=2_000_000_000)

    def targets(self) -> dict[str, int | None]:
        return {metric.value: self.cleaned_data.get(metric.value) for metric in Metric}


class TaskForm(forms.Form):
    title = forms.CharField(label=_("task"), max_length=200)
    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.order_by("name"))
    owner = PersonChoice(label=_("owner"), queryset=User.objects.none(), required=False,
                         help_text=_("Leave empty: the whole department sees the task."))
    due_at = LocalDateTimeField(label=_("Due (Beijing time)"))
    depends_on = forms.ModelMultipleChoiceField(label=_("waits for"), queryset=Task.objects.none(), required=False,
                                                widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args, campaign: Campaign, task: Task | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        others = campaign.tasks.order_by("due_at", "pk")
        self.fields["depends_on"].queryset = others.exclude(pk=task.pk) if task is not None else others


def task_initial(task: Task) -> dict:
    return {"title": task.title, "department": task.department_id, "owner": task.owner_id,
            "due_at": timezone.localtime(task.due_at), "note": task.note,
            "depends_on": [t.pk for t in task.depends_on.all()]}


class TaskStateForm(forms.Form):
    state = forms.ChoiceField(choices=TaskState.choices)


class PrizeForm(forms.ModelForm):
    class Meta:
        model = PrizeApplication
        fields = ["name", "quantity", "unit_cost"]


class PrizeDecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note (needed to refuse)"), max_length=300, required=False)


class OverrideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("eligible", _("Eligible, whatever the rules say")), ("excluded", _("Excluded, whatever the rules say")),
        ("rules", _("As the rules say"))])
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)

    def eligible(self) -> bool | None:
        return {"eligible": True, "excluded": False}.get(self.cleaned_data["decision"])


class DeliveryForm(forms.Form):
    delivery_state = forms.ChoiceField(label=_("prize delivery"), choices=DeliveryState.choices)
    tracking = forms.CharField(label=_("tracking number"), max_length=60, required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class VerifyForm(forms.Form):
    """Anyone re-runs the draw: the published list (pasted or uploaded) and the revealed seed."""

    participants = forms.CharField(label=_("Participant list (one uid per line)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))
    participants_file = forms.FileField(label=_("or the downloaded list file"), required=False)
    seed = forms.CharField(label=_("Seed"), max_length=128)

    LIST_LIMIT = 20 * 1024 * 1024  # bytes: 1 M uids of up to 20 digits

    def clean(self):
        data = super().clean()
        upload = data.get("participants_file")
        if upload is not None:
            if upload.size > self.LIST_LIMIT:
                raise forms.ValidationError(_("The list file is too large (20 MB at most)."))
            try:
                data["participants"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The list file is not text: download it again from this page.")) from None
        if not (data.get("participants") or "").strip():
            self.add_error("participants", _("Paste the participant list or choose its file."))
        return data
