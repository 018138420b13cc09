"""Counting days the way the rules count them: calendar days, business days, weeks, hours.

A :class:`WorkingCalendar` is a calendar row with its exceptions, read once per revision and
kept in memory (deadlines are computed on every intake and transition). Days a calendar does
not cover (a year not loaded yet) count on the weekend alone, and the result says which years
those were, so that the case can say "calendar for 2027 not loaded" instead of being silently
wrong.

Day counting follows the Civil Code (Arts. 201 and 203) unless a rule says otherwise: the day
of receipt is not counted, the period ends at the end of its last day, and a last day that is
not a working day moves to the next working day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

END_OF_DAY = time(23, 59, 59, 999999)
SATURDAY_SUNDAY = frozenset({5, 6})


class Unit(models.TextChoices):
    HOURS = "hours", _("hours")
    CALENDAR_DAYS = "calendar_days", pgettext_lazy("unit of a deadline", "calendar days")
    BUSINESS_DAYS = "business_days", _("business days")
    WEEKS = "weeks", _("weeks")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days: not a weekend day, unless listed as a working day; not a listed holiday."""

    code: str = ""
    weekend: frozenset[int] = SATURDAY_SUNDAY
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    first_year: int | None = None
    last_year: int | None = None

    def covers(self, day: date) -> bool:
        return self.first_year is not None and self.last_year is not None and self.first_year <= day.year <= self.last_year

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays


#: No calendar: Saturday and Sunday are the only days off, and no year counts as covered.
WEEKENDS_ONLY = WorkingCalendar()


@dataclass
class Count:
    """What a count met on its way: years whose calendar was not loaded."""

    uncovered_years: set[int] = field(default_factory=set)
    calendar: WorkingCalendar = WEEKENDS_ONLY

    def working(self, day: date) -> bool:
        if self.calendar.code and not self.calendar.covers(day):
            self.uncovered_years.add(day.year)
            return day.weekday() not in self.calendar.weekend
        return self.calendar.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, otherwise the first working day after it."""
        for _step in range(366):
            if self.working(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year")

    def add_business_days(self, day: date, days: int) -> date:
        """The ``days``-th working day after ``day`` (``day`` itself not counted)."""
        while days > 0:
            day += timedelta(days=1)
            if self.working(day):
                days -= 1
        return day


@dataclass(frozen=True)
class Window:
    """How one deadline is counted from its start (a policy's numbers for one clock)."""

    amount: int
    unit: str = Unit.CALENDAR_DAYS
    count_receipt_day: bool = False  # the day of receipt is day 1
    cutoff: time | None = None  # received after this local time: as if received the next working day
    roll_over: bool = True  # a last day that is not a working day moves to the next working day

    def plus(self, extra: int) -> Window:
        """The same window ``extra`` units longer (an approved extension)."""
        return Window(self.amount + extra, self.unit, self.count_receipt_day, self.cutoff, self.roll_over)


@dataclass(frozen=True)
class Deadline:
    due: datetime
    uncovered_years: tuple[int, ...] = ()


def due(start: datetime, window: Window, calendar: WorkingCalendar = WEEKENDS_ONLY, tz: tzinfo | None = None) -> Deadline:
    """When ``window`` counted from ``start`` runs out, on ``calendar`` in the bank's time zone."""
    if window.unit == Unit.HOURS:
        return Deadline(start + timedelta(hours=window.amount))
    zone = tz if tz is not None else timezone.get_default_timezone()
    count = Count(calendar=calendar)
    local = timezone.localtime(start, zone)
    first = local.date()
    if window.cutoff is not None and local.time() > window.cutoff:
        # After close of business: received on the next working day, which is then day 0.
        first = count.next_working_day(first + timedelta(days=1))
    if window.unit == Unit.BUSINESS_DAYS:
        if window.count_receipt_day and count.working(first):
            last = count.add_business_days(first, window.amount - 1)
        else:
            last = count.add_business_days(first, window.amount)
    else:
        days = window.amount * 7 if window.unit == Unit.WEEKS else window.amount
        last = first + timedelta(days=days - 1 if window.count_receipt_day else days)
        if window.roll_over:
            last = count.next_working_day(last)
    return Deadline(datetime.combine(last, END_OF_DAY, tzinfo=zone), tuple(sorted(count.uncovered_years)))


def warning_at(started_at: datetime, due_at: datetime, percent: int | None) -> datetime | None:
    """The instant ``percent`` of the window from ``started_at`` to ``due_at`` has gone; None without a band."""
    if percent is None:
        return None
    return started_at + (due_at - started_at) * percent / 100


# --- calendars from the database, cached per revision --------------------------------------
def calendar_for(calendar_id: int | None, revision: int | None) -> WorkingCalendar:
    """The calendar ``calendar_id`` as of ``revision`` (both read with the policy); weekends only for None."""
    if calendar_id is None:
        return WEEKENDS_ONLY
    return _load(calendar_id, revision or 0)


@lru_cache(maxsize=32)
def _load(calendar_id: int, revision: int) -> WorkingCalendar:
    from .models import Calendar, CalendarDayKind

    calendar = Calendar.objects.get(pk=calendar_id)
    holidays: set[date] = set()
    working: set[date] = set()
    for day, kind in calendar.days.order_by().values_list("date", "kind"):
        (holidays if kind == CalendarDayKind.HOLIDAY else working).add(day)
    return WorkingCalendar(
        code=calendar.code,
        weekend=frozenset(calendar.weekend_days),
        holidays=frozenset(holidays),
        working_days=frozenset(working),
        first_year=calendar.first_year,
        last_year=calendar.last_year,
    )
