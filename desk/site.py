"""The admin site staff work in: its titles, and the index page that is each role's work queue."""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class DeskSite(admin.AdminSite):
    site_header = _("Complaints and feedback")
    site_title = _("Complaints and feedback")
    index_title = _("Work on cases")
