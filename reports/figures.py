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
    Exists,
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
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, IsNull
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from complaints.models import OPEN_UNTIL, Complaint, ComplaintEvent, Department
from complaints.states import Channel, Closure, EventKind
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
        "Cases received in the period, counted on the day they reached the bank, whatever their "
        "channel or state now."
    ),
)
def received(period: Period, cases: QuerySet[Complaint] | None = None) -> int:
    return intake(period, cases).received


@figure(
    _("Of which imported"),
    gettext_noop(
        "Of those, the cases brought in from the bank's earlier system, counted by their own dates; a "
        "closed one is left out of a clock's compliance when the earlier system did not record when "
        "that clock stopped."
    ),
)
def imported(period: Period, cases: QuerySet[Complaint] | None = None) -> int:
    return intake(period, cases).imported


@figure(
    _("First response on time"),
    gettext_noop(
        "Of the cases whose first-response deadline fell in the period (less those rejected or "
        "withdrawn before it), the share answered by the deadline. Target: at least "
        "%(first_response_target)s%%."
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
        "Of the cases whose resolution deadline fell in the period (less those rejected or withdrawn "
        "before it), the share resolved by the deadline. Approved extensions and pauses move a "
        "deadline; reopening and new facts restart it. Target: at least %(resolution_target)s%%."
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
        "Open: cases received by the end of the period and not closed by then, resolved cases still "
        "waiting for the call-back included. Overdue: the open cases not resolved by then whose "
        "resolution deadline had passed."
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
        "Half of the cases answered in the period were answered faster than this, counted from "
        "receipt."
    ),
)
def median_first_response(period: Period, cases: QuerySet[Complaint] | None = None) -> timedelta | None:
    return _median_duration(_cases(cases).filter(_within("first_responded_at", period)), "first_responded_at", "received_at")


@figure(
    _("Median time to resolution"),
    gettext_noop(
        "Half of the cases resolved in the period were resolved faster than this, counted from "
        "receipt."
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
        "Of the cases whose call-back deadline fell in the period, the share closed after the "
        "customer was reached and accepted the outcome. Cases closed without a call-back because "
        "there is no phone number or e-mail address stay in the count and lower it. Target: at least "
        "%(review_target)s%%."
    ),
)
def review_coverage(period: Period, cases: QuerySet[Complaint] | None = None) -> Ratio:
    return review(period, cases).coverage


@figure(
    _("Of which without contact details"),
    gettext_noop(
        "Of those, the cases closed without a call-back because there was no phone number or e-mail "
        "address (a regulator's referral, for example)."
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
        "The average score customers gave, from 1 (very dissatisfied) to 5 (very satisfied), on the "
        "cases closed in the period, and the number of scores."
    ),
)
def satisfaction(period: Period, cases: QuerySet[Complaint] | None = None) -> Satisfaction:
    result = _cases(cases).filter(_within("closed_at", period), satisfaction__isnull=False).aggregate(
        average=Avg("satisfaction"), count=_count()
    )
    return Satisfaction(result["average"], result["count"])


@dataclass(frozen=True)
class Reopens:
    rate: Ratio
    still_open: int  # of the rate's numerator


def reopens(period: Period, cases: QuerySet[Complaint] | None = None, *, now: datetime | None = None) -> Reopens:
    """``reopen_rate`` and ``reopened_still_open`` in one aggregate over the resolutions recorded in
    the case history (the partial index of resolve events), each case counted once.

    A reopening clears the case's resolution time, so the case table alone cannot say which of
    a period's resolutions were later undone: the history can. "Still open" is "open at ``now``"
    (the report's generation), read from the index of open cases, not the case table.
    """
    now = now or timezone.now()
    # Per event, evaluated for the reopened ones only: a semi-join against every case open now
    # would be planned as a list scanned per event once the planner over-guesses that list.
    open_now = _cases(cases).filter(_open_at(now), pk=OuterRef("complaint_id"))
    reopened_later = ComplaintEvent.objects.filter(
        complaint_id=OuterRef("complaint_id"), kind=EventKind.REOPEN, created_at__gt=OuterRef("created_at")
    )
    result = (
        ComplaintEvent.objects.filter(
            _within("created_at", period), kind=EventKind.RESOLVE, complaint_id__in=_cases(cases).values("pk")
        )
        .annotate(reopened=Exists(reopened_later), open_now=Exists(open_now))
        .aggregate(
            denominator=Count("complaint_id", distinct=True),
            numerator=Count("complaint_id", distinct=True, filter=Q(reopened=True)),
            still_open=Count("complaint_id", distinct=True, filter=Q(reopened=True) & Q(open_now=True)),
        )
    )
    return Reopens(Ratio(result["numerator"], result["denominator"]), result["still_open"])


