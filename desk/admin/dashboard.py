"""The live dashboard in the admin: the report's figures and charts for the current period so far,
or any period, for the whole bank (supervisors) or one department (its owners).

Nothing is computed here: the figures are a snapshot of ``reports.data.collect`` that a worker
keeps in the cache (``reports.live``), formatted by the PDF's own helpers
(``reports.rendering``), so the page and the PDF of the same period can never disagree. When
there is no snapshot yet the page says so and polls ``dashboard/status/`` (desk/static/desk/
live_dashboard.js) until the worker has stored one.
"""
from __future__ import annotations

from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from complaints import roles
from complaints.models import Department
from reports import figures, live, rendering, selectors
from reports.models import Report
from reports.periods import Period
from workflows import surges
from workflows.models import EscalationLevel, SurgeAlertCase

from .reports import generations_panel

# The longest period the dashboard computes (a year, and a day for leap years).
MAX_PERIOD_DAYS = 366

# At most this many open surge alerts are listed (the newest).
OPEN_ALERTS_SHOWN = 20

# The charts in the order shown, with their titles; a chart the snapshot does not have is left out.
# The wide ones (a bar per day or per cause) take the page's width, the others half of it.
WIDE_CHARTS = {"daily_intake", "cause_pareto", "category_pareto"}
CHARTS = [
    ("daily_intake", _("Daily intake")),
    ("trend", _("First response on time, last six periods")),
    ("resolution_trend", _("Resolved within deadline, last six periods")),
    ("cause_pareto", _("Pareto of root causes")),
    ("category_pareto", _("Pareto of categories")),
]


class DashboardPeriodForm(forms.Form):
    """A period of local dates, both included, up to today and at most MAX_PERIOD_DAYS long."""

    # An <input type=date> takes ISO dates whatever the language.
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Last day (included)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if end and end > timezone.localdate():
            self.add_error("end", _("The last day cannot be after today."))
        if start and end and end < start:
            self.add_error("end", _("The period must end on or after its first day."))
        elif start and end and (end - start).days + 1 > MAX_PERIOD_DAYS:
            self.add_error("start", _("A period is at most %(days)d days long.") % {"days": MAX_PERIOD_DAYS})
        return data

    def period(self) -> Period | None:
        if not self.is_valid():
            return None
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])


@dataclass(frozen=True)
class Scope:
    """A dashboard the user may open: the whole bank's (``department`` None) or one department's."""

    department: Department | None

    @property
    def department_id(self) -> int | None:
        return self.department.pk if self.department is not None else None

    @property
    def value(self) -> str:
        return str(self.department_id) if self.department is not None else ""

    @property
    def label(self) -> str:
        return self.department.name if self.department is not None else gettext("Whole bank")


def scopes_for_user(user) -> list[Scope]:
    """Supervisors: the whole bank, then every department; department owners: the departments they
    own; everybody else: none. The first is the one shown when none is chosen."""
    if not selectors.may_read_reports(user):
        return []
    if roles.is_supervisor(user):
        return [Scope(None), *(Scope(d) for d in Department.objects.order_by("code"))]
    return [Scope(d) for d in Department.objects.filter(pk__in=roles.owned_department_ids(user)).order_by("code")]


def chosen_scope(scopes: list[Scope], value: str | None) -> Scope:
    """The scope the query string names (``department``: an id, or empty for the whole bank), or the
    user's first. One the user may not open looks missing (404)."""
    if not scopes:
        raise PermissionDenied
    if value is None:
        return scopes[0]
    for scope in scopes:
        if scope.value == value:
            return scope
    raise Http404(gettext("No such dashboard."))


def _period_form(params) -> tuple[DashboardPeriodForm, Period | None, bool]:
    """The period form, the period it names (None when invalid) and whether it is the current one.
    Without ``start`` and ``end`` it is the current period so far."""
    current = live.current_period()
    if "start" not in params and "end" not in params:
        return DashboardPeriodForm(initial={"start": current.start, "end": current.end}), current, True
    form = DashboardPeriodForm(params)
    period = form.period()
    return form, period, period == current


def dashboard_url(period: Period | None, scope: Scope) -> str:
    """The dashboard of ``scope`` for ``period``; without dates for the current period (None)."""
    params = {"department": scope.value}
    current = live.current_period()
    if period is not None and (period.start, period.end) != (current.start, current.end):  # a running period has a cutoff
        params.update(start=period.start.isoformat(), end=period.end.isoformat())
    return reverse("admin:reports_dashboard") + "?" + urlencode(params)


def status_url(period: Period, scope: Scope) -> str:
    params = {"department": scope.value, "start": period.start.isoformat(), "end": period.end.isoformat()}
    return reverse("admin:reports_dashboard_status") + "?" + urlencode(params)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + b64encode(svg.encode()).decode("ascii")


def chart_images(snapshot: live.Snapshot, language: str) -> list[dict]:
    """The snapshot's charts in ``language`` as ``data:`` URIs (the CSP forbids the style attributes
    of inline SVG; an image's own styles are its own)."""
    drawn = snapshot.charts_in(language)
    return [
        {"key": key, "title": str(title), "src": _data_uri(drawn[key]), "wide": key in WIDE_CHARTS}
        for key, title in CHARTS
        if drawn.get(key)
    ]


