"""App config for workflows: how a case moves."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows and service levels")

    def ready(self) -> None:
        from . import signals

        signals.connect()  # every change of a calendar or its days bumps the calendar's revision
