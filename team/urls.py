from django.urls import path

from . import views

app_name = "team"

urlpatterns = [
    path("", views.people, name="people"),
    path("people/new/", views.person_edit, name="person_new"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("departments/", views.departments, name="departments"),
    path("departments/<int:department_id>/edit/", views.departments, name="department_edit"),
    path("audit/", views.audit, name="audit"),
    path("language/", views.language_set, name="language"),
    path("notices/", views.notices, name="notices"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<str:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]

# --- absence, handover, workload (team.views_handover) ---
from . import views_handover  # noqa: E402

urlpatterns += [
    path("absences/", views_handover.absences, name="absences"),
    path("handovers/<int:handover_id>/", views_handover.handover, name="handover"),
    path("handovers/<int:handover_id>/undo/", views_handover.handover_undo, name="handover_undo"),
    path("workload/", views_handover.workload, name="workload"),
]
