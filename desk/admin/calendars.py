"""Admin for business calendars and their days: supervisors keep them; no other role sees them.

Every save and delete here bumps the calendar's revision (``workflows.signals``), so the next
deadline is counted on the new days. ``manage.py load_calendar`` replaces every day in the
years it loads, days added here included.
"""
from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from workflows.calendars import Unit
from workflows.models import Calendar, CalendarDay, ClockTarget
from workflows.signals import calendar_bump, calendar_days_in_bulk

from .supervisors import SupervisorsOnly


class CalendarForm(forms.ModelForm):
    weekend_days = forms.TypedMultipleChoiceField(
        # Capitalised like the labels Django makes from the model's verbose names.
        label=capfirst(_("weekend days")),
        choices=sorted(WEEKDAYS.items()),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Calendar
        fields = ["code", "name", "weekend_days", "first_year", "last_year"]
        # Wide enough for "Mainland China (statutory holidays and make-up working days)".
        widgets = {"name": forms.TextInput(attrs={"size": 70})}

    def clean_weekend_days(self) -> list[int]:
        return sorted(self.cleaned_data["weekend_days"])


class CalendarDayFormSet(forms.BaseInlineFormSet):
    """Refuses a date the calendar already has among the days the inline does not show (earlier years).

    The inline's own check covers the days it shows; without this one a clash with an earlier
    day would reach the database's unique constraint.
    """

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None:
            return
        shown = [form.instance.pk for form in self.initial_forms]
        taken = set(CalendarDay.objects.filter(calendar=self.instance).exclude(pk__in=shown).values_list("date", flat=True))
        clashes = sorted(
            form.cleaned_data["date"]
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("date") in taken
            and not form.cleaned_data.get("DELETE")
        )
        if clashes:
            raise ValidationError(
                gettext("This calendar already has %(dates)s: change that day in the calendar days list.")
                % {"dates": ", ".join(day.isoformat() for day in clashes)}
            )


class CalendarDayInline(SupervisorsOnly, admin.TabularInline):
    """The days from the start of the current year on; older ones are in the calendar days list.

    The template is Django's tabular inline without the caption repeating each saved day above
    its inputs ("2026-01-01 Holiday"), and with "Add another day" in lower case. The kind comes
    right after the date, and a working day (a make-up day) is marked in desk.css.
    """

    model = CalendarDay
    formset = CalendarDayFormSet
    fields = ("date", "kind", "name")
    extra = 1
    template = "admin/workflows/calendar_days_inline.html"
    verbose_name = _("day")
    verbose_name_plural = _("days from the start of this year on")

    def get_queryset(self, request) -> QuerySet[CalendarDay]:
        return super().get_queryset(request).filter(date__gte=date(timezone.localdate().year, 1, 1))


@admin.register(Calendar)
class CalendarAdmin(SupervisorsOnly, admin.ModelAdmin):
    form = CalendarForm
    list_display = ("code", "calendar_name", "years_covered", "day_count", "updated_at")
    search_fields = ("code", "name")
    readonly_fields = ("all_days", "revision", "updated_at")
    inlines = [CalendarDayInline]

    @admin.display(description=_("name"), ordering="name")
    def calendar_name(self, calendar: Calendar) -> str:
        return calendar.label

    fieldsets = [
        (None, {"fields": ("code", "name", "weekend_days")}),
        (
            _("Years loaded"),
            {
                "fields": ("first_year", "last_year"),
                "description": _(
                    "Deadlines in a year outside these are counted with weekends as the only days off. After adding a "
                    "year's days by hand, extend the years to it. Loading a year with manage.py "
                    "load_calendar replaces every day of that year, days added here included."
                ),
            },
        ),
        (None, {"fields": ("all_days", "revision", "updated_at")}),
    ]

    def get_queryset(self, request) -> QuerySet[Calendar]:
        return super().get_queryset(request).annotate(day_count=Count("days"))

    @admin.display(description=_("years covered"))
    def years_covered(self, calendar: Calendar) -> str:
        if calendar.first_year is None or calendar.last_year is None:
            return gettext("none")
        if calendar.first_year == calendar.last_year:
            return str(calendar.first_year)
        return f"{calendar.first_year}–{calendar.last_year}"

    @admin.display(description=_("days"), ordering="day_count")
    def day_count(self, calendar: Calendar) -> int:
        return getattr(calendar, "day_count", 0)

    @admin.display(description=_("all days"))
    def all_days(self, calendar: Calendar) -> str:
        if calendar.pk is None:
            return "-"
        url = reverse("admin:workflows_calendarday_changelist") + f"?calendar__id__exact={calendar.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Every day of this calendar, by year"))


