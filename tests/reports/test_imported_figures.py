"""Imported history in the report: counted by its own dates exactly like live cases, and said how many.

Cases are driven through the services at their own (historic) times and then marked imported with
a queryset update, as the importer leaves them; every figure is compared with a plain-Python count
over ``Complaint.objects.all()``, and the imported ones with their live twins. The reopen rate,
which reads the resolutions recorded in the case history, is the exception: the importer records
none, so an imported case counts from its first resolution recorded here (checked with the real
importer below).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from reports import figures, rendering
from reports.data import collect
from reports.periods import Period
from tests import factories
from tests.workflows.imports import files
from workflows import services as s

from .conftest import TZ
from .test_figures import (
    events,
    expected_reopens,
    fr_cohort,
    fr_met,
    inside,
    open_at,
    overdue_at,
    ratio,
    res_cohort,
    res_met,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2023, 3, 6), date(2023, 3, 19))
PREVIOUS = PERIOD.previous()  # 2023-02-20 .. 2023-03-05
IMPORTED_AT = datetime(2026, 11, 30, 22, 0, tzinfo=TZ)
TWIN = "Imported twin"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@dataclass(frozen=True)
class Path:
    """One case's life, as offsets from its receipt; None: the step never happened (yet)."""

    received: datetime
    respond: timedelta | None = None
    resolve: timedelta | None = None
    close: timedelta | None = None
    end: str = "close"  # close, close_unreachable, close_without_callback, reopen_then_close, reject
    contact: bool = True


PATHS = [
    # received in the period, everything on time, closed after the review call-back
    Path(at(date(2023, 3, 6), 9), timedelta(hours=2), timedelta(days=5), timedelta(days=7)),
    # received in the period, first response late, resolved late, customer unreachable
    Path(at(date(2023, 3, 7), 15), timedelta(hours=30), timedelta(days=20), timedelta(days=30), end="close_unreachable"),
    # received in the previous period, resolved in this one, reopened once and closed
    Path(at(date(2023, 2, 22), 11), timedelta(hours=5), timedelta(days=10), timedelta(days=14), end="reopen_then_close"),
    # received in the period, open at its end (resolved weeks later, closed after that)
    Path(at(date(2023, 3, 14), 8), timedelta(hours=20), timedelta(days=40), timedelta(days=45)),
    # received in the period, responded to, never resolved: open at its end (overdue only later)
    Path(at(date(2023, 3, 10), 16), timedelta(hours=3)),
    # received on the period's last evening, never responded to: its first response falls due after it
    Path(at(date(2023, 3, 18), 23, 30)),
    # a regulator referral without contact details, closed without call-back in the period
    Path(at(date(2023, 3, 8), 10), timedelta(hours=6), timedelta(days=4), timedelta(days=6), end="close_without_callback", contact=False),
    # received in the period and rejected the next day
    Path(at(date(2023, 3, 12), 12), end="reject", close=timedelta(days=1)),
    # received in the previous period, resolved in this one after its deadline (which fell in this one)
    Path(at(date(2023, 2, 21), 14), timedelta(hours=2), timedelta(days=25), timedelta(days=27)),
    # received in the previous period, closed in it
    Path(at(date(2023, 2, 20), 9), timedelta(hours=1), timedelta(days=2), timedelta(days=4)),
    # received years before, open and overdue at the end of both periods, resolved after them
    Path(at(date(2021, 6, 1), 9), timedelta(days=1), timedelta(days=660), timedelta(days=662)),
]


def drive(world, path: Path, *, subject: str) -> Complaint:
    """The case through the real services, each step at its own historic time."""
    received = path.received
    contact = (
        s.CustomerData(name="张三", phone="13812345678", email="zhang@example.com") if path.contact else s.CustomerData()
    )
    case, _created = s.complaint_create(
        actor=world.cs,
        kind="complaint",
        channel="phone" if path.contact else "regulator",
        severity="medium",
        category=world.unrouted,
        subject=subject,
        description="A case the old system held.",
        customer=contact,
        now=received,
    )
    if path.end == "reject":
        assert path.close is not None
        s.complaint_reject(complaint=case, actor=world.cs, reason="Not about the bank", now=received + path.close)
        return case
    case = s.complaint_assign(complaint=case, actor=world.cs, department=world.retail, now=received + timedelta(minutes=10))
    if path.respond is None:
        return case
    case = s.complaint_respond(complaint=case, actor=world.owner, method="phone", message="Noted", now=received + path.respond)
    if path.resolve is None:
        return case

    def resolve(case: Complaint, when: datetime) -> Complaint:
        return s.complaint_resolve(
            complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause(),
            compensation=Decimal("10.00"), now=when,
        )  # fmt: skip

    case = resolve(case, received + path.resolve)
    if path.close is None:
        return case
    closing = received + path.close
    if path.end == "reopen_then_close":
        case = s.complaint_reopen(complaint=case, actor=world.cs, reason="Not accepted", now=closing - timedelta(days=2))
        case = resolve(case, closing - timedelta(days=1))
        return s.complaint_close(complaint=case, actor=world.cs, satisfaction=3, now=closing)
    if path.end == "close_unreachable":
        return s.complaint_close_unreachable(complaint=case, actor=world.cs, notes="No answer", now=closing)
    if path.end == "close_without_callback":
        return s.complaint_close_without_callback(
            complaint=case, actor=world.cs, reason="Referred without contact details", now=closing
        )
    return s.complaint_close(complaint=case, actor=world.cs, satisfaction=4, now=closing)


