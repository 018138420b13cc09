"""Where business calendars come from: the packaged holiday sources, and loading one into a calendar.

A source knows the years it can supply and, for those years, the dated exceptions to its
weekend: holidays, and (mainland China) weekend days that are working days. Loading replaces
the calendar's days in the years loaded, in one transaction, and bumps the calendar's revision
once, so ``workflows.calendars`` reloads it on the next deadline it computes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .models import Calendar, CalendarDay, CalendarDayKind
from .signals import calendar_days_in_bulk

SATURDAY_SUNDAY = (5, 6)
# python-holidays computes any year from rules; a later year may still gain a one-off holiday
# (a coronation, a new federal holiday), so only this many years past the current one count as known.
RULE_YEARS_AHEAD = 2


class SourceDay(NamedTuple):
    date: date
    kind: str  # a CalendarDayKind
    name: str


@dataclass(frozen=True)
class Source:
    """A packaged calendar: its default code and name, the years it has, and its days for them."""

    key: str
    code: str
    name: Promise
    weekend: tuple[int, ...]
    years: Callable[[], range]
    days: Callable[[range], list[SourceDay]]
    # Why ``year`` (outside ``years``) cannot be loaded, and what to do instead.
    unavailable: Callable[[int, range], str]


class CalendarSourceError(Exception):
    """A load that cannot be done as asked; the message says why, for the person who asked."""


def years_label(years: range) -> str:
    """``2026`` for one year, ``2004-2026`` for more."""
    first, last = years[0], years[-1]
    return str(first) if first == last else f"{first}-{last}"


def _name(value: object) -> str:
    return str(value)[: CalendarDay._meta.get_field("name").max_length or 100]


# --- mainland China: chinesecalendar ---------------------------------------------------------
def _cn_years() -> range:
    """Exactly the years chinesecalendar has data for (it ships each year once the State Council announces it)."""
    import chinese_calendar

    years = {day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays}
    return range(min(years), max(years) + 1)


# The names chinesecalendar gives its holidays, marked for translation: a calendar day shows
# its name in the reader's language (CalendarDay.label).
HOLIDAY_NAMES = (
    gettext_noop("New Year's Day"),
    gettext_noop("Spring Festival"),
    gettext_noop("Tomb-sweeping Day"),
    gettext_noop("Labour Day"),
    gettext_noop("Dragon Boat Festival"),
    gettext_noop("Mid-autumn Festival"),
    gettext_noop("National Day"),
    gettext_noop("Anti-Fascist 70th Day"),
)


def _cn_days(years: range) -> list[SourceDay]:
    """Statutory holidays (weekend days inside a holiday included) and the weekend make-up working days (调休)."""
    import chinese_calendar

    days: dict[date, SourceDay] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.year in years:
            days[day] = SourceDay(day, CalendarDayKind.HOLIDAY, _name(name))
    for day, name in chinese_calendar.workdays.items():
        if day.year in years and day.weekday() in SATURDAY_SUNDAY:
            days[day] = SourceDay(day, CalendarDayKind.WORKING_DAY, _name(name))
    return sorted(days.values())


def _cn_unavailable(year: int, supplied: range) -> str:
    known = years_label(supplied)
    if year < supplied[0]:
        return gettext("chinesecalendar knows %(known)s; it has nothing before %(first)d.") % {
            "known": known,
            "first": supplied[0],
        }
    return gettext(
        "chinesecalendar knows %(known)s; %(year)d is announced by the State Council late in %(before)d "
        "and arrives in a later package release: add its days in the admin meanwhile."
    ) % {"known": known, "year": year, "before": year - 1}


# --- rule-based: python-holidays -------------------------------------------------------------
def _rule_years(country: str) -> Callable[[], range]:
    """The library's years for ``country``, up to RULE_YEARS_AHEAD past the current year."""

    def years() -> range:
        import holidays

        rules = getattr(holidays, country)
        return range(rules.start_year, min(rules.end_year, timezone.localdate().year + RULE_YEARS_AHEAD) + 1)

    return years


def _rule_days(country: str, **options: str) -> Callable[[range], list[SourceDay]]:
    """Every holiday python-holidays lists, substitute days ("(observed)") included."""

    def days(years: range) -> list[SourceDay]:
        import holidays

        listed = getattr(holidays, country)(years=list(years), **options)
        return sorted(SourceDay(day, CalendarDayKind.HOLIDAY, _name(name)) for day, name in listed.items())

    return days


