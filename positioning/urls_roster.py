"""/team/roster/: the duty roster's pages (``positioning.views_roster``), mounted beside team's pages."""

from django.urls import path

from . import views_roster

app_name = "roster"

urlpatterns = [
    path("", views_roster.week, name="week"),
    path("now/", views_roster.now, name="now"),
    path("mine/", views_roster.mine, name="mine"),
    path("shifts/new/", views_roster.shift_new, name="shift_new"),
    path("shifts/<int:shift_id>/delete/", views_roster.shift_delete, name="shift_delete"),
    path("shifts/<int:shift_id>/swap/", views_roster.swap_new, name="swap_new"),
    path("swaps/<int:swap_id>/approve/", views_roster.swap_decide, {"decision": "approve"}, name="swap_approve"),
    path("swaps/<int:swap_id>/refuse/", views_roster.swap_decide, {"decision": "refuse"}, name="swap_refuse"),
    path("swaps/<int:swap_id>/cancel/", views_roster.swap_decide, {"decision": "cancel"}, name="swap_cancel"),
]
