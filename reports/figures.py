"""Every figure of the biweekly report: one function, one aggregate query, one stated definition.

A figure takes a ``Period`` (local dates, inclusive, in ``settings.TIME_ZONE``) and an
optional scope (a ``Complaint`` queryset; all cases by default) and asks the database once
(except the medians on SQLite, see ``_median_duration``, and the case list, which reads the
listed rows in a second query). Each function's ``definition`` is its docstring and is
printed, translated, on the report's definitions page.

Speed: every figure counts rows (``_count``) by one range over one clock column, so that on
PostgreSQL it is answered from that column's covering index (``Complaint.Meta.indexes``)
without visiting the table; tables that mix clocks are one ``UNION ALL`` of such ranges
(``_union_of_ranges``), never one ``OR`` that would read the whole table.

Common rules for every figure:
* Cases merged into another case are duplicates and are never counted.
* "In the period" means from local midnight at the start of the first day to local midnight
  at the end of the last day, in the bank's time zone.
* Deadlines and clock times are the stored columns as they stand when the report is generated.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, IsNull
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from complaints.models import OPEN_UNTIL, Complaint, Department
from complaints.states import Channel, Closure
from complaints.states import ComplaintState as S

from .models import ACTIVE_ACTION_STATES, ImprovementAction, ImprovementActionState
from .periods import PERIOD_DAYS, Period

# Targets printed beside the headline figures (percent).
FIRST_RESPONSE_TARGET = 90
RESOLVED_ON_TIME_TARGET = 98
REVIEW_COVERAGE_TARGET = 95
# Longest list of overdue and escalated cases printed; the total is always given.
CASE_LIST_LIMIT = 100
TREND_PERIODS = 6


@dataclass(frozen=True)
class FigureDefinition:
    name: str
    title: Promise
    # The English text, which is also the function's docstring; translated when printed.
    definition: str


FIGURES: list[FigureDefinition] = []


def figure(title: Promise, definition: str) -> Callable:
    """Register a figure: its ``definition`` becomes the function's docstring and the printed text."""

    def register(function: Callable) -> Callable:
        function.__doc__ = definition
        FIGURES.append(FigureDefinition(function.__name__, title, definition))
        return function

    return register


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return None if self.denominator == 0 else 100.0 * self.numerator / self.denominator


@dataclass(frozen=True)
class Name:
    """A bilingual name; ``str()`` gives the active language's, like ``BilingualNameMixin.name``."""

    en: str
    zh: str

    def __str__(self) -> str:
        from django.utils.translation import get_language

        language = (get_language() or "en").lower()
        return self.zh if language.startswith("zh") and self.zh else self.en


def _cases(cases: QuerySet[Complaint] | None) -> QuerySet[Complaint]:
    return (cases if cases is not None else Complaint.objects.all()).exclude(state=S.MERGED).order_by()


def _within(field_name: str, period: Period) -> Q:
    return Q(**{f"{field_name}__gte": period.starts_at, f"{field_name}__lt": period.ends_before})


def _count(condition: Q | None = None) -> Count:
    """COUNT(1), FILTERed by ``condition``: counting rows rather than a column lets PostgreSQL
    answer from the covering index of the clock column alone (``Complaint.Meta.indexes``)."""
    return Count(Value(1), filter=condition)


def _open_at(moment: datetime) -> Q:
    # Received before the moment and not closed by then, written as one range over
    # OPEN_UNTIL (closed_at, or never) so that one index answers it.
    return Q(received_at__lt=moment) & Q(GreaterThanOrEqual(OPEN_UNTIL, Value(moment)))


def _overdue_at(moment: datetime) -> Q:
    return _open_at(moment) & Q(resolution_due__lt=moment) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment))


def _first_response_cohort(period: Period) -> Q:
    # Cases that ended (rejected, withdrawn) before their first response fell due owe no response.
    ended_first = Q(first_responded_at__isnull=True, closed_at__isnull=False, closed_at__lte=F("first_response_due"))
    return _within("first_response_due", period) & ~ended_first


def _first_response_met() -> Q:
    return Q(first_responded_at__isnull=False, first_responded_at__lte=F("first_response_due"))


def _resolution_cohort(period: Period) -> Q:
    ended_first = Q(resolved_at__isnull=True, closed_at__isnull=False, closed_at__lte=F("resolution_due"))
    return _within("resolution_due", period) & ~ended_first


def _resolution_met() -> Q:
    return Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due"))


# --- headline figures ---------------------------------------------------------------
@dataclass(frozen=True)
class Intake:
    received: int
    imported: int  # of the received


