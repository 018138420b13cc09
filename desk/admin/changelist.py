"""The case list: its columns, filters and the CSV export."""
from __future__ import annotations

import csv

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.masking import mask_name, mask_phone
from complaints.models import Complaint, Department

from ..badges import deadline_badge
from .policies import EscalationLevelFilter


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        condition = selectors.overdue_q(timezone.now())
        if self.value() == "yes":
            return queryset.filter(condition)
        if self.value() == "no":
            return queryset.exclude(condition)
        return queryset


class ScopedDepartmentFilter(admin.RelatedFieldListFilter):
    """Offers only the departments whose cases the user can see."""

    def field_choices(self, field, request, model_admin):
        visible = selectors.complaint_list_for_user(request.user).values_list("department_id", flat=True)
        return [(d.pk, str(d)) for d in Department.objects.filter(pk__in=visible)]


class CaseListMixin:
    """Columns, filters and export of the case list (``ComplaintAdmin``)."""

    list_display = (
        "reference",
        "customer_masked",
        "kind",
        "state",
        "department",
        "next_deadline",
        "escalation_level",
        "escalated_at",
        "received_at",
    )
    list_filter = (
        "state",
        "kind",
        "channel",
        ("department", ScopedDepartmentFilter),
        "category",
        OverdueFilter,
        EscalationLevelFilter,
        "received_at",
    )
    list_select_related = ("department", "category")
    list_per_page = 50
    date_hierarchy = "received_at"
    actions = ["export_csv"]

    @admin.display(description=_("customer"))
    def customer_masked(self, obj: Complaint) -> str:
        return f"{mask_name(obj.customer_name)} {mask_phone(obj.customer_phone)}".strip()

    @admin.display(description=_("next deadline"))
    def next_deadline(self, obj: Complaint) -> str:
        return deadline_badge(obj)

    @admin.action(description=_("Export selected cases as CSV (customer details masked)"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cases.csv"'
        writer = csv.writer(response)
        writer.writerow(["reference", "kind", "channel", "severity", "category", "state", "department",
                         "received_at", "first_response_due", "resolution_due", "customer", "phone"])
        for case in queryset.select_related("category", "department"):
            writer.writerow([
                case.reference, case.kind, case.channel, case.severity, case.category.code, case.state,
                case.department.code if case.department else "", case.received_at.isoformat(),
                case.first_response_due.isoformat() if case.first_response_due else "",
                case.resolution_due.isoformat() if case.resolution_due else "",
                mask_name(case.customer_name), mask_phone(case.customer_phone),
            ])
        return response
