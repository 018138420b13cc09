"""The case page: what a case is and where it stands, its timeline, intake, and the transitions.

Nothing here edits a case directly: intake and every transition call ``workflows.services``.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.masking import mask_account, mask_email, mask_id_number, mask_name, mask_phone
from complaints.models import Complaint, ComplaintEvent
from workflows import services

from ..badges import deadline_badge
from ..forms import TRANSITION_FORMS, TRANSITION_LABELS, IntakeForm


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



class CasePageMixin:
    """Intake, the case page and its transitions (``ComplaintAdmin``)."""

    inlines = [EventInline]
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

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._may_see_pii = selectors.user_may_see_pii(request.user, obj)
        return obj

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