def _rule_unavailable(label: Promise) -> Callable[[int, range], str]:
    def unavailable(year: int, supplied: range) -> str:
        values = {"what": label, "known": years_label(supplied), "year": year, "ahead": RULE_YEARS_AHEAD}
        if year < supplied[0]:
            return gettext("python-holidays has %(what)s for %(known)s only; %(year)d is before them.") % values
        return gettext(
            "python-holidays computes %(what)s from rules; %(known)s are offered, up to %(ahead)d years ahead, "
            "because a later year may still gain a one-off holiday. Load %(year)d nearer the time, "
            "or add its days in the admin."
        ) % values

    return unavailable


SOURCES: dict[str, Source] = {
    "cn": Source(
        key="cn",
        code="cn",
        name=_("Mainland China (statutory holidays and make-up working days)"),
        weekend=SATURDAY_SUNDAY,
        years=_cn_years,
        days=_cn_days,
        unavailable=_cn_unavailable,
    ),
    "uk-eng": Source(
        key="uk-eng",
        code="uk-eng",
        name=_("England and Wales (bank holidays)"),
        weekend=SATURDAY_SUNDAY,
        years=_rule_years("UK"),
        days=_rule_days("UK", subdiv="ENG"),
        unavailable=_rule_unavailable(_("England and Wales bank holidays")),
    ),
    "us": Source(
        key="us",
        code="us",
        name=_("United States (federal holidays)"),
        weekend=SATURDAY_SUNDAY,
        years=_rule_years("US"),
        days=_rule_days("US"),
        unavailable=_rule_unavailable(_("US federal holidays")),
    ),
}


# --- loading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadResult:
    calendar: Calendar
    years: range
    holidays: int
    working_days: int
    created: bool

    @property
    def days(self) -> int:
        return self.holidays + self.working_days


def calendar_load(*, source: Source, years: range | None = None, code: str | None = None) -> LoadResult:
    """Replace the days of calendar ``code`` (the source's own code by default) in ``years`` with the source's.

    ``years`` defaults to every year the source supplies; a year it cannot supply is a
    :class:`CalendarSourceError` and nothing changes. The calendar is created when missing
    (weekend Saturday and Sunday). Every day of the calendar in ``years`` is deleted first,
    days added by hand in the admin included; days in other years stay. ``first_year`` and
    ``last_year`` widen to cover ``years`` (never narrow); a load that would leave unloaded
    years between the covered ones and the loaded ones is refused, since they would count as
    covered. One transaction; the revision goes up by exactly one.
    """
    supplied = source.years()
    years = supplied if years is None else years
    if not years:
        raise CalendarSourceError(gettext("No year to load."))
    for year in (years[0], years[-1]):
        if year not in supplied:
            raise CalendarSourceError(source.unavailable(year, supplied))
    rows = source.days(years)
    first, last = years[0], years[-1]
    with transaction.atomic(), calendar_days_in_bulk():
        calendar, created = Calendar.objects.select_for_update().get_or_create(
            code=code or source.code, defaults={"name": str(source.name), "weekend_days": list(source.weekend)}
        )
        if calendar.first_year is not None and calendar.last_year is not None:
            if first > calendar.last_year + 1 or last < calendar.first_year - 1:
                gap = range(calendar.last_year + 1, first) if first > calendar.last_year else range(last + 1, calendar.first_year)
                raise CalendarSourceError(
                    gettext(
                        "Calendar %(code)s covers %(covered)s; loading %(years)s alone would leave %(gap)s "
                        "between them, counted as covered but not loaded. Load %(gap)s too."
                    )
                    % {
                        "code": calendar.code,
                        "covered": years_label(range(calendar.first_year, calendar.last_year + 1)),
                        "years": years_label(years),
                        "gap": years_label(gap),
                    }
                )
            first, last = min(first, calendar.first_year), max(last, calendar.last_year)
        CalendarDay.objects.filter(calendar=calendar, date__gte=date(years[0], 1, 1), date__lte=date(years[-1], 12, 31)).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(calendar=calendar, date=row.date, kind=row.kind, name=row.name) for row in rows], batch_size=500
        )
        calendar.first_year, calendar.last_year = first, last
        calendar.save()  # the one revision bump (workflows.signals)
    holidays = sum(1 for row in rows if row.kind == CalendarDayKind.HOLIDAY)
    return LoadResult(calendar, years, holidays, len(rows) - holidays, created)
