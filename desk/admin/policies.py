"""Admin for how cases move: service-level policies, escalations and their e-mails (read-only)."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from workflows.models import Escalation, NotificationLog, PolicyChange, SlaPolicy, policy_numbers


class SlaPolicyForm(forms.ModelForm):
    """Close of business as a plain "17:30": the admin's clock offered "Now", which is no cut-off time."""

    class Meta:
        model = SlaPolicy
        fields = [
            "first_response_hours", "resolution_window", "resolution_unit", "calendar", "count_receipt_day",
            "cutoff_time", "roll_over", "owner_extension_max_days", "max_extension_days", "review_days",
            "warning_percent",
        ]
        widgets = {"cutoff_time": forms.TimeInput(format="%H:%M", attrs={"size": 5})}


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """The change form's long checkbox labels are kept on one line by desk.css (``.model-slapolicy``)."""

    form = SlaPolicyForm
    list_display = (
        "kind",
        "severity",
        "first_response_hours",
        "resolution_window",
        "resolution_unit",
        "calendar",
        "roll_over",
        "owner_extension_max_days",
        "max_extension_days",
        "review_days",
        "warning_percent",
    )
    list_filter = ("kind", "severity")
    fieldsets = (
        (None, {"fields": ("kind", "severity")}),
        (_("First response"), {"fields": ("first_response_hours",)}),
        (
            _("Resolution"),
            {"fields": ("resolution_window", "resolution_unit", "calendar", "count_receipt_day", "cutoff_time", "roll_over")},
        ),
        (_("Extensions"), {"fields": ("owner_extension_max_days", "max_extension_days")}),
        (_("Review call-back and warnings"), {"fields": ("review_days", "warning_percent")}),
    )
    readonly_fields = ("kind", "severity")

    def save_model(self, request, obj, form, change) -> None:
        """Save and keep the numbers before and after, so reports print the ones in force (``PolicyChange``)."""
        with transaction.atomic():
            previous = SlaPolicy.objects.select_for_update(of=("self",)).select_related("calendar").get(pk=obj.pk) if change else None
            super().save_model(request, obj, form, change)
            obj = SlaPolicy.objects.select_related("calendar").get(pk=obj.pk)
            if previous is not None and policy_numbers(previous) != policy_numbers(obj):
                PolicyChange.objects.create(
                    policy=obj, changed_by=request.user, before=policy_numbers(previous), after=policy_numbers(obj)
                )

    def has_add_permission(self, request) -> bool:
        return False  # one row per kind and severity, created by migration

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EscalationLevelFilter(admin.SimpleListFilter):
    """Filter cases by ``escalation_level``; "escalated to supervisors" is level 3."""

    title = _("escalation")
    parameter_name = "escalation"

    def lookups(self, request, model_admin):
        return [
            ("none", _("not escalated")),
            ("any", _("escalated (any level)")),
            ("1", _("warning")),
            ("2", _("overdue")),
            ("3", _("escalated to supervisors")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(escalation_level=0)
        if value == "any":
            return queryset.filter(escalation_level__gte=1)
        if value in {"1", "2", "3"}:
            return queryset.filter(escalation_level=int(value))
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the sweep and the e-mail task only."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "clock", "level", "due", "created_at")
    list_filter = ("clock", "level")
    date_hierarchy = "created_at"
    search_fields = ("complaint__reference",)
    list_select_related = ("complaint",)
    show_full_result_count = False


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "email", "language", "status", "attempts", "sent_at")
    list_filter = ("status", "language")
    search_fields = ("email", "key")
    show_full_result_count = False
