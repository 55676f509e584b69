from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FansConfig(AppConfig):
    name = "fans"
    verbose_name = _("Fan interaction")
