from django.urls import path

from . import views_inbox

urlpatterns = [
    path("", views_inbox.inbox, name="inbox"),
    path("bulk/", views_inbox.bulk, name="bulk"),
    path("approvals/", views_inbox.approvals, name="approvals"),
    path("replies/<int:reply_id>/decide/", views_inbox.approval_decide, name="approval_decide"),
    path("replies/<int:reply_id>/resend/", views_inbox.reply_resend, name="reply_resend"),
    path("items/<int:item_id>/", views_inbox.item, name="item"),
    path("items/<int:item_id>/check/", views_inbox.reply_check, name="reply_check"),
    path("items/<int:item_id>/reply/", views_inbox.item_reply, name="item_reply"),
    path("items/<int:item_id>/assign/", views_inbox.item_assign, name="item_assign"),
    path("items/<int:item_id>/tags/", views_inbox.item_tags, name="item_tags"),
    path("items/<int:item_id>/update/", views_inbox.item_update, name="item_update"),
    path("items/<int:item_id>/escalate/", views_inbox.item_escalate, name="item_escalate"),
    path("items/<int:item_id>/close/", views_inbox.item_close, name="item_close"),
    path("items/<int:item_id>/reopen/", views_inbox.item_reopen, name="item_reopen"),
]
