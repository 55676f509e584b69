from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, Department, User


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = ["username", "display_name", "department", "role", "is_active"]
    list_filter = ["role", "department", "is_active"]
    list_select_related = ["department"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Weibo operation"), {"fields": ["display_name", "department", "role", "phone"]}),
    ]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "contact_phone"]
    search_fields = ["name"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the services, never edited by hand."""

    list_display = ["created_at", "actor_name", "action", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "action"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
