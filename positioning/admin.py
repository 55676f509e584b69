from django.contrib import admin

from .models import Account, AccountMember, Brand, PlaybookVersion, TargetCircle


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "industry"]


class CircleInline(admin.TabularInline):
    model = TargetCircle
    extra = 0


class MemberInline(admin.TabularInline):
    model = AccountMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "purpose", "owner", "is_active"]
    list_filter = ["brand", "purpose", "is_active"]
    list_select_related = ["brand", "owner"]
    search_fields = ["name"]
    inlines = [CircleInline, MemberInline]


@admin.register(PlaybookVersion)
class PlaybookVersionAdmin(admin.ModelAdmin):
    """Versions are immutable: publish a new one from the account page instead."""

    list_display = ["account", "number", "created_by", "created_at", "change_note"]
    list_select_related = ["account", "created_by"]

    def has_change_permission(self, request, obj=None):
        return False