@figure(
    _("Reopen rate"),
    gettext_noop(
        "Of the cases resolved in the period, the share whose customer did not accept the outcome, so "
        "that the case was reopened afterwards (up to when this report was made); and how many of "
        "those reopened cases are still open. An imported case counts from its first resolution "
        "recorded here."
    ),
)
def reopen_rate(period: Period, cases: QuerySet[Complaint] | None = None) -> Ratio:
    return reopens(period, cases).rate


@figure(
    _("Of which still open"),
    gettext_noop("Of the reopened cases, those not closed yet when this report was made."),
)
def reopened_still_open(period: Period, cases: QuerySet[Complaint] | None = None) -> int:
    return reopens(period, cases).still_open


# --- charts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DailyIntake:
    current: list[int]
    previous: list[int]


@figure(
    _("Daily intake"),
    gettext_noop(
        "Cases received on each day of the period, beside the same day of the previous period."
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


def _trend(period: Period, cases: QuerySet[Complaint] | None, deadline: str, cohort: Callable[[Period], Q], met: Q) -> list[tuple[Period, Ratio]]:
    periods = trend_periods(period)
    aggregates: dict[str, Any] = {}
    for index, each in enumerate(periods):
        aggregates[f"d{index}"] = _count(cohort(each))
        aggregates[f"n{index}"] = _count(cohort(each) & met)
    result = (
        _cases(cases)
        .filter(**{f"{deadline}__gte": periods[0].starts_at, f"{deadline}__lt": period.ends_before})
        .aggregate(**aggregates)
    )
    return [(each, Ratio(result[f"n{i}"], result[f"d{i}"])) for i, each in enumerate(periods)]


@figure(
    _("Compliance trend"),
    gettext_noop(
        "First response on time and resolved within deadline, as above, for this period and the "
        "%(trend_before)s periods of the same length before it. A period in which no deadline fell "
        "is drawn as a gap, marked 'no cases'."
    ),
)
def first_response_trend(period: Period, cases: QuerySet[Complaint] | None = None) -> list[tuple[Period, Ratio]]:
    return _trend(period, cases, "first_response_due", _first_response_cohort, _first_response_met())


def resolution_trend(period: Period, cases: QuerySet[Complaint] | None = None) -> list[tuple[Period, Ratio]]:
    """Resolved within deadline for the trend's periods (the definition is the trend's, above)."""
    return _trend(period, cases, "resolution_due", _resolution_cohort, _resolution_met())


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
        "Cases resolved in the period by the root cause found, largest first, with the running share: "
        "the few causes at the top explain most of the complaints."
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
        "Cases received in the period by category, largest first, with the running share."
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
        "One row per department that holds the cases now (cases not yet routed under 'Unassigned'), "
        "with the figures above."
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
        "One row per channel the cases came in by, with the first response on time and the average "
        "satisfaction of the cases closed in the period."
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
        "The regulator's first-response and resolution clocks, then each of the bank's internal "
        "targets: of the cases whose deadline on that clock fell in the period, the share that met "
        "it. A target restarted by reopening or new facts counts once per start."
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
        "Of the cases resolved in the period, those whose resolution clock was paused (for an "
        "appraisal, a mediation, or the customer's documents), and the time paused in all; each "
        "deadline moved by its paused time."
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
    # The business calendar the numbers name, read with the policies (rendering reads no database).
    calendar: Any = None

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

        n = self.numbers
        unit = {
            Unit.CALENDAR_DAYS: gettext("calendar days"),
            Unit.BUSINESS_DAYS: gettext("business days"),
            Unit.WEEKS: gettext("weeks"),
        }.get(n["resolution_unit"], n["resolution_unit"])
        calendar = self.calendar
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
        "The rules above, as they stood at the end of the period; changes made during it are listed "
        "with who made them. A case keeps the deadline set when its clock started."
    ),
)
def policies_in_force(period: Period, cases: QuerySet[Complaint] | None = None) -> PoliciesInForce:
    from workflows.models import Calendar, PolicyChange, SlaPolicy, policy_numbers

    policies = list(SlaPolicy.objects.select_related("calendar").order_by("kind", "severity"))
    later: dict[int, dict] = {}
    for change in PolicyChange.objects.filter(changed_at__gte=period.ends_before).order_by("changed_at", "id"):
        later.setdefault(change.policy_id, change.before)  # the first edit after the period holds the numbers before it
    grouped: dict[str, tuple[list[tuple[str, str]], dict]] = {}
    for policy in policies:
        numbers = later.get(policy.pk) or policy_numbers(policy)
        key = repr(sorted(numbers.items()))
        grouped.setdefault(key, ([], numbers))[0].append((policy.kind, policy.severity))
    codes = {numbers["calendar"] for _keys, numbers in grouped.values() if numbers.get("calendar")}
    calendars = {calendar.code: calendar for calendar in Calendar.objects.filter(code__in=codes)}
    terms = [PolicyTerms(tuple(keys), numbers, calendars.get(numbers.get("calendar") or "")) for keys, numbers in grouped.values()]
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


