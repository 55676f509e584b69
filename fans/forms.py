"""Forms of the inbox pages: the inbox filters, bulk actions, and the forms on a conversation (reply,
assign, tags, priority, escalation) and in the approval queue. They validate input; the services
decide what is allowed."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from positioning.access import Action, accounts_for
from positioning.models import Account, AccountMember
from team.models import Department, Role, User

from .models import Interaction, Kind, Priority, ReplyTemplate, Tag
from .selectors import InboxFilters, visible_items

STATE_CHOICES = [("open", pgettext_lazy("inbox item state", "Open")),
                 ("closed", pgettext_lazy("inbox item state", "Closed")), ("all", _("All"))]
SLA_CHOICES = [("", _("any")), ("breached", _("Breached")), ("near", _("Near breach")), ("ok", _("On time"))]
# Newest first is the default and stays out of the URL; "deadline" is remembered there like the filters.
ORDERING_CHOICES = [("", _("Newest first")), ("deadline", _("Deadline first"))]
LOOP_CHOICES = [("", _("any")), ("open", _("Resolved, fan not told yet")), ("closed", _("Fan told"))]
# What a reply's live check reads: the text and the chosen template.
CHECKED_FIELDS = "#reply-form [name='text'], #reply-form [name='template']"


def repliers(accounts: QuerySet[Account]) -> QuerySet[User]:
    """Active people who may reply on at least one of ``accounts``: those an item can be given to."""
    grants = AccountMember.objects.filter(account__in=accounts.values("pk"), can_reply=True, account__is_active=True)
    people = (Q(is_superuser=True) | Q(role__in=[Role.MANAGER, Role.ADMIN]) | Q(pk__in=grants.values("user_id"))
              | Q(pk__in=accounts.filter(is_active=True).values("owner_id")))
    return User.objects.filter(people, is_active=True).order_by("username")


def _digits(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class InboxFilterForm(forms.Form):
    """The inbox's GET filters. Unknown or stale values are dropped rather than refused: a
    bookmarked link keeps working after a tag is deleted."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Text or fan name")}))
    account = forms.ChoiceField(label=_("Account"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("any")), *Kind.choices])
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    sla = forms.ChoiceField(label=_("Response clock"), required=False, choices=SLA_CHOICES)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    complaint = forms.BooleanField(label=_("Complaints only"), required=False)
    loop = forms.ChoiceField(label=_("Resolved complaints"), required=False, choices=LOOP_CHOICES)
    ordering = forms.ChoiceField(label=_("Order"), required=False, choices=ORDERING_CHOICES)

    def __init__(self, data, *, user: User, accounts: list[Account], tags: list[Tag], people: list[User]):
        super().__init__({})
        self.user = user
        self.fields["account"].choices = [("", _("all accounts")), *((str(a.pk), a.name) for a in accounts)]
        self.fields["assignee"].choices = [("", _("anyone")), ("me", _("me")), ("none", _("nobody")),
                                           *((str(p.pk), str(p)) for p in people if p.pk != user.pk)]
        self.fields["tag"].choices = [("", _("any")), *((str(t.pk), t.name) for t in tags)]
        self.fields["priority"].choices = [("", _("any")), *((str(v), label) for v, label in Priority.choices)]
        # A value outside the choices (a deleted tag, a typo in the URL) is forgotten, not an error page.
        known = {}
        for name, field in self.fields.items():
            value = (data or {}).get(name, "")
            if isinstance(field, forms.ChoiceField) and value not in {str(v) for v, _label in field.choices}:
                continue
            known[name] = value[:100] if name == "q" else value
        self.data = known

    def filters(self) -> InboxFilters:
        data = self.cleaned_data if self.is_valid() else {}
        state = data.get("state") or "open"
        return InboxFilters(
            account=_digits(data.get("account")), kind=data.get("kind", ""), assignee=data.get("assignee", ""),
            state="" if state == "all" else state, sla=data.get("sla", ""), tag=_digits(data.get("tag")),
            q=(data.get("q") or "").strip(), complaint=bool(data.get("complaint")), loop=data.get("loop", ""),
            priority=_digits(data.get("priority")), ordering=data.get("ordering") or "newest")