def intake(period: Period, cases: QuerySet[Complaint] | None = None) -> Intake:
    """``received`` and ``imported``: each one index-only count, the first over the received_at
    covering index, the second over the partial index of imported cases alone (empty in most
    periods), so that imports cost the received figure nothing."""
    received = _cases(cases).filter(_within("received_at", period))
    return Intake(received.count(), received.filter(imported_at__isnull=False).count())


@figure(
    _("Received"),
    gettext_noop(
        "Number of cases received in the period, by the time of receipt (received_at), "
        "whatever their kind, channel or current state."
    ),
)
def received(period: Period, cases: QuerySet[Complaint] | None = None) -> int:
    return intake(period, cases).received


@figure(
    _("Of which imported"),
    gettext_noop(
        "Of the cases received in the period (as above, by received_at), those brought in from an "
        "earlier system by import_complaints (imported_at set), dated by their own time of receipt, "
        "not by the day of the import. Every figure counts an imported case by its own dates, "
        "exactly as a case logged here. An imported case that was already closed has a deadline only "
        "for the clocks whose stop the earlier system recorded (a first response, a resolution): "
        "where it recorded none, the case is left out of that clock's compliance, not counted late."
    ),
)
def imported(period: Period, cases: QuerySet[Complaint] | None = None) -> int:
    return intake(period, cases).imported


@figure(
    _("First response on time"),
    gettext_noop(
        "Clock: first response (its window is the policy in force, above). Denominator: cases "
        "whose first-response deadline (first_response_due) fell in the period, less those rejected or "
        "withdrawn before that deadline without a response. Numerator: those of them whose first "
        "response (first_responded_at) was at or before the deadline. Target: at least 90 %."
    ),
)
def first_response_on_time(period: Period, cases: QuerySet[Complaint] | None = None) -> Ratio:
    result = _cases(cases).filter(_first_response_cohort(period)).aggregate(
        denominator=_count(), numerator=_count(_first_response_met())
    )
    return Ratio(result["numerator"], result["denominator"])


@figure(
    _("Resolved within deadline"),
    gettext_noop(
        "Clock: resolution (its window is the policy in force, above; moved by approved extensions and "
        "pauses, restarted on reopening and new facts). Denominator: cases whose resolution deadline "
        "(resolution_due) fell in the period, less those rejected or withdrawn before it without a "
        "resolution. Numerator: those of them resolved (resolved_at) at or before the deadline. "
        "Target: at least 98 %."
    ),
)
def resolved_on_time(period: Period, cases: QuerySet[Complaint] | None = None) -> Ratio:
    result = _cases(cases).filter(_resolution_cohort(period)).aggregate(
        denominator=_count(), numerator=_count(_resolution_met())
    )
    return Ratio(result["numerator"], result["denominator"])


@dataclass(frozen=True)
class OpenCases:
    open: int
    overdue: int


@figure(
    _("Open and overdue at period end"),
    gettext_noop(
        "Open: cases received before the end of the period and not closed, rejected or withdrawn by "
        "then (closed_at empty or later), including resolved cases awaiting the review call-back. "
        "Overdue: open cases not resolved by the end of the period whose resolution deadline "
        "(resolution_due) had passed by then."
    ),
)
def open_and_overdue(period: Period, cases: QuerySet[Complaint] | None = None) -> OpenCases:
    moment = period.ends_before
    result = _cases(cases).filter(_open_at(moment)).aggregate(
        open=_count(), overdue=_count(_overdue_at(moment))
    )
    return OpenCases(result["open"], result["overdue"])


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile (the median at 0.5), interpolating between middle values."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _median_duration(queryset: QuerySet[Complaint], end: str, start: str) -> timedelta | None:
    """The median of ``end - start`` over ``queryset``, interpolated like ``percentile_cont(0.5)``.

    PostgreSQL computes it in one query. SQLite has no percentile aggregate, so it takes two
    queries whatever the data size: a count, then the one or two middle rows by ORDER BY with
    OFFSET; with two middle rows the median is their mean, as percentile_cont gives.
    """
    duration = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    if connection.vendor == "postgresql":
        return queryset.aggregate(median=PercentileCont(duration, output_field=DurationField()))["median"]
    count = queryset.count()
    if count == 0:
        return None
    middle = list(
        queryset.annotate(duration=duration).order_by("duration").values_list("duration", flat=True)[
            (count - 1) // 2 : count // 2 + 1
        ]
    )
    return sum(middle, timedelta()) / len(middle)


