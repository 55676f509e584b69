from django.urls import path

from . import views_practices as views

urlpatterns = [
    path("items/<int:item_id>/suggestion/", views.item_suggestion, name="item_suggestion"),
    path("items/<int:item_id>/tipoff/", views.item_tipoff, name="item_tipoff"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("suggestions/<int:suggestion_id>/decide/", views.suggestion_decide, name="suggestion_decide"),
    path("care/", views.care, name="care"),
    path("revisits/<int:revisit_id>/done/", views.revisit_done, name="revisit_done"),
    path("cascades/<int:cascade_id>/key-nodes/<str:mid>/reply/", views.key_node_reply, name="key_node_reply"),
    path("followers-audit/", views.follower_audits, name="follower_audits"),
    path("followers-audit/<int:audit_id>/", views.follower_audit, name="follower_audit"),
    path("followers-audit/<int:audit_id>/csv/", views.follower_audit_csv, name="follower_audit_csv"),
]
