from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]

# Peer benchmarks and reviews (issue 17, tp)
from . import views_benchmarks, views_reviews  # noqa: E402

urlpatterns += [
    path("reports/benchmarks/", views_benchmarks.benchmarks_page, name="benchmarks"),
    path("reports/benchmarks/peers/", views_benchmarks.peer_add, name="peer_add"),
    path("reports/benchmarks/import/", views_benchmarks.peer_import, name="peer_import"),
    path("reports/reviews/", views_reviews.reviews_page, name="reviews"),
    path("reports/reviews/<int:pk>/", views_reviews.review_page, name="review"),
]

# --- scorecards (issue 17) ---
from . import views_scorecard  # noqa: E402  (a section of its own: several helpers add pages here)

urlpatterns += [path("reports/scorecard/", views_scorecard.scorecard_page, name="scorecard")]