@figure(
    _("Median time to first response"),
    gettext_noop(
        "Over the cases first responded to in the period (first_responded_at): the median of the time "
        "from receipt (received_at) to the first response; with an even number of cases, the mean of "
        "the two middle values."
    ),
)
def median_first_response(period: Period, cases: QuerySet[Complaint] | None = None) -> timedelta | None:
    return _median_duration(_cases(cases).filter(_within("first_responded_at", period)), "first_responded_at", "received_at")


@figure(
    _("Median time to resolution"),
    gettext_noop(
        "Over the cases resolved in the period (resolved_at): the median of the time from receipt "
        "(received_at) to resolution; with an even number of cases, the mean of the two middle values."
    ),
)
def median_resolution(period: Period, cases: QuerySet[Complaint] | None = None) -> timedelta | None:
    return _median_duration(_cases(cases).filter(_within("resolved_at", period)), "resolved_at", "received_at")


@dataclass(frozen=True)
class Review:
    coverage: Ratio
    no_contact: int  # of the coverage's denominator


def review(period: Period, cases: QuerySet[Complaint] | None = None) -> Review:
    """``review_coverage`` and ``review_without_contact`` in one aggregate over the review_due
    covering index (which holds closure)."""
    result = _cases(cases).filter(_within("review_due", period)).aggregate(
        denominator=_count(), numerator=_count(Q(closure=Closure.ACCEPTED)), no_contact=_count(Q(closure=Closure.NO_CONTACT))
    )
    return Review(Ratio(result["numerator"], result["denominator"]), result["no_contact"])


@figure(
    _("Review coverage"),
    gettext_noop(
        "Clock: review call-back (its window is the policy in force, above). Denominator: cases whose review "
        "deadline (review_due) fell in the period. Numerator: those of them closed after the customer "
        "was reached and accepted the outcome (closure 'accepted'). A case closed without call-back "
        "because it has no phone number or e-mail address (closure 'no_contact') stays in the "
        "denominator and is never in the numerator: the bank did not review it. Target: at least 95 %."
    ),
)
def review_coverage(period: Period, cases: QuerySet[Complaint] | None = None) -> Ratio:
    return review(period, cases).coverage


@figure(
    _("Of which without contact details"),
    gettext_noop(
        "Of the review-coverage denominator (cases whose review deadline fell in the period), those "
        "closed without call-back because the case has no phone number or e-mail address (closure "
        "'no_contact', such as a regulator referral); printed beside review coverage, which they lower."
    ),
)
def review_without_contact(period: Period, cases: QuerySet[Complaint] | None = None) -> int:
    return review(period, cases).no_contact


@dataclass(frozen=True)
class Satisfaction:
    average: float | None
    count: int


@figure(
    _("Satisfaction"),
    gettext_noop(
        "Over the cases closed in the period (closed_at) with a satisfaction score: the mean score "
        "on the scale 1 (very dissatisfied) to 5 (very satisfied), and the number of scores."
    ),
)
def satisfaction(period: Period, cases: QuerySet[Complaint] | None = None) -> Satisfaction:
    result = _cases(cases).filter(_within("closed_at", period), satisfaction__isnull=False).aggregate(
        average=Avg("satisfaction"), count=_count()
    )
    return Satisfaction(result["average"], result["count"])


@figure(
    _("Reopen rate"),
    gettext_noop(
        "Denominator: cases closed in the period (closed_at) after a resolution (closure 'accepted', "
        "'unreachable' or 'no_contact', the last closed without call-back for want of a phone number or "
        "e-mail address). Numerator: those of them reopened at least once (reopen_count of 1 or more)."
    ),
)
def reopen_rate(period: Period, cases: QuerySet[Complaint] | None = None) -> Ratio:
    result = _cases(cases).filter(_within("closed_at", period)).exclude(closure="").aggregate(
        denominator=_count(), numerator=_count(Q(reopen_count__gte=1))
    )
    return Ratio(result["numerator"], result["denominator"])


# --- charts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DailyIntake:
    current: list[int]
    previous: list[int]


@figure(
    _("Daily intake"),
    gettext_noop(
        "For each local day of the period and of the previous period of the same length: the number "
        "of cases received that day (received_at)."
    ),
)
def daily_intake(period: Period, cases: QuerySet[Complaint] | None = None) -> DailyIntake:
    previous = period.previous()
    days = previous.dates() + period.dates()
    received = _cases(cases).filter(received_at__gte=previous.starts_at, received_at__lt=period.ends_before)
    if connection.vendor == "postgresql":
        # The local day as the bucket among the local midnights: a binary search per case,
        # where converting every case's time to local time costs several times more.
        midnights = [Period(day, day).starts_at for day in days] + [period.ends_before]
        bucket = Func(F("received_at"), Value(midnights), function="WIDTH_BUCKET", output_field=IntegerField())
        rows = received.annotate(bucket=bucket).values("bucket").annotate(count=_count()).values_list("bucket", "count")
        by_day: dict[date, int] = {days[bucket - 1]: count for bucket, count in rows}
    else:
        day = TruncDate("received_at", tzinfo=timezone.get_default_timezone())
        by_day = dict(received.annotate(day=day).values("day").annotate(count=_count()).values_list("day", "count"))
    return DailyIntake(
        current=[by_day.get(day, 0) for day in period.dates()],
        previous=[by_day.get(day, 0) for day in previous.dates()],
    )


