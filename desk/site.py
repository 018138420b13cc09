"""The admin site staff work in: its titles, and the index page that is each role's work queue."""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import dashboard


class DeskSite(admin.AdminSite):
    site_header = _("Complaints and feedback")
    site_title = _("Complaints and feedback")
    index_title = _("Work on cases")

    def index(self, request, extra_context=None):
        """The work queues of the user's roles (counts linking to the filtered case list), and the models."""
        context = {"queue_sections": dashboard.work_queue_cards(request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)
