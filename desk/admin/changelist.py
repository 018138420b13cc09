"""The case list: its columns, filters and exports.

The filters' conditions come from ``complaints.queues``, the same ones the index page's
work queues count, so a queue's link lists exactly the cases it counted.

"Export CSV" and "Export XLSX" download every case the list shows (its filters, search and
ordering, all pages) in the columns ``import_complaints`` reads (``workflows.imports.export``),
customer identifiers masked on the rows of cases the user may not handle. The CSV streams; an
XLSX is refused above ``XLSX_MAX_ROWS`` cases with a message. The "export selected" action is
the older, always-masked extract of the ticked rows.
"""
from __future__ import annotations

import tempfile
from datetime import UTC, datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Case, DateTimeField, F, Q, QuerySet, Value, When
from django.db.models.functions import Least, NullIf
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import queues, selectors
from complaints.masking import mask_name, mask_phone
from complaints.models import Complaint, Department
from complaints.states import ComplaintState, ExtensionStatus, Kind
from workflows.clocks import CLOCKS
from workflows.imports import export
from workflows.models import SurgeAlert, SurgeAlertCase

from ..badges import deadline_badge
from .base import CaseAdminBase
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


class OpenFilter(admin.SimpleListFilter):
    """Open cases (the bank still owes the customer something) or finished ones."""

    title = _("open or finished")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Finished"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(queues.open_q())
        if self.value() == "no":
            return queryset.exclude(queues.open_q())
        return queryset


class AwaitingFilter(admin.SimpleListFilter):
    """What customer service owes: the first response, or the review call-back."""

    title = _("awaiting")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("first_response", _("first response")), ("callback", _("call-back"))]

    def queryset(self, request, queryset):
        if self.value() == "first_response":
            return queryset.filter(queues.first_response_running_q())
        if self.value() == "callback":
            return queryset.filter(state=ComplaintState.RESOLVED)
        return queryset


