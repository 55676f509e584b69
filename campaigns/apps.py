from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def menu_allows(self, user) -> bool:
        """Everyone signed in registers company activities and may have campaign tasks: the duty is in every
        menu (department contacts land on their tasks and the intake)."""
        return user.is_authenticated and user.is_active

    def menu_url_name(self, user) -> str | None:
        """Department contacts land on their tasks (the campaign list redirects them there)."""
        from team.models import Role

        return "campaigns:my_tasks" if getattr(user, "role", None) == Role.DEPT_CONTACT else None

    def ready(self) -> None:
        from team.work import work_source_register

        from .work import CampaignTaskWork

        work_source_register(CampaignTaskWork())
