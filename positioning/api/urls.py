from rest_framework.routers import DefaultRouter

from .views import AccountViewSet, BrandViewSet
from .views_peers import PeerViewSet

router = DefaultRouter()
router.register("brands", BrandViewSet, basename="brand")
router.register("accounts", AccountViewSet, basename="account")
router.register("peers", PeerViewSet, basename="peer")

urlpatterns = router.urls
