from django.urls import path

from . import views_fans

urlpatterns = [
    path("fans/", views_fans.fan_list, name="fans"),
    path("fans/<int:fan_id>/", views_fans.fan_detail, name="fan"),
    path("stats/", views_fans.stats, name="stats"),
]
