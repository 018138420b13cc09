"""App config for the work desk: the admin site staff work in, and the commands that serve people."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = _("Work desk")
