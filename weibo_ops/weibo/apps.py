from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WeiboConfig(AppConfig):
    name = "weibo_ops.weibo"
    label = "weibo"
    verbose_name = _("Weibo gateway")
