"""Everything one report shows, gathered from ``reports.figures`` into plain values (no querysets).

``collect`` is the only place that asks the database for a report; ``reports.rendering``
(the PDF) and the admin's live dashboard turn its result into pages without touching the
database, so the two can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from complaints.models import Complaint, Department

from . import figures as f
from .periods import Period


@dataclass(frozen=True)
class Headline:
    """One headline figure for the period with the previous period beside it."""

    name: str
    current: object
    previous: object
    target: int | None = None  # percent, for ratios that have one


@dataclass(frozen=True)
class Scope:
    """The department a report is for; a report without one is the whole bank's."""

    code: str
    name: f.Name


def bank_name() -> f.Name:
    """The bank's name in each report language (settings ``BANK_NAME`` and ``BANK_NAME_ZH``)."""
    return f.Name(settings.BANK_NAME, getattr(settings, "BANK_NAME_ZH", "") or settings.BANK_NAME)


def definition_numbers() -> dict[str, object]:
    """The numbers in force that the definitions quote (``%(name)s`` in their text)."""
    return {
        "first_response_target": f.FIRST_RESPONSE_TARGET,
        "resolution_target": f.RESOLVED_ON_TIME_TARGET,
        "review_target": f.REVIEW_COVERAGE_TARGET,
        "case_list_limit": f.CASE_LIST_LIMIT,
        "trend_before": f.TREND_PERIODS - 1,
        "surge_min_count": settings.REPORT_SURGE_MIN_COUNT,
        "surge_factor": settings.REPORT_SURGE_FACTOR,
        "alert_window_hours": getattr(settings, "SURGE_WINDOW_HOURS", 24),
        "alert_sigma": getattr(settings, "SURGE_SIGMA", 3.0),
        "alert_weeks": getattr(settings, "SURGE_BASELINE_WEEKS", 4),
        "alert_min_count": getattr(settings, "SURGE_MIN_COUNT", 10),
    }


@dataclass(frozen=True)
class ReportData:
    bank_name: f.Name
    scope: Scope | None  # None: the whole bank
    period: Period
    previous_period: Period
    generated_at: datetime
    received: Headline
    imported: Headline  # of the received; printed under it, not a row of its own
    first_response: Headline
    resolved_on_time: Headline
    open_and_overdue: Headline
    median_first_response: Headline
    median_resolution: Headline
    review_coverage: Headline
    review_without_contact: Headline  # of review coverage's denominator; printed under it
    satisfaction: Headline
    reopen_rate: Headline
    reopened_still_open: Headline  # of the reopen rate's numerator; printed under it
    daily_intake: f.DailyIntake
    first_response_trend: list[tuple[Period, f.Ratio]]
    resolution_trend: list[tuple[Period, f.Ratio]]
    cause_pareto: list[f.ParetoRow]
    category_pareto: list[f.ParetoRow]
    category_changes: list[f.CategoryChange]
    departments: list[f.DepartmentRow]
    channels: list[f.ChannelRow]
    overdue: f.OverdueAtEnd
    escalated: f.EscalatedInPeriod
    clocks: list[f.ClockRow]
    policies: f.PoliciesInForce
    paused: f.PausedTime
    surges: list[f.CategoryChange]
    surge_alerts: list[f.SurgeAlertRow]
    actions_open: list[f.ActionRow]
    actions_done: list[f.ActionRow]
    definitions: list[f.FigureDefinition]
    numbers: dict[str, object]  # what the definitions quote

    @property
    def headlines(self) -> list[Headline]:
        return [
            self.received,
            self.first_response,
            self.resolved_on_time,
            self.open_and_overdue,
            self.median_first_response,
            self.median_resolution,
            self.review_coverage,
            self.satisfaction,
            self.reopen_rate,
        ]


def _both(name: str, function, period: Period, cases, target: int | None = None) -> Headline:
    return Headline(name, function(period, cases), function(period.previous(), cases), target)


def collect(period: Period, *, department: Department | None = None, now: datetime | None = None) -> ReportData:
    """Every figure of the report for ``period`` (and the previous period where shown beside it),
    for the whole bank or for the cases ``department`` holds now.

    On PostgreSQL the figures are read in one REPEATABLE READ transaction, so that they all
    describe the same snapshot, with JIT compilation off: it costs 0.1 to 0.2 s per query and
    saves nothing on these aggregates (benchmarks/report.py).
    """
    if connection.vendor != "postgresql":
        return _collect(period, department=department, now=now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            if not connection.in_atomic_block or len(connection.atomic_blocks) == 1:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET LOCAL jit = off")
        return _collect(period, department=department, now=now)


def _collect(period: Period, *, department: Department | None, now: datetime | None) -> ReportData:
    cases: QuerySet[Complaint] | None = None
    scope = None
    if department is not None:
        cases = Complaint.objects.filter(department=department)
        scope = Scope(department.code, f.Name(department.name_en, department.name_zh))
    previous = period.previous()
    # Figures that share one aggregate (f.intake, f.review, f.reopens) are read once per period.
    intake, intake_before = f.intake(period, cases), f.intake(previous, cases)
    review, review_before = f.review(period, cases), f.review(previous, cases)
    now = now or timezone.now()
    reopens, reopens_before = f.reopens(period, cases, now=now), f.reopens(previous, cases, now=now)
    changes = f.category_changes(period, cases)
    return ReportData(
        bank_name=bank_name(),
        scope=scope,
        period=period,
        previous_period=previous,
        generated_at=now,
        received=Headline("received", intake.received, intake_before.received),
        imported=Headline("imported", intake.imported, intake_before.imported),
        first_response=_both("first_response_on_time", f.first_response_on_time, period, cases, f.FIRST_RESPONSE_TARGET),
        resolved_on_time=_both("resolved_on_time", f.resolved_on_time, period, cases, f.RESOLVED_ON_TIME_TARGET),
        open_and_overdue=_both("open_and_overdue", f.open_and_overdue, period, cases),
        median_first_response=_both("median_first_response", f.median_first_response, period, cases),
        median_resolution=_both("median_resolution", f.median_resolution, period, cases),
        review_coverage=Headline("review_coverage", review.coverage, review_before.coverage, f.REVIEW_COVERAGE_TARGET),
        review_without_contact=Headline("review_without_contact", review.no_contact, review_before.no_contact),
        satisfaction=_both("satisfaction", f.satisfaction, period, cases),
        reopen_rate=Headline("reopen_rate", reopens.rate, reopens_before.rate),
        reopened_still_open=Headline("reopened_still_open", reopens.still_open, reopens_before.still_open),
        daily_intake=f.daily_intake(period, cases),
        first_response_trend=f.first_response_trend(period, cases),
        resolution_trend=f.resolution_trend(period, cases),
        cause_pareto=f.cause_pareto(period, cases),
        category_pareto=f.category_pareto(period, cases),
        category_changes=changes,
        departments=f.department_table(period, cases),
        channels=f.channel_table(period, cases),
        overdue=f.overdue_at_end(period, cases),
        escalated=f.escalated_in_period(period, cases),
        clocks=f.clock_compliance(period, cases),
        policies=f.policies_in_force(period, cases),
        paused=f.paused_time(period, cases),
        surges=f.surges(period, cases, changes=changes),
        surge_alerts=f.surge_alerts(period, cases),
        actions_open=f.actions_open(period, department=department),
        actions_done=f.actions_done(period, cases, department=department),
        definitions=list(f.FIGURES),
        numbers=definition_numbers(),
    )
