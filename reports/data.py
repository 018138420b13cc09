"""Everything one report shows, gathered from ``reports.figures`` into plain values (no querysets).

``collect`` is the only place that asks the database for a report; ``reports.rendering``
turns its result into a PDF without touching the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from complaints.models import Complaint

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
class ReportData:
    bank_name: str
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
    daily_intake: f.DailyIntake
    first_response_trend: list[tuple[Period, f.Ratio]]
    cause_pareto: list[f.ParetoRow]
    category_pareto: list[f.ParetoRow]
    departments: list[f.DepartmentRow]
    channels: list[f.ChannelRow]
    overdue_cases: f.CaseList
    clocks: list[f.ClockRow]
    policies: f.PoliciesInForce
    paused: f.PausedTime
    surges: list[f.SurgeRow]
    actions_open: list[f.ActionRow]
    actions_done: list[f.ActionRow]
    definitions: list[f.FigureDefinition]

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


def collect(period: Period, *, cases: QuerySet[Complaint] | None = None, now: datetime | None = None) -> ReportData:
    """Every figure of the report for ``period`` (and the previous period where shown beside it).

    On PostgreSQL the figures are read in one REPEATABLE READ transaction, so that they all
    describe the same snapshot, with JIT compilation off: it costs 0.1 to 0.2 s per query and
    saves nothing on these aggregates (benchmarks/report.py).
    """
    if connection.vendor != "postgresql":
        return _collect(period, cases=cases, now=now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            if not connection.in_atomic_block or len(connection.atomic_blocks) == 1:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET LOCAL jit = off")
        return _collect(period, cases=cases, now=now)


def _collect(period: Period, *, cases: QuerySet[Complaint] | None, now: datetime | None) -> ReportData:
    # Figures that share one aggregate (f.intake, f.review) are read once per period.
    intake, intake_before = f.intake(period, cases), f.intake(period.previous(), cases)
    review, review_before = f.review(period, cases), f.review(period.previous(), cases)
    return ReportData(
        bank_name=settings.BANK_NAME,
        period=period,
        previous_period=period.previous(),
        generated_at=now or timezone.now(),
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
        reopen_rate=_both("reopen_rate", f.reopen_rate, period, cases),
        daily_intake=f.daily_intake(period, cases),
        first_response_trend=f.first_response_trend(period, cases),
        cause_pareto=f.cause_pareto(period, cases),
        category_pareto=f.category_pareto(period, cases),
        departments=f.department_table(period, cases),
        channels=f.channel_table(period, cases),
        overdue_cases=f.overdue_and_escalated(period, cases),
        clocks=f.clock_compliance(period, cases),
        policies=f.policies_in_force(period, cases),
        paused=f.paused_time(period, cases),
        surges=f.surges(period, cases),
        actions_open=f.actions_open(period),
        actions_done=f.actions_done(period, cases),
        definitions=list(f.FIGURES),
    )

