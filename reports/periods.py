"""Report periods: inclusive ranges of local dates, and the biweekly calendar counted from a setting.

Pure functions of dates and the bank's time zone; no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

PERIOD_DAYS = 14


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` to ``end``, both included, in ``settings.TIME_ZONE``.

    ``cutoff`` makes it a period still running, seen at that instant (the live dashboard's
    "this period so far"): it ends then, so that "at period end" means now, and a deadline
    later today is not yet passed. A report's period has none.
    """

    start: date
    end: date
    cutoff: datetime | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period ends on or after its start.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def starts_at(self) -> datetime:
        """The first instant of the period: local midnight at the start of ``start``."""
        return datetime.combine(self.start, time.min, tzinfo=timezone.get_default_timezone())

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period: local midnight at the end of ``end``, or the cutoff
        if that comes first."""
        midnight = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone())
        return midnight if self.cutoff is None else min(midnight, self.cutoff)

    def seen_at(self, moment: datetime) -> Period:
        """This period as it stands at ``moment``: cut off then if it is still running."""
        return Period(self.start, self.end, cutoff=moment) if self.starts_at <= moment < self.ends_before else self

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_before

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


def is_period_boundary(day: date) -> bool:
    """True on the first day of every biweekly period (every 14th day from REPORT_FIRST_PERIOD_START)."""
    return (day - settings.REPORT_FIRST_PERIOD_START).days % PERIOD_DAYS == 0


def period_ending_before(day: date) -> Period:
    """The 14 days just before ``day`` (``day`` is the boundary that closes them)."""
    return Period(day - timedelta(days=PERIOD_DAYS), day - timedelta(days=1))


def last_complete_period(today: date) -> Period:
    """The latest biweekly period that ended before ``today``."""
    offset = (today - settings.REPORT_FIRST_PERIOD_START).days // PERIOD_DAYS
    boundary = settings.REPORT_FIRST_PERIOD_START + timedelta(days=offset * PERIOD_DAYS)
    return period_ending_before(boundary)