@pytest.fixture
def history(world):
    """Every path twice: once live, once imported (its twin), plus two imported-only cases in the
    previous period, so that the two periods' imported counts differ."""
    for index, path in enumerate(PATHS):
        drive(world, path, subject=f"Live {index}")
        drive(world, path, subject=f"{TWIN} {index}")
    extra = [
        drive(world, Path(at(date(2023, 2, 27), 10), timedelta(hours=4), timedelta(days=3), timedelta(days=5)), subject="Imported")
        for _ in range(2)
    ]
    Complaint.objects.filter(Q(subject__startswith=TWIN) | Q(pk__in=[case.pk for case in extra])).update(
        imported_at=IMPORTED_AT
    )
    return world


def rows() -> list[dict]:
    return [
        row
        for row in Complaint.objects.values(
            "id", "state", "received_at", "imported_at", "first_response_due", "first_responded_at", "resolution_due",
            "resolved_at", "review_due", "closed_at", "closure", "satisfaction", "reopen_count",
        )  # fmt: skip
        if row["state"] != "merged"
    ]


@pytest.mark.parametrize("period", [PERIOD, PREVIOUS], ids=["period", "previous"])
def test_figures_count_imported_cases_by_their_own_dates(history, period):
    data = rows()
    end = period.ends_before
    received = [r for r in data if inside(r["received_at"], period)]
    assert figures.received(period) == len(received)
    assert figures.imported(period) == sum(1 for r in received if r["imported_at"] is not None)
    assert figures.intake(period) == figures.Intake(figures.received(period), figures.imported(period))
    assert figures.first_response_on_time(period) == ratio([r for r in data if fr_cohort(r, period)], fr_met)
    assert figures.resolved_on_time(period) == ratio([r for r in data if res_cohort(r, period)], res_met)
    assert figures.open_and_overdue(period) == figures.OpenCases(
        sum(open_at(r, end) for r in data), sum(overdue_at(r, end) for r in data)
    )
    review_cohort = [r for r in data if inside(r["review_due"], period)]
    assert figures.review_coverage(period) == ratio(review_cohort, lambda r: r["closure"] == "accepted")
    assert figures.review_without_contact(period) == sum(1 for r in review_cohort if r["closure"] == "no_contact")
    reopens = expected_reopens(period, data, events())
    assert figures.reopens(period) == reopens
    assert (figures.reopen_rate(period), figures.reopened_still_open(period)) == (reopens.rate, reopens.still_open)


def test_the_periods_hold_what_the_paths_say(history):
    # So that the comparisons above are not vacuous: 7 paths received in the period and 3 in the
    # previous one, each live and imported, and the 2 imported-only cases in the previous period.
    assert figures.intake(PERIOD) == figures.Intake(received=14, imported=7)
    assert figures.intake(PREVIOUS) == figures.Intake(received=8, imported=5)
    assert figures.first_response_on_time(PERIOD).denominator > 0
    assert figures.resolved_on_time(PERIOD).denominator > 0
    assert 0 < figures.resolved_on_time(PERIOD).numerator < figures.resolved_on_time(PERIOD).denominator
    assert figures.open_and_overdue(PERIOD).overdue > 0
    assert figures.review_without_contact(PERIOD) == 2
    assert figures.reopen_rate(PERIOD).denominator > 0
    assert figures.reopen_rate(PREVIOUS).numerator == 2  # the reopened path (live and twin), first resolved then


@pytest.mark.parametrize(
    "name",
    [
        "received", "first_response_on_time", "resolved_on_time", "open_and_overdue", "median_first_response",
        "median_resolution", "review_coverage", "review_without_contact", "satisfaction",
        "department_table", "channel_table", "cause_pareto", "daily_intake",
    ],
)  # fmt: skip
def test_an_imported_case_counts_as_its_live_twin(history, name):
    """Imported cases and live ones with the same dates give the same figure, whatever the import date.

    Not the reopen rate: it counts the resolutions recorded here, which an import has none of
    (``test_an_imported_case_counts_in_the_reopen_rate_from_its_first_resolution_recorded_here``)."""
    function = getattr(figures, name)
    twins = Complaint.objects.filter(subject__startswith=TWIN)
    live = Complaint.objects.filter(subject__startswith="Live ")
    assert twins.filter(imported_at__isnull=False).count() == live.count() == len(PATHS)
    assert function(PERIOD, twins) == function(PERIOD, live)
    assert figures.imported(PERIOD, live) == 0
    assert figures.imported(PERIOD, twins) == figures.received(PERIOD, twins)


