"""The index page's warning to supervisors: a policy's business calendar is not loaded for this year or next.

A deadline in a year its calendar does not cover is counted on the weekend alone
(``workflows.calendars``), so the holidays of that year are missed until someone loads them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from complaints.roles import is_supervisor
from workflows.models import Calendar, SlaPolicy


@dataclass(frozen=True)
class CalendarWarning:
    calendar: Calendar
    years: tuple[int, ...]  # this year, next year, or both

    @property
    def url(self) -> str:
        return reverse("admin:workflows_calendar_change", args=[self.calendar.pk])

    @property
    def message(self) -> SafeString:
        if len(self.years) == 1:
            text = gettext(
                "Business calendar “%(name)s” is not loaded for %(year)d: deadlines that fall in %(year)d "
                "are counted with weekends as the only days off."
            ) % {"name": self.calendar.label, "year": self.years[0]}
        else:
            text = gettext(
                "Business calendar “%(name)s” is not loaded for %(first)d and %(second)d: deadlines that "
                "fall in those years are counted with weekends as the only days off."
            ) % {"name": self.calendar.label, "first": self.years[0], "second": self.years[1]}
        return format_html('{} <a href="{}">{}</a>', text, self.url, gettext("Open the calendar"))


def calendar_warnings(user, *, today: date | None = None) -> list[CalendarWarning]:
    """For a supervisor, each calendar a policy counts on that misses this year or next (one query); else none."""
    if not is_supervisor(user):
        return []
    this_year = (today or timezone.localdate()).year
    years = (this_year, this_year + 1)
    in_use = SlaPolicy.objects.filter(calendar__isnull=False).values("calendar")
    # exclude() keeps a calendar with no years loaded (NULL first or last year).
    short = Calendar.objects.filter(pk__in=in_use).exclude(first_year__lte=years[0], last_year__gte=years[1])
    warnings = []
    for calendar in short:
        missing = tuple(
            year
            for year in years
            if calendar.first_year is None or calendar.last_year is None or not calendar.first_year <= year <= calendar.last_year
        )
        warnings.append(CalendarWarning(calendar, missing))
    return warnings


def warn(request: HttpRequest) -> None:
    """Show the user's calendar warnings as messages on the page being rendered."""
    for warning in calendar_warnings(request.user):
        messages.warning(request, warning.message)
