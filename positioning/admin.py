"""Read-only views of positioning: changes go through the pages and the API, whose services
check permissions and write the audit log."""

from django.contrib import admin

from .models import Account, AccountMember, Brand, PlaybookVersion, TargetCircle


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Brand)
class BrandAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "industry"]


class CircleInline(ReadOnly, admin.TabularInline):
    model = TargetCircle
    extra = 0


class MemberInline(ReadOnly, admin.TabularInline):
    model = AccountMember
    extra = 0


@admin.register(Account)
class AccountAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "brand", "purpose", "owner", "is_active"]
    list_filter = ["brand", "purpose", "is_active"]
    list_select_related = ["brand", "owner"]
    search_fields = ["name"]
    inlines = [CircleInline, MemberInline]


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(ReadOnly, admin.ModelAdmin):
    """Versions are immutable: publish a new one from the account page instead."""

    list_display = ["account", "number", "created_by", "created_at", "change_note"]
    list_select_related = ["account", "created_by"]
