"""Imported history: closed cases keep their dates and never escalate; open cases' passed steps are
claimed once without a word, only later steps notify; reports count imported cases by their own dates."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from complaints.models import Complaint, ComplaintEvent
from reports import figures
from reports.periods import Period
from tests import factories
from tests.workflows.imports import files
from workflows import escalation, notifications, tasks
from workflows.models import Escalation, ImportRun

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(SHANGHAI)


def import_file(path, *, user: str | None = "cs", **options) -> str:
    out, err = io.StringIO(), io.StringIO()
    if user:
        options["user"] = user
    try:
        call_command("import_complaints", str(path), format="csv", stdout=out, stderr=err, **options)
    except CommandError as exc:
        raise AssertionError(f"{exc}\n{err.getvalue()}") from exc
    return out.getvalue()


@pytest.fixture
def send_eagerly(monkeypatch, django_capture_on_commit_callbacks):
    """Sweeps whose enqueued notification tasks run at once, as a worker would run them."""
    monkeypatch.setattr(escalation, "_send_notifications", lambda sweep: tasks.send_escalation_notifications.apply(args=[sweep]).get())

    def sweep(moment: datetime) -> escalation.SweepResult:
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            return escalation.escalation_sweep()

    return sweep


def escalation_events(case) -> list[dict]:
    return [event.data for event in ComplaintEvent.objects.filter(complaint=case, kind="escalation").order_by("pk")]


CLOSED = files.case_row(
    "HIST-1",
    received_at="2024-11-04T09:15:00+08:00",
    first_responded_at="2024-11-06T11:00:00+08:00",  # later than a day: late, as it happened
    resolved_at="2024-12-02T16:30:00+08:00",  # after the resolution deadline: late, as it happened
    closed_at="2024-12-05T10:00:00+08:00",
    outcome="partly_upheld",
    cause="fees-pricing",
    satisfaction="3",
    department="retail",
    assignee="member",
)


# --- closed history --------------------------------------------------------------------------
def test_an_imported_closed_case_keeps_its_own_story_and_is_never_escalated(world, tmp_path, send_eagerly):
    written = files.write_case_file(tmp_path, [CLOSED], name="history.csv")
    with time_machine.travel(at("2025-06-02T12:00:00+08:00"), tick=False):
        import_file(written.path)
    case = Complaint.objects.get()
    assert case.received_at == at(CLOSED["received_at"])
    assert case.first_responded_at == at(CLOSED["first_responded_at"])
    assert case.resolved_at == at(CLOSED["resolved_at"])
    assert case.closed_at == at(CLOSED["closed_at"])
    assert (case.state, case.outcome, case.cause.code, case.satisfaction, case.closure) == (
        "closed", "partly_upheld", "fees-pricing", 3, "accepted",
    )  # fmt: skip
    assert (case.department, case.assignee) == (world.retail, world.member)
    assert case.imported_at is not None and case.escalation_level == 0
    events = list(ComplaintEvent.objects.filter(complaint=case))
    assert [event.kind for event in events] == ["imported"]
    assert (events[0].actor, events[0].actor_label) == (world.cs, "cs")
    assert events[0].data["file"] == "history.csv" and events[0].data["line"] == 2
    assert not Escalation.objects.exists()

    # Sweeps at every moment its deadlines would have stepped, and long after: nothing.
    for moment in (case.first_response_due + timedelta(hours=30), case.resolution_due + timedelta(days=3), at("2026-01-01T00:00:00+08:00")):
        assert send_eagerly(moment).total == 0
    assert not Escalation.objects.exists()
    assert not ComplaintEvent.objects.filter(kind="escalation").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "row",
    [
        CLOSED,
        files.case_row("HIST-R", state="rejected", department="", assignee="", first_responded_at="", first_response_method="",
                       resolved_at="", outcome="", cause="", resolution_summary="", satisfaction="", closed_at="2024-11-05T09:00:00+08:00"),
        files.case_row("HIST-W", state="withdrawn", department="", assignee="", first_responded_at="", first_response_method="",
                       resolved_at="", outcome="", cause="", resolution_summary="", satisfaction="", closed_at="2024-11-05T09:00:00+08:00"),
        files.case_row("HIST-N", first_responded_at="", first_response_method="", resolved_at="", outcome="", cause="",
                       resolution_summary="", satisfaction=""),  # closed, the old system recorded nothing else
    ],
    ids=["closed", "rejected", "withdrawn", "closed-bare"],
)
def test_no_final_imported_case_escalates_or_mails_anyone(world, tmp_path, send_eagerly, row):
    row = {**row, "received_at": "2024-11-04T09:15:00+08:00"}
    written = files.write_case_file(tmp_path, [row])
    with time_machine.travel(at("2025-06-02T12:00:00+08:00"), tick=False):
        import_file(written.path)
    assert send_eagerly(at("2025-06-02T12:05:00+08:00")).total == 0
    assert send_eagerly(at("2026-06-02T12:05:00+08:00")).total == 0
    assert not Escalation.objects.exists()
    assert list(ComplaintEvent.objects.values_list("kind", flat=True)) == ["imported"]
    assert mail.outbox == []


def test_a_case_from_2012_imports_though_live_intake_looks_back_three_years(world, tmp_path):
    rows = [
        files.case_row("OLD-2012", received_at="2012-05-02T10:00:00+08:00", first_responded_at="2012-05-02T11:00:00+08:00",
                       resolved_at="2012-05-10T10:00:00+08:00", closed_at="2012-05-11T10:00:00+08:00"),
    ]  # fmt: skip
    import_file(files.write_case_file(tmp_path, rows).path)
    case = Complaint.objects.get()
    assert case.received_at == at("2012-05-02T10:00:00+08:00")
    assert case.reference.startswith("C-20120502-")


# --- open history ---------------------------------------------------------------------------
def open_row(external_id: str, received_at: str, **values) -> dict:
    return files.case_row(
        external_id, state="assigned", department="retail", assignee="member", received_at=received_at,
        first_responded_at="", first_response_method="", resolved_at="", outcome="", cause="", resolution_summary="",
        closed_at="", satisfaction="", **values,
    )  # fmt: skip


def test_an_open_case_received_long_ago_records_its_passed_steps_once_and_tells_nobody(world, tmp_path, send_eagerly):
    imported_at = at("2025-06-02T12:00:00+08:00")
    written = files.write_case_file(tmp_path, [open_row("OPEN-1", "2025-03-03T09:00:00+08:00")])
    with time_machine.travel(imported_at, tick=False):
        import_file(written.path)
    case = Complaint.objects.get()
    run = ImportRun.objects.get()
    claims = sorted(Escalation.objects.filter(complaint=case).values_list("clock", "level", "due", "notify_batch", "sweep"))
    assert claims == [
        ("first_response", 3, case.first_response_due, "imported", f"import-{run.pk}"),
        ("resolution", 3, case.resolution_due, "imported", f"import-{run.pk}"),
    ]
    assert case.first_response_due == at("2025-03-04T09:00:00+08:00")  # counted from its real receipt
    assert case.escalation_level == 3
    events = escalation_events(case)
    assert sorted(event["clock"] for event in events) == ["first_response", "resolution"]
    assert all(event["not_sent"] == "imported" and event["level"] == 3 and event["skipped"] == [1, 2] for event in events)

    assert send_eagerly(imported_at + timedelta(minutes=5)).total == 0
    assert send_eagerly(imported_at + timedelta(days=30)).total == 0
    # the import's own claims are never taken for e-mailing, not even by a retried notification
    assert notifications.escalation_notify(sweep=f"import-{run.pk}", batch="a-retry") == 0
    assert Escalation.objects.count() == 2 and len(escalation_events(case)) == 2
    assert mail.outbox == []


def test_only_a_step_falling_due_after_the_import_notifies(world, tmp_path, send_eagerly):
    """Received 13 days before the import: the first response is long overdue and the resolution
    deadline is at its warning; the step after (overdue) falls due two days later and is told."""
    imported_at = at("2025-06-22T10:00:00+08:00")
    written = files.write_case_file(tmp_path, [open_row("OPEN-2", "2025-06-09T10:00:00+08:00")])
    with time_machine.travel(imported_at, tick=False):
        import_file(written.path)
    case = Complaint.objects.get()
    assert case.resolution_warn_at <= imported_at < case.resolution_due < imported_at + timedelta(days=3)
    assert sorted(Escalation.objects.values_list("clock", "level", "notify_batch")) == [
        ("first_response", 3, "imported"),
        ("resolution", 1, "imported"),
    ]
    assert send_eagerly(imported_at + timedelta(minutes=5)).total == 0
    assert mail.outbox == []

    result = send_eagerly(case.resolution_due + timedelta(hours=1))
    assert dict(result.steps) == {("resolution", 2): 1}
    assert sorted(address for message in mail.outbox for address in message.to) == ["owner@bank.example"]
    assert case.reference in mail.outbox[0].body
    new_events = [event for event in escalation_events(case) if "not_sent" not in event]
    assert [(event["clock"], event["level"]) for event in new_events] == [("resolution", 2)]
    assert Complaint.objects.get().escalation_level == 3  # never lowered by the later, lower step

    mail.outbox.clear()
    assert send_eagerly(case.resolution_due + timedelta(hours=2)).total == 0
    result = send_eagerly(case.resolution_due + timedelta(days=2, hours=1))
    assert dict(result.steps) == {("resolution", 3): 1}
    assert sorted(address for message in mail.outbox for address in message.to) == ["supervisor@bank.example"]


def test_an_open_case_whose_steps_are_all_ahead_claims_nothing_at_import(world, tmp_path, send_eagerly):
    imported_at = at("2025-06-09T11:00:00+08:00")
    written = files.write_case_file(tmp_path, [open_row("OPEN-3", "2025-06-09T10:00:00+08:00")])
    with time_machine.travel(imported_at, tick=False):
        import_file(written.path)
    case = Complaint.objects.get()
    assert not Escalation.objects.exists() and case.escalation_level == 0
    assert not ComplaintEvent.objects.filter(kind="escalation").exists()
    result = send_eagerly(case.first_response_warn_at + timedelta(minutes=1))
    assert dict(result.steps) == {("first_response", 1): 1}
    assert sorted(address for message in mail.outbox for address in message.to) == ["member@bank.example"]


# --- a report over an imported period ------------------------------------------------------
FIRST = Period(datetime(2025, 3, 3).date(), datetime(2025, 3, 16).date())
SECOND = Period(datetime(2025, 3, 17).date(), datetime(2025, 3, 30).date())
# (received, hours to the first response or None, days to the resolution or None); every day of
# receipt + 15 is a working day, so the resolution deadline is the end of that day.
HISTORY = [
    ("2025-03-03T09:00", 2, 3),
    ("2025-03-03T18:00", 30, 20),
    ("2025-03-04T10:00", 24, 14),  # answered exactly at the deadline: on time
    ("2025-03-06T08:00", 25, 16),
    ("2025-03-10T14:00", 1, 1),
    ("2025-03-12T23:30", 5, 30),
    ("2025-03-13T00:10", None, 5),  # the old system recorded no first response
    ("2025-03-16T22:00", 3, None),  # rejected before any resolution
    ("2025-03-17T09:00", 48, 10),
    ("2025-03-18T11:00", 4, 15),
    ("2025-03-24T09:00", 23, 2),
    ("2025-03-25T16:00", 26, 25),
    ("2025-03-27T10:00", 2, 8),
    ("2025-03-26T21:00", 20, 12),
    ("2025-03-28T21:00", 20, None),  # first response due on the 29th, a Saturday: no roll-over for hours
]


def history_rows() -> list[dict]:
    rows = []
    for index, (received, response_hours, resolution_days) in enumerate(HISTORY):
        received_at = datetime.fromisoformat(received).replace(tzinfo=SHANGHAI)
        responded = received_at + timedelta(hours=response_hours) if response_hours is not None else None
        values = {
            "received_at": received_at.isoformat(),
            "first_responded_at": responded.isoformat() if responded else "",
            "first_response_method": "phone" if responded else "",
        }
        if resolution_days is None:
            values.update(state="rejected", resolved_at="", outcome="", cause="", resolution_summary="", satisfaction="",
                          closed_at=(responded + timedelta(hours=1)).isoformat())  # fmt: skip
        else:
            resolved = received_at + timedelta(days=resolution_days)
            values.update(resolved_at=resolved.isoformat(), closed_at=(resolved + timedelta(days=1)).isoformat())
        rows.append(files.case_row(f"REP-{index:02d}", **values))
    return rows


def expected(period: Period, rows: list[dict]) -> dict[str, tuple[int, int] | int]:
    """The figures counted here from the rows written, by the product's rules: 24 hours to the first
    response; to the resolution, the end of the 15th day after the day of receipt (local time)."""
    starts = datetime.combine(period.start, time(), tzinfo=SHANGHAI)
    ends = datetime.combine(period.end + timedelta(days=1), time(), tzinfo=SHANGHAI)
    received = first = first_met = resolved = resolved_met = 0
    for row in rows:
        received_at = datetime.fromisoformat(row["received_at"])
        received += starts <= received_at < ends
        if row["first_responded_at"]:
            due = received_at + timedelta(hours=24)
            if starts <= due < ends:
                first += 1
                first_met += datetime.fromisoformat(row["first_responded_at"]) <= due
        if row["resolved_at"]:
            last_day = received_at.astimezone(SHANGHAI).date() + timedelta(days=15)
            assert last_day.weekday() < 5, "the fixture's deadlines fall on working days"
            due = datetime.combine(last_day, time.max, tzinfo=SHANGHAI)
            if starts <= due < ends:
                resolved += 1
                resolved_met += datetime.fromisoformat(row["resolved_at"]) <= due
    return {"received": received, "first": (first_met, first), "resolved": (resolved_met, resolved)}


def test_a_report_over_an_imported_period_equals_an_independent_count(world, tmp_path):
    rows = history_rows()
    with time_machine.travel(at("2025-06-02T12:00:00+08:00"), tick=False):
        import_file(files.write_case_file(tmp_path, rows).path)
    assert Complaint.objects.count() == len(rows)
    third = Period(SECOND.end + timedelta(days=1), SECOND.end + timedelta(days=14))
    for period in (FIRST, SECOND, third):
        want = expected(period, rows)
        assert figures.received(period) == want["received"], period
        assert figures.imported(period) == want["received"], period
        got = figures.first_response_on_time(period)
        assert (got.numerator, got.denominator) == want["first"], period
        got = figures.resolved_on_time(period)
        assert (got.numerator, got.denominator) == want["resolved"], period
    # the fixture really spreads over both fortnights, on time and late
    assert expected(FIRST, rows)["first"] == (4, 6) and expected(SECOND, rows)["first"][1] >= 5
    assert expected(SECOND, rows)["resolved"] == (4, 7)


def test_a_report_says_how_many_of_a_periods_cases_were_imported(world, tmp_path):
    rows = history_rows()
    with time_machine.travel(at("2025-06-02T12:00:00+08:00"), tick=False):
        import_file(files.write_case_file(tmp_path, rows).path)
        factories.create_case(world, received_at=at("2025-03-05T10:00:00+08:00"))
    want = expected(FIRST, rows)["received"]
    assert figures.received(FIRST) == want + 1
    assert figures.imported(FIRST) == want


def test_a_resolved_case_awaiting_its_call_back_claims_a_passed_review_step_silently(world, tmp_path, send_eagerly):
    imported_at = at("2025-06-02T12:00:00+08:00")
    rows = [
        files.case_row("RES-OLD", state="resolved", department="retail", closed_at="", satisfaction="",
                       resolved_at="2025-03-06T10:00:00+08:00"),
        files.case_row("RES-NEW", state="resolved", department="retail", closed_at="", satisfaction="",
                       received_at="2025-05-30T09:00:00+08:00", first_responded_at="2025-05-30T10:00:00+08:00",
                       resolved_at="2025-06-01T10:00:00+08:00"),
    ]  # fmt: skip
    with time_machine.travel(imported_at, tick=False):
        import_file(files.write_case_file(tmp_path, rows).path)
    old, new = Complaint.objects.get(external_id="RES-OLD"), Complaint.objects.get(external_id="RES-NEW")
    assert list(Escalation.objects.values_list("complaint_id", "clock", "level", "notify_batch")) == [
        (old.pk, "review", 3, "imported")
    ]
    assert send_eagerly(imported_at + timedelta(minutes=5)).total == 0
    assert mail.outbox == []
    result = send_eagerly(new.review_due + timedelta(minutes=1))
    assert dict(result.steps) == {("review", 3): 1}
    assert Escalation.objects.get(sweep=result.sweep).complaint_id == new.pk
    assert sorted(address for message in mail.outbox for address in message.to) == ["supervisor@bank.example"]
    assert old.reference not in mail.outbox[0].body