def escalation_rows(escalated: figures.EscalatedInPeriod) -> list[dict]:
    """One row per escalation level, highest first, with the cases whose highest level reached it was."""
    return [
        {"level": level, "label": str(EscalationLevel(level).label), "count": escalated.levels.get(level, 0)}
        for level in sorted(EscalationLevel.values, reverse=True)
    ]


def open_surge_alerts(scope: Scope, user) -> list[dict]:
    """The surge alerts open now (``workflows.surges.open_alerts``), newest first; a department's
    dashboard shows those linked to its cases. Each links to its page for supervisors (who read
    alerts), else to the case list of its cases (which shows only the user's own)."""
    alerts = surges.open_alerts()
    if scope.department is not None:
        alerts = alerts.filter(pk__in=SurgeAlertCase.objects.filter(complaint__department=scope.department).values("alert_id"))
    to_alert = roles.is_supervisor(user)
    cases_url = reverse("admin:complaints_complaint_changelist")
    return [
        {
            "alert": alert,
            "url": reverse("admin:workflows_surgealert_change", args=[alert.pk])
            if to_alert
            else f"{cases_url}?{urlencode({'surge': alert.pk})}",
        }
        for alert in alerts[:OPEN_ALERTS_SHOWN]
    ]


def _figures_context(snapshot: live.Snapshot, scope: Scope, user) -> dict:
    data = snapshot.data
    department_links = {}
    if roles.is_supervisor(user) and scope.department is None:
        by_code = {d.code: d for d in Department.objects.filter(code__in=[row.code for row in data.departments if row.code])}
        department_links = {code: dashboard_url(data.period, Scope(d)) for code, d in by_code.items()}
    return {
        "data": data,
        "headlines": rendering.headline_rows(data),
        "summary": rendering.summary_sentences(data),
        "charts": chart_images(snapshot, get_language() or "en"),
        "departments": [{"row": row, "url": department_links.get(row.code, "")} for row in data.departments],
        "overdue_bands": rendering.overdue_band_labels(),
        "escalation_levels": escalation_rows(data.escalated),
        "definitions": rendering.definition_texts(data),
        "computed_at": snapshot.computed_at,
        "computed_today": timezone.localdate(snapshot.computed_at) == timezone.localdate(),
    }


def dashboard_view(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The dashboard of the chosen scope and period (the current period so far unless chosen)."""
    scopes = scopes_for_user(request.user)
    scope = chosen_scope(scopes, request.GET.get("department"))
    form, period, is_current = _period_form(request.GET)
    context: dict = {
        **site.each_context(request),
        "opts": Report._meta,
        "title": gettext("Live figures"),
        "subtitle": scope.label,
        "scope": scope,
        "scopes": scopes,
        "form": form,
        "period": period,
        "is_current": is_current,
        "current_url": dashboard_url(None, scope),
        "generations": generations_panel(request.user),
        "may_generate": request.user.has_perm("reports.view_report") and request.user.has_perm("reports.add_report"),
    }
    if period is not None:
        snapshot, pending = live.snapshot_for_page(period, scope.department_id)
        context.update(
            snapshot=snapshot,
            pending=pending,
            status_url=status_url(period, scope),
            open_alerts=open_surge_alerts(scope, request.user),
        )
        if snapshot is not None:
            context.update(_figures_context(snapshot, scope, request.user))
    return TemplateResponse(request, "admin/reports/dashboard.html", context)


def _scope_and_period(request: HttpRequest, params) -> tuple[Scope, Period]:
    scope = chosen_scope(scopes_for_user(request.user), params.get("department"))
    form = DashboardPeriodForm(params)
    period = form.period()
    if period is None:
        raise Http404(gettext("No such period."))
    return scope, period


def dashboard_status_view(request: HttpRequest, site: AdminSite) -> JsonResponse:
    """Whether the snapshot of a scope and period is there, and since when: what the page polls.
    A missing or stale snapshot is asked for here too, so a lost request heals."""
    scope, period = _scope_and_period(request, request.GET)
    computed_at, pending = live.snapshot_status(period, scope.department_id)
    return JsonResponse({"computed_at": computed_at.isoformat() if computed_at is not None else None, "pending": pending})


def dashboard_refresh_view(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The refresh button: ask for a new snapshot now, then back to the dashboard (which polls)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    scope, period = _scope_and_period(request, request.POST)
    live.request_refresh(period, scope.department_id)
    return HttpResponseRedirect(dashboard_url(period, scope))


def urls(site: AdminSite) -> list[URLPattern]:
    """The dashboard's pages under the admin (``admin:reports_dashboard*``)."""

    def page(view: Callable[[HttpRequest, AdminSite], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
        def wrapped(request: HttpRequest) -> HttpResponse:
            return view(request, site)

        return site.admin_view(wrapped)

    return [
        path("reports/dashboard/", page(dashboard_view), name="reports_dashboard"),
        path("reports/dashboard/status/", page(dashboard_status_view), name="reports_dashboard_status"),
        path("reports/dashboard/refresh/", page(dashboard_refresh_view), name="reports_dashboard_refresh"),
    ]


__all__ = ["DashboardPeriodForm", "Scope", "chosen_scope", "dashboard_url", "scopes_for_user", "urls"]
