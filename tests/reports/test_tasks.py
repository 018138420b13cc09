"""The biweekly beat task, on-demand generation, mailing, the Report row and the management command."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command

from reports import services, tasks
from reports.models import Report
from reports.periods import Period, is_period_boundary, last_complete_period, period_ending_before
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")


def monday_7am(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=TZ)


def test_beat_runs_the_task_every_monday_at_seven():
    entry = django_settings.CELERY_BEAT_SCHEDULE["biweekly-report"]
    assert entry["task"] == tasks.generate_biweekly_report.name == "reports.tasks.generate_biweekly_report"
    assert entry["schedule"] == crontab(minute=0, hour=7, day_of_week="mon")


@pytest.mark.parametrize(
    "first_start, today, expected",
    [
        # Counted from 2025-01-06: 2025-12-22 and 2026-01-05 are boundaries, 2025-12-29 and 2026-01-12 are not.
        (date(2025, 1, 6), date(2025, 12, 22), Period(date(2025, 12, 8), date(2025, 12, 21))),
        (date(2025, 1, 6), date(2025, 12, 29), None),
        (date(2025, 1, 6), date(2026, 1, 5), Period(date(2025, 12, 22), date(2026, 1, 4))),
        (date(2025, 1, 6), date(2026, 1, 12), None),
        (date(2025, 1, 6), date(2026, 1, 19), Period(date(2026, 1, 5), date(2026, 1, 18))),
        # Counted from 2025-12-29 (the first period spans the new year).
        (date(2025, 12, 29), date(2026, 1, 12), Period(date(2025, 12, 29), date(2026, 1, 11))),
        (date(2025, 12, 29), date(2026, 1, 5), None),
    ],
)
def test_boundaries_are_every_other_monday_across_a_year(settings, first_start, today, expected):
    settings.REPORT_FIRST_PERIOD_START = first_start
    assert today.weekday() == 0
    assert is_period_boundary(today) == (expected is not None)
    if expected is not None:
        assert period_ending_before(today) == expected


def test_last_complete_period_is_the_one_before_the_latest_boundary(settings):
    settings.REPORT_FIRST_PERIOD_START = date(2025, 1, 6)
    assert last_complete_period(date(2026, 1, 5)) == Period(date(2025, 12, 22), date(2026, 1, 4))
    assert last_complete_period(date(2026, 1, 11)) == Period(date(2025, 12, 22), date(2026, 1, 4))
    assert last_complete_period(date(2026, 1, 4)) == Period(date(2025, 12, 8), date(2025, 12, 21))


@pytest.fixture
def few_cases(world):
    for day in (date(2025, 12, 23), date(2025, 12, 31), date(2026, 1, 2)):
        factories.case_in_state(world, "closed", now=datetime(day.year, day.month, day.day, 10, tzinfo=TZ))
    return world


@pytest.mark.django_db(transaction=False)
def test_beat_task_generates_the_period_just_ended_on_the_boundary_monday_only(
    few_cases, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_FIRST_PERIOD_START = date(2025, 1, 6)
    with time_machine.travel(monday_7am(date(2025, 12, 29)), tick=False):
        assert tasks.generate_biweekly_report() == []
    assert not Report.objects.exists()

    with time_machine.travel(monday_7am(date(2026, 1, 5)), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            ids = tasks.generate_biweekly_report()
    reports = list(Report.objects.order_by("language"))
    assert [r.pk for r in reports] == sorted(ids)
    assert {(r.period_start, r.period_end, r.language) for r in reports} == {
        (date(2025, 12, 22), date(2026, 1, 4), "en"),
        (date(2025, 12, 22), date(2026, 1, 4), "zh-hans"),
    }
    for report in reports:
        assert report.generated_by is None and report.generated_by_label == "system"
        with report.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF")
        assert hashlib.sha256(content).hexdigest() == report.sha256
        assert str(report.file.path).startswith(str(settings.MEDIA_ROOT))
    # Exactly one mail task enqueued on commit: the report in the site's language.
    assert len(callbacks) == 1

    # Beat firing again (a retry, a second beat) generates and enqueues nothing new.
    with time_machine.travel(monday_7am(date(2026, 1, 5)) + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks() as callbacks_again:
            assert sorted(tasks.generate_biweekly_report()) == sorted(ids)
    assert callbacks_again == []
    assert Report.objects.count() == 2


def test_report_is_mailed_to_supervisors_once(few_cases, django_capture_on_commit_callbacks):
    world = few_cases
    factories.UserFactory(username="supervisor2", email="", roles=["supervisor"])  # no address: skipped
    period = Period(date(2025, 12, 22), date(2026, 1, 4))
    report = services.report_generate(period=period, language="en", notify=False)
    assert tasks.email_report(report.pk) is True
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.supervisor.email]
    assert message.attachments[0][0] == report.filename
    assert message.attachments[0][1].startswith(b"%PDF")
    assert "13812345678" not in message.body and "13812345678" not in message.subject
    assert tasks.email_report(report.pk) is False
    assert len(mail.outbox) == 1


def test_regenerating_replaces_the_report_and_its_file(few_cases, django_capture_on_commit_callbacks):
    period = Period(date(2025, 12, 22), date(2026, 1, 4))
    first = services.report_generate(period=period, language="en", now=datetime(2026, 1, 5, 7, tzinfo=TZ))
    first_path = first.file.path
    with django_capture_on_commit_callbacks(execute=True):
        second = services.report_generate(
            period=period, language="en", actor=few_cases.supervisor, now=datetime(2026, 1, 6, 7, tzinfo=TZ)
        )
    assert second.pk == first.pk
    assert Report.objects.count() == 1
    assert second.generated_by == few_cases.supervisor
    import os

    assert os.path.exists(second.file.path)
    if first_path != second.file.path:
        assert not os.path.exists(first_path)


def test_generate_report_task_records_who_asked(few_cases):
    report_id = tasks.generate_report("2025-12-22", "2026-01-04", "zh-hans", few_cases.supervisor.pk)
    report = Report.objects.get(pk=report_id)
    assert report.generated_by == few_cases.supervisor and report.language == "zh-hans"


def test_generate_report_command_defaults_to_the_last_complete_period(few_cases, settings, tmp_path, capsys):
    settings.REPORT_FIRST_PERIOD_START = date(2025, 1, 6)
    output = tmp_path / "out.pdf"
    with time_machine.travel(datetime(2026, 1, 7, 12, tzinfo=TZ), tick=False):
        call_command("generate_report", "--output", str(output))
    report = Report.objects.get()
    assert (report.period_start, report.period_end, report.language) == (date(2025, 12, 22), date(2026, 1, 4), "en")
    assert output.read_bytes().startswith(b"%PDF")
    assert hashlib.sha256(output.read_bytes()).hexdigest() == report.sha256

    call_command("generate_report", "--start", "2025-12-29", "--end", "2026-01-04", "--lang", "zh-hans")
    assert Report.objects.filter(period_start=date(2025, 12, 29), language="zh-hans").exists()


def test_generate_report_command_rejects_half_a_period(few_cases):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("generate_report", "--start", "2026-01-01")
    with pytest.raises(CommandError):
        call_command("generate_report", "--start", "2026-01-10", "--end", "2026-01-01")
