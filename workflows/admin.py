"""Admin for how cases move: service-level policies (supervisors may change them)."""
from __future__ import annotations

from django.contrib import admin

from .models import SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "severity",
        "first_response_hours",
        "resolution_days",
        "owner_extension_max_days",
        "max_extension_days",
        "review_days",
        "warning_percent",
    )
    list_filter = ("kind", "severity")

    def has_add_permission(self, request) -> bool:
        return False  # one row per kind and severity, created by migration

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
