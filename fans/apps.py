from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FansConfig(AppConfig):
    name = "fans"
    verbose_name = _("Fan interaction")

    def ready(self) -> None:
        from team.work import work_source_register

        from .work import InboxWork, TicketWork

        work_source_register(InboxWork())
        work_source_register(TicketWork())
