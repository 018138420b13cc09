"""The report's list of the period's surge alerts: the alerts detected in the period, their linked
cases counted in the report's scope, a department's report listing only the alerts about its cases."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reports import figures
from reports.periods import Period
from tests import factories
from workflows import services, surges

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 3, 4, 15, 0, tzinfo=SHANGHAI)
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15))


@pytest.fixture(autouse=True)
def _rule(settings):
    settings.SURGE_WINDOW_HOURS = 24
    settings.SURGE_BASELINE_WEEKS = 4
    settings.SURGE_SIGMA = 3.0
    settings.SURGE_MIN_COUNT = 10
    surges._intake_checks_due.clear()
    yield
    surges._intake_checks_due.clear()


def log(world, count: int, *, at: datetime, category, department=None) -> list:
    cases = []
    for number in range(count):
        received = at + number * timedelta(minutes=5)
        case = factories.create_case(world, category=category, received_at=received, now=received)
        if department is not None:
            case = services.complaint_assign(complaint=case, actor=world.cs, department=department, now=received)
        cases.append(case)
    return cases


def test_the_periods_alerts_are_listed_with_their_cases_in_the_reports_scope(world):
    mortgages = factories.CategoryFactory(code="mortgage", name_en="Mortgages", name_zh="房贷")
    retail_cases = log(world, 8, at=T - timedelta(hours=3), category=mortgages, department=world.retail)
    log(world, 5, at=T - timedelta(hours=2), category=mortgages, department=world.cards)
    [alert] = surges.check_surges(now=T)
    assert alert.peak_count == 13

    [row] = figures.surge_alerts(PERIOD)
    assert (row.dimension, row.label.en, row.label.zh, row.peak_count, row.cases, row.state) == (
        "category", "Mortgages", "房贷", 13, 13, "open"
    )
    assert row.detected_at == T and row.close_note == ""
    assert str(row.dimension_label) == "Category" and row.state_label == "Open"

    # A department's report: the same alert, counting the department's cases only.
    from complaints.models import Complaint

    [retail_row] = figures.surge_alerts(PERIOD, Complaint.objects.filter(department=world.retail))
    assert retail_row.cases == len(retail_cases) == 8
    # A department none of whose cases surged sees no alert.
    other = factories.DepartmentFactory(code="loans", name_en="Loans", name_zh="贷款")
    assert figures.surge_alerts(PERIOD, Complaint.objects.filter(department=other)) == []
    # Another period: not listed.
    assert figures.surge_alerts(PERIOD.previous()) == []

    closed = surges.surge_alert_close(alert=alert, actor=world.supervisor, note="Rate change letter misprinted", now=T + timedelta(days=1))
    [row] = figures.surge_alerts(PERIOD)
    assert (row.state, row.close_note, row.closed_at) == ("closed", "Rate change letter misprinted", closed.closed_at)
