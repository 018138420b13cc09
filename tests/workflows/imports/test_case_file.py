"""Our case file (``import_complaints --format csv``): encodings, bad rows, dry runs, second imports,
an interrupted import resumed, and the queries a batch costs."""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, ComplaintEvent
from tests import factories
from tests.workflows.imports import files
from workflows.imports import reading
from workflows.imports.loader import Importer
from workflows.models import Escalation, ImportRun, ImportStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=SHANGHAI)

CHINESE = {
    "subject": "信用卡年费重复扣收",
    "description": "客户反映：年费被扣了两次。\r\n第二行，带逗号, 和 \"引号\"。\r\n第三行：请退款。",
    "customer_name": "张三",
    "company": "北京分行",
    "customer_region": "北京市",
}


def run(path, **options):
    options.setdefault("now", NOW)
    return Importer(path, format="csv", **options).run()


def bad(outcome) -> list[tuple[int, str]]:
    """The (line, column) pairs reported, each once (a cell may have more than one reason)."""
    return sorted({(row.line, row.column) for row in outcome.bad})


def counts() -> tuple[int, int, int, int]:
    return Complaint.objects.count(), ComplaintEvent.objects.count(), Escalation.objects.count(), ImportRun.objects.count()


def open_row(external_id: str, **values):
    """An open case received long before the import (its ladder steps have passed)."""
    values = {
        "state": "new", "first_responded_at": "", "first_response_method": "", "resolved_at": "", "outcome": "",
        "cause": "", "resolution_summary": "", "closed_at": "", "satisfaction": "", "received_at": "2025-05-01T10:00:00+08:00",
        **values,
    }  # fmt: skip
    return files.case_row(external_id, **values)


def mixed_rows(count: int, *, prefix: str = "OLD-") -> list[dict]:
    """``count`` rows, closed and open in turn, some with descriptions that span lines."""
    rows = []
    for index in range(count):
        external_id = f"{prefix}{index:05d}"
        if index % 2:
            rows.append(open_row(external_id, description=f"Line one of {index}\nline two"))
        else:
            rows.append(files.case_row(external_id))
    return rows


# --- encodings -----------------------------------------------------------------------------
def test_a_gb18030_file_as_chinese_excel_writes_it_is_detected_and_imported_intact(db, tmp_path):
    written = files.write_case_file(
        tmp_path, [files.case_row("GB-1", **CHINESE), files.case_row("GB-2", subject="网银登录失败")], encoding="gb18030"
    )
    data = written.path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    outcome = run(written.path)
    assert outcome.file.encoding == "gb18030"
    assert outcome.bad == [] and outcome.written == 2
    case = Complaint.objects.get(external_id="GB-1")
    assert {name: getattr(case, name) for name in CHINESE} == CHINESE
    assert Complaint.objects.get(external_id="GB-2").subject == "网银登录失败"


def test_a_utf8_file_with_a_bom_imports_intact_and_the_bom_is_not_in_the_first_column(db, tmp_path):
    written = files.write_case_file(tmp_path, [files.case_row("BOM-1", reference="C-20250303-000007", **CHINESE)], bom=True)
    outcome = run(written.path)
    assert outcome.file.encoding == "utf-8-sig"
    assert outcome.bad == [] and outcome.written == 1
    case = Complaint.objects.get()
    assert case.reference == "C-20250303-000007"
    assert {name: getattr(case, name) for name in CHINESE} == CHINESE


def test_a_given_encoding_is_used(db, tmp_path):
    written = files.write_case_file(tmp_path, [files.case_row("GB-1", **CHINESE)], encoding="gb18030")
    call_command("import_complaints", str(written.path), format="csv", encoding="gb18030", stdout=io.StringIO(), stderr=io.StringIO())
    assert Complaint.objects.get().subject == CHINESE["subject"]


def test_a_file_not_in_the_chosen_encoding_is_a_command_error_naming_the_line(db, tmp_path):
    rows = [files.case_row("E-1"), files.case_row("E-2"), files.case_row("E-3", **CHINESE)]
    written = files.write_case_file(tmp_path, rows, encoding="gb18030")
    before = counts()
    with pytest.raises(CommandError) as raised:
        call_command("import_complaints", str(written.path), format="csv", encoding="utf-8", stdout=io.StringIO(), stderr=io.StringIO())
    assert f"Line {written.lines[2]} is not utf-8 text" in str(raised.value)  # line 4: the first with Chinese
    assert counts() == before


