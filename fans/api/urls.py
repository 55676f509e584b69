from rest_framework.routers import SimpleRouter

from .views import FanViewSet, ItemViewSet, ReplyViewSet, RuleViewSet, TagViewSet, TemplateViewSet, TicketViewSet
from .views_practices import (
    FollowerAuditViewSet,
    GiftViewSet,
    KeyNodeReplyViewSet,
    RevisitViewSet,
    SuggestionViewSet,
    TipOffViewSet,
)

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
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("gifts", GiftViewSet, basename="gift")
router.register("revisits", RevisitViewSet, basename="revisit")
router.register("tipoffs", TipOffViewSet, basename="tipoff")
router.register("key-node-replies", KeyNodeReplyViewSet, basename="key_node_reply")
router.register("follower-audits", FollowerAuditViewSet, basename="follower_audit")

urlpatterns = router.urls