# --- overdue and escalated cases ------------------------------------------------------------
# How long a deadline had passed, in days: the bands of the overdue table (the last is open-ended).
OVERDUE_BANDS_DAYS = (1, 7, 30)


@dataclass(frozen=True)
class OverdueRow:
    reference: str
    received_at: datetime
    department: Name | None
    clock: str  # a registry clock's name: first_response, resolution or review
    due: datetime
    overdue_by: timedelta  # from the deadline to the end of the period

    @property
    def clock_label(self) -> str:
        from workflows.clocks import CLOCKS

        return str(CLOCKS[self.clock].label).capitalize()


@dataclass(frozen=True)
class OverdueClock:
    clock: str
    bands: tuple[int, ...]  # one count per band of OVERDUE_BANDS_DAYS, and one for longer

    @property
    def total(self) -> int:
        return sum(self.bands)

    @property
    def label(self) -> str:
        from workflows.clocks import CLOCKS

        return str(CLOCKS[self.clock].label).capitalize()


@dataclass
class OverdueAtEnd:
    clocks: list[OverdueClock] = field(default_factory=list)
    rows: list[OverdueRow] = field(default_factory=list)
    total: int = 0  # (case, clock) pairs; a case overdue on two clocks is listed under both


# Each clock's deadline column and the condition "overdue at ``moment``" among the cases open then.
def _overdue_clocks(moment: datetime) -> dict[str, tuple[str, Q]]:
    return {
        "first_response": (
            "first_response_due",
            Q(first_response_due__lt=moment) & (Q(first_responded_at__isnull=True) | Q(first_responded_at__gte=moment)),
        ),
        "resolution": ("resolution_due", Q(resolution_due__lt=moment) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment))),
        "review": ("review_due", Q(review_due__lt=moment, resolved_at__lt=moment)),
    }


@figure(
    _("Overdue at period end"),
    gettext_noop(
        "Cases open at the end of the period whose deadline had passed then, per clock and by how "
        "long; a case late on two clocks is under both. At most %(case_list_limit)s listed, the "
        "longest overdue first; the total is always given."
    ),
)
def overdue_at_end(period: Period, cases: QuerySet[Complaint] | None = None) -> OverdueAtEnd:
    moment = period.ends_before
    open_then = _cases(cases).filter(_open_at(moment))
    clocks = _overdue_clocks(moment)
    # One aggregate: a count per clock and band, over the index of cases open at the moment. A
    # band holds the deadlines passed by at least its lower edge and less than its upper one
    # (exactly 1 day late is "1 to 7 days").
    aggregates: dict[str, Count] = {}
    edges = [moment - timedelta(days=days) for days in OVERDUE_BANDS_DAYS]
    for name, (column, overdue) in clocks.items():
        later, earlier = [None, *edges], [*edges, None]  # each band's deadlines: after `earlier`, up to `later`
        for index, (upper, lower) in enumerate(zip(later, earlier, strict=True)):
            band = Q()
            if upper is not None:
                band &= Q(**{f"{column}__lte": upper})
            if lower is not None:
                band &= Q(**{f"{column}__gt": lower})
            aggregates[f"{name}_{index}"] = _count(overdue & band)
    counts = open_then.aggregate(**aggregates)
    result = OverdueAtEnd()
    for name in clocks:
        bands = tuple(counts[f"{name}_{index}"] for index in range(len(OVERDUE_BANDS_DAYS) + 1))
        result.clocks.append(OverdueClock(name, bands))
    result.total = sum(clock.total for clock in result.clocks)
    # The listed rows: the earliest deadlines of each clock, merged here, then those cases' details.
    candidates: list[tuple[datetime, int, str]] = []
    for name, (column, overdue) in clocks.items():
        candidates += [
            (due, pk, name)
            for pk, due in open_then.filter(overdue)
            # By an expression, not the deadline's own index: walking that index from the oldest
            # deadline would pass every closed case; the open cases' index holds the deadline.
            .annotate(deadline=ExpressionWrapper(F(column) + Value(timedelta(0)), output_field=DateTimeField()))
            .order_by("deadline", "id")
            .values_list("id", column)[:CASE_LIST_LIMIT]
        ]
    listed = sorted(candidates)[:CASE_LIST_LIMIT]
    details = {
        pk: rest
        for pk, *rest in Complaint.objects.filter(pk__in={pk for _due, pk, _name in listed}).values_list(
            "id", "reference", "received_at", "department__code", "department__name_en", "department__name_zh"
        )
    }
    for due, pk, name in listed:
        reference, received_at, code, name_en, name_zh = details[pk]
        result.rows.append(
            OverdueRow(reference, received_at, Name(name_en, name_zh) if code else None, name, due, moment - due)
        )
    return result