@admin.register(CalendarDay)
class CalendarDayAdmin(SupervisorsOnly, admin.ModelAdmin):
    # The kind first after the date: a make-up working day carries its holiday's name.
    # The calendar by code: its name is too long for the column at 1366 px.
    list_display = ("date", "day_kind", "weekday", "day_name", "calendar_code")
    list_filter = ("calendar", "kind", ("date", admin.DateFieldListFilter))
    date_hierarchy = "date"
    search_fields = ("name",)
    list_select_related = ("calendar",)
    ordering = ("calendar", "date")
    fields = ("calendar", "date", "kind", "name")

    @admin.display(description=_("kind"), ordering="kind")
    def day_kind(self, day: CalendarDay) -> str:
        return format_html('<span class="desk-day-kind desk-day-{}">{}</span>', day.kind, day.get_kind_display())

    @admin.display(description=_("name"), ordering="name")
    def day_name(self, day: CalendarDay) -> str:
        return day.label

    @admin.display(description=_("weekday"))
    def weekday(self, day: CalendarDay) -> str:
        return str(WEEKDAYS[day.date.weekday()])

    @admin.display(description=_("calendar"), ordering="calendar__code")
    def calendar_code(self, day: CalendarDay) -> str:
        return format_html('<span title="{}">{}</span>', day.calendar.label, day.calendar.code)

    def delete_queryset(self, request, queryset: QuerySet[CalendarDay]) -> None:
        """The selected days in one go, each calendar's revision bumped once rather than per day."""
        with transaction.atomic(), calendar_days_in_bulk():
            calendar_ids = set(queryset.values_list("calendar_id", flat=True))
            queryset.delete()
            for calendar_id in sorted(calendar_ids):
                calendar_bump(calendar_id)


#: A target's window in words, for the list ("5 business days", "4 hours").
WINDOWS = {
    Unit.HOURS: ngettext_lazy("%(count)d hour", "%(count)d hours", "count"),
    Unit.CALENDAR_DAYS: ngettext_lazy("%(count)d calendar day", "%(count)d calendar days", "count"),
    Unit.BUSINESS_DAYS: ngettext_lazy("%(count)d business day", "%(count)d business days", "count"),
    Unit.WEEKS: ngettext_lazy("%(count)d week", "%(count)d weeks", "count"),
}


class ClockTargetForm(forms.ModelForm):
    """An hour-based target counts hours around the clock (``workflows.targets.deadline``): no calendar."""

    class Meta:
        model = ClockTarget
        fields = [
            "code", "name_en", "name_zh", "is_active", "measures", "kind", "severity", "category",
            "window", "unit", "calendar", "warning_percent",
        ]
        help_texts = {
            "calendar": format_lazy(
                "{} {}",
                _("Which days are working days. Empty: Saturday and Sunday are the only days off."),
                _("Not used when the unit is hours."),
            )
        }

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("unit") == Unit.HOURS and cleaned.get("calendar") is not None:
            self.add_error(
                "calendar",
                _("Leave the business calendar empty: a window in hours is counted around the clock, without a calendar."),
            )
        return cleaned


@admin.register(ClockTarget)
class ClockTargetAdmin(SupervisorsOnly, admin.ModelAdmin):
    """The bank's own targets beside the regulator's clocks (``workflows.targets``).

    The list keeps to short columns so that it fits at 1366 px beside the filter, in English
    and in Chinese: the model's labels ("warn when this percentage of the window has gone")
    are for the change form.
    """

    form = ClockTargetForm
    list_display = ("code", "target_name", "measures", "applies_to", "window_in_words", "warning", "is_active")
    list_filter = ("measures", "is_active")
    list_select_related = ("category",)
    fieldsets = (
        (None, {"fields": ("code", "name_en", "name_zh", "is_active")}),
        (_("Which cases"), {"fields": ("measures", "kind", "severity", "category")}),
        (_("Deadline"), {"fields": ("window", "unit", "calendar", "warning_percent")}),
    )

    @admin.display(description=_("name"))
    def target_name(self, target: ClockTarget) -> str:
        return target.label  # in the language of the page; both are on the change form

    @admin.display(description=_("applies to"))
    def applies_to(self, target: ClockTarget) -> str:
        parts = [
            target.get_kind_display() if target.kind else "",
            target.get_severity_display() if target.severity else "",
            str(target.category) if target.category else "",
        ]
        return " / ".join(str(part) for part in parts if part) or gettext("every case")

    @admin.display(description=_("window"))
    def window_in_words(self, target: ClockTarget) -> str:
        if target.unit in WINDOWS:
            return WINDOWS[Unit(target.unit)] % {"count": target.window}
        return f"{target.window} {target.get_unit_display()}"

    @admin.display(description=_("warning"), empty_value="—")
    def warning(self, target: ClockTarget) -> str | None:
        # A no-break space: "60 %" never splits over two lines.
        return None if target.warning_percent is None else f"{target.warning_percent}\u00a0%"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cases keep their targets' history: switch a target off instead
