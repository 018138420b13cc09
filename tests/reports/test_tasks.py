"""The biweekly beat task (the bank's and each department's reports), on-demand generation, mailing
to each reader in their language, the Report row and the management command."""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command

from access.models import UserPreference
from reports import rendering, services, tasks
from reports.models import GenerationState, Report, ReportGeneration
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


def fake_render(data, *, language):
    """A stand-in for ``rendering.render_pdf`` that says which report it is (scope, language, period)."""
    scope = data.scope.code if data.scope is not None else "bank"
    return rendering.RenderedPdf(content=f"%PDF-1.7 {scope} {language} {data.period.start}".encode(), page_count=3)


@pytest.fixture
def readers(few_cases):
    """Readers in both languages: two supervisors, retail's owner in Chinese, cards' owners in each
    language; a third department whose only owner has no e-mail address, and a fourth whose only
    owner has left (inactive)."""
    world = few_cases
    zh_supervisor = factories.UserFactory(username="supervisor_zh", roles=["supervisor"])
    cards_zh_owner = factories.UserFactory(username="cards_owner_zh", roles=["dept_owner"])
    world.cards.owners.add(cards_zh_owner)
    for user, language in ((zh_supervisor, "zh-hans"), (world.owner, "zh-hans"), (cards_zh_owner, "zh-hans"), (world.other_owner, "en")):
        UserPreference.objects.create(user=user, language=language)
    loans = factories.DepartmentFactory(code="loans")
    loans.owners.add(factories.UserFactory(username="loans_owner", email="", roles=["dept_owner"]))
    closed = factories.DepartmentFactory(code="closed-branch")
    closed.owners.add(factories.UserFactory(username="gone", is_active=False, roles=["dept_owner"]))
    return world, zh_supervisor, cards_zh_owner


