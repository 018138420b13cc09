"""App configs of the work desk: the admin site staff work in, and the commands that serve people."""
from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class DeskAdminConfig(AdminConfig):
    """Django's admin with the desk's site as ``admin.site``."""

    default_site = "desk.site.DeskSite"


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = _("Work desk")


class LoginLockoutConfig(AxesConfig):
    """django-axes under a name staff read in their language; its own catalogues have no Chinese,
    so ``desk/third_party_strings.py`` lists the strings of it that the admin shows."""

    verbose_name = _("Login lockout")
