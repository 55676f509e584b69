"""The response pages: alerts, crisis incidents with their checklist and one voice, the post-incident report,
and the watched repost cascades. Included into the ``sentiment`` namespace by ``sentiment/urls.py``."""

from django.urls import path

from . import views_response as views

urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert, name="alert"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_ack, name="alert_acknowledge"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/new/", views.incident_open, name="incident_open"),
    path("incidents/<int:incident_id>/", views.incident, name="incident"),
    path("incidents/<int:incident_id>/report/", views.incident_report, name="incident_report"),
    path("incidents/<int:incident_id>/type/", views.incident_type, name="incident_type"),
    path("incidents/<int:incident_id>/grade/", views.incident_grade, name="incident_grade"),
    path("incidents/<int:incident_id>/note/", views.incident_note, name="incident_note"),
    path("incidents/<int:incident_id>/close/", views.incident_close, name="incident_close"),
    path("incidents/<int:incident_id>/reopen/", views.incident_reopen, name="incident_reopen"),
    path("incidents/<int:incident_id>/statements/new/", views.statement_new, name="statement_new"),
    path("tasks/<int:task_id>/toggle/", views.task_toggle, name="incident_task_toggle"),
    path("statements/<int:statement_id>/fast-track/", views.statement_fast_track, name="statement_fast_track"),
    path("statements/<int:statement_id>/publish/", views.statement_publish, name="statement_publish"),
    path("cascades/", views.cascades, name="cascades"),
    path("cascades/<int:cascade_id>/", views.cascade, name="cascade"),
]
