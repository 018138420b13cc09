"""Business calendars in the admin: supervisors keep them, every edit moves the revision, and the
index warns supervisors of a policy's calendar that is not loaded for this year or next."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from desk.admin.calendars import CalendarForm, ClockTargetAdmin
from desk.calendar_warnings import calendar_warnings
from workflows.calendars import Unit
from workflows.models import Calendar, CalendarDay, ClockTarget, SlaPolicy, TargetMeasures
from workflows.models import CalendarDayKind as K

NAME = "Mainland China (statutory holidays and make-up working days)"


@pytest.fixture
def calendar(db):
    return Calendar.objects.create(code="test-cn", name=NAME, weekend_days=[5, 6], first_year=2025, last_year=2026)


def revision(calendar: Calendar) -> int:
    return Calendar.objects.get(pk=calendar.pk).revision


def change_form(calendar: Calendar, days=(), shown=(), **changes) -> dict:
    """The calendar's change form as posted: the inline's ``shown`` days unchanged, then new ``days`` (date, kind, name)."""
    data = {
        "code": calendar.code,
        "name": calendar.name,
        "weekend_days": [str(day) for day in calendar.weekend_days],
        "first_year": calendar.first_year or "",
        "last_year": calendar.last_year or "",
        "days-TOTAL_FORMS": str(len(shown) + len(days)),
        "days-INITIAL_FORMS": str(len(shown)),
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    rows = [(day.pk, day.date, day.kind, day.name) for day in shown] + [("", *day) for day in days]
    for number, (pk, day, kind, name) in enumerate(rows):
        prefix = f"days-{number}-"
        data.update({f"{prefix}id": pk, f"{prefix}calendar": calendar.pk, f"{prefix}date": day.isoformat()})
        data.update({f"{prefix}kind": kind, f"{prefix}name": name})
    data.update(changes)
    return data


def test_supervisor_adds_a_day_and_the_revision_moves(client, world, calendar):
    client.force_login(world.supervisor)
    before = revision(calendar)
    response = client.post(
        reverse("admin:workflows_calendarday_add"),
        {"calendar": calendar.pk, "date": "2027-01-01", "kind": K.HOLIDAY, "name": "New Year's Day"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert calendar.days.get().date == date(2027, 1, 1)
    assert revision(calendar) > before


@pytest.mark.parametrize("role", ["cs", "owner", "member", "outsider"])
def test_other_roles_neither_see_nor_change_calendars(client, world, calendar, role):
    day = CalendarDay.objects.create(calendar=calendar, date=date(2026, 5, 1), kind=K.HOLIDAY, name="Labour Day")
    before = revision(calendar)
    client.force_login(getattr(world, role))
    for url in (
        reverse("admin:workflows_calendar_changelist"),
        reverse("admin:workflows_calendar_change", args=[calendar.pk]),
        reverse("admin:workflows_calendarday_changelist"),
        reverse("admin:workflows_calendarday_add"),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("admin:workflows_calendarday_add"),
        {"calendar": calendar.pk, "date": "2027-01-01", "kind": K.HOLIDAY, "name": "New Year's Day"},
    )
    assert response.status_code == 403
    response = client.post(reverse("admin:workflows_calendarday_delete", args=[day.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert list(calendar.days.values_list("date", flat=True)) == [date(2026, 5, 1)]
    assert revision(calendar) == before
    assert reverse("admin:workflows_calendar_changelist") not in client.get(reverse("admin:index")).content.decode()


def test_supervisor_edits_a_calendar_and_its_days_in_one_form(client, world, calendar):
    client.force_login(world.supervisor)
    url = reverse("admin:workflows_calendar_change", args=[calendar.pk])
    assert client.get(url).status_code == 200
    before = Calendar.objects.get(pk=calendar.pk)
    response = client.post(url, change_form(calendar, [(date(2027, 2, 17), K.HOLIDAY, "Spring Festival")], last_year="2027"))
    assert response.status_code == 302, response.content.decode()[:3000]
    after = Calendar.objects.get(pk=calendar.pk)
    assert after.last_year == 2027
    assert after.revision > before.revision
    assert after.updated_at > before.updated_at
    assert calendar.days.get().name == "Spring Festival"


@pytest.mark.parametrize("shown", [False, True], ids=["earlier year, not in the inline", "in the inline"])
def test_the_inline_refuses_a_second_day_on_the_same_date(client, world, calendar, in_2026, shown):
    """The inline shows the days from this year on; a clash with an earlier day is an error too, not a 500."""
    existing = CalendarDay.objects.create(
        calendar=calendar, date=date(2026 if shown else 2025, 10, 1), kind=K.HOLIDAY, name="National Day"
    )
    client.force_login(world.supervisor)
    url = reverse("admin:workflows_calendar_change", args=[calendar.pk])
    assert [form.instance for form in client.get(url).context["inline_admin_formsets"][0].formset.initial_forms] == (
        [existing] if shown else []
    )
    posted = change_form(calendar, [(existing.date, K.WORKING_DAY, "")], shown=[existing] if shown else [])
    response = client.post(url, posted)
    assert response.status_code == 200  # the form again, with the error
    message = "Please correct the duplicate data for date" if shown else "This calendar already has 2025-10-01"
    assert message in response.content.decode()
    assert calendar.days.get().kind == K.HOLIDAY


def test_a_weekend_of_every_day_is_refused(client, world, calendar):
    client.force_login(world.supervisor)
    url = reverse("admin:workflows_calendar_change", args=[calendar.pk])
    response = client.post(url, change_form(calendar, weekend_days=[str(day) for day in range(7)]))
    assert response.status_code == 200
    assert "A week needs at least one working day." in response.content.decode()


def test_deleting_days_from_the_list_moves_the_revision_once(client, world, calendar):
    days = [
        CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, day), kind=K.HOLIDAY, name="National Day")
        for day in (1, 2, 3)
    ]
    before = revision(calendar)
    client.force_login(world.supervisor)
    response = client.post(
        reverse("admin:workflows_calendarday_changelist"),
        {"action": "delete_selected", "_selected_action": [day.pk for day in days], "post": "yes"},
    )
    assert response.status_code == 302
    assert not calendar.days.exists()
    assert revision(calendar) == before + 1


def test_the_list_shows_years_covered_and_days(client, world, calendar):
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, 1), kind=K.HOLIDAY, name="National Day")
    client.force_login(world.supervisor)
    response = client.get(reverse("admin:workflows_calendar_changelist"))
    assert response.status_code == 200
    row = next(row for row in response.context["cl"].result_list if row.pk == calendar.pk)
    assert row.day_count == 1
    assert "2025–2026" in response.content.decode()
    days = client.get(reverse("admin:workflows_calendarday_changelist"), {"calendar__id__exact": calendar.pk, "date__year": 2026})
    assert [day.pk for day in days.context["cl"].result_list] == list(calendar.days.values_list("pk", flat=True))


# --- the index warning ---------------------------------------------------------------------
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def in_2026():
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def policies_count_on(world, calendar):
    SlaPolicy.objects.update(calendar=calendar)
    return calendar


def test_the_index_warns_a_supervisor_of_next_year_not_loaded(client, world, policies_count_on, in_2026):
    client.force_login(world.supervisor)
    html = client.get(reverse("admin:index")).content.decode()
    assert (
        f"Business calendar “{NAME}” is not loaded for 2027: deadlines that fall in 2027 are counted with weekends as the only days off."
    ) in html
    assert reverse("admin:workflows_calendar_change", args=[policies_count_on.pk]) in html


@pytest.mark.parametrize("role", ["cs", "owner", "member", "outsider"])
def test_the_index_warns_no_other_role(client, world, policies_count_on, in_2026, role):
    client.force_login(getattr(world, role))
    html = client.get(reverse("admin:index")).content.decode()
    assert "is not loaded for 2027" not in html


def test_no_warning_for_a_calendar_covering_both_years_or_one_no_policy_uses(world, calendar, in_2026):
    SlaPolicy.objects.update(calendar=None)
    assert calendar_warnings(world.supervisor) == []
    SlaPolicy.objects.update(calendar=calendar)
    Calendar.objects.filter(pk=calendar.pk).update(last_year=2027)
    assert calendar_warnings(world.supervisor) == []


def test_a_calendar_with_no_years_loaded_warns_of_both(world, calendar, in_2026):
    Calendar.objects.filter(pk=calendar.pk).update(first_year=None, last_year=None)
    SlaPolicy.objects.update(calendar=calendar)
    [warning] = calendar_warnings(world.supervisor)
    assert warning.years == (2026, 2027)
    assert "is not loaded for 2026 and 2027: deadlines that fall in those years" in warning.message


# --- the pages as a walk-through at 1366 px found them ---------------------------------------
@pytest.fixture
def targets(world, calendar):
    return {
        "fr4h": ClockTarget.objects.create(
            code="fr4h", name_en="First response in 4 hours", name_zh="4小时内首次响应", measures=TargetMeasures.FIRST_RESPONSE,
            severity="high", window=4, unit=Unit.HOURS, warning_percent=50,
        ),
        "res5bd": ClockTarget.objects.create(
            code="res5bd", name_en="Resolve in 5 business days", name_zh="5个工作日内办结", measures=TargetMeasures.RESOLUTION,
            window=5, unit=Unit.BUSINESS_DAYS, calendar=calendar,
        ),
        "narrow": ClockTarget.objects.create(
            code="narrow", name_en="One week", name_zh="一周", measures=TargetMeasures.RESOLUTION, kind="complaint",
            severity="medium", category=world.routed, window=1, unit=Unit.WEEKS, warning_percent=75, is_active=False,
        ),
    }


def test_the_targets_list_has_short_columns(client, world, targets):
    model_admin = admin.site._registry[ClockTarget]
    assert isinstance(model_admin, ClockTargetAdmin)
    assert model_admin.list_display == (
        "code", "target_name", "measures", "applies_to", "window_in_words", "warning", "is_active"
    )
    fr4h, res5bd, narrow = targets["fr4h"], targets["res5bd"], targets["narrow"]
    assert [model_admin.window_in_words(t) for t in (fr4h, res5bd, narrow)] == ["4 hours", "5 business days", "1 week"]
    assert [model_admin.applies_to(t) for t in (fr4h, res5bd)] == ["High", "every case"]
    assert model_admin.applies_to(narrow) == f"Complaint / Medium / {world.routed}"
    assert [model_admin.warning(t) for t in (fr4h, res5bd)] == ["50\u00a0%", None]
    with translation.override("zh-hans"):
        assert model_admin.target_name(fr4h) == "4小时内首次响应"
    client.force_login(world.supervisor)
    response = client.get(reverse("admin:workflows_clocktarget_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "percentage" not in html  # the model's long label is for the change form
    assert "5 business days" in html and "50\u00a0%" in html and "every case" in html
    assert '<td class="field-warning">—</td>' in html  # res5bd has no warning step


def target_form(calendar: Calendar | None, unit: str) -> dict:
    return {
        "code": "fr2h", "name_en": "First response in 2 hours", "name_zh": "2小时内首次响应", "is_active": "on",
        "measures": TargetMeasures.FIRST_RESPONSE, "kind": "", "severity": "", "category": "",
        "window": "2", "unit": unit, "calendar": calendar.pk if calendar else "", "warning_percent": "",
    }


def test_an_hour_based_target_with_a_calendar_is_refused_on_the_calendar_field(client, world, calendar):
    client.force_login(world.supervisor)
    url = reverse("admin:workflows_clocktarget_add")
    assert "Not used when the unit is hours." in client.get(url).content.decode()  # the calendar's help text
    response = client.post(url, target_form(calendar, Unit.HOURS))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["calendar"]
    assert "Leave the business calendar empty" in errors["calendar"][0]
    assert not ClockTarget.objects.exists()
    assert client.post(url, target_form(None, Unit.HOURS)).status_code == 302
    assert client.post(url, {**target_form(calendar, Unit.BUSINESS_DAYS), "code": "res2bd"}).status_code == 302
    assert ClockTarget.objects.get(code="res2bd").calendar == calendar


def test_close_of_business_is_a_plain_time_without_the_admin_clock(client, world):
    policy = SlaPolicy.objects.order_by("pk").first()
    assert policy is not None
    SlaPolicy.objects.filter(pk=policy.pk).update(cutoff_time=time(17, 30))
    client.force_login(world.supervisor)
    url = reverse("admin:workflows_slapolicy_change", args=[policy.pk])
    response = client.get(url)
    field = response.context["adminform"].form.fields["cutoff_time"]
    assert type(field.widget) is forms.TimeInput
    html = response.content.decode()
    assert 'value="17:30"' in html
    assert "vTimeField" not in html  # the class DateTimeShortcuts.js adds "Now" and the clock to
    assert "app-workflows model-slapolicy change-form" in html  # what desk.css scopes the checkbox rows to
    numbers = ["first_response_hours", "resolution_window", "owner_extension_max_days", "max_extension_days", "review_days"]
    posted = {name: getattr(policy, name) for name in [*numbers, "resolution_unit", "warning_percent"]}
    posted.update({name: "on" for name in ("count_receipt_day", "roll_over") if getattr(policy, name)})
    posted.update(calendar=policy.calendar_id or "", cutoff_time="16:00")
    response = client.post(url, posted)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert SlaPolicy.objects.get(pk=policy.pk).cutoff_time == time(16, 0)


def test_the_calendar_page_labels_and_days_inline(client, world, calendar, in_2026):
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, 10), kind=K.WORKING_DAY, name="National Day")
    client.force_login(world.supervisor)
    html = client.get(reverse("admin:workflows_calendar_change", args=[calendar.pk])).content.decode()
    assert f'name="name" value="{NAME}" size="70"' in html
    assert ">Weekend days:</label>" in html
    assert "2026-10-10 Working day" not in html  # no caption repeating the row above its inputs
    formset = re.search(r"data-inline-formset='([^']*)'", html)
    assert formset is not None
    assert json.loads(unescape(formset.group(1))) == {
        "name": "#days",
        "options": {"prefix": "days", "addText": "Add another day", "deleteText": "Remove"},
    }
    with translation.override("zh-hans"):
        assert str(CalendarForm.base_fields["weekend_days"].label) == "周末休息日"


def test_the_day_list_shows_the_kind_right_after_the_date(client, world, calendar):
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, 10), kind=K.WORKING_DAY, name="National Day")
    assert admin.site._registry[CalendarDay].list_display[:2] == ("date", "day_kind")
    client.force_login(world.supervisor)
    html = client.get(reverse("admin:workflows_calendarday_changelist"), {"calendar__id__exact": calendar.pk}).content.decode()
    assert '<span class="desk-day-kind desk-day-working_day">Working day</span>' in html
    assert f'<span title="{NAME}">test-cn</span>' in html
