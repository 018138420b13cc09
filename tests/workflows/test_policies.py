"""Deadline maths at day boundaries, local versus UTC midnight, month ends and 29 February."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints.models import Complaint
from tests import factories
from workflows import calendars, clocks, policies
from workflows.calendars import Window
from workflows.policies import DEFAULT_SLA

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def end_of(year, month, day) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (local(2026, 11, 24, 10, 0), end_of(2026, 12, 9)),
        (local(2026, 11, 24, 0, 0), end_of(2026, 12, 9)),
        (local(2026, 11, 24, 23, 59, 59), end_of(2026, 12, 9)),
        # 23:30 local is 15:30 UTC the same day; 00:30 local is still the previous day in UTC.
        (datetime(2026, 11, 24, 15, 30, tzinfo=UTC), end_of(2026, 12, 9)),
        (datetime(2026, 11, 24, 16, 30, tzinfo=UTC), end_of(2026, 12, 10)),
        (local(2026, 1, 31, 9, 0), end_of(2026, 2, 15)),
        (local(2026, 2, 20, 9, 0), end_of(2026, 3, 7)),
        (local(2028, 2, 14, 9, 0), end_of(2028, 2, 29)),
        (local(2028, 2, 29, 9, 0), end_of(2028, 3, 15)),
        (local(2026, 12, 25, 9, 0), end_of(2027, 1, 9)),
    ],
)
def test_15_calendar_days_end_at_the_end_of_the_15th_local_day_after_receipt(received, due):
    assert calendars.due(received, Window(15, roll_over=False), tz=SHANGHAI).due == due


def test_resolution_due_follows_the_banks_zone_across_daylight_saving():
    new_york = ZoneInfo("America/New_York")
    received = datetime(2026, 10, 25, 12, 0, tzinfo=new_york)  # EDT; the deadline falls in EST
    due = calendars.due(received, Window(15, roll_over=False), tz=new_york).due
    assert due == datetime(2026, 11, 9, 23, 59, 59, 999999, tzinfo=new_york)
    assert due.utcoffset() == timedelta(hours=-5)


def test_first_response_due_is_24_hours_after_receipt():
    received = local(2026, 2, 28, 13, 15)
    case = Complaint(received_at=received)
    clocks.start_first_response(case, DEFAULT_SLA, received)
    assert case.first_response_due == local(2026, 3, 1, 13, 15)


def test_review_due_is_7_days_after_resolution():
    assert clocks.review_due(DEFAULT_SLA, local(2026, 11, 28, 8, 0)) == local(2026, 12, 5, 8, 0)


@pytest.mark.parametrize(
    ("window", "extra", "tier"),
    [(15, 1, "owner"), (15, 15, "owner"), (15, 16, "supervisor"), (15, 45, "supervisor"), (30, 30, "supervisor")],
)
def test_extension_tier(window, extra, tier):
    assert policies.extension_tier(window, extra) == tier


@pytest.mark.parametrize(("window", "extra"), [(15, 46), (60, 1), (15, 0), (15, -3)])
def test_extension_beyond_the_maximum_is_refused(window, extra):
    with pytest.raises(ValueError):
        policies.extension_tier(window, extra)


def test_case_received_in_the_past_gets_deadlines_from_receipt(world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False):
        case = factories.create_case(world, received_at=local(2026, 11, 20, 23, 30))
    assert case.first_response_due == local(2026, 11, 21, 23, 30)
    # The 15th day, Saturday 5 December, is a rest day: the period ends on Monday 7 December (Art. 203).
    assert case.resolution_due == end_of(2026, 12, 7)
    assert case.reference.startswith("C-20261124-")


def test_deadlines_use_the_time_zone_setting_at_call_time(world, settings):
    settings.TIME_ZONE = "Europe/London"
    received = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 11, 25, 1, 0, tzinfo=UTC), tick=False):
        case = factories.create_case(world, received_at=received)
    london = ZoneInfo("Europe/London")
    assert case.resolution_due == datetime(2026, 12, 9, 23, 59, 59, 999999, tzinfo=london)


def test_reopen_starts_a_fresh_resolution_clock(world):
    with time_machine.travel(local(2026, 11, 2, 9, 0), tick=False):
        case = factories.case_in_state(world, "resolved")
    assert case.resolution_due == end_of(2026, 11, 17)
    from workflows import services

    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False):
        case = services.complaint_reopen(complaint=case, actor=world.cs, reason="Does not accept")
    assert case.resolution_due == end_of(2026, 12, 9)
    assert case.reopen_count == 1
    assert case.review_due is None and case.resolved_at is None
