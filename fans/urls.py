"""Pages of fan interaction under /fans/: the inbox and its conversations (``urls_inbox``), routing
rules, templates, tags and desks (``urls_config``), the fan CRM and the rates (``urls_fans``), and
the department desk for tickets (``urls_desk``), and the fan practices (``urls_practices``)."""

from . import urls_config, urls_desk, urls_fans, urls_inbox, urls_practices

app_name = "fans"

urlpatterns = [*urls_inbox.urlpatterns, *urls_config.urlpatterns, *urls_fans.urlpatterns, *urls_desk.urlpatterns,
               *urls_practices.urlpatterns]