def trend_periods(period: Period, count: int = TREND_PERIODS) -> list[Period]:
    """``period`` and the ``count - 1`` periods of the same length before it, oldest first."""
    periods = [period]
    for _index in range(count - 1):
        periods.insert(0, periods[0].previous())
    return periods


@figure(
    _("First-response compliance trend"),
    gettext_noop(
        "For the period and each of the five periods of the same length before it: first response on "
        "time, as defined above."
    ),
)
def first_response_trend(period: Period, cases: QuerySet[Complaint] | None = None) -> list[tuple[Period, Ratio]]:
    periods = trend_periods(period)
    aggregates: dict[str, Any] = {}
    for index, each in enumerate(periods):
        aggregates[f"d{index}"] = _count(_first_response_cohort(each))
        aggregates[f"n{index}"] = _count(_first_response_cohort(each) & _first_response_met())
    result = (
        _cases(cases)
        .filter(first_response_due__gte=periods[0].starts_at, first_response_due__lt=period.ends_before)
        .aggregate(**aggregates)
    )
    return [(each, Ratio(result[f"n{i}"], result[f"d{i}"])) for i, each in enumerate(periods)]


@dataclass(frozen=True)
class ParetoRow:
    code: str
    name: Name
    count: int
    share: float  # percent of the total
    cumulative: float  # percent, this row and all above it


def _pareto(rows: list[tuple[str, str, str, int]]) -> list[ParetoRow]:
    total = sum(row[3] for row in rows)
    result, running = [], 0
    for code, name_en, name_zh, count in rows:
        running += count
        result.append(ParetoRow(code, Name(name_en, name_zh), count, 100.0 * count / total, 100.0 * running / total))
    return result


@figure(
    _("Pareto of root causes"),
    gettext_noop(
        "Cases resolved in the period (resolved_at) counted by the root cause recorded at resolution, "
        "largest first, with each cause's share and the cumulative share."
    ),
)
def cause_pareto(period: Period, cases: QuerySet[Complaint] | None = None) -> list[ParetoRow]:
    rows = (
        _cases(cases)
        .filter(_within("resolved_at", period), cause__isnull=False)
        .values_list("cause__code", "cause__name_en", "cause__name_zh")
        .annotate(count=_count())
        .order_by("-count", "cause__code")
    )
    return _pareto(list(rows))


@figure(
    _("Pareto of categories"),
    gettext_noop(
        "Cases received in the period (received_at) counted by category, largest first, with each "
        "category's share and the cumulative share."
    ),
)
def category_pareto(period: Period, cases: QuerySet[Complaint] | None = None) -> list[ParetoRow]:
    rows = (
        _cases(cases)
        .filter(_within("received_at", period))
        .values_list("category__code", "category__name_en", "category__name_zh")
        .annotate(count=_count())
        .order_by("-count", "category__code")
    )
    return _pareto(list(rows))


# --- tables ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: Name
    received: int
    first_response: Ratio
    resolved_on_time: Ratio
    open: int
    overdue: int


@figure(
    _("Departments"),
    gettext_noop(
        "One row per department the cases are assigned to now (cases not yet routed under "
        "'Unassigned'): received, first response on time, resolved within deadline, open and overdue "
        "at period end, each as defined above."
    ),
)
def department_table(period: Period, cases: QuerySet[Complaint] | None = None) -> list[DepartmentRow]:
    moment = period.ends_before
    fr_q, res_q = _first_response_cohort(period), _resolution_cohort(period)
    rows = _union_of_ranges(
        _cases(cases),
        ("department",),
        ("received", "fr_d", "fr_n", "res_d", "res_n", "open", "overdue"),
        (_within("received_at", period), {"received": _count()}),
        (fr_q, {"fr_d": _count(), "fr_n": _count(_first_response_met())}),
        (res_q, {"res_d": _count(), "res_n": _count(_resolution_met())}),
        (_open_at(moment), {"open": _count(), "overdue": _count(_overdue_at(moment))}),
    )
    # Names are read once for the few departments found, not joined to every counted case.
    names = {
        pk: (code, Name(name_en, name_zh))
        for pk, code, name_en, name_zh in Department.objects.filter(pk__in=[key[0] for key in rows]).values_list(
            "pk", "code", "name_en", "name_zh"
        )
    }
    unassigned = ("", Name(str(_("Unassigned")), "未分派"))
    table = [
        DepartmentRow(
            *names.get(department, unassigned),
            counts["received"],
            Ratio(counts["fr_n"], counts["fr_d"]),
            Ratio(counts["res_n"], counts["res_d"]),
            counts["open"],
            counts["overdue"],
        )
        for (department,), counts in rows.items()
    ]
    # By code, the unassigned cases last.
    return sorted(table, key=lambda row: (row.code == "", row.code))