@dataclass(frozen=True)
class EscalatedRow:
    reference: str
    department: Name | None
    clock: str
    level: int  # the highest level the case reached on this clock during the period
    escalated_at: datetime  # when it first reached that level in the period

    @property
    def clock_label(self) -> str:
        from workflows.clocks import CLOCKS

        return str(CLOCKS[self.clock].label).capitalize()

    @property
    def level_label(self) -> str:
        from workflows.models import EscalationLevel

        return str(EscalationLevel(self.level).label)


@dataclass
class EscalatedInPeriod:
    levels: dict[int, int] = field(default_factory=dict)  # level -> cases whose highest level reached was it
    rows: list[EscalatedRow] = field(default_factory=list)
    total: int = 0  # (case, clock) pairs


@figure(
    _("Escalated during the period"),
    gettext_noop(
        "Cases that climbed the escalation ladder in the period: the highest level each reached on "
        "each clock, and when. Level 1 warns the handler and the department, level 2 (deadline "
        "passed) the department's owners, level 3 the supervisors. Steps recorded by an import are "
        "left out. At most %(case_list_limit)s listed, the highest level first."
    ),
)
def escalated_in_period(period: Period, cases: QuerySet[Complaint] | None = None) -> EscalatedInPeriod:
    from workflows.models import Escalation

    # The period's steps, few (a step per case, clock and level at most), reduced here: per case and
    # clock, the highest level and the first time it was reached in the period.
    steps = (
        Escalation.objects.filter(_within("created_at", period), complaint_id__in=_cases(cases).values("pk"))
        .exclude(notify_batch="imported")
        .order_by()
        .values_list("complaint_id", "clock", "level", "created_at")
    )
    reached: dict[tuple[int, str], tuple[int, datetime]] = {}
    for pk, clock, level, at in steps:
        known = reached.get((pk, clock))
        if known is None or level > known[0] or (level == known[0] and at < known[1]):
            reached[(pk, clock)] = (level, at)
    every = sorted(
        ((pk, clock, level, at) for (pk, clock), (level, at) in reached.items()),
        key=lambda row: (-row[2], row[3], row[0], row[1]),
    )
    result = EscalatedInPeriod(total=len(every))
    for _pk, _clock, level, _at in every:
        result.levels[level] = result.levels.get(level, 0) + 1
    listed = every[:CASE_LIST_LIMIT]
    details = {
        pk: rest
        for pk, *rest in Complaint.objects.filter(pk__in={row[0] for row in listed}).values_list(
            "id", "reference", "department__code", "department__name_en", "department__name_zh"
        )
    }
    for pk, clock, level, at in listed:
        reference, code, name_en, name_zh = details[pk]
        result.rows.append(EscalatedRow(reference, Name(name_en, name_zh) if code else None, clock, level, at))
    return result


# --- category changes and surges ------------------------------------------------------------
@dataclass(frozen=True)
class CategoryChange:
    code: str
    name: Name
    current: int
    previous: int

    @property
    def change(self) -> int:
        return self.current - self.previous


def category_changes(period: Period, cases: QuerySet[Complaint] | None = None) -> list[CategoryChange]:
    """Cases received per category in the period and in the previous one, in one aggregate over
    the received_at covering index (which holds the category); the largest now first."""
    previous = period.previous()
    rows = (
        _cases(cases)
        .filter(received_at__gte=previous.starts_at, received_at__lt=period.ends_before)
        .values_list("category__code", "category__name_en", "category__name_zh")
        .annotate(current=_count(_within("received_at", period)), previous=_count(_within("received_at", previous)))
        .order_by("-current", "category__code")
    )
    return [CategoryChange(code, Name(en, zh), current, before) for code, en, zh, current, before in rows]


