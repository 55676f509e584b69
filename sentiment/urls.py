"""Pages of opinion monitoring under /sentiment/: listening (overview, mentions, word of mouth, keyword groups,
imports, reports, settings) here, and the response pages (alerts, incidents, cascades) in ``urls_response``."""

from django.urls import include, path

from . import views

app_name = "sentiment"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("mentions/", views.mentions, name="mentions"),
    path("mentions/<int:mention_id>/sentiment/", views.mention_correct, name="mention_correct"),
    path("board/", views.board, name="board"),
    path("board/<int:mention_id>/<slug:action>/", views.board_action, name="board_action"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:group_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:group_id>/delete/", views.rule_delete, name="rule_delete"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("import/<int:batch_id>/map/", views.import_map, name="import_map"),
    path("report/", views.report, name="report"),
    path("settings/", views.settings_edit, name="settings"),
    path("", include("sentiment.urls_response")),
]
