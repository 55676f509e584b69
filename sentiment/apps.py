from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SentimentConfig(AppConfig):
    name = "sentiment"
    verbose_name = _("Opinion monitoring")

    def menu_allows(self, user) -> bool:
        """Whether the duty menu offers monitoring to ``user``: the pages' own check (``views._brand``), so an
        entry never leads to a refusal."""
        from team.models import Role

        from .access import brands_for

        if user.is_org_wide or user.role == Role.PR:
            return True  # every brand is theirs to watch: no query on every page for the people who use it most
        return brands_for(user).exists()

    def ready(self) -> None:
        from team.work import work_source_register

        from .work import IncidentStepWork

        work_source_register(IncidentStepWork())