def test_a_file_neither_utf8_nor_gb18030_is_a_file_problem_naming_the_line(db, tmp_path):
    rows = [files.case_row("E-1"), files.case_row("E-2"), files.case_row("E-3", customer_name="Zhang @@")]
    written = files.write_case_file(tmp_path, rows)
    broken = files.write_bytes(tmp_path, written.path.read_bytes().replace(b"@@", b"\xff\xfe"), name="broken.csv")
    before = counts()
    with pytest.raises(reading.FileProblem) as problem:
        run(broken)
    assert f"Line {written.lines[2]} is not gb18030 text" in problem.value.message
    assert counts() == before


def test_a_header_with_a_column_the_case_file_does_not_have_is_a_file_problem(db, tmp_path):
    written = files.write_case_file(tmp_path, [{"external_id": "X"}], header=(*files.CASE_COLUMNS, "colour"))
    with pytest.raises(reading.FileProblem, match="colour"):
        run(written.path)


# --- bad rows ----------------------------------------------------------------------------
def test_bad_rows_at_the_first_a_middle_and_the_last_line_are_reported_and_nothing_is_written(db, tmp_path):
    rows = mixed_rows(9)
    rows[0]["category"] = "no-such-category"
    rows[4]["received_at"] = "the fifth of March"
    rows[8]["customer_email"] = "not an address"
    written = files.write_case_file(tmp_path, rows)
    before = counts()
    outcome = run(written.path, batch_size=3)
    assert bad(outcome) == [(written.lines[0], "category"), (written.lines[4], "received_at"), (written.lines[8], "customer_email")]
    reasons = {row.line: row.reason for row in outcome.bad}
    assert "no-such-category" in reasons[written.lines[0]]
    assert "Not a date and time" in reasons[written.lines[4]]
    assert "Not an e-mail address" in reasons[written.lines[8]]
    assert counts() == before
    assert outcome.run is None and outcome.written == 0


def test_a_row_with_several_problems_reports_each_column(db, tmp_path):
    row = files.case_row("P-1", customer_phone="call me", satisfaction="9", received_at="2099-01-01T00:00:00+08:00")
    outcome = run(files.write_case_file(tmp_path, [row]).path)
    assert {column for _line, column in bad(outcome)} >= {"customer_phone", "satisfaction", "received_at"}
    assert all("call me" not in row.reason for row in outcome.bad)  # identifiers are not quoted back


def test_a_dry_run_writes_nothing_even_when_every_row_is_good(db, tmp_path):
    written = files.write_case_file(tmp_path, mixed_rows(6))
    before = counts()
    outcome = run(written.path, dry_run=True)
    assert outcome.bad == [] and outcome.new == 6 and outcome.written == 0
    assert counts() == before
    assert not ImportRun.objects.exists()


def test_skip_bad_writes_every_row_but_the_bad_ones(db, tmp_path):
    rows = mixed_rows(7)
    rows[0]["category"] = "no-such-category"
    rows[3]["channel"] = "pigeon"
    rows[6]["subject"] = ""
    written = files.write_case_file(tmp_path, rows)
    outcome = run(written.path, skip_bad=True, batch_size=2)
    assert bad(outcome) == [(written.lines[0], "category"), (written.lines[3], "channel"), (written.lines[6], "subject")]
    assert outcome.written == 4
    assert sorted(Complaint.objects.values_list("external_id", flat=True)) == ["OLD-00001", "OLD-00002", "OLD-00004", "OLD-00005"]
    imported = ComplaintEvent.objects.filter(kind="imported")
    assert sorted(event.data["line"] for event in imported) == [written.lines[i] for i in (1, 2, 4, 5)]
    assert ImportRun.objects.get().rows_bad == 3


