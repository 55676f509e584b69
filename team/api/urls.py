from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import DepartmentViewSet, MemberViewSet
from .views_handover import AbsenceViewSet, HandoverViewSet, WorkloadView
from .views_kpis import KpiTargetViewSet, KpiViewSet
from .views_reviews import ReviewCycleViewSet, ReviewViewSet, ScoreViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("members", MemberViewSet, basename="member")
# Absence, handover, workload
router.register("absences", AbsenceViewSet, basename="absence")
router.register("handovers", HandoverViewSet, basename="handover")
# KPIs and their targets
router.register("kpis", KpiViewSet, basename="kpi")
router.register("kpi-targets", KpiTargetViewSet, basename="kpi-target")
# Reviews
router.register("review-cycles", ReviewCycleViewSet, basename="review-cycle")
router.register("reviews", ReviewViewSet, basename="review")
router.register("scores", ScoreViewSet, basename="review-score")

urlpatterns = [*router.urls, path("workload/", WorkloadView.as_view(), name="workload")]
