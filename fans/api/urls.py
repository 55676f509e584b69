from rest_framework.routers import SimpleRouter

from .views import FanViewSet, ItemViewSet, ReplyViewSet, RuleViewSet, TagViewSet, TemplateViewSet, TicketViewSet

# A namespace: "reply", "ticket" and "tag" are names other apps' APIs may want too.
app_name = "fans_api"

router = SimpleRouter()
router.register("items", ItemViewSet, basename="item")
router.register("replies", ReplyViewSet, basename="reply")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("fans", FanViewSet, basename="fan")
router.register("tags", TagViewSet, basename="tag")
router.register("rules", RuleViewSet, basename="rule")
router.register("templates", TemplateViewSet, basename="template")

urlpatterns = router.urls
