from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AlertViewSet,
    CascadeViewSet,
    GroupViewSet,
    IncidentViewSet,
    MentionViewSet,
    TrendView,
    WordCloudView,
)

# A namespace: "group", "mention" and "alert" are names other apps' APIs may want too.
app_name = "sentiment_api"

router = SimpleRouter()
router.register("groups", GroupViewSet, basename="group")
router.register("mentions", MentionViewSet, basename="mention")
router.register("alerts", AlertViewSet, basename="alert")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("cascades", CascadeViewSet, basename="cascade")

urlpatterns = [
    path("trends/", TrendView.as_view(), name="trends"),
    path("wordcloud/", WordCloudView.as_view(), name="wordcloud"),
    *router.urls,
]
