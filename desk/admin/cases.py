"""Django admin for every role: intake, scoped case lists, transitions as buttons, an immutable timeline.

Nothing here edits a case directly: intake and every transition call ``workflows.services``.
What a user sees comes from ``complaints.selectors``.
"""
from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflows import services
from .policies import EscalationLevelFilter

from complaints import selectors
from complaints.masking import mask_account, mask_email, mask_id_number, mask_name, mask_phone
from complaints.models import Category, Cause, Complaint, ComplaintEvent, Department, normalize_phone

from ..forms import TRANSITION_FORMS, TRANSITION_LABELS, IntakeForm

admin.site.site_header = _("Complaints and feedback")
admin.site.site_title = _("Complaints and feedback")
admin.site.index_title = _("Work on cases")

CLOCK_LABELS = {
    "first_response": _("first response"),
    "resolution": _("resolution"),
    "review": _("review call-back"),
}


def humanize_delta(seconds: float) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return gettext("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    return gettext("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": rest // 60}


def deadline_badge(complaint: Complaint, now=None) -> str:
    """Time left to the next deadline: red when overdue, amber with under 25 % of the window left."""
    clock = selectors.next_deadline(complaint)
    if clock is None:
        return "—"
    name, due, started = clock
    now = now or timezone.now()
    left = (due - now).total_seconds()
    window = max((due - started).total_seconds(), 1)
    label = CLOCK_LABELS[name]
    if left < 0:
        text = gettext("%(clock)s overdue by %(delta)s") % {"clock": label, "delta": humanize_delta(left)}
        colour = "#ba2121"
    else:
        text = gettext("%(clock)s in %(delta)s") % {"clock": label, "delta": humanize_delta(left)}
        colour = "#b36b00" if left / window < 0.25 else "#2a7a2a"
    return format_html('<span style="color:{};font-weight:bold" title="{}">{}</span>', colour, due, text)


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


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    verbose_name_plural = _("timeline")
    fields = ("created_at", "actor_label", "kind", "from_state", "to_state", "note", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return True


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
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
    search_fields = ("reference",)
    search_help_text = _("Reference (C-20261124-000001, or part of it) or the customer's exact phone number.")
    list_select_related = ("department", "category")
    list_per_page = 50
    date_hierarchy = "received_at"
    inlines = [EventInline]
    actions = ["export_csv"]
    change_form_template = "admin/complaints/complaint/change_form.html"
    fieldsets = (
        (_("Case"), {"fields": ("reference", "kind", "channel", "severity", "category", "subject", "description_text")}),
        (
            _("Customer"),
            {"fields": ("customer_name_shown", "customer_phone_shown", "customer_email_shown",
                        "customer_id_number_shown", "customer_account_shown")},
        ),
        (
            _("Handling"),
            {"fields": ("state", "department", "assignee", "received_at", "first_response_due",
                        "first_responded_at", "resolution_due", "resolution_window_days", "extension_status",
                        "extension_requested_days", "extension_reason", "resolved_at", "outcome", "cause",
                        "resolution_summary", "compensation", "review_due", "callback_attempts",
                        "reopen_count", "satisfaction", "review_notes", "closure", "closed_at",
                        "duplicate_of", "escalation_level", "escalated_at", "external_id", "created_by",
                        "created_at")},
        ),
    )

    # --- scope and permissions -------------------------------------------------------
    def get_queryset(self, request: HttpRequest):
        return selectors.complaint_list_for_user(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a case changes only through its transitions

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._may_see_pii = selectors.user_may_see_pii(request.user, obj)
        return obj

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(reference__icontains=term)
        digits = sum(ch.isdigit() for ch in term)
        if digits >= 6 and not term.upper().startswith("C-"):
            condition |= Q(customer_phone=normalize_phone(term))
        return queryset.filter(condition), False

    # --- columns ---------------------------------------------------------------------
    @admin.display(description=_("customer"))
    def customer_masked(self, obj: Complaint) -> str:
        return f"{mask_name(obj.customer_name)} {mask_phone(obj.customer_phone)}".strip()

    @admin.display(description=_("next deadline"))
    def next_deadline(self, obj: Complaint) -> str:
        return deadline_badge(obj)

    @admin.display(description=_("description"))
    def description_text(self, obj: Complaint) -> str:
        return format_html('<div style="white-space:pre-wrap">{}</div>', obj.description)

    def _pii(self, obj: Complaint, value: str, mask) -> str:
        return value if getattr(obj, "_may_see_pii", False) else mask(value)

    @admin.display(description=_("customer name"))
    def customer_name_shown(self, obj):
        return self._pii(obj, obj.customer_name, mask_name)

    @admin.display(description=_("phone"))
    def customer_phone_shown(self, obj):
        return self._pii(obj, obj.customer_phone, mask_phone)

    @admin.display(description=_("e-mail"))
    def customer_email_shown(self, obj):
        return self._pii(obj, obj.customer_email, mask_email)

    @admin.display(description=_("ID number"))
    def customer_id_number_shown(self, obj):
        return self._pii(obj, obj.customer_id_number, mask_id_number)

    @admin.display(description=_("account"))
    def customer_account_shown(self, obj):
        return self._pii(obj, obj.customer_account, mask_account)

    # --- export ----------------------------------------------------------------------
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

    # --- intake and transitions ------------------------------------------------------
    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="complaints_complaint_transition",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IntakeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                case, _created = services.complaint_create(
                    actor=request.user,
                    kind=data["kind"],
                    channel=data["channel"],
                    severity=data["severity"],
                    category=data["category"],
                    subject=data["subject"],
                    description=data["description"],
                    received_at=data["received_at"],
                    customer=services.CustomerData(
                        name=data["customer_name"],
                        phone=data["customer_phone"],
                        email=data["customer_email"],
                        id_number=data["customer_id_number"],
                        account=data["customer_account"],
                    ),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, gettext("Case %(reference)s logged.") % {"reference": case.reference})
                return HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Log a case"),
            "form": form,
            "submit_label": gettext("Log the case"),
        }
        return TemplateResponse(request, "admin/complaints/complaint/action_form.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None:
            extra_context["transitions"] = [
                (name, TRANSITION_LABELS[name]) for name in selectors.available_transitions(obj, request.user)
            ]
            extra_context["deadline"] = deadline_badge(obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, name):
        case = self.get_object(request, object_id)
        if case is None or name not in TRANSITION_FORMS:
            raise Http404
        change_url = reverse("admin:complaints_complaint_change", args=[case.pk])
        form_class = TRANSITION_FORMS[name]
        form = form_class(request.POST or None, complaint=case, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                services.TRANSITION_SERVICES[name](
                    complaint=case,
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                    **form.service_kwargs(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except services.WorkflowError as exc:
                messages.error(request, exc.message)
                return HttpResponseRedirect(change_url)
            else:
                messages.success(
                    request,
                    gettext("%(action)s: done for %(reference)s.")
                    % {"action": TRANSITION_LABELS[name], "reference": case.reference},
                )
                return HttpResponseRedirect(change_url)
        elif request.method == "GET" and name not in selectors.available_transitions(case, request.user):
            messages.error(request, gettext("That action is not available for this case now."))
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": case,
            "title": f"{TRANSITION_LABELS[name]}: {case.reference}",
            "form": form,
            "submit_label": TRANSITION_LABELS[name],
            "cancel_url": change_url,
            "deadline": deadline_badge(case),
        }
        return TemplateResponse(request, "admin/complaints/complaint/action_form.html", context)


def _add_errors(form, exc: ValidationError) -> None:
    """Put a service's field errors on the form's fields (unknown fields become form errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            if field.startswith("customer_") and field not in form.fields:
                target = None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


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
