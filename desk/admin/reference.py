"""Admin for the reference data staff route by: departments, categories, causes."""
from __future__ import annotations

from django.contrib import admin

from complaints.models import Category, Cause, Department


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_zh", "is_active")
    search_fields = ("code", "name_en", "name_zh")
    filter_horizontal = ("owners", "members")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: cases keep their department


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_zh", "parent", "default_department", "is_active")
    list_filter = ("is_active", "default_department")
    search_fields = ("code", "name_en", "name_zh")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Cause)
class CauseAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_zh", "is_active")
    search_fields = ("code", "name_en", "name_zh")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