# --- a second import ---------------------------------------------------------------------
def test_a_second_import_of_the_same_file_adds_nothing(db, tmp_path):
    written = files.write_case_file(tmp_path, mixed_rows(6))
    assert run(written.path).written == 6
    assert Escalation.objects.exists()  # the open ones had passed steps
    before = counts()[:3]
    cases = list(Complaint.objects.order_by("pk").values())
    outcome = run(written.path, now=datetime(2025, 6, 3, 12, 0, tzinfo=SHANGHAI))
    assert outcome.bad == [] and (outcome.new, outcome.unchanged, outcome.written) == (0, 6, 0)
    assert counts()[:3] == before
    assert list(Complaint.objects.order_by("pk").values()) == cases


def test_a_second_file_with_a_changed_row_is_reported_by_column_and_the_case_is_left_alone(db, tmp_path):
    first = files.write_case_file(tmp_path, mixed_rows(3), name="first.csv")
    assert run(first.path).written == 3
    rows = mixed_rows(4)
    rows[1]["subject"] = "A different subject"
    rows[2]["severity"] = "high"
    second = files.write_case_file(tmp_path, rows, name="second.csv")
    before = counts()[:3]
    outcome = run(second.path)
    assert bad(outcome) == [(second.lines[1], "subject"), (second.lines[2], "severity")]
    assert all("left as it is" in row.reason for row in outcome.bad)
    assert counts()[:3] == before
    assert Complaint.objects.get(external_id="OLD-00001").subject == "Annual fee charged twice"
    assert Complaint.objects.get(external_id="OLD-00002").severity == "medium"


def test_the_same_key_twice_in_one_file_makes_the_later_line_bad_naming_the_earlier(db, tmp_path):
    rows = mixed_rows(5)
    rows.append(files.case_row("OLD-00001"))
    rows.append(files.case_row("OTHER", channel="phone"))
    rows.append(files.case_row("OTHER", channel="email"))  # another channel: another case
    written = files.write_case_file(tmp_path, rows)
    outcome = run(written.path, batch_size=2)
    assert bad(outcome) == [(written.lines[5], "external_id")]
    assert f"line {written.lines[1]}" in outcome.bad[0].reason
    assert Complaint.objects.count() == 0
    outcome = run(written.path, batch_size=2, skip_bad=True)
    assert outcome.written == 7 and Complaint.objects.filter(external_id="OTHER").count() == 2


def test_a_given_reference_raises_the_days_counter_so_live_intake_does_not_collide(world, tmp_path):
    written = files.write_case_file(tmp_path, [files.case_row("R-1", reference="C-20250303-000041")])
    assert run(written.path).written == 1
    received = datetime(2025, 3, 3, 15, 0, tzinfo=SHANGHAI)
    live = factories.create_case(world, received_at=received, now=received)
    assert live.reference == "C-20250303-000042"


# --- an interrupted import ------------------------------------------------------------------
def test_an_interrupted_import_resumes_after_its_checkpoint_and_imports_each_row_once(db, tmp_path):
    rows = mixed_rows(7)
    written = files.write_case_file(tmp_path, rows)
    with pytest.raises(KeyboardInterrupt):
        run(written.path, batch_size=2, interrupt_after_batches=1)
    first = ImportRun.objects.get()
    assert first.status == ImportStatus.INTERRUPTED
    assert first.committed_line == written.lines[1]  # the last line of the first whole batch
    assert sorted(Complaint.objects.values_list("external_id", flat=True)) == ["OLD-00000", "OLD-00001"]

    with pytest.raises(KeyboardInterrupt):
        run(written.path, batch_size=2, interrupt_after_batches=1)
    assert ImportRun.objects.get().committed_line == written.lines[3]
    assert Complaint.objects.count() == 4

    outcome = run(written.path, batch_size=2)
    assert outcome.resumed_after == written.lines[3]
    assert outcome.written == 3
    run_ = ImportRun.objects.get()
    assert run_.status == ImportStatus.DONE and run_.committed_line == written.lines[6]
    assert run_.rows_imported == 7
    ids = list(Complaint.objects.values_list("external_id", flat=True))
    assert sorted(ids) == [row["external_id"] for row in rows]
    lines = sorted(ComplaintEvent.objects.filter(kind="imported").values_list("data__line", flat=True))
    assert lines == written.lines
    # an open case's passed steps were claimed once, whichever run wrote it
    assert Escalation.objects.count() == 2 * 3  # 3 open cases, both clocks past


