from django.contrib import admin

from .models import PushEvent


@admin.register(PushEvent)
class PushEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "msg_type", "subtype", "sender_id", "receiver_id"]
    list_filter = ["msg_type"]
    search_fields = ["sender_id", "receiver_id", "text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
