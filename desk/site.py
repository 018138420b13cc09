"""The admin site staff work in: its titles, and the index page that is each role's work queue."""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import calendar_warnings, dashboard, two_factor


class DeskSite(admin.AdminSite):
    site_header = _("Complaints and feedback")
    site_title = _("Complaints and feedback")
    index_title = _("Work on cases")

    def has_permission(self, request):
        """Staff whose two-factor sign-in is done (desk/two_factor.py; the middleware redirects the rest)."""
        return super().has_permission(request) and not two_factor.second_factor_pending(request)

    def get_urls(self):
        from .admin import dashboard as live_dashboard  # here: desk.admin registers its models with this site

        return two_factor.urls(self) + live_dashboard.urls(self) + super().get_urls()

    def index(self, request, extra_context=None):
        """The work queues of the user's roles (counts linking to the filtered case list), and the models."""
        context = {"queue_sections": dashboard.work_queue_cards(request.user), **(extra_context or {})}
        calendar_warnings.warn(request)  # supervisors: a policy's calendar missing this year or next
        return super().index(request, extra_context=context)
