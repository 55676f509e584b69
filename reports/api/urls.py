from django.urls import path

from .views import ScorecardView

urlpatterns = [
    path("scorecard/", ScorecardView.as_view(), name="api-scorecard"),
]
