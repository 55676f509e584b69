from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext as _
from rest_framework import serializers

from ..models import Department, User
from ..permissions import role_grant_allowed


class DepartmentSerializer(serializers.ModelSerializer):
    people_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "description", "contact_email", "contact_phone", "people_count"]


class MemberSerializer(serializers.ModelSerializer):
    """A person of the organisation. ``password`` is taken on creation only and never returned."""

    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "phone", "department", "role", "is_active",
                  "password", "last_login", "date_joined"]
        read_only_fields = ["last_login", "date_joined"]

    def validate_role(self, role: str) -> str:
        if not role_grant_allowed(self.context["request"].user, role):
            raise serializers.ValidationError(_("Only an administrator can give the administrator role."))
        return role

    def validate(self, attrs):
        if self.instance is None:
            password = attrs.get("password")
            if not password:
                raise serializers.ValidationError({"password": _("Give an initial password.")})
            try:
                validate_password(password, User(username=attrs.get("username", ""), email=attrs.get("email", "")))
            except Exception as exc:  # django's ValidationError: report it as a field error
                raise serializers.ValidationError({"password": list(getattr(exc, "messages", [str(exc)]))}) from None
        else:
            if "password" in attrs:
                raise serializers.ValidationError({"password": _("Passwords are changed by their owner.")})
            if "username" in attrs and attrs["username"] != self.instance.username:
                raise serializers.ValidationError({"username": _("A username cannot be changed.")})
        return attrs
