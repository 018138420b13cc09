"""Who may call what: role checks that sit before the selectors' visibility rules."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from complaints import roles


class MayLogCases(BasePermission):
    """Intake: customer service, supervisors, and channel systems (the ``channel_system`` role).

    Department people handle cases; they do not log them.
    """

    message = _("Only customer service, supervisors and channel systems may log cases.")

    def has_permission(self, request, view) -> bool:
        if request.method != "POST":
            return True
        user = request.user
        return roles.is_cs_staff(user) or roles.is_supervisor(user) or roles.is_channel_system(user)


class ReadsReports(BasePermission):
    """Supervisors, who read every report, and department owners, who read their departments'
    (``reports.selectors.report_list_for_user`` says which)."""

    message = _("Only supervisors and department owners may read reports.")

    def has_permission(self, request, view) -> bool:
        return roles.is_supervisor(request.user) or bool(roles.owned_department_ids(request.user))
