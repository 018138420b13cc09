"""Deadlines on the legal calendar, through intake (API and service) on each rule set (issue 12).

The policies are set by ``workflows.rule_sets.rule_set_apply``, which loads the rule set's
calendar from its package, as a fresh database with COMPLAINT_RULES does.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.models import Complaint
from tests import factories
from workflows import calendars, clocks
from workflows.calendars import Unit, Window
from workflows.models import Calendar, CalendarDay, CalendarDayKind, SlaPolicy
from workflows.rule_sets import rule_set_apply

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
INTAKE = "/api/v1/complaints/"


def end_of(day: date, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=zone)


def received(world, at: datetime) -> Complaint:
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        return factories.create_case(world, received_at=at)


@pytest.fixture
def cn(db, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    return rule_set_apply("cn")


# --- cn: 15 calendar days after the day of receipt, rolled to the next working day ------------
@pytest.mark.parametrize(
    ("at", "due"),
    [
        # The examples: National Day and Mid-Autumn 2026, then Spring Festival 2026.
        (datetime(2026, 9, 20, 10, 0, tzinfo=SHANGHAI), date(2026, 10, 8)),
        (datetime(2026, 2, 5, 10, 0, tzinfo=SHANGHAI), date(2026, 2, 24)),
        # The 15th day is Saturday 10 October, a make-up working day: it stays.
        (datetime(2026, 9, 25, 9, 0, tzinfo=SHANGHAI), date(2026, 10, 10)),
        # An ordinary Saturday moves to Monday.
        (datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI), date(2026, 12, 7)),
        # A minute before and at local midnight: different days of receipt.
        (datetime(2026, 11, 24, 23, 59, tzinfo=SHANGHAI), date(2026, 12, 9)),
        (datetime(2026, 11, 25, 0, 0, tzinfo=SHANGHAI), date(2026, 12, 10)),
    ],
)
def test_cn_resolution_deadline(world, cn, at, due):
    case = received(world, at)
    assert case.resolution_due == end_of(due)
    assert case.first_response_due == at + timedelta(hours=24)
    assert case.calendar_gaps == ""


def test_cn_intake_through_the_api_returns_the_legal_deadlines(world, cn, client_for, intake_body):
    client = client_for(world.cs)
    for received_at, due in (
        ("2026-09-20T10:00:00+08:00", "2026-10-08T23:59:59.999999+08:00"),
        ("2026-02-05T10:00:00+08:00", "2026-02-24T23:59:59.999999+08:00"),
    ):
        response = client.post(INTAKE, intake_body(external_id=received_at, received_at=received_at), format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["resolution_due"] == due


def test_a_deadline_in_a_year_the_calendar_does_not_cover_counts_weekends_only_and_says_so(world, cn, client):
    assert Calendar.objects.get(code="cn").last_year == 2026
    # The 15th day is Friday 1 January 2027: New Year's Day, but 2027 is not loaded.
    case = received(world, datetime(2026, 12, 17, 10, 0, tzinfo=SHANGHAI))
    assert case.resolution_due == end_of(date(2027, 1, 1))
    assert clocks.calendar_gap_years(case) == [2027]
    client.force_login(world.supervisor)
    page = client.get(f"/admin/complaints/complaint/{case.pk}/change/").content.decode()
    assert "the calendar for 2027 is not loaded" in page
    # Once a supervisor adds the day, the next case counts on it.
    calendar = Calendar.objects.get(code="cn")
    CalendarDay.objects.create(calendar=calendar, date=date(2027, 1, 1), kind=CalendarDayKind.HOLIDAY, name="New Year")
    calendar.last_year = 2027
    calendar.save()
    later = received(world, datetime(2026, 12, 17, 11, 0, tzinfo=SHANGHAI))
    assert later.resolution_due == end_of(date(2027, 1, 4)) and later.calendar_gaps == ""


def test_an_extension_counts_on_the_calendar_too(world, cn):
    case = received(world, datetime(2026, 9, 10, 10, 0, tzinfo=SHANGHAI))  # 15th day Fri 25 Sep: Mid-Autumn
    assert case.resolution_due == end_of(date(2026, 9, 28))
    sla = SlaPolicy.sla_for(kind=case.kind, severity=case.severity)
    # 30 days from 10 September is 10 October, the make-up Saturday: a working day.
    assert clocks.resolution_deadline(sla, case.resolution_clock_started_at, 30).due == end_of(date(2026, 10, 10))
    # 21 days is 1 October: National Day, so Thursday 8 October.
    assert clocks.resolution_deadline(sla, case.resolution_clock_started_at, 21).due == end_of(date(2026, 10, 8))


# --- uk: 8 weeks, England and Wales bank holidays ----------------------------------------------
def test_uk_final_response_is_8_weeks_after_receipt(world, settings):
    settings.TIME_ZONE = "Europe/London"
    rule_set_apply("uk")
    case = received(world, datetime(2026, 11, 2, 15, 0, tzinfo=LONDON))
    assert case.resolution_due == end_of(date(2026, 12, 28), LONDON)  # 8 weeks; DISP does not roll it
    assert case.resolution_window_days == 56


def test_uk_business_days_skip_christmas_boxing_day_and_its_substitute(db, settings):
    settings.TIME_ZONE = "Europe/London"
    calendar = rule_set_apply("uk")
    working = calendars.calendar_for(calendar.pk, Calendar.objects.get(pk=calendar.pk).revision)
    # Boxing Day 2026 is a Saturday; Monday 28 December is the substitute bank holiday.
    assert not working.is_working_day(date(2026, 12, 28))
    start = datetime(2026, 12, 24, 10, 0, tzinfo=LONDON)
    three = calendars.due(start, Window(3, Unit.BUSINESS_DAYS), working)
    assert three.due == end_of(date(2026, 12, 31), LONDON)  # 29, 30, 31 December
    # Received after a 17:00 close of business on 23 December: as if received on the 24th.
    late = calendars.due(datetime(2026, 12, 23, 17, 30, tzinfo=LONDON), Window(3, Unit.BUSINESS_DAYS, cutoff=datetime.min.time().replace(hour=17)), working)
    assert late.due == end_of(date(2026, 12, 31), LONDON)
    on_time = calendars.due(datetime(2026, 12, 23, 16, 30, tzinfo=LONDON), Window(3, Unit.BUSINESS_DAYS, cutoff=datetime.min.time().replace(hour=17)), working)
    assert on_time.due == end_of(date(2026, 12, 30), LONDON)


# --- us: 15 calendar days across the end of daylight saving --------------------------------------
def test_us_response_is_15_days_and_follows_the_clock_change(world, settings):
    settings.TIME_ZONE = "America/New_York"
    rule_set_apply("us")
    case = received(world, datetime(2026, 10, 25, 12, 0, tzinfo=NEW_YORK))  # EDT; due in EST
    assert case.resolution_due == end_of(date(2026, 11, 9), NEW_YORK)
    assert case.resolution_due.utcoffset() == timedelta(hours=-5)
    sla = SlaPolicy.sla_for(kind=case.kind, severity=case.severity)
    assert sla.max_extension_days == 60


# --- properties ----------------------------------------------------------------------------------
CN_CALENDAR = calendars.WorkingCalendar(
    code="cn-test",
    holidays=frozenset({date(2026, 10, d) for d in range(1, 8)} | {date(2026, 2, d) for d in range(15, 24)}),
    working_days=frozenset({date(2026, 9, 20), date(2026, 10, 10), date(2026, 2, 14), date(2026, 2, 28)}),
    first_year=2026,
    last_year=2026,
)
instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(SHANGHAI))
windows = st.builds(
    Window,
    amount=st.integers(1, 90),
    unit=st.sampled_from([Unit.CALENDAR_DAYS, Unit.BUSINESS_DAYS, Unit.WEEKS]),
    count_receipt_day=st.booleans(),
    cutoff=st.none() | st.times(),
    roll_over=st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=instants, window=windows)
def test_a_deadline_never_precedes_its_start(start, window):
    assert calendars.due(start, window, CN_CALENDAR, SHANGHAI).due >= start


@settings(max_examples=300, deadline=None)
@given(first=instants, later_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)), window=windows)
def test_a_later_receipt_never_gets_an_earlier_deadline(first, later_by, window):
    second = first + later_by
    assert calendars.due(first, window, CN_CALENDAR, SHANGHAI).due <= calendars.due(second, window, CN_CALENDAR, SHANGHAI).due


def test_uk_summary_resolution_is_an_internal_target_of_3_business_days(world, settings):
    settings.TIME_ZONE = "Europe/London"
    rule_set_apply("uk")
    case = received(world, datetime(2026, 12, 24, 10, 0, tzinfo=LONDON))
    summary = case.targets.get(target__code="disp-sum3")
    assert summary.due == end_of(date(2026, 12, 31), LONDON)  # 29, 30 and 31 December


@pytest.mark.parametrize(
    ("rules", "zone", "received_at", "resolution_due"),
    [
        ("cn", "Asia/Shanghai", "2026-09-20T10:00:00+08:00", "2026-10-08T23:59:59.999999+08:00"),
        ("uk", "Europe/London", "2026-11-02T15:00:00+00:00", "2026-12-28T23:59:59.999999Z"),
        ("us", "America/New_York", "2026-10-25T12:00:00-04:00", "2026-11-09T23:59:59.999999-05:00"),
    ],
)
def test_intake_through_the_api_on_each_rule_set(world, settings, client_for, intake_body, rules, zone, received_at, resolution_due):
    settings.TIME_ZONE = zone
    rule_set_apply(rules)
    response = client_for(world.cs).post(INTAKE, intake_body(external_id=rules, received_at=received_at), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["resolution_due"] == resolution_due
