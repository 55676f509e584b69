from rest_framework.routers import DefaultRouter

from .views import AccountViewSet, BrandViewSet

router = DefaultRouter()
router.register("brands", BrandViewSet, basename="brand")
router.register("accounts", AccountViewSet, basename="account")

urlpatterns = router.urls
