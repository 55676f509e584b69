from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .models import Department, Role, User
from .permissions import role_grant_allowed


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "description", "contact_email", "contact_phone"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class PersonForm(forms.ModelForm):
    password = forms.CharField(
        label=_("initial password"), widget=forms.PasswordInput(render_value=False), required=False,
        help_text=_("At least 10 characters. The person can change it after signing in."),
    )

    class Meta:
        model = User
        fields = ["username", "display_name", "email", "phone", "department", "role", "is_active"]

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.by = by
        self.creating = self.instance.pk is None
        if self.creating:
            self.fields["password"].required = True
        else:
            del self.fields["password"]
            self.fields["username"].disabled = True
        self.fields["role"].choices = [c for c in Role.choices if role_grant_allowed(by, c[0])]

    def clean_role(self):
        role = self.cleaned_data["role"]
        if not role_grant_allowed(self.by, role):
            raise forms.ValidationError(_("Only an administrator can give the administrator role."))
        return role

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if self.creating and password:
            candidate = User(username=cleaned.get("username") or "", email=cleaned.get("email") or "",
                             display_name=cleaned.get("display_name") or "")
            try:
                validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned
