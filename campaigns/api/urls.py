from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ActivityViewSet,
    CampaignViewSet,
    ParticipantViewSet,
    PrizeViewSet,
    RedemptionView,
    TaskViewSet,
    WinnerViewSet,
)

app_name = "campaigns_api"

router = SimpleRouter()
router.register("activities", ActivityViewSet, basename="activity")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("tasks", TaskViewSet, basename="task")
router.register("prizes", PrizeViewSet, basename="prize")
router.register("participants", ParticipantViewSet, basename="participant")
router.register("winners", WinnerViewSet, basename="winner")

urlpatterns = [
    path("redemptions/", RedemptionView.as_view(), name="redemptions"),
    *router.urls,
]
