from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]

# --- scorecards (issue 17) ---
from . import views_scorecard  # noqa: E402  (a section of its own: several helpers add pages here)

urlpatterns += [path("reports/scorecard/", views_scorecard.scorecard_page, name="scorecard")]
