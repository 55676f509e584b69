from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ApprovalQueueView, CadenceView, CalendarView, PillarViewSet, PostViewSet, TargetViewSet

# A namespace: "post" and "target" are names other apps' APIs may want too.
app_name = "content_api"

router = SimpleRouter()
router.register("pillars", PillarViewSet, basename="pillar")
router.register("posts", PostViewSet, basename="post")
router.register("targets", TargetViewSet, basename="target")

urlpatterns = [
    path("approvals/", ApprovalQueueView.as_view(), name="approvals"),
    path("calendar/", CalendarView.as_view(), name="calendar"),
    path("cadence/", CadenceView.as_view(), name="cadence"),
    *router.urls,
]
