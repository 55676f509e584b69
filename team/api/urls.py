from rest_framework.routers import DefaultRouter

from .views import DepartmentViewSet, MemberViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls
