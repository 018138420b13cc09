"""Imported history in the report: counted by its own dates exactly like live cases, and said how many.

Cases are driven through the services at their own (historic) times and then marked imported with
a queryset update, as the importer leaves them; every figure is compared with a plain-Python count
over ``Complaint.objects.all()``, and the imported ones with their live twins.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Complaint
from reports import figures, rendering
from reports.data import collect
from reports.periods import Period
from tests import factories
from workflows import services as s

from .conftest import TZ
from .test_figures import fr_cohort, fr_met, inside, open_at, overdue_at, ratio, res_cohort, res_met

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
            "state", "received_at", "imported_at", "first_response_due", "first_responded_at", "resolution_due",
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
    assert figures.reopen_rate(period) == ratio(
        [r for r in data if inside(r["closed_at"], period) and r["closure"]], lambda r: r["reopen_count"] >= 1
    )


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


@pytest.mark.parametrize(
    "name",
    [
        "received", "first_response_on_time", "resolved_on_time", "open_and_overdue", "median_first_response",
        "median_resolution", "review_coverage", "review_without_contact", "satisfaction", "reopen_rate",
        "department_table", "channel_table", "cause_pareto", "daily_intake",
    ],
)  # fmt: skip
def test_an_imported_case_counts_as_its_live_twin(history, name):
    """Imported cases and live ones with the same dates give the same figure, whatever the import date."""
    function = getattr(figures, name)
    twins = Complaint.objects.filter(subject__startswith=TWIN)
    live = Complaint.objects.filter(subject__startswith="Live ")
    assert twins.filter(imported_at__isnull=False).count() == live.count() == len(PATHS)
    assert function(PERIOD, twins) == function(PERIOD, live)
    assert figures.imported(PERIOD, live) == 0
    assert figures.imported(PERIOD, twins) == figures.received(PERIOD, twins)


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