def _union_of_ranges(
    cases: QuerySet[Complaint], group: tuple[str, ...], columns: tuple[str, ...], *branches: tuple[Q, dict[str, Any]]
) -> dict[tuple, dict[str, Any]]:
    """One statement, ``UNION ALL`` of one grouped aggregate per branch, summed per group here.

    A table row mixes cases selected by different clocks (received in the period, first
    response due in it, open at its end...). As one ``WHERE a OR b OR c`` PostgreSQL reads the
    whole table; as branches, each is one range over its clock's covering index. Each branch
    fills its own columns and gives 0 (or NULL) for the others; a group's columns are the sums
    of its branches' (a column filled by one branch only, like an average, is that branch's).
    """
    queries = []
    for where, aggregates in branches:
        filler = {
            column: aggregates.get(column, Value(0, output_field=IntegerField())) for column in columns
        }
        queries.append(cases.filter(where).values_list(*group).annotate(**filler).order_by())
    totals: dict[tuple, dict[str, Any]] = {}
    for row in queries[0].union(*queries[1:], all=True):
        key, values = tuple(row[: len(group)]), row[len(group) :]
        total = totals.setdefault(key, dict.fromkeys(columns, 0))
        for column, value in zip(columns, values, strict=True):
            if value is not None:
                total[column] += value
    return totals


@dataclass(frozen=True)
class ChannelRow:
    code: str
    received: int
    first_response: Ratio
    satisfaction: float | None
    satisfaction_count: int

    @property
    def label(self) -> str:
        return str(Channel(self.code).label) if self.code in Channel.values else self.code


@figure(
    _("Channels"),
    gettext_noop(
        "One row per channel of receipt: received, first response on time (as defined above) and the "
        "mean satisfaction score of the cases closed in the period."
    ),
)
def channel_table(period: Period, cases: QuerySet[Complaint] | None = None) -> list[ChannelRow]:
    fr_q = _first_response_cohort(period)
    scored_q = _within("closed_at", period) & Q(satisfaction__isnull=False)
    rows = _union_of_ranges(
        _cases(cases),
        ("channel",),
        ("received", "fr_d", "fr_n", "score_total", "scored"),
        (_within("received_at", period), {"received": _count()}),
        (fr_q, {"fr_d": _count(), "fr_n": _count(_first_response_met())}),
        (scored_q, {"score_total": Sum("satisfaction"), "scored": _count()}),
    )
    result = [
        ChannelRow(
            code,
            counts["received"],
            Ratio(counts["fr_n"], counts["fr_d"]),
            counts["score_total"] / counts["scored"] if counts["scored"] else None,
            counts["scored"],
        )
        for (code,), counts in rows.items()
    ]
    return sorted(result, key=lambda row: (-row.received, row.code))


@dataclass(frozen=True)
class ClockRow:
    name: str  # a registry clock's name, or an internal target's clock ("target:<code>")
    on_time: Ratio
    # An internal target's English and Chinese names; None for the regulator's clocks.
    names: tuple[str, str] | None = None

    @property
    def label(self) -> str:
        """In the language the report is drawn in."""
        if self.names is None:
            from workflows.clocks import CLOCKS

            return str(CLOCKS[self.name].label).capitalize()
        english, chinese = self.names
        return chinese if (get_language() or "").startswith("zh") and chinese else english


