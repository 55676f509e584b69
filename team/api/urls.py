from rest_framework.routers import DefaultRouter

from .views import DepartmentViewSet, MemberViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls

# Reviews (issue 17, tp)
from .views_reviews import ReviewCycleViewSet, ReviewViewSet, ScoreViewSet  # noqa: E402

router.register("review-cycles", ReviewCycleViewSet, basename="review-cycle")
router.register("reviews", ReviewViewSet, basename="review")
router.register("scores", ScoreViewSet, basename="review-score")

# --- KPIs and targets (issue 17) ---
from .views_kpis import KpiTargetViewSet, KpiViewSet  # noqa: E402  (a section of its own: several helpers add here)

router.register("kpis", KpiViewSet, basename="kpi")
router.register("kpi-targets", KpiTargetViewSet, basename="kpi-target")
urlpatterns = router.urls