@pytest.mark.django_db(transaction=False)
def test_beat_task_generates_the_bank_and_each_owned_departments_reports_on_the_boundary_monday_only(
    readers, settings, monkeypatch, django_capture_on_commit_callbacks
):
    world, _zh_supervisor, _cards_zh_owner = readers
    settings.REPORT_FIRST_PERIOD_START = date(2025, 1, 6)
    monkeypatch.setattr(rendering, "render_pdf", fake_render)
    collected = []
    real_collect = tasks.collect
    monkeypatch.setattr(tasks, "collect", lambda period, department=None: collected.append(department) or real_collect(period, department=department))
    with time_machine.travel(monday_7am(date(2025, 12, 29)), tick=False):
        assert tasks.generate_biweekly_report() == []
    assert not Report.objects.exists()

    with time_machine.travel(monday_7am(date(2026, 1, 5)), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            ids = tasks.generate_biweekly_report()
    reports = list(Report.objects.select_related("department"))
    assert sorted(ids) == sorted(r.pk for r in reports) and len(ids) == len(set(ids))
    assert {(r.period_start, r.period_end) for r in reports} == {(date(2025, 12, 22), date(2026, 1, 4))}
    # The bank's in every language; each department with an active owner in its owners' languages
    # (the site's when none has an address); none for a department without active owners.
    assert sorted((r.department.code if r.department else "", r.language) for r in reports) == [
        ("", "en"),
        ("", "zh-hans"),
        ("cards", "en"),
        ("cards", "zh-hans"),
        ("loans", "en"),
        ("retail", "zh-hans"),
    ]
    for report in reports:
        assert report.generated_by is None and report.generated_by_label == "system"
        with report.file.open("rb") as handle:
            content = handle.read()
        scope = report.department.code if report.department else "bank"
        assert content == f"%PDF-1.7 {scope} {report.language} 2025-12-22".encode()
        assert hashlib.sha256(content).hexdigest() == report.sha256
        assert report.page_count == 3 and report.size == len(content)
        assert str(report.file.path).startswith(str(settings.MEDIA_ROOT))
    # The figures are collected once per scope, whatever the number of languages.
    assert sorted(department.code if department else "" for department in collected) == ["", "cards", "loans", "retail"]
    # One mail task enqueued on commit per report.
    assert len(callbacks) == len(reports)

    # Beat firing again (a retry, a second beat) generates and enqueues nothing new.
    with time_machine.travel(monday_7am(date(2026, 1, 5)) + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks() as callbacks_again:
            assert sorted(tasks.generate_biweekly_report()) == sorted(ids)
    assert callbacks_again == []
    assert Report.objects.count() == len(reports)


@pytest.mark.django_db(transaction=False)
def test_each_report_is_mailed_once_to_the_readers_of_its_language(
    readers, settings, monkeypatch, django_capture_on_commit_callbacks
):
    world, zh_supervisor, cards_zh_owner = readers
    settings.REPORT_FIRST_PERIOD_START = date(2025, 1, 6)
    monkeypatch.setattr(rendering, "render_pdf", fake_render)
    # The enqueued mail task runs at once, as a worker would run it.
    monkeypatch.setattr(tasks.email_report, "delay", lambda report_id: tasks.email_report.apply(args=[report_id]).get())
    with time_machine.travel(monday_7am(date(2026, 1, 5)), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            ids = tasks.generate_biweekly_report()
    reports = {
        (r.department.code if r.department else "", r.language): r for r in Report.objects.filter(pk__in=ids).select_related("department")
    }
    assert all(report.emailed_at is not None for report in reports.values())
    sent = {}
    for message in mail.outbox:
        [(filename, content, mimetype)] = message.attachments
        [report] = [r for r in reports.values() if r.filename == filename]
        assert (report.department.code if report.department else "", report.language) not in sent, "mailed twice"
        assert content == report.file.open("rb").read() and mimetype == "application/pdf"
        assert message.extra_headers["Content-Language"] == report.language
        sent[report.department.code if report.department else "", report.language] = message
    # Every report with a reader of its language is mailed once; loans' owner has no address.
    assert sorted(sent) == [("", "en"), ("", "zh-hans"), ("cards", "en"), ("cards", "zh-hans"), ("retail", "zh-hans")]
    assert {key: message.to for key, message in sent.items()} == {
        ("", "en"): [world.supervisor.email],
        ("", "zh-hans"): [zh_supervisor.email],
        ("cards", "en"): [world.other_owner.email],
        ("cards", "zh-hans"): [cards_zh_owner.email],
        ("retail", "zh-hans"): [world.owner.email],
    }
    # The Chinese reader gets the Chinese PDF under a Chinese subject, the English one the English.
    assert sent["", "zh-hans"].attachments[0][1] == b"%PDF-1.7 bank zh-hans 2025-12-22"
    assert sent["", "zh-hans"].subject == "演示银行 双周整改报告 2025-12-22 – 2026-01-04"
    assert sent["", "en"].attachments[0][1] == b"%PDF-1.7 bank en 2025-12-22"
    assert sent["", "en"].subject == "Demo Bank biweekly improvement report 2025-12-22 – 2026-01-04"
    assert sent["cards", "en"].subject == "Demo Bank biweekly improvement report for Department cards 2025-12-22 – 2026-01-04"
    # A department's owner gets that department's report only; supervisors only the bank's.
    assert [key for key, message in sent.items() if world.owner.email in message.to] == [("retail", "zh-hans")]
    assert [key for key, message in sent.items() if world.supervisor.email in message.to] == [("", "en")]
    # Each report is mailed once: a second attempt (a retry, a lost acknowledgement) sends nothing.
    outbox = len(mail.outbox)
    for report in reports.values():
        assert tasks.email_report(report.pk) is False
    assert len(mail.outbox) == outbox
    assert reports["loans", "en"].emailed_at is not None  # claimed, nobody to send it to
    # A department's Chinese readers get a Chinese subject and body too.
    for key in (("cards", "zh-hans"), ("retail", "zh-hans")):
        subject = sent[key].subject
        assert "双周整改报告" in subject and f"部门 {key[0]}" in subject and "biweekly" not in subject, subject
        assert "附件为双周整改报告" in sent[key].body


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


def test_regenerating_replaces_the_report_and_its_file(few_cases, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(rendering, "render_pdf", fake_render)
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


def test_a_departments_report_is_its_own_row_beside_the_banks(few_cases, monkeypatch):
    monkeypatch.setattr(rendering, "render_pdf", fake_render)
    period = Period(date(2025, 12, 22), date(2026, 1, 4))
    bank = services.report_generate(period=period, language="en")
    retail = services.report_generate(period=period, language="en", department=few_cases.retail)
    cards = services.report_generate(period=period, language="en", department=few_cases.cards)
    assert len({bank.pk, retail.pk, cards.pk}) == 3
    again = services.report_generate(period=period, language="en", department=few_cases.retail, actor=few_cases.owner)
    assert again.pk == retail.pk and again.generated_by == few_cases.owner
    assert Report.objects.count() == 3
    assert Report.objects.get(pk=bank.pk).generated_by is None
    assert (bank.filename, retail.filename) == ("report-20251222-20260104-en.pdf", "report-20251222-20260104-retail-en.pdf")


def test_generate_report_task_records_who_asked(few_cases, monkeypatch):
    monkeypatch.setattr(rendering, "render_pdf", fake_render)
    report_id = tasks.generate_report("2025-12-22", "2026-01-04", "zh-hans", few_cases.supervisor.pk)
    report = Report.objects.get(pk=report_id)
    assert report.generated_by == few_cases.supervisor and report.language == "zh-hans"


def test_generate_report_task_moves_its_generation_to_done_with_the_report(few_cases, monkeypatch):
    world = few_cases
    generation = ReportGeneration.objects.create(
        period_start=date(2025, 12, 22), period_end=date(2026, 1, 4), language="en", department=world.retail, requested_by=world.owner
    )
    assert generation.state == GenerationState.QUEUED
    seen = []

    def render(data, *, language):
        seen.append(ReportGeneration.objects.values_list("state", "started_at", "finished_at").get(pk=generation.pk))
        return fake_render(data, language=language)

    monkeypatch.setattr(rendering, "render_pdf", render)
    report_id = tasks.generate_report("2025-12-22", "2026-01-04", "en", world.owner.pk, world.retail.pk, generation.pk)
    # While the PDF was drawn, the generation was running.
    [(state, started_at, finished_at)] = seen
    assert state == GenerationState.RUNNING and started_at is not None and finished_at is None
    generation.refresh_from_db()
    report = Report.objects.get(pk=report_id)
    assert (report.department, report.generated_by, report.language) == (world.retail, world.owner, "en")
    assert generation.state == GenerationState.DONE and generation.report == report
    assert generation.error == "" and generation.started_at <= generation.finished_at


def test_generate_report_task_records_a_failed_generation_with_the_error_type(few_cases, monkeypatch):
    world = few_cases
    generation = ReportGeneration.objects.create(
        period_start=date(2025, 12, 22), period_end=date(2026, 1, 4), language="zh-hans", requested_by=world.supervisor
    )

    def broken(data, *, language):
        raise OSError("no fonts for 13812345678")  # a message may quote data: only the type is kept

    monkeypatch.setattr(rendering, "render_pdf", broken)
    with pytest.raises(OSError):
        tasks.generate_report("2025-12-22", "2026-01-04", "zh-hans", world.supervisor.pk, None, generation.pk)
    generation.refresh_from_db()
    assert generation.state == GenerationState.FAILED
    assert generation.error == "OSError"
    assert generation.report is None and generation.finished_at is not None
    assert not Report.objects.exists()


OUTPUT_LINE = re.compile(r"(?P<path>\S+)  (?P<pages>\d+) pages  (?P<kb>\d+) KB  (?P<seconds>\d+\.\d) s")


def generate(*args, **options) -> str:
    out = StringIO()
    call_command("generate_report", *args, stdout=out, **options)
    return out.getvalue()


def test_generate_report_command_defaults_to_the_last_complete_period(few_cases, settings, tmp_path, monkeypatch):
    settings.REPORT_FIRST_PERIOD_START = date(2025, 1, 6)
    output = tmp_path / "out.pdf"
    with time_machine.travel(datetime(2026, 1, 7, 12, tzinfo=TZ), tick=False):
        printed = generate("--output", str(output))
    report = Report.objects.get()
    assert (report.period_start, report.period_end, report.language, report.department) == (
        date(2025, 12, 22), date(2026, 1, 4), "en", None
    )  # fmt: skip
    assert output.read_bytes().startswith(b"%PDF")
    assert hashlib.sha256(output.read_bytes()).hexdigest() == report.sha256
    line = OUTPUT_LINE.fullmatch(printed.rstrip("\n"))
    assert line and line["path"] == str(output) and int(line["pages"]) == report.page_count >= 1

    monkeypatch.setattr(rendering, "render_pdf", fake_render)
    generate("--start", "2025-12-29", "--end", "2026-01-04", "--lang", "zh-hans")
    assert Report.objects.filter(period_start=date(2025, 12, 29), language="zh-hans", department=None).exists()


def test_generate_report_command_prints_one_line_per_report(few_cases, monkeypatch):
    monkeypatch.setattr(rendering, "render_pdf", lambda data, *, language: rendering.RenderedPdf(b"%PDF-1.7" + b" " * 5000, 4))
    printed = generate("--start", "2025-12-22", "--end", "2026-01-04")
    report = Report.objects.get()
    assert printed.count("\n") == 1 and printed.endswith("\n")
    line = OUTPUT_LINE.fullmatch(printed.rstrip("\n"))
    assert line, printed
    assert line["path"] == report.file.path
    assert (line["pages"], line["kb"]) == ("4", "5")  # 5,008 bytes
    assert float(line["seconds"]) < 60


def test_generate_report_command_stores_one_departments_report(few_cases, monkeypatch):
    monkeypatch.setattr(rendering, "render_pdf", fake_render)
    printed = generate("--start", "2025-12-22", "--end", "2026-01-04", "--department", "cards", "--lang", "zh-hans")
    report = Report.objects.get()
    assert (report.department, report.language) == (few_cases.cards, "zh-hans")
    assert report.file.open("rb").read() == b"%PDF-1.7 cards zh-hans 2025-12-22"
    assert OUTPUT_LINE.fullmatch(printed.rstrip("\n"))["path"] == report.file.path
    assert "-cards-" in report.filename


def test_generate_report_command_names_the_department_codes_for_an_unknown_one(few_cases):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as raised:
        generate("--department", "nope")
    message = str(raised.value)
    assert "--department" in message and "nope" in message
    assert "cards" in message and "retail" in message
    assert not Report.objects.exists()


@pytest.mark.parametrize("verbosity, shown", [(1, False), (2, True)])
def test_weasyprint_warnings_are_shown_only_at_verbosity_two(few_cases, monkeypatch, caplog, verbosity, shown):
    """WeasyPrint warns once per CSS property it ignores (and of anchors defined twice by the
    charts' SVG); the command shows those with -v 2 only, and leaves the logger as it found it."""

    def render(data, *, language):
        logging.getLogger("weasyprint").warning("Ignored `hyphens: auto` at 12:3, unknown property.")
        logging.getLogger("weasyprint").error("Failed to load font")
        return fake_render(data, language=language)

    monkeypatch.setattr(rendering, "render_pdf", render)
    weasyprint = logging.getLogger("weasyprint")
    level = weasyprint.level
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        before = weasyprint.level
        generate("--start", "2025-12-22", "--end", "2026-01-04", verbosity=verbosity)
        assert weasyprint.level == before
        warnings = [record.getMessage() for record in caplog.records if record.name == "weasyprint" and record.levelno == logging.WARNING]
        errors = [record.getMessage() for record in caplog.records if record.name == "weasyprint" and record.levelno >= logging.ERROR]
    assert warnings == (["Ignored `hyphens: auto` at 12:3, unknown property."] if shown else [])
    assert errors == ["Failed to load font"]  # errors always show
    assert weasyprint.level == level


def test_generate_report_command_rejects_half_a_period(few_cases):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("generate_report", "--start", "2026-01-01")
    with pytest.raises(CommandError):
        call_command("generate_report", "--start", "2026-01-10", "--end", "2026-01-01")