@figure(
    _("Compliance per clock"),
    gettext_noop(
        "One row per clock: the regulator's first-response and resolution clocks (as defined above), "
        "then each of the bank's internal targets. For a target: of the cases whose target deadline fell "
        "in the period (a target restarted by reopening or new facts counts once per start), those whose "
        "target stopped (first response, or resolution) at or before that deadline."
    ),
)
def clock_compliance(period: Period, cases: QuerySet[Complaint] | None = None) -> list[ClockRow]:
    from workflows.models import CaseTarget, ClockTarget

    rows = [
        ClockRow("first_response", first_response_on_time(period, cases)),
        ClockRow("resolution", resolved_on_time(period, cases)),
    ]
    targets = (
        CaseTarget.objects.filter(_within("due", period), complaint__in=_cases(cases).values("pk"))
        .values("target")
        .annotate(cohort=_count(), in_time=_count(Q(stopped_at__lte=F("due"))))
        .order_by()
    )
    counts = {row["target"]: row for row in targets}
    for target in ClockTarget.objects.filter(pk__in=counts).order_by("code"):
        row = counts[target.pk]
        rows.append(ClockRow(target.clock, Ratio(row["in_time"], row["cohort"]), (target.name_en, target.name_zh)))
    return rows


@dataclass(frozen=True)
class PausedTime:
    cases: int
    total: timedelta


@figure(
    _("Paused resolution clocks"),
    gettext_noop(
        "Of the cases resolved in the period, those whose resolution clock was paused (an appraisal, "
        "mediation or the customer's documents), and the time paused in all; the deadline of each moved "
        "by its paused time."
    ),
)
def paused_time(period: Period, cases: QuerySet[Complaint] | None = None) -> PausedTime:
    result = _cases(cases).filter(_within("resolved_at", period), resolution_paused_total__gt=timedelta(0)).aggregate(
        cases=_count(), total=Sum("resolution_paused_total")
    )
    return PausedTime(result["cases"], result["total"] or timedelta(0))


@dataclass(frozen=True)
class PolicyTerms:
    """The numbers of the service-level policies that share them, as in force at one moment."""

    policies: tuple[tuple[str, str], ...]  # (kind, severity)
    numbers: dict

    @property
    def applies_to(self) -> str:
        from complaints.states import Kind, Severity

        if len(self.policies) == len(Kind) * len(Severity):
            return gettext("Every kind and severity")
        by_kind: dict[str, list[str]] = {}
        for kind, severity in self.policies:
            by_kind.setdefault(kind, []).append(severity)
        parts = []
        for kind, severities in by_kind.items():
            label = str(Kind(kind).label)
            if len(severities) == len(Severity):
                parts.append(label)
            else:
                parts.append(f"{label} ({', '.join(str(Severity(s).label).lower() for s in severities)})")
        return "; ".join(parts)

    @property
    def text(self) -> str:
        """The rules in words, in the language the report is drawn in."""
        from workflows.calendars import Unit
        from workflows.models import Calendar

        n = self.numbers
        unit = {
            Unit.CALENDAR_DAYS: gettext("calendar days"),
            Unit.BUSINESS_DAYS: gettext("business days"),
            Unit.WEEKS: gettext("weeks"),
        }.get(n["resolution_unit"], n["resolution_unit"])
        calendar = Calendar.objects.filter(code=n["calendar"]).first() if n["calendar"] else None
        parts = [
            gettext("First response within %(hours)s hours.") % {"hours": n["first_response_hours"]},
            gettext("Resolution within %(window)s %(unit)s after the day of receipt") % {"window": n["resolution_window"], "unit": unit}
            + (gettext(", the day of receipt counted") if n["count_receipt_day"] else "")
            + (gettext(", received after %(time)s counting as the next working day") % {"time": n["cutoff_time"]} if n["cutoff_time"] else "")
            + (gettext(", a last day that is not a working day moving to the next working day") if n["roll_over"] else "")
            + (gettext(", on the calendar %(calendar)s.") % {"calendar": calendar.label} if calendar else gettext(", with weekends as the only days off.")),
            gettext("Extensions up to %(owner)s days in all by a department owner and %(max)s by a supervisor.")
            % {"owner": n["owner_extension_max_days"], "max": n["max_extension_days"]},
            gettext("Review call-back within %(days)s days of resolution; warning at %(percent)s%% of a window.")
            % {"days": n["review_days"], "percent": n["warning_percent"]},
        ]
        return " ".join(parts)


@dataclass(frozen=True)
class PolicyChangeRow:
    changed_at: datetime
    changed_by: str
    kind: str
    severity: str
    fields: tuple[tuple[str, object, object], ...]  # (field, before, after)

    @property
    def applies_to(self) -> str:
        from complaints.states import Kind, Severity

        return f"{Kind(self.kind).label} · {Severity(self.severity).label}"

    @property
    def text(self) -> str:
        from django.db.models import Field

        from workflows.models import SlaPolicy

        def label(name: str) -> str:
            field = SlaPolicy._meta.get_field(name)
            return str(field.verbose_name) if isinstance(field, Field) else name

        return "; ".join(f"{label(name)}: {before} → {after}" for name, before, after in self.fields)


