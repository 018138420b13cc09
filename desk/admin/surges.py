"""Admin for surge alerts: supervisors read them and close them with a note; nobody edits or deletes one.

Alerts are written by ``workflows.surges`` only (detection, growth and the close service), so
the admin is read-only; "Close with a note" is a small form that calls ``surge_alert_close``.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflows import surges
from workflows.models import SurgeAlert, SurgeAlertState
from workflows.services import WorkflowError

from .supervisors import SupervisorsReadOnly


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("What was found and what was done about the surge. The note is kept with the alert."),
    )


@admin.register(SurgeAlert)
class SurgeAlertAdmin(SupervisorsReadOnly, admin.ModelAdmin):
    """Read-only for supervisors; other roles see nothing. The close view is the only write."""

    list_display = ("state", "dimension", "name", "detected_at", "last_seen_at", "peak_count", "baseline", "linked")
    list_filter = ("state", "dimension")
    search_fields = ("key", "label_en", "label_zh")
    date_hierarchy = "detected_at"
    list_select_related = ("closed_by",)
    fieldsets = (
        (None, {"fields": ("state", "dimension", "name", "key", "window_hours", "detected_at", "last_seen_at")}),
        (
            _("Counts"),
            {"fields": ("current_count", "peak_count", "baseline_counts", "baseline_mean", "baseline_sd", "sigma", "min_count", "threshold")},
        ),
        (_("Cases"), {"fields": ("case_list", "case_links")}),
        (_("Closing"), {"fields": ("closed_at", "closed_by", "close_note", "emailed_at")}),
    )
    readonly_fields = (
        "state", "dimension", "name", "key", "window_hours", "detected_at", "last_seen_at", "current_count", "peak_count",
        "baseline_counts", "baseline_mean", "baseline_sd", "sigma", "min_count", "threshold", "case_list", "case_links",
        "closed_at", "closed_by", "close_note", "emailed_at",
    )  # fmt: skip
    change_form_template = "admin/workflows/surgealert/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurgeAlert]:
        return super().get_queryset(request).annotate(case_count=Count("links"))

    # --- columns -------------------------------------------------------------------------
    @admin.display(description=_("name"), ordering="label_en")
    def name(self, alert: SurgeAlert) -> str:
        return alert.label

    @admin.display(description=_("baseline"))
    def baseline(self, alert: SurgeAlert) -> str:
        """Mean ± standard deviation of the earlier weeks, and the threshold the count had to pass."""
        return gettext("%(mean).1f ± %(sd).1f (over %(threshold).1f)") % {
            "mean": alert.baseline_mean,
            "sd": alert.baseline_sd,
            "threshold": alert.threshold,
        }

    @admin.display(description=_("cases"), ordering="case_count")
    def linked(self, alert: SurgeAlert) -> int:
        return getattr(alert, "case_count", 0)

    @admin.display(description=_("case list"))
    def case_list(self, alert: SurgeAlert) -> str:
        url = reverse("admin:complaints_complaint_changelist") + f"?surge={alert.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("The alert's cases in the case list"))

    @admin.display(description=_("cases"))
    def case_links(self, alert: SurgeAlert) -> str:
        """Each linked case by its reference, linked to the case; no customer detail."""
        cases = alert.cases.order_by("received_at", "pk").values_list("pk", "reference")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:complaints_complaint_change", args=[pk]), reference) for pk, reference in cases),
        ) or "—"

    # --- closing -------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<int:pk>/close/", self.admin_site.admin_view(self.close_view), name="workflows_surgealert_close"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["may_close"] = obj is not None and obj.state == SurgeAlertState.OPEN
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def close_view(self, request: HttpRequest, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        alert = get_object_or_404(SurgeAlert, pk=pk)
        change_url = reverse("admin:workflows_surgealert_change", args=[pk])
        if alert.state != SurgeAlertState.OPEN:
            self.message_user(request, gettext("This surge alert is closed already."), level=messages.WARNING)
            return HttpResponseRedirect(change_url)
        form = CloseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                surges.surge_alert_close(alert=alert, actor=request.user, note=form.cleaned_data["note"], now=timezone.now())
            except WorkflowError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                return HttpResponseRedirect(change_url)
            except ValidationError as exc:
                for errors in exc.message_dict.values():
                    for error in errors:
                        form.add_error("note", error)
            else:
                self.message_user(request, gettext("The surge alert is closed."))
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": alert,
            "form": form,
            "title": gettext("Close with a note: %(alert)s") % {"alert": alert},
        }
        return TemplateResponse(request, "admin/workflows/surgealert/close.html", context)
