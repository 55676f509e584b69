"""Forms of the fan-interaction configuration pages (routing rules, reply templates, tags, department
desks) and of the fan CRM and the department desk. They only parse input: the services decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from positioning.models import Account, Brand
from team.models import Department, Role, User

from .models import Kind, Priority, RoutingRule, Tag

# Keywords are written one per line or separated by commas (ASCII or Chinese) or 、.
KEYWORD_SPLIT = re.compile(r"[\n\r,，、;；]+")
KEYWORDS_MAX = 50  # words in one rule: more is a sign the rule should be two rules


def keywords_parse(value: str) -> list[str]:
    words: list[str] = []
    for part in KEYWORD_SPLIT.split(value or ""):
        word = part.strip()
        if word and word not in words:
            words.append(word)
    return words


class BrandChoiceMixin:
    """A ``brand`` field when there is more than one brand to choose from."""

    def _brand_field(self, brands: list[Brand], brand: Brand | None) -> None:
        if brand is not None or len(brands) <= 1:
            self.fixed_brand = brand or (brands[0] if brands else None)
            return
        self.fixed_brand = None
        self.fields = {"brand": forms.ModelChoiceField(label=_("Brand"), queryset=Brand.objects.filter(
            pk__in=[b.pk for b in brands]), empty_label=None), **self.fields}

    def chosen_brand(self) -> Brand | None:
        return self.fixed_brand or self.cleaned_data.get("brand")


class RuleForm(BrandChoiceMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    keywords = forms.CharField(
        label=_("Any of these words"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas. The rule matches when any of them is in the text."))
    kinds = forms.MultipleChoiceField(
        label=_("Types"), required=False, choices=Kind.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every type that asks for an answer."))
    accounts = forms.ModelMultipleChoiceField(label=_("Accounts"), required=False, queryset=Account.objects.none(),
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text=_("None chosen: every account of the brand."))
    min_influence = forms.IntegerField(label=_("Fan's influence at least (0-100)"), required=False, min_value=0,
                                       max_value=100)
    min_loyalty = forms.IntegerField(label=_("Fan's loyalty at least (0-100)"), required=False, min_value=0,
                                     max_value=100)
    zombie = forms.ChoiceField(label=_("Zombie fans"), required=False,
                               choices=RoutingRule._meta.get_field("zombie").choices)
    is_question = forms.BooleanField(label=_("Only when the text asks a question"), required=False)
    min_length = forms.IntegerField(label=_("Text at least this many characters"), required=False, min_value=1,
                                    max_value=2000)
    assign_to = forms.ModelChoiceField(label=_("Assign to a person"), required=False, queryset=User.objects.none(),
                                       empty_label=_("nobody"))
    assign_department = forms.ModelChoiceField(label=_("Or to a department (round-robin among its people)"),
                                               required=False, queryset=Department.objects.all(),
                                               empty_label=_("no department"))
    assign_on_duty = forms.BooleanField(
        label=_("Or to the account's person on inbox duty"), required=False,
        help_text=_("Whoever the duty roster has on the item's account when it arrives; nobody on duty: the item "
                    "stays unassigned and its page says so."))
    add_tags = forms.ModelMultipleChoiceField(label=_("Add tags"), required=False, queryset=Tag.objects.none(),
                                              widget=forms.CheckboxSelectMultiple)
    set_priority = forms.TypedChoiceField(label=_("Set priority"), required=False, coerce=int, empty_value=None,
                                          choices=[("", _("leave as it is")), *Priority.choices])
    mark_complaint = forms.BooleanField(label=_("Mark as complaint"), required=False)

    def __init__(self, *args, brands: list[Brand], brand: Brand | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        brand_ids = [brand.pk] if brand is not None else [b.pk for b in brands]
        self.fields["accounts"].queryset = Account.objects.filter(brand_id__in=brand_ids).order_by("name")
        self.fields["add_tags"].queryset = Tag.objects.filter(brand_id__in=brand_ids).order_by("name")
        self.fields["assign_to"].queryset = (User.objects.filter(is_active=True).exclude(role=Role.DEPT_CONTACT)
                                             .order_by("username"))
        self._brand_field(brands, brand)

    def clean_keywords(self) -> list[str]:
        words = keywords_parse(self.cleaned_data.get("keywords", ""))
        if len(words) > KEYWORDS_MAX:
            raise forms.ValidationError(_("At most %(n)d words: split the rule in two.") % {"n": KEYWORDS_MAX})
        return words

    def service_fields(self) -> dict:
        """What ``rule_create``/``rule_update`` take, from the cleaned data."""
        data = dict(self.cleaned_data)
        data.pop("brand", None)
        data["kinds"] = list(data.get("kinds") or [])
        data["accounts"] = list(data.get("accounts") or [])
        data["add_tags"] = list(data.get("add_tags") or [])
        data["zombie"] = data.get("zombie") or ""
        return data


def rule_initial(rule: RoutingRule) -> dict:
    return {"name": rule.name, "is_active": rule.is_active, "keywords": "\n".join(rule.keywords or []),
            "kinds": rule.kinds or [], "accounts": list(rule.accounts.all()), "min_influence": rule.min_influence,
            "min_loyalty": rule.min_loyalty, "zombie": rule.zombie, "is_question": rule.is_question,
            "min_length": rule.min_length, "assign_to": rule.assign_to, "assign_department": rule.assign_department,
            "assign_on_duty": rule.assign_on_duty,
            "add_tags": list(rule.add_tags.all()), "set_priority": rule.set_priority,
            "mark_complaint": rule.mark_complaint}


class TemplateForm(BrandChoiceMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    text = forms.CharField(label=_("Text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("A starting point: the person replying must make it theirs. A reply that is "
                                       "the bare template is flagged."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, brands: list[Brand], brand: Brand | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._brand_field(brands, brand)


class TagForm(BrandChoiceMixin, forms.Form):
    name = forms.CharField(label=_("Tag"), max_length=30)
    colour = forms.CharField(label=_("Colour"), max_length=7, initial="#6b7280",
                             widget=forms.TextInput(attrs={"type": "color"}))
    replies_need_approval = forms.BooleanField(
        label=_("Replies need approval"), required=False,
        help_text=_("A reply to an item with this tag waits for a manager's or approver's approval."))

    def __init__(self, *args, brands: list[Brand], brand: Brand | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._brand_field(brands, brand)


class DeskForm(forms.Form):
    normal_hours = forms.IntegerField(label=_("Normal turnaround (hours)"), min_value=1, max_value=720)
    weibo_first_hours = forms.IntegerField(
        label=_("Weibo-first deadline (hours)"), min_value=1, max_value=720,
        help_text=_("Shorter than the normal turnaround: the fan is waiting in public."))
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, assume_scheme="https",
                                 help_text=_("Optional: the department's own system is told of every new ticket."))
    webhook_secret = forms.CharField(
        label=_("Webhook secret"), required=False, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Signs every call. Never shown again: leave blank to keep the current one."))

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("webhook_secret"):
            data.pop("webhook_secret", None)  # blank keeps the stored secret
        if not data.get("webhook_url"):
            data["webhook_url"] = ""
        return data


class FanNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write the note first.")})


class FanTagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), required=False, queryset=Tag.objects.none(),
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].queryset = tags


class TicketForm(forms.Form):
    ACTIONS = {"start": "in_progress", "note": None, "resolve": "resolved", "reopen": "in_progress"}

    action = forms.ChoiceField(choices=[(k, k) for k in ACTIONS], widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("What you did or found out. The Weibo team sees it."))
    resolution = forms.CharField(label=_("How it was resolved"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Needed to mark it resolved: the Weibo team tells the customer this."))

    def state(self) -> str | None:
        return self.ACTIONS[self.cleaned_data["action"]]