@dataclass(frozen=True)
class PoliciesInForce:
    terms: list[PolicyTerms]
    changes: list[PolicyChangeRow]


@figure(
    _("Service-level policies in force"),
    gettext_noop(
        "The policies' numbers at the end of the period, as the admin holds them and as they were edited "
        "(each edit keeps the numbers before and after); policies with the same numbers are printed once. "
        "Changes made during the period are listed with who made them: a case keeps the deadline computed "
        "when its clock started."
    ),
)
def policies_in_force(period: Period, cases: QuerySet[Complaint] | None = None) -> PoliciesInForce:
    from workflows.models import PolicyChange, SlaPolicy, policy_numbers

    policies = list(SlaPolicy.objects.select_related("calendar").order_by("kind", "severity"))
    later: dict[int, dict] = {}
    for change in PolicyChange.objects.filter(changed_at__gte=period.ends_before).order_by("changed_at", "id"):
        later.setdefault(change.policy_id, change.before)  # the first edit after the period holds the numbers before it
    grouped: dict[str, tuple[list[tuple[str, str]], dict]] = {}
    for policy in policies:
        numbers = later.get(policy.pk) or policy_numbers(policy)
        key = repr(sorted(numbers.items()))
        grouped.setdefault(key, ([], numbers))[0].append((policy.kind, policy.severity))
    terms = [PolicyTerms(tuple(keys), numbers) for keys, numbers in grouped.values()]
    changes = [
        PolicyChangeRow(
            change.changed_at,
            change.changed_by.get_username() if change.changed_by else gettext("system"),
            change.policy.kind,
            change.policy.severity,
            tuple((name, change.before.get(name), value) for name, value in change.after.items() if change.before.get(name) != value),
        )
        for change in PolicyChange.objects.filter(_within("changed_at", period)).select_related("policy", "changed_by")
    ]
    return PoliciesInForce(terms, changes)


@dataclass(frozen=True)
class CaseRow:
    reference: str
    received_at: datetime
    age_days: int
    department: Name | None
    escalation_level: int
    overdue: bool


@dataclass
class CaseList:
    rows: list[CaseRow] = field(default_factory=list)
    total: int = 0


@figure(
    _("Overdue and escalated cases"),
    gettext_noop(
        "Cases open at period end that were overdue then or are escalated now (escalation level 1 or "
        "more), oldest first, with their age in whole days from receipt to the end of the period. "
        "At most 100 are listed; the total is always given."
    ),
)
def overdue_and_escalated(period: Period, cases: QuerySet[Complaint] | None = None) -> CaseList:
    moment = period.ends_before
    # Two steps, so that PostgreSQL reads the table for the listed rows only: the oldest ids and
    # the total from the covering index of open cases, then those rows.
    first = list(
        _cases(cases)
        .filter(_open_at(moment) & (_overdue_at(moment) | Q(escalation_level__gte=1)))
        .annotate(total=Window(_count()), received=ExpressionWrapper(F("received_at") + Value(timedelta(0)), output_field=DateTimeField()))
        # Ordered by an expression rather than the indexed column: otherwise PostgreSQL may walk
        # the whole received_at index for the LIMIT; the window count sees every matching row anyway.
        .order_by("received", "id")
        .values_list("id", "total")[:CASE_LIST_LIMIT]
    )
    position = {pk: index for index, (pk, _total) in enumerate(first)}
    rows = sorted(
        Complaint.objects.filter(pk__in=position).values_list(
            "id",
            "reference",
            "received_at",
            "department__code",
            "department__name_en",
            "department__name_zh",
            "escalation_level",
            "resolution_due",
            "resolved_at",
        ),
        key=lambda row: position[row[0]],
    )
    result = CaseList(total=first[0][1] if first else 0)
    for _pk, reference, received_at, code, name_en, name_zh, level, resolution_due, resolved_at in rows:
        overdue = resolution_due is not None and resolution_due < moment and (resolved_at is None or resolved_at >= moment)
        result.rows.append(
            CaseRow(
                reference=reference,
                received_at=received_at,
                age_days=(moment - received_at).days,
                department=Name(name_en, name_zh) if code else None,
                escalation_level=level,
                overdue=overdue,
            )
        )
    return result


@dataclass(frozen=True)
class SurgeRow:
    code: str
    name: Name
    current: int
    previous: int


