"""Compliance per clock (internal targets included) and paused time, against plain Python counts."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from complaints.states import ComplaintState as S
from reports import figures
from reports.periods import Period
from tests import factories
from workflows import services
from workflows.calendars import Unit
from workflows.models import CaseTarget, ClockTarget, TargetMeasures

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = Period(date(2026, 11, 2), date(2026, 11, 15))


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI)


def test_each_internal_target_is_counted_by_its_own_deadline(world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    two_days = ClockTarget.objects.create(
        code="res2d", name_en="Resolve in 2 days", name_zh="2天内办结",
        measures=TargetMeasures.RESOLUTION, window=2, unit=Unit.CALENDAR_DAYS,
    )
    ClockTarget.objects.create(
        code="unused", name_en="No case has it", name_zh="无工单", measures=TargetMeasures.RESOLUTION,
        window=2, unit=Unit.CALENDAR_DAYS, is_active=False,
    )
    cases = [factories.case_in_state(world, S.IN_PROGRESS, now=at(day)) for day in (2, 3, 4, 5, 12, 20)]
    # Resolved: day 2's on day 3 (met), day 3's on day 9 (late), day 12's on day 13 (met); the others run.
    for case, resolved in ((cases[0], at(3)), (cases[1], at(9)), (cases[4], at(13))):
        services.complaint_resolve(
            complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause(),
            compensation=None, now=resolved,
        )
    rows = {row.name: row for row in figures.clock_compliance(PERIOD)}
    assert list(rows) == ["first_response", "resolution", "target:res2d"]
    in_period = [
        t for t in CaseTarget.objects.filter(target=two_days)
        if PERIOD.starts_at <= t.due < PERIOD.ends_before
    ]
    met = [t for t in in_period if t.stopped_at is not None and t.stopped_at <= t.due]
    assert (rows["target:res2d"].on_time.numerator, rows["target:res2d"].on_time.denominator) == (len(met), len(in_period))
    # Due (2 days, a weekend day moved to Monday): 4, 5, 6, 9 and 16 November and 23 November, so
    # four fall in the period; of them only the case of the 2nd was resolved in time.
    assert (len(met), len(in_period)) == (1, 4)
    assert rows["target:res2d"].label == "Resolve in 2 days"
    assert rows["resolution"].on_time == figures.resolved_on_time(PERIOD)


def test_paused_time_of_the_cases_resolved_in_the_period(world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    paused_case = factories.case_in_state(world, S.IN_PROGRESS, now=at(2))
    services.complaint_pause(complaint=paused_case, actor=world.owner, reason="mediation", customer_notified_by="sms", now=at(3))
    services.complaint_resume(complaint=paused_case, actor=world.owner, now=at(5, 16))
    plain = factories.case_in_state(world, S.IN_PROGRESS, now=at(2))
    for case in (paused_case, plain):
        services.complaint_resolve(
            complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause(),
            compensation=None, now=at(9),
        )
    result = figures.paused_time(PERIOD)
    assert (result.cases, result.total) == (1, timedelta(days=2, hours=6))
