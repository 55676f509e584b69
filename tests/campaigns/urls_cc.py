"""The project's URLs, plus the campaigns pages this helper's tests need while campaigns/urls.py (the pages,
helper cb) is not on main: the names the services link notices to, and the report's pages.
TODO(lead): once campaigns/urls.py includes campaigns.urls_report, drop this file and the tests' urls mark."""

from django.http import HttpResponseNotFound
from django.urls import include, path

from campaigns import urls_report
from weibo_ops.urls import urlpatterns as project


def _elsewhere(request, *args, **kwargs):
    return HttpResponseNotFound()


try:
    from campaigns import urls as _pages  # noqa: F401  (on main once helper cb's pages land)
    urlpatterns = project
except ImportError:
    stubs = [path("activities/<int:pk>/", _elsewhere, name="activity"),
             path("<int:pk>/", _elsewhere, name="campaign"),
             path("<int:pk>/plan/", _elsewhere, name="campaign_plan"),
             path("<int:pk>/prizes/", _elsewhere, name="campaign_prizes"),
             path("tasks/", _elsewhere, name="my_tasks")]
    urlpatterns = [*project, path("campaigns/", include(([*stubs, *urls_report.urlpatterns], "campaigns")))]
