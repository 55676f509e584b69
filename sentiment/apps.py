from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SentimentConfig(AppConfig):
    name = "sentiment"
    verbose_name = _("Opinion monitoring")

    def menu_allows(self, user) -> bool:
        """Whether the duty menu offers monitoring to ``user``: the pages' own check (``views._brand``), so an
        entry never leads to a refusal."""
        from .access import brands_for

        return brands_for(user).exists()