class PendingExtensionFilter(admin.SimpleListFilter):
    """Extension requests nobody has decided yet, by who must decide them."""

    title = _("pending extension")
    parameter_name = "extension"

    def lookups(self, request, model_admin):
        return [
            ("any", _("any pending")),
            ("owner", _("waiting for the department owner")),
            ("supervisor", _("waiting for a supervisor")),
            ("mine", _("waiting for my decision")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.filter(queues.extension_pending_q())
        if value == "owner":
            return queryset.filter(queues.extension_for_owner_q())
        if value == "supervisor":
            return queryset.filter(queues.extension_for_supervisor_q())
        if value == "mine":
            return queryset.filter(queues.extension_for_user_q(request.user))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("mine", _("mine")), ("unassigned", _("unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee_id=request.user.pk)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class UnroutedFilter(admin.SimpleListFilter):
    """Cases with no department; "over an hour" also needs them received more than an hour ago and open."""

    title = _("routing")
    parameter_name = "unrouted"

    def lookups(self, request, model_admin):
        return [("yes", _("not routed")), ("over_1h", _("not routed for over an hour"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(queues.unrouted_q())
        if self.value() == "over_1h":
            return queryset.filter(queues.unrouted_since_q(timezone.now() - queues.UNROUTED_GRACE))
        return queryset


class DueFilter(admin.SimpleListFilter):
    """A running clock's deadline falls on today's local date (passed or not)."""

    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", _("today"))]

    def queryset(self, request, queryset):
        if self.value() == "today":
            return queryset.filter(queues.due_today_q(timezone.now()))
        return queryset


class SurgeFilter(admin.SimpleListFilter):
    """The cases linked to one surge alert (``?surge=<alert id>``, the alert's e-mail links here).

    Shown only while it is applied: there is nothing to choose from, the alert is the choice.
    """

    title = _("surge alert")
    parameter_name = "surge"

    def alert_id(self) -> int | None:
        """The alert asked for; None for a value that cannot be an alert's id."""
        value = self.value() or ""
        return int(value) if value.isascii() and value.isdecimal() and len(value) <= 18 else None

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        alert_id = self.alert_id()
        alert = SurgeAlert.objects.filter(pk=alert_id).first() if alert_id is not None else None
        return [(value, str(alert) if alert is not None else gettext("no such surge alert"))]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        alert_id = self.alert_id()
        if alert_id is None:
            return queryset.none()
        return queryset.filter(pk__in=SurgeAlertCase.objects.filter(alert_id=alert_id).values("complaint_id"))


class ScopedDepartmentFilter(admin.RelatedFieldListFilter):
    """Offers only the departments whose cases the user can see."""

    def field_choices(self, field, request, model_admin):
        visible = selectors.complaint_list_for_user(request.user).values_list("department_id", flat=True)
        return [(d.pk, str(d)) for d in Department.objects.filter(pk__in=visible)]


# Later than any deadline: stands for "this clock does not run" inside LEAST, which SQLite
# makes null as soon as one argument is null.
_NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def next_due_expression() -> NullIf:
    """The deadline of the running clock that falls due first, as ``selectors.next_deadline`` picks it; null when none runs."""
    deadlines = [
        Case(
            When(clock.columns.running & Q(**{f"{clock.columns.due_field}__isnull": False}), then=F(clock.columns.due_field)),
            default=Value(_NEVER),
            output_field=DateTimeField(),
        )
        for clock in CLOCKS.values()
    ]
    return NullIf(Least(*deadlines), Value(_NEVER), output_field=DateTimeField())


def with_next_due(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """``queryset`` annotated with ``next_due`` (see ``next_due_expression``)."""
    if "next_due" in queryset.query.annotations:
        return queryset
    return queryset.annotate(next_due=next_due_expression())


class CaseChangeList(ChangeList):
    """The case list over the admin's scoped queryset, with the next deadline to sort on."""

    def get_queryset(self, request, exclude_parameters=None):
        # The admin's get_queryset is the visibility selector; the annotation is the list's own.
        self.root_queryset = with_next_due(self.root_queryset)
        return super().get_queryset(request, exclude_parameters)


class CaseExportList(CaseChangeList):
    """The list's queryset (filters, search, ordering) without the page: no count, no rows fetched."""

    def get_results(self, request):
        self.result_count = self.full_result_count = 0
        self.result_list = []
        self.can_show_all = self.multi_page = False


EXPORT_URL_NAME = "complaints_complaint_export"
EXPORT_FORMATS = {"csv": _("Export CSV"), "xlsx": _("Export XLSX")}
EXPORT_HELP = _(
    "Every case this list shows (all pages), in the columns the case import reads; "
    "customer details masked on cases you do not handle."
)


class CaseListMixin(CaseAdminBase):
    """Columns, filters and export of the case list (``ComplaintAdmin``)."""

    list_display = (
        "reference",
        "subject_short",
        "customer_masked",
        "severity",
        "state",
        "department",
        "assignee_name",
        "next_deadline",
        "alerts",
        "received",
    )
    list_filter = (
        "state",
        OpenFilter,
        AwaitingFilter,
        OverdueFilter,
        DueFilter,
        EscalationLevelFilter,
        PendingExtensionFilter,
        AssigneeFilter,
        UnroutedFilter,
        SurgeFilter,
        "kind",
        "channel",
        ("department", ScopedDepartmentFilter),
        "category",
        "received_at",
    )
    list_select_related = ("department", "category", "assignee")
    list_per_page = 50
    date_hierarchy = "received_at"
    actions = ["export_csv"]

    @property
    def media(self):
        # A property rather than ``class Media`` so the other mixins' media stay in.
        return super().media + forms.Media(css={"all": ["desk/changelist.css"]})

    def get_changelist(self, request, **kwargs):
        match = getattr(request, "resolver_match", None)
        return CaseExportList if match is not None and match.url_name == EXPORT_URL_NAME else CaseChangeList

    def changelist_view(self, request, extra_context=None):
        # The list needs the width: at 1366 px the model sidebar would push its columns into a scroll.
        context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        if self.has_view_permission(request):
            context["export_links"] = [
                (reverse(f"admin:{EXPORT_URL_NAME}", args=[name]), label) for name, label in EXPORT_FORMATS.items()
            ]
            context["export_help"] = EXPORT_HELP
        return super().changelist_view(request, context)

    # --- export: what the list shows, as a file ---------------------------------------
    def get_urls(self):
        return [
            path(
                "export/<str:file_format>/",
                self.admin_site.admin_view(self.export_view),
                name=EXPORT_URL_NAME,
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, file_format: str):
        """GET with the list's query string: every case the list shows, as ``file_format`` (csv or xlsx)."""
        if file_format not in EXPORT_FORMATS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist_url = reverse("admin:complaints_complaint_changelist")
        try:
            queryset = self.get_changelist_instance(request).queryset
        except IncorrectLookupParameters:
            return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
        user = request.user

        def show_pii(case: Complaint) -> bool:
            return selectors.user_may_see_pii(user, case)

        if file_format == "csv":
            response: HttpResponse | StreamingHttpResponse | FileResponse = StreamingHttpResponse(
                export.csv_chunks(export.export_cases(queryset), show_pii), content_type=export.CSV_CONTENT_TYPE
            )
            response["Content-Disposition"] = f'attachment; filename="{export.export_filename("csv")}"'
        else:
            total = queryset.count()
            if total > export.XLSX_MAX_ROWS:
                messages.error(request, export.xlsx_limit_message(total))
                query = request.GET.urlencode()
                return HttpResponseRedirect(f"{changelist_url}?{query}" if query else changelist_url)
            file = tempfile.TemporaryFile()
            export.write_xlsx(export.export_cases(queryset), show_pii, file)
            file.seek(0)
            response = FileResponse(
                file, as_attachment=True, filename=export.export_filename("xlsx"), content_type=export.XLSX_CONTENT_TYPE
            )
        response["Cache-Control"] = "no-store"  # customer details
        return response

    @admin.display(description=_("subject"), ordering="subject")
    def subject_short(self, obj: Complaint) -> str:
        """The subject cut short (the full text on hover); a suggestion, praise or inquiry says so below it."""
        subject = format_html('<span class="subject" title="{}">{}</span>', obj.subject, Truncator(obj.subject).chars(48))
        if obj.kind == Kind.COMPLAINT:
            return subject
        return format_html('{}<small class="kind kind-{}">{}</small>', subject, obj.kind, obj.get_kind_display())

    @admin.display(description=_("assignee"), ordering="assignee__username")
    def assignee_name(self, obj: Complaint) -> str:
        assignee = obj.assignee
        if assignee is None:
            return "—"
        return assignee.get_full_name() or assignee.get_username()

    @admin.display(description=_("customer"))
    def customer_masked(self, obj: Complaint) -> str:
        return format_html(
            '<span class="name">{}</span> <span class="phone">{}</span>',
            mask_name(obj.customer_name),
            mask_phone(obj.customer_phone),
        )

    @admin.display(description=_("next deadline"), ordering=F("next_due").asc(nulls_last=True))
    def next_deadline(self, obj: Complaint) -> str:
        return deadline_badge(obj)

    @admin.display(description=_("escalation, extension"), ordering="-escalation_level")
    def alerts(self, obj: Complaint) -> str:
        """The escalation step reached, and a pending extension with who must decide it."""
        return format_html("{} {}", escalation_badge(obj), extension_badge(obj))

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj: Complaint) -> str:
        local = timezone.localtime(obj.received_at)
        return format_html(
            '<time datetime="{}"><span>{}</span> <span>{}</span></time>',
            obj.received_at.isoformat(),
            local.strftime("%Y-%m-%d"),
            local.strftime("%H:%M"),
        )


    @admin.action(description=_("Export selected cases as CSV (customer details masked)"))
    def export_csv(self, request, queryset):
        """The selection in the case file's columns (as the list's Export CSV), every customer detail
        masked whoever asks: a file to pass on to people who may not see customers."""
        response = StreamingHttpResponse(
            export.csv_chunks(export.export_cases(queryset), lambda case: False), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{export.export_filename("csv", masked=True)}"'
        response["Cache-Control"] = "no-store"
        return response


ESCALATION_LABELS = {
    1: _("warning: the policy's warning point has passed"),
    2: _("overdue: the department owner is told"),
    3: _("escalated to supervisors"),
}


def escalation_badge(complaint: Complaint) -> str:
    """``L1``-``L3`` with the step in words on hover; nothing at level 0."""
    level = complaint.escalation_level
    if not level:
        return ""
    return format_html(
        '<span class="escalation-badge escalation-{}" title="{}">{}</span>',
        min(level, 3),
        ESCALATION_LABELS.get(level, ESCALATION_LABELS[3]),
        gettext("L%(level)d") % {"level": level},
    )


def extension_badge(complaint: Complaint) -> str:
    """A pending extension: the days asked for and who decides (owner or supervisor); nothing otherwise."""
    if complaint.extension_status != ExtensionStatus.PENDING:
        return ""
    if complaint.extension_requires_supervisor:
        who, css = gettext("supervisor"), "extension-badge extension-supervisor"
    else:
        who, css = gettext("owner"), "extension-badge extension-owner"
    days = complaint.extension_requested_days or 0
    title = gettext("Extension of %(days)d days awaiting the decision of: %(who)s") % {"days": days, "who": who}
    return format_html('<span class="{}" title="{}">+{} {}</span>', css, title, gettext("%(days)dd") % {"days": days}, who)
