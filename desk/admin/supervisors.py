"""Admins only supervisors (and superusers) use: calendars, internal targets, import mappings and runs,
surge alerts."""
from __future__ import annotations

from complaints.roles import is_supervisor


class SupervisorsOnly:
    """Supervisors view, add, change and delete; other roles see nothing.

    Decided by role rather than by model permission: no migration grants these models'
    permissions, and a group given them by hand would still not be a supervisor.
    """

    def has_module_permission(self, request) -> bool:
        return is_supervisor(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_supervisor(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return is_supervisor(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_supervisor(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_supervisor(request.user)


class SupervisorsReadOnly:
    """Supervisors view; nobody adds, changes or deletes here (the records are written by the
    product: import runs, surge alerts, whose closing has a view of its own); other roles see nothing."""

    def has_module_permission(self, request) -> bool:
        return is_supervisor(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_supervisor(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
