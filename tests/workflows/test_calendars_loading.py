"""Loading business calendars from the packaged sources: the days, the years, the revision.

The migrations already load the rule set's calendar (code ``cn``), so most tests load into a
calendar of their own (``--code``).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.core.management import CommandError, call_command

from workflows.calendar_sources import SOURCES, CalendarSourceError, calendar_load
from workflows.calendars import calendar_for
from workflows.models import Calendar, CalendarDay
from workflows.models import CalendarDayKind as K

pytestmark = pytest.mark.django_db

CN_FIRST = min(day.year for day in chinese_calendar.holidays)
CN_LAST = max(day.year for day in chinese_calendar.holidays)


CODE = "test-calendar"


def load(source: str, *args: str, code: str | None = CODE) -> str:
    out = StringIO()
    call_command("load_calendar", source, *args, *(("--code", code) if code else ()), stdout=out)
    return out.getvalue().strip()


def days_of(code: str) -> dict[date, tuple[str, str]]:
    return {day.date: (day.kind, day.name) for day in CalendarDay.objects.filter(calendar__code=code)}


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_cn_2026_has_the_statutory_holidays_and_the_weekend_make_up_days():
    line = load("cn", "--years", "2026")
    days = days_of(CODE)
    kinds = {day: kind for day, (kind, _name) in days.items()}
    for day in span(date(2026, 10, 1), date(2026, 10, 7)) + span(date(2026, 9, 25), date(2026, 9, 27)):
        assert kinds[day] == K.HOLIDAY, day
    for day in span(date(2026, 2, 15), date(2026, 2, 23)):
        assert days[day] == (K.HOLIDAY, "Spring Festival")
    assert kinds[date(2026, 2, 14)] == K.WORKING_DAY  # the Saturday before Spring Festival
    assert kinds[date(2026, 10, 10)] == K.WORKING_DAY  # a Saturday
    assert kinds[date(2026, 9, 20)] == K.WORKING_DAY  # a Sunday
    assert all(day.weekday() >= 5 for day, kind in kinds.items() if kind == K.WORKING_DAY)
    assert line == f"{CODE}: 2026 loaded, 39 days (holidays 33, make-up working days 6); calendar covers 2026"
    calendar = Calendar.objects.get(code=CODE)
    assert calendar.name == "Mainland China (statutory holidays and make-up working days)"
    assert calendar.weekend_days == [5, 6]
    assert (calendar.first_year, calendar.last_year) == (2026, 2026)


def test_cn_supplies_exactly_the_years_chinesecalendar_knows_and_loads_them_all_by_default():
    assert SOURCES["cn"].years() == range(CN_FIRST, CN_LAST + 1)
    line = load("cn", code=None)  # the source's own calendar, made by the migrations or here
    calendar = Calendar.objects.get(code="cn")
    assert (calendar.first_year, calendar.last_year) == (CN_FIRST, CN_LAST)
    weekend_workdays = [day for day in chinese_calendar.workdays if day.weekday() >= 5]
    total = len(chinese_calendar.holidays) + len(weekend_workdays)
    assert calendar.days.count() == total
    assert line == (
        f"cn: {CN_FIRST}-{CN_LAST} loaded, {total:,} days (holidays {len(chinese_calendar.holidays):,}, "
        f"make-up working days {len(weekend_workdays):,}); calendar covers {CN_FIRST}-{CN_LAST}"
    )


def test_cn_refuses_a_year_chinesecalendar_does_not_know_and_changes_nothing():
    before = list(Calendar.objects.values_list("code", "revision", "first_year", "last_year"))
    with pytest.raises(CommandError) as refused:
        load("cn", "--years", f"{CN_LAST}-{CN_LAST + 1}")
    assert str(refused.value) == (
        f"chinesecalendar knows {CN_FIRST}-{CN_LAST}; {CN_LAST + 1} is announced by the State Council late in "
        f"{CN_LAST} and arrives in a later package release: add its days in the admin meanwhile."
    )
    with pytest.raises(CommandError, match=f"nothing before {CN_FIRST}"):
        load("cn", "--years", str(CN_FIRST - 1))
    assert list(Calendar.objects.values_list("code", "revision", "first_year", "last_year")) == before


def test_uk_england_2026_has_the_boxing_day_substitute():
    load("uk-eng", "--years", "2026")
    days = days_of(CODE)
    assert date(2026, 12, 26).weekday() == 5
    assert days[date(2026, 12, 25)] == (K.HOLIDAY, "Christmas Day")
    assert days[date(2026, 12, 26)] == (K.HOLIDAY, "Boxing Day")
    assert days[date(2026, 12, 28)] == (K.HOLIDAY, "Boxing Day (observed)")
    assert days[date(2026, 8, 31)] == (K.HOLIDAY, "Late Summer Bank Holiday")
    assert {kind for kind, _name in days.values()} == {K.HOLIDAY}


def test_us_2026_has_thanksgiving():
    load("us", "--years", "2026")
    days = days_of(CODE)
    assert days[date(2026, 11, 26)] == (K.HOLIDAY, "Thanksgiving Day")
    assert days[date(2026, 7, 3)] == (K.HOLIDAY, "Independence Day (observed)")


@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_rule_based_sources_offer_two_years_ahead_only():
    assert SOURCES["uk-eng"].years()[-1] == 2028
    load("uk-eng", "--years", "2028")
    with pytest.raises(CommandError, match="Load 2029 nearer the time, or add its days in the admin"):
        load("uk-eng", "--years", "2029")


def test_loading_twice_changes_nothing_but_the_revision():
    load("cn", "--years", "2025-2026")
    calendar = Calendar.objects.get(code=CODE)
    before = days_of(CODE), calendar.first_year, calendar.last_year, calendar.revision, calendar.updated_at
    assert before[3] == 1
    load("cn", "--years", "2025-2026")
    calendar.refresh_from_db()
    assert (days_of(CODE), calendar.first_year, calendar.last_year) == before[:3]
    assert calendar.revision == before[3] + 1
    assert calendar.updated_at > before[4]


def test_loading_replaces_days_added_by_hand_in_its_years_and_keeps_the_others():
    load("cn", "--years", "2026")
    calendar = Calendar.objects.get(code=CODE)
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 3, 2), kind=K.HOLIDAY, name="By hand")
    CalendarDay.objects.filter(calendar=calendar, date=date(2026, 10, 10)).delete()
    CalendarDay.objects.create(calendar=calendar, date=date(2027, 1, 1), kind=K.HOLIDAY, name="New Year's Day")
    load("cn", "--years", "2026")
    days = days_of(CODE)
    assert date(2026, 3, 2) not in days
    assert days[date(2026, 10, 10)][0] == K.WORKING_DAY
    assert days[date(2027, 1, 1)] == (K.HOLIDAY, "New Year's Day")


def test_loading_widens_the_years_covered_and_never_narrows_them():
    load("cn", "--years", "2025")
    assert load("cn", "--years", "2026").endswith("calendar covers 2025-2026")
    assert load("cn", "--years", "2020-2024").endswith("calendar covers 2020-2026")
    assert load("cn", "--years", "2022").endswith("calendar covers 2020-2026")
    calendar = Calendar.objects.get(code=CODE)
    assert (calendar.first_year, calendar.last_year) == (2020, 2026)


def test_loading_refuses_to_leave_unloaded_years_between_covered_ones():
    load("cn", "--years", "2026")
    with pytest.raises(CommandError, match="would leave 2021-2025 between them"):
        load("cn", "--years", "2020")
    calendar = Calendar.objects.get(code=CODE)
    assert (calendar.first_year, calendar.last_year, calendar.revision) == (2026, 2026, 1)
    assert not calendar.days.filter(date__year=2020).exists()


def test_code_names_another_calendar():
    before = set(Calendar.objects.values_list("code", flat=True))
    load("cn", "--years", "2026", code="cn-shanghai")
    assert set(Calendar.objects.values_list("code", flat=True)) == before | {"cn-shanghai"}
    with pytest.raises(CommandError, match="--code"):
        load("cn", code="not a slug")


@pytest.mark.parametrize("years", ["20x6", "2026-2025", "26"])
def test_bad_years_are_refused(years):
    with pytest.raises(CommandError, match="--years"):
        load("cn", "--years", years)


def test_every_load_is_one_revision_and_the_cached_calendar_follows_it():
    load("cn", "--years", "2026")
    calendar = Calendar.objects.get(code=CODE)
    assert calendar_for(calendar.pk, calendar.revision).is_working_day(date(2026, 10, 10))
    calendar.days.filter(date=date(2026, 10, 10)).delete()  # through the ORM: the signal bumps
    calendar.refresh_from_db()
    assert calendar.revision == 2
    assert not calendar_for(calendar.pk, calendar.revision).is_working_day(date(2026, 10, 10))
    load("cn", "--years", "2026")
    calendar.refresh_from_db()
    assert calendar.revision == 3
    assert calendar_for(calendar.pk, calendar.revision).is_working_day(date(2026, 10, 10))


def test_saving_a_stale_calendar_still_moves_the_revision_on():
    calendar = Calendar.objects.create(code="x", name="X", weekend_days=[5, 6])
    stale = Calendar.objects.get(pk=calendar.pk)
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 5, 1), kind=K.HOLIDAY)  # revision 1
    stale.weekend_days = [4, 5]
    stale.save()
    assert stale.revision == 2  # not 1 again: revision 1 already meant other days
    stale.name = "Y"
    stale.save(update_fields=["name"])
    assert Calendar.objects.get(pk=calendar.pk).revision == stale.revision == 3


def test_the_service_refuses_an_empty_range():
    with pytest.raises(CalendarSourceError):
        calendar_load(source=SOURCES["us"], years=range(2026, 2026))


def test_a_packaged_calendar_and_its_holidays_read_in_the_readers_language(db):
    from django.utils import translation

    from workflows.models import Calendar, CalendarDay, CalendarDayKind

    calendar = Calendar.objects.get(code="cn")  # loaded by migration 0006 under COMPLAINT_RULES=cn
    spring = CalendarDay.objects.filter(calendar=calendar, name="Spring Festival").first()
    own = CalendarDay(calendar=calendar, name="National Day", kind=CalendarDayKind.HOLIDAY)
    with translation.override("zh-hans"):
        assert str(calendar).startswith("中国")
        assert spring is not None and spring.label == "春节"
        assert own.label == "国庆节"  # a packaged holiday's name, wherever it is stored
        assert CalendarDay(calendar=calendar, name="Bank anniversary").label == "Bank anniversary"
    calendar.name = "Our mainland calendar"
    assert str(calendar) == "Our mainland calendar"
