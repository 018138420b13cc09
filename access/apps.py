"""The access app: API tokens, client addresses and the lockout page (the bottom layer, beside complaints)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("Access")
    default_auto_field = "django.db.models.BigAutoField"
