"""/api/v1/team/shifts/, swaps/, on-duty/ (see ``positioning.api.roster``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .roster import OnDutyView, ShiftViewSet, SwapViewSet

router = SimpleRouter()
router.register("shifts", ShiftViewSet, basename="shift")
router.register("swaps", SwapViewSet, basename="swap")

urlpatterns = [*router.urls, path("on-duty/", OnDutyView.as_view(), name="on-duty")]