IMPORT_TIME = datetime(2026, 11, 30, 22, 0, tzinfo=TZ)
AFTER_IMPORT = Period(date(2026, 11, 30), date(2026, 12, 13))


def import_cases(tmp_path, rows: list[dict]) -> None:
    """``rows`` through the real importer (``import_complaints``), as the bank's old system gave them."""
    written = files.write_case_file(tmp_path, rows, name="history.csv")
    with time_machine.travel(IMPORT_TIME, tick=False):
        call_command("import_complaints", str(written.path), format="csv", user="cs", stdout=StringIO(), stderr=StringIO())


def test_an_imported_case_counts_in_the_reopen_rate_from_its_first_resolution_recorded_here(world, tmp_path):
    """The old system's resolutions are not in the case history, so a case resolved there (even
    one it had reopened) is in no period's reopen rate; once reopened here and resolved again, it
    counts in the period of that resolution, and is reopened when reopened after it."""
    import_cases(
        tmp_path,
        [
            # resolved in the period by the old system, awaiting its call-back when imported
            files.case_row(
                "OLD-RESOLVED", category="general", department="retail", assignee="member", state="resolved",
                received_at="2023-03-06T09:00:00+08:00", first_responded_at="2023-03-06T11:00:00+08:00",
                resolved_at="2023-03-08T10:00:00+08:00", closed_at="", satisfaction="",
            ),
            # resolved in the period, reopened and closed by the old system
            files.case_row(
                "OLD-REOPENED", category="general", department="retail", assignee="member", state="closed",
                received_at="2023-03-07T09:00:00+08:00", first_responded_at="2023-03-07T11:00:00+08:00",
                resolved_at="2023-03-15T10:00:00+08:00", closed_at="2023-03-17T10:00:00+08:00", reopen_count="1",
            ),
        ],
    )  # fmt: skip
    imported = Complaint.objects.filter(imported_at__isnull=False)
    assert imported.count() == 2
    assert imported.filter(resolved_at__gte=PERIOD.starts_at, resolved_at__lt=PERIOD.ends_before).count() == 2
    assert not ComplaintEvent.objects.filter(complaint__in=imported, kind__in=["resolve", "reopen"]).exists()
    none = figures.Reopens(figures.Ratio(0, 0), 0)
    assert figures.reopens(PERIOD) == none == expected_reopens(PERIOD, rows(), events())

    case = Complaint.objects.get(external_id="OLD-RESOLVED")
    case = s.complaint_reopen(complaint=case, actor=world.cs, reason="Not accepted", now=IMPORT_TIME + timedelta(days=1))
    # Reopened here after a resolution that is not in the history: no period counts it yet.
    assert figures.reopens(PERIOD) == figures.reopens(AFTER_IMPORT) == none
    case = s.complaint_resolve(
        complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause(),
        now=IMPORT_TIME + timedelta(days=2),
    )  # fmt: skip
    assert figures.reopens(AFTER_IMPORT) == figures.Reopens(figures.Ratio(0, 1), 0) == expected_reopens(AFTER_IMPORT, rows(), events())
    s.complaint_reopen(complaint=case, actor=world.cs, reason="Still not accepted", now=IMPORT_TIME + timedelta(days=3))
    assert figures.reopens(AFTER_IMPORT) == figures.Reopens(figures.Ratio(1, 1), 1) == expected_reopens(AFTER_IMPORT, rows(), events())
    assert figures.reopens(PERIOD) == none


def test_received_and_imported_are_a_query_each(history):
    with CaptureQueriesContext(connection) as queries:
        figures.intake(PERIOD)
    assert len(queries) == 2


def test_no_import_means_zero_and_no_remark(world):
    drive(world, PATHS[0], subject="Live")
    data = collect(PERIOD)
    assert (data.imported.current, data.imported.previous) == (0, 0)
    assert (data.review_without_contact.current, data.review_without_contact.previous) == (0, 0)
    html = rendering.render_html(data, language="en")
    assert "imported" not in html.split("How each figure is counted")[0]
    assert "without contact details</span>" not in html


def test_the_report_says_how_many_were_imported_beside_received(history):
    data = collect(PERIOD, now=timezone.now())
    assert (data.received.current, data.imported.current) == (14, 7)
    assert (data.received.previous, data.imported.previous) == (8, 5)
    assert (data.review_without_contact.current, data.review_without_contact.previous) == (2, 0)
    html = rendering.render_html(data, language="en")
    headline = html.split("<h2>2.")[0]
    row = next(line for line in headline.splitlines() if line.startswith("<tr><td>Received</td>"))
    assert "14<br><span class=\"remark\">of which 7 imported</span>" in row
    assert "8<br><span class=\"remark\">of which 5 imported</span>" in row
    coverage = next(line for line in headline.splitlines() if line.startswith("<tr><td>Review coverage</td>"))
    assert "of which 2 without contact details</span>" in coverage
    assert "of which 0 without contact details" in coverage  # the previous period, to compare