@figure(
    _("Surges"),
    gettext_noop(
        "Categories with at least %(surge_min_count)s cases received in the period and at least "
        "%(surge_factor)s times as many as in the previous period."
    ),
)
def surges(period: Period, cases: QuerySet[Complaint] | None = None, *, changes: list[CategoryChange] | None = None) -> list[CategoryChange]:
    """``changes`` (``category_changes`` of the same period and cases) spares the query."""
    changes = category_changes(period, cases) if changes is None else changes
    return [
        row
        for row in changes
        if row.current >= max(settings.REPORT_SURGE_MIN_COUNT, settings.REPORT_SURGE_FACTOR * row.previous)
    ]


@dataclass(frozen=True)
class SurgeAlertRow:
    dimension: str  # category, cause or product
    label: Name
    detected_at: datetime
    peak_count: int
    baseline_mean: float
    threshold: float
    cases: int  # linked cases (those of the department, in a department's report)
    state: str
    closed_at: datetime | None
    close_note: str

    @property
    def dimension_label(self) -> str:
        from workflows.models import SurgeDimension

        return str(SurgeDimension(self.dimension).label)

    @property
    def state_label(self) -> str:
        from workflows.models import SurgeAlertState

        return str(SurgeAlertState(self.state).label)


@figure(
    _("Surge alerts"),
    gettext_noop(
        "Alerts raised during the period, as cases came in, when a category, root cause or product had "
        "more cases in %(alert_window_hours)s hours than %(alert_sigma)s standard deviations above the "
        "same hours of the previous %(alert_weeks)s weeks, and at least %(alert_min_count)s; with the "
        "supervisor's note when closed."
    ),
)
def surge_alerts(period: Period, cases: QuerySet[Complaint] | None = None) -> list[SurgeAlertRow]:
    from workflows.models import SurgeAlertCase
    from workflows.surges import alerts_between

    linked = (
        SurgeAlertCase.objects.filter(alert_id=OuterRef("pk"), complaint_id__in=_cases(cases).values("pk"))
        .order_by()
        .values(group=Value(1))
        .annotate(count=_count())
        .values("count")
    )
    alerts = alerts_between(period.starts_at, period.ends_before).annotate(
        linked=Coalesce(Subquery(linked, output_field=IntegerField()), Value(0))
    )
    if cases is not None:  # a department's report: the alerts about its cases
        alerts = alerts.filter(linked__gt=0)
    return [
        SurgeAlertRow(
            alert.dimension,
            Name(alert.label_en, alert.label_zh),
            alert.detected_at,
            alert.peak_count,
            alert.baseline_mean,
            alert.threshold,
            alert.linked,
            alert.state,
            alert.closed_at,
            alert.close_note,
        )
        for alert in alerts
    ]


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
        "Improvement actions raised by the end of the period that are open or in progress now, by due "
        "date; overdue when due by the last day of the period."
    ),
)
def actions_open(period: Period, *, department: Department | None = None) -> list[ActionRow]:
    actions = ImprovementAction.objects.all() if department is None else ImprovementAction.objects.filter(owner_department=department)
    rows = (
        actions.filter(state__in=ACTIVE_ACTION_STATES, created_at__lt=period.ends_before)
        .order_by("due_date", "id")
        .values(*_ACTION_FIELDS)
    )
    return [_action_row(row, overdue=row["due_date"] <= period.end) for row in rows]


@figure(
    _("Improvement actions done"),
    gettext_noop(
        "Improvement actions finished in the period. Before: cases of the action's root cause and/or "
        "category received in the 14 days before work started. After: such cases received in the "
        "period. An action worked when After is below Before."
    ),
)
def actions_done(
    period: Period, cases: QuerySet[Complaint] | None = None, *, department: Department | None = None
) -> list[ActionRow]:
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

    actions = ImprovementAction.objects.all() if department is None else ImprovementAction.objects.filter(owner_department=department)
    rows = (
        actions.filter(_within("done_at", period))
        .annotate(
            before=target_volume(OuterRef("started_at") - timedelta(days=PERIOD_DAYS), OuterRef("started_at")),
            after=target_volume(period.starts_at, period.ends_before),
        )
        .order_by("done_at", "id")
        .values(*_ACTION_FIELDS, "before", "after")
    )
    return [_action_row(row, before=row["before"], after=row["after"]) for row in rows]


DEFINITIONS = {definition.name: definition for definition in FIGURES}
