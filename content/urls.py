from django.urls import path

from . import views, views_bulk

app_name = "content"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("new/", views.compose, name="compose"),
    path("check/", views.check, name="check"),
    path("review/", views.queue, name="queue"),
    path("import/", views_bulk.import_posts, name="import"),
    path("export/", views_bulk.export, name="export"),
    path("pillars/", views.pillars, name="pillars"),
    path("pillars/<int:pillar_id>/", views.pillar_edit, name="pillar_edit"),
    path("posts/", views.post_list, name="posts"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/image/", views.post_image, name="post_image"),
    path("posts/<int:post_id>/submit/", views.post_submit, name="post_submit"),
    path("posts/<int:post_id>/review/", views.post_review, name="post_review"),
    path("posts/<int:post_id>/fast-track/", views.post_fast_track, name="post_fast_track"),
    path("posts/<int:post_id>/schedule/", views.post_schedule, name="post_schedule"),
    path("posts/<int:post_id>/publish-now/", views.post_publish_now, name="post_publish_now"),
    path("targets/<int:target_id>/move/", views.target_move, name="target_move"),
    path("targets/<int:target_id>/cancel/", views.target_cancel, name="target_cancel"),
]