class ItemIdsField(forms.ModelMultipleChoiceField):
    """Ticked item ids. One past a bigint would overflow the query (a 500): it is no item of ours."""

    def _check_values(self, value):
        if any(not (str(v).isascii() and str(v).isdigit() and len(str(v)) < 19) for v in value):
            raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                  params={"pk": ""})
        return super()._check_values(value)


class BulkForm(forms.Form):
    ACTIONS = [("assign", _("Assign")), ("tag", _("Add tag")), ("close", _("Close"))]

    action = forms.ChoiceField(choices=ACTIONS, error_messages={"required": _("Choose what to do.")})
    items = ItemIdsField(
        queryset=Interaction.objects.none(),
        error_messages={"required": _("Tick the items first (x ticks the focused one)."),
                        "invalid_choice": _("Some of the ticked items are not in your inbox any more."),
                        "invalid_pk_value": _("Some of the ticked items are not in your inbox any more.")})
    assignee = forms.CharField(required=False)
    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["items"].queryset = visible_items(user=user).select_related("account")
        brands = accounts_for(user, Action.VIEW).values("brand_id")
        self.fields["tag"].queryset = Tag.objects.filter(brand_id__in=brands)

    def clean(self):
        data = super().clean()
        if data.get("action") == "tag" and not data.get("tag"):
            self.add_error("tag", _("Choose the tag to add."))
        if data.get("action") == "assign":
            value = data.get("assignee") or ""
            if value == "me":
                data["to"] = self.user
            elif value in ("", "none"):
                data["to"] = None
            else:
                pk = _digits(value)
                data["to"] = User.objects.filter(pk=pk).first() if pk else None
                if data["to"] is None:
                    self.add_error("assignee", _("Choose a person from the list."))
        return data


class TemplateSelect(forms.Select):
    """Options carry their template's text, so that choosing one fills the reply (static/js/inbox.js)."""

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        instance = getattr(option["value"], "instance", None)
        if instance is not None:
            option["attrs"]["data-text"] = instance.text
        return option


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), strip=True, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _("Write the reply first.")})
    template = forms.ModelChoiceField(label=_("Start from a template"), queryset=ReplyTemplate.objects.none(),
                                      required=False, empty_label=_("(none)"), widget=TemplateSelect)
    confirm_boilerplate = forms.BooleanField(label=_("The template alone answers the fan"), required=False)
    closes_loop = forms.BooleanField(label=_("This reply tells the fan the complaint is resolved"), required=False)

    def __init__(self, *args, item: Interaction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ReplyTemplate.objects.filter(brand_id=item.account.brand_id,
                                                                        is_active=True)
        check = {"hx-get": reverse("fans:reply_check", args=[item.pk]), "hx-target": "#reply-problems",
                 "hx-swap": "innerHTML", "hx-trigger": "input changed delay:400ms, change",
                 "hx-include": CHECKED_FIELDS}
        self.fields["text"].widget.attrs.update(check)
        self.fields["template"].widget.attrs.update({**check, "data-fills": "#id_text",
                                                   "data-replace": _("Replace what you wrote with the template?")})


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args, people: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        self.fields["assignee"].choices = [("", _("nobody")), *((k, str(p)) for k, p in self.people.items())]

    def person(self) -> User | None:
        return self.people.get(self.cleaned_data.get("assignee") or "")


class TagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=Tag.objects.none(), required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, item: Interaction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].queryset = Tag.objects.filter(brand_id=item.account.brand_id)


class ItemUpdateForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    is_complaint = forms.BooleanField(label=_("Complaint"), required=False)


class EscalateForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.order_by("name"),
                                        error_messages={"required": _("Choose the department.")})
    summary = forms.CharField(label=_("What the department should do"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("Say what the department should do: they do not read "
                                                            "Weibo.")})


class RefuseForm(forms.Form):
    comment = forms.CharField(label=_("Why (the author sees this)"), max_length=500, required=False)
