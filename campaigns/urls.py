from django.urls import include, path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("intake/", views.intake, name="intake"),
    path("intake/new/", views.activity_new, name="activity_new"),
    path("intake/<int:pk>/", views.activity_detail, name="activity"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/part/", views.my_tasks_part, name="my_tasks_part"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:task_id>/state/", views.task_state, name="task_state"),
    path("<int:pk>/", views.campaign_detail, name="campaign"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/goals/", views.campaign_goals, name="campaign_goals"),
    path("<int:pk>/state/", views.campaign_state, name="campaign_state"),
    path("<int:pk>/plan/", views.campaign_plan, name="campaign_plan"),
    path("<int:pk>/plan/new/", views.task_new, name="task_new"),
    path("<int:pk>/prizes/", views.campaign_prizes, name="campaign_prizes"),
    path("prizes/<int:prize_id>/decide/", views.prize_decide, name="prize_decide"),
    path("<int:pk>/participants/", views.campaign_participants, name="campaign_participants"),
    path("<int:pk>/participants/check/", views.participants_check, name="participants_check"),
    path("participants/<int:participant_id>/override/", views.participant_override, name="participant_override"),
    path("<int:pk>/draw/", views.campaign_draw, name="campaign_draw"),
    path("winners/<int:winner_id>/delivery/", views.winner_delivery, name="winner_delivery"),
    # Public, no sign-in: anyone checks the draw from the published data.
    path("public/<int:pk>/draw/", views.public_draw, name="public_draw"),
    path("public/<int:pk>/draw/participants.txt", views.public_participants, name="public_participants"),
    path("", include("campaigns.urls_report")),
]
