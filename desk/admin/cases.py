"""The case admin, assembled from its list, search and page, and the read-only audit trail.

What a user sees comes from ``complaints.selectors``.
"""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from complaints import selectors
from complaints.models import Complaint, ComplaintEvent

from .case_page import CasePageMixin
from .changelist import CaseListMixin
from .search import CaseSearchMixin


@admin.register(Complaint)
class ComplaintAdmin(CaseSearchMixin, CaseListMixin, CasePageMixin, admin.ModelAdmin):
    # --- scope and permissions -------------------------------------------------------
    def get_queryset(self, request: HttpRequest):
        return selectors.complaint_list_for_user(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a case changes only through its transitions

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

@admin.register(ComplaintEvent)
class ComplaintEventAdmin(admin.ModelAdmin):
    """The audit trail: readable by those who may see the case, changeable by nobody."""

    list_display = ("created_at", "complaint", "actor_label", "kind", "from_state", "to_state")
    list_filter = ("kind",)
    search_fields = ("complaint__reference",)
    list_select_related = ("complaint",)

    def get_queryset(self, request):
        visible = selectors.complaint_list_for_user(request.user).values("pk")
        return super().get_queryset(request).filter(complaint__in=visible)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


