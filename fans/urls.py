"""Pages of fan interaction under /fans/: the inbox and its conversations (``urls_inbox``), routing
rules, templates, tags and desks (``urls_config``), the fan CRM and the rates (``urls_fans``), and
the department desk for tickets (``urls_desk``)."""

from . import urls_config, urls_desk, urls_fans, urls_inbox

app_name = "fans"

urlpatterns = [*urls_inbox.urlpatterns, *urls_config.urlpatterns, *urls_fans.urlpatterns, *urls_desk.urlpatterns]
