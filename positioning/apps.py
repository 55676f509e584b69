from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PositioningConfig(AppConfig):
    name = "positioning"
    verbose_name = _("Positioning")

    def ready(self) -> None:
        from team.work import access_register

        from . import work_access

        access_register(lacking=work_access.lacking, names=work_access.names,
                        people_who_may=work_access.people_who_may_ids, action_label=work_access.action_label,
                        handover_url=work_access.handover_url, playbooks=work_access.playbooks)