def test_a_batch_interrupted_halfway_leaves_nothing_of_itself(db, tmp_path, monkeypatch):
    written = files.write_case_file(tmp_path, mixed_rows(4))
    inserts = {"count": 0}
    original = Importer._insert_rows

    def insert_rows(self, model, rows, **kwargs):
        if model is ComplaintEvent:
            inserts["count"] += 1
            if inserts["count"] == 2:  # the second batch's events: its cases are in already
                raise KeyboardInterrupt
        return original(self, model, rows, **kwargs)

    monkeypatch.setattr(Importer, "_insert_rows", insert_rows)
    with pytest.raises(KeyboardInterrupt):
        run(written.path, batch_size=2)
    assert sorted(Complaint.objects.values_list("external_id", flat=True)) == ["OLD-00000", "OLD-00001"]
    assert ComplaintEvent.objects.filter(kind="imported").count() == 2
    assert ImportRun.objects.get().committed_line == written.lines[1]
    monkeypatch.undo()
    assert run(written.path, batch_size=2).written == 2
    assert Complaint.objects.count() == 4


# --- cost ----------------------------------------------------------------------------------
def test_every_batch_costs_the_same_number_of_queries(db, tmp_path):
    batch = 4

    def queries(batches: int) -> int:
        written = files.write_case_file(tmp_path, mixed_rows(batch * batches, prefix=f"Q{batches}-"), name=f"q{batches}.csv")
        with CaptureQueriesContext(connection) as captured:
            outcome = run(written.path, batch_size=batch)
        assert outcome.bad == [] and outcome.written == batch * batches and outcome.batches == batches
        return len(captured.captured_queries)

    queries(1)  # what a process does once (calendars, policies) is not a batch's cost
    three, six, nine = queries(3), queries(6), queries(9)
    assert six - three == nine - six
    per_batch = (nine - three) / 6
    assert per_batch == int(per_batch) and 0 < per_batch <= 12, (three, six, nine)


def test_every_batch_of_a_dry_run_costs_the_same_number_of_queries(db, tmp_path):
    def queries(batches: int) -> int:
        written = files.write_case_file(tmp_path, mixed_rows(4 * batches, prefix=f"D{batches}-"), name=f"d{batches}.csv")
        with CaptureQueriesContext(connection) as captured:
            run(written.path, batch_size=4, dry_run=True)
        return len(captured.captured_queries)

    queries(1)
    three, six, nine = queries(3), queries(6), queries(9)
    assert six - three == nine - six
    assert (nine - three) % 6 == 0 and (nine - three) // 6 <= 2


# --- what the export writes ------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+1", "+1 call back", "-1", "@SUM(A1)", "'quoted'", "''", "'=not a formula", "plain"])
def test_a_subject_the_export_protected_with_an_apostrophe_imports_as_it_was(db, tmp_path, text):
    """The export's contract (workflows/imports/export.py): one apostrophe in front of a cell that
    begins with = + - @, a tab, a carriage return or an apostrophe; the importer removes exactly one."""
    from workflows.imports.export import protect_csv_cell

    written = files.write_case_file(tmp_path, [files.case_row("X-1", subject=protect_csv_cell(text))])
    outcome = run(written.path)
    assert outcome.bad == []
    assert Complaint.objects.get().subject == text


def test_times_without_an_offset_are_the_banks_time_zone(db, tmp_path):
    rows = [
        files.case_row("T-1", received_at="2025-03-03 09:00", first_responded_at="2025/3/3 15:30"),
        files.case_row("T-2", received_at="2025-03-03"),
    ]
    assert run(files.write_case_file(tmp_path, rows).path).written == 2
    first, second = Complaint.objects.get(external_id="T-1"), Complaint.objects.get(external_id="T-2")
    assert first.received_at == datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)
    assert first.first_responded_at == datetime(2025, 3, 3, 15, 30, tzinfo=SHANGHAI)
    assert second.received_at == datetime(2025, 3, 3, 0, 0, tzinfo=SHANGHAI)
