"""Load a business calendar's holidays and working days from a packaged source (workflows.calendar_sources)."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflows.calendar_sources import SOURCES, CalendarSourceError, calendar_load, years_label

YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")

DESCRIPTION = _(
    "Load a business calendar from a packaged source: cn (mainland China: statutory holidays and "
    "weekend make-up working days, from chinesecalendar), uk-eng (England and Wales bank holidays) "
    "or us (US federal holidays), both from python-holidays. Creates the calendar when missing. "
    "Every day the calendar has in the years loaded is replaced, days added by hand in the admin "
    "included; days in other years stay. The years the calendar covers widen to include the years "
    "loaded, and its revision goes up by one, so deadlines are counted on the new days."
)


def parse_years(value: str) -> range:
    """``2026`` or ``2004-2026`` (both ends included)."""
    match = YEARS.match(value)
    if not match:
        raise CommandError(
            gettext("--years takes a year or a range of years, such as 2026 or 2004-2026, not %(value)s.")
            % {"value": value}
        )
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise CommandError(gettext("--years: %(value)s ends before it starts.") % {"value": value})
    return range(first, last + 1)


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(DESCRIPTION)  # in the active language; argparse needs a plain str
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=sorted(SOURCES), help=gettext("Where the days come from."))
        parser.add_argument(
            "--years", help=gettext("A year (2026) or a range (2004-2026). Default: every year the source supplies.")
        )
        parser.add_argument("--code", help=gettext("The calendar's code. Default: the source's own (cn, uk-eng, us)."))

    def handle(self, *args, source: str, years: str | None = None, code: str | None = None, **options) -> None:
        if code is not None:
            try:
                validate_slug(code)
            except ValidationError as error:
                raise CommandError(gettext("--code: %(error)s") % {"error": " ".join(error.messages)}) from error
        try:
            result = calendar_load(source=SOURCES[source], years=None if years is None else parse_years(years), code=code)
        except CalendarSourceError as error:
            raise CommandError(str(error)) from error
        calendar = result.calendar
        assert calendar.first_year is not None and calendar.last_year is not None
        self.stdout.write(
            gettext(
                "%(code)s: %(years)s loaded, %(days)s days (holidays %(holidays)s, make-up working days %(working)s); "
                "calendar covers %(covered)s"
            )
            % {
                "code": calendar.code,
                "years": years_label(result.years),
                "days": f"{result.days:,}",
                "holidays": f"{result.holidays:,}",
                "working": f"{result.working_days:,}",
                "covered": years_label(range(calendar.first_year, calendar.last_year + 1)),
            }
        )
