from rest_framework.routers import DefaultRouter

from .views import DepartmentViewSet, MemberViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls

# --- absence, handover, workload (team.api.views_handover) ---
from django.urls import path  # noqa: E402

from .views_handover import AbsenceViewSet, HandoverViewSet, WorkloadView  # noqa: E402

router.register("absences", AbsenceViewSet, basename="absence")
router.register("handovers", HandoverViewSet, basename="handover")
urlpatterns = [*router.urls, path("workload/", WorkloadView.as_view(), name="workload")]
