from django.urls import path

from . import views_config

urlpatterns = [
    path("rules/", views_config.rules, name="rules"),
    path("rules/new/", views_config.rule_new, name="rule_new"),
    path("rules/<int:rule_id>/", views_config.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/move/", views_config.rule_move, name="rule_move"),
    path("templates/", views_config.templates, name="templates"),
    path("templates/new/", views_config.template_new, name="template_new"),
    path("templates/<int:template_id>/", views_config.template_edit, name="template_edit"),
    path("tags/", views_config.tags, name="tags"),
    path("tags/new/", views_config.tag_new, name="tag_new"),
    path("tags/<int:tag_id>/", views_config.tag_edit, name="tag_edit"),
    path("desks/", views_config.desks, name="desks"),
    path("desks/<int:department_id>/", views_config.desk_edit, name="desk_edit"),
]
