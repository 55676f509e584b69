from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import health

api_v1 = [
    path("team/", include("team.api.urls")),
    path("team/", include("positioning.api.urls_roster")),  # the duty roster: its checks need the grants
    path("positioning/", include("positioning.api.urls")),
    path("content/", include("content.api.urls")),
    path("fans/", include("fans.api.urls")),
    path("sentiment/", include("sentiment.api.urls")),
    path("campaigns/", include("campaigns.api.urls")),
    path("reports/", include("reports.api.urls")),
    # The schema maps every endpoint: only signed-in people (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]) see
    # it; the docs page sends anonymous visitors to the login page instead of a bare 401.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")), name="swagger-ui"),
]

urlpatterns = [
    path("", include("reports.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("team/roster/", include("positioning.urls_roster")),  # the duty roster's pages: they need the grants
    path("team/", include("team.urls")),
    path("positioning/", include("positioning.urls")),
    path("content/", include("content.urls")),
    path("fans/", include("fans.urls")),
    path("sentiment/", include("sentiment.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("weibo/", include("weibo_ops.weibo.urls")),
    path("api/v1/", include(api_v1)),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
