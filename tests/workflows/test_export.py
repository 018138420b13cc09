"""The case file written out (workflows/imports/export.py): CSV and XLSX in the importer's columns."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.masking import mask_phone
from complaints.models import Complaint
from complaints.states import ComplaintState as S
from tests import factories
from workflows.imports import export
from workflows.imports.columns import BY_NAME, HEADER, export_row

DESCRIPTION = "客户反映：年费被扣了两次。\n第二行，带逗号, 和 \"引号\"。\r\n第三行"
SUBJECT = "=HYPERLINK(\"http://evil.example\",\"点我\")"


def _csv_rows(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 byte order mark"
    text = data.decode("utf-8-sig")
    return [[export.unprotect_csv_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]


def _as_text(row) -> list[str]:
    """A row of ``export_row`` as the CSV carries it (every cell text; None is empty)."""
    return ["" if value is None else str(value) for value in row]


def _cases(queryset=None):
    return export.export_cases(queryset if queryset is not None else Complaint.objects.order_by("pk"))


@pytest.fixture
def closed(world):
    return factories.case_in_state(world, S.CLOSED)


@pytest.fixture
def tricky(world):
    return factories.create_case(world, subject=SUBJECT, description=DESCRIPTION, phone="+8613812345678")


def test_the_header_is_the_importers_and_a_row_is_export_row(world, closed):
    rows = _csv_rows(export.csv_chunks(_cases(), lambda case: True))
    assert rows[0] == list(HEADER)
    closed = Complaint.objects.select_related("category", "department", "assignee", "cause").get(pk=closed.pk)
    assert rows[1] == _as_text(export_row(closed, show_pii=True))
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["state"] == "closed" and row["department"] == "retail" and row["cause"] == "service-attitude"
    assert row["customer_phone"] == "13812345678" and row["compensation"] == "120.00" and row["satisfaction"] == "5"


def test_rows_are_masked_case_by_case_as_show_pii_says(world):
    shown = factories.create_case(world)
    hidden = factories.create_case(world)
    rows = _csv_rows(export.csv_chunks(_cases(), lambda case: case.pk == shown.pk))
    by_reference = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert by_reference[shown.reference]["customer_phone"] == "13812345678"
    assert by_reference[shown.reference]["customer_name"] == "张三"
    masked = by_reference[hidden.reference]
    assert masked["customer_phone"] == "138****5678"
    assert masked["customer_email"] == "z***@example.com"
    assert masked["customer_id_number"] == "11**************34"
    assert masked["customer_account"] == "****7890"
    assert masked["customer_name"] == "张*"
    hidden = Complaint.objects.select_related("category", "department", "assignee", "cause").get(pk=hidden.pk)
    unmasked = dict(zip(HEADER, _as_text(export_row(hidden, show_pii=True)), strict=True))
    assert {name: masked[name] for name in HEADER if not BY_NAME[name].pii} == {
        name: unmasked[name] for name in HEADER if not BY_NAME[name].pii
    }


def test_chinese_newlines_and_formula_like_cells_survive_a_csv_round_trip(world, tricky):
    data = b"".join(export.csv_chunks(_cases(), lambda case: True))
    # In the file itself the formula-like cells carry one apostrophe, so no spreadsheet evaluates them.
    raw = next(row for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) if row[0] == tricky.reference)
    raw = dict(zip(HEADER, raw, strict=True))
    assert raw["subject"] == "'" + SUBJECT
    assert raw["customer_phone"] == "'+8613812345678"
    assert "\r\n" in data.decode("utf-8-sig")  # RFC 4180 row ends
    row = dict(zip(HEADER, _csv_rows([data])[1], strict=True))
    assert row["subject"] == SUBJECT
    assert row["description"] == DESCRIPTION
    assert row["customer_name"] == "张三"
    assert row["customer_phone"] == "+8613812345678"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'quoted'", "''", "plain", "", "1 = 1"])
def test_protecting_a_csv_cell_is_undone_exactly(text):
    protected = export.protect_csv_cell(text)
    assert not str(protected).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert export.unprotect_csv_cell(str(protected)) == text


def test_the_csv_streams_in_chunks(world, monkeypatch):
    monkeypatch.setattr(export, "CSV_BUFFER_BYTES", 200)
    for _ in range(5):
        factories.create_case(world)
    chunks = list(export.csv_chunks(_cases(), lambda case: True))
    assert len(chunks) > 2
    assert len(_csv_rows(chunks)) == 6


def test_an_empty_list_is_the_header_alone(db):
    assert _csv_rows(export.csv_chunks(_cases(Complaint.objects.none()), lambda case: True)) == [list(HEADER)]


def test_the_xlsx_has_the_same_values_with_a_bold_frozen_header(world, closed, tricky):
    file = io.BytesIO()
    export.write_xlsx(_cases(), lambda case: case.pk == closed.pk, file)
    file.seek(0)
    workbook = openpyxl.load_workbook(file)
    assert workbook.sheetnames == ["cases"]
    sheet = workbook["cases"]
    assert sheet.freeze_panes == "A2"
    header = next(sheet.iter_rows(max_row=1))
    assert [cell.value for cell in header] == list(HEADER)
    assert all(cell.font.bold for cell in header)
    cases = Complaint.objects.select_related("category", "department", "assignee", "cause")
    expected = {
        case.reference: [
            "" if value is None else export.xlsx_text(value) if isinstance(value, str) else value
            for value in export_row(case, show_pii=case.pk == closed.pk)
        ]
        for case in cases
    }
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == set(expected)
    for reference, cells in rows.items():
        assert ["" if cell.value is None else cell.value for cell in cells] == expected[reference]
    tricky_row = dict(zip(HEADER, rows[tricky.reference], strict=True))
    assert tricky_row["subject"].data_type == "s" and tricky_row["subject"].value == SUBJECT  # text, not a formula
    assert tricky_row["description"].value == DESCRIPTION.replace("\r\n", "\n")  # an XLSX line break is LF
    assert tricky_row["customer_phone"].value == mask_phone("+8613812345678")  # masked: show_pii refused this case
    closed_row = dict(zip(HEADER, rows[closed.reference], strict=True))
    assert closed_row["satisfaction"].value == 5 and closed_row["customer_phone"].value == "13812345678"


def test_xlsx_text_drops_xml_illegal_characters_and_keeps_excels_length():
    assert export.xlsx_text("a\x00b\x0bc\td\ne\r\nf\rg") == "abc\td\ne\nf\ng"
    long = export.xlsx_text("字" * 40_000)
    assert len(long) == export.XLSX_MAX_CELL and long.endswith("…")


def _queries_for(cases: int, world, writer) -> int:
    for _ in range(cases - Complaint.objects.count()):
        factories.case_in_state(world, S.ASSIGNED)
    with CaptureQueriesContext(connection) as queries:
        writer()
    return len(queries)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_queries_do_not_grow_with_the_cases(world, file_format):
    def write() -> None:
        if file_format == "csv":
            for _chunk in export.csv_chunks(_cases(), lambda case: True):
                pass
        else:
            export.write_xlsx(_cases(), lambda case: True, io.BytesIO())

    few = _queries_for(10, world, write)
    many = _queries_for(200, world, write)
    assert many == few <= 2