@figure(
    _("Surges"),
    gettext_noop(
        "Categories whose number of cases received in the period is at least the larger of "
        "REPORT_SURGE_MIN_COUNT (5) and REPORT_SURGE_FACTOR (2) times the number received in the "
        "previous period of the same length."
    ),
)
def surges(period: Period, cases: QuerySet[Complaint] | None = None) -> list[SurgeRow]:
    previous = period.previous()
    current_q, previous_q = _within("received_at", period), _within("received_at", previous)
    rows = (
        _cases(cases)
        .filter(received_at__gte=previous.starts_at, received_at__lt=period.ends_before)
        .values_list("category__code", "category__name_en", "category__name_zh")
        .annotate(current=_count(current_q), previous=_count(previous_q))
        .filter(
            current__gte=Greatest(
                Value(settings.REPORT_SURGE_MIN_COUNT),
                F("previous") * Value(settings.REPORT_SURGE_FACTOR),
                output_field=IntegerField(),
            )
        )
        .order_by("-current", "category__code")
    )
    return [SurgeRow(code, Name(en, zh), current, prev) for code, en, zh, current, prev in rows]


# --- improvement actions ------------------------------------------------------------------
@dataclass(frozen=True)
class ActionRow:
    title: str
    description: str
    targets: tuple[Name, ...]
    department: Name
    due_date: date
    state: str
    overdue: bool = False
    started_at: datetime | None = None
    done_at: datetime | None = None
    before: int | None = None  # target volume in the 14 days before the action started
    after: int | None = None  # target volume in the period

    @property
    def target(self) -> str:
        return " / ".join(str(name) for name in self.targets)

    @property
    def state_label(self) -> str:
        return str(ImprovementActionState(self.state).label)


def _action_row(values: dict, **extra: Any) -> ActionRow:
    targets = tuple(
        Name(values[f"{prefix}__name_en"], values[f"{prefix}__name_zh"])
        for prefix in ("target_cause", "target_category")
        if values[f"{prefix}__code"]
    )
    return ActionRow(
        title=values["title"],
        description=values["description"],
        targets=targets,
        department=Name(values["owner_department__name_en"], values["owner_department__name_zh"]),
        due_date=values["due_date"],
        state=values["state"],
        started_at=values["started_at"],
        done_at=values["done_at"],
        **extra,
    )


_ACTION_FIELDS = (
    "title",
    "description",
    "state",
    "due_date",
    "started_at",
    "done_at",
    "owner_department__name_en",
    "owner_department__name_zh",
    "target_cause__code",
    "target_cause__name_en",
    "target_cause__name_zh",
    "target_category__code",
    "target_category__name_en",
    "target_category__name_zh",
)


@figure(
    _("Open improvement actions"),
    gettext_noop(
        "Improvement actions created before the end of the period that are open or in progress now, "
        "by due date; overdue when the due date is on or before the last day of the period."
    ),
)
def actions_open(period: Period) -> list[ActionRow]:
    rows = (
        ImprovementAction.objects.filter(state__in=ACTIVE_ACTION_STATES, created_at__lt=period.ends_before)
        .order_by("due_date", "id")
        .values(*_ACTION_FIELDS)
    )
    return [_action_row(row, overdue=row["due_date"] <= period.end) for row in rows]


@figure(
    _("Improvement actions done"),
    gettext_noop(
        "Improvement actions marked done in the period (done_at). Before: cases received in the 14 days "
        "before the action started (started_at) that match its target root cause and/or category. "
        "After: matching cases received in the period. An action works when After is below Before."
    ),
)
def actions_done(period: Period, cases: QuerySet[Complaint] | None = None) -> list[ActionRow]:
    def target_volume(start: Any, end: Any) -> Coalesce:
        matching = (
            _cases(cases)
            .filter(received_at__gte=start, received_at__lt=end)
            .filter(Q(IsNull(OuterRef("target_cause_id"), True)) | Q(cause_id=OuterRef("target_cause_id")))
            .filter(Q(IsNull(OuterRef("target_category_id"), True)) | Q(category_id=OuterRef("target_category_id")))
            .values(group=Value(1))
            .annotate(count=_count())
            .values("count")
        )
        return Coalesce(Subquery(matching, output_field=IntegerField()), Value(0))

    rows = (
        ImprovementAction.objects.filter(_within("done_at", period))
        .annotate(
            before=target_volume(OuterRef("started_at") - timedelta(days=PERIOD_DAYS), OuterRef("started_at")),
            after=target_volume(period.starts_at, period.ends_before),
        )
        .order_by("done_at", "id")
        .values(*_ACTION_FIELDS, "before", "after")
    )
    return [_action_row(row, before=row["before"], after=row["after"]) for row in rows]


DEFINITIONS = {definition.name: definition for definition in FIGURES}
