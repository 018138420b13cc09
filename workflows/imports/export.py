"""The case file written out: the case list as CSV or XLSX, in the columns ``import_complaints`` reads.

Both writers take an iterable of cases and ``show_pii(case) -> bool`` (for the interfaces:
``complaints.selectors.user_may_see_pii`` for the requesting user); a row whose case it refuses
carries the customer identifiers masked (``columns.export_row``). Pass ``export_cases(queryset)``
as the iterable: it loads the related rows the columns name and reads the database in chunks, so
memory stays flat and the queries are a constant number per chunk, whatever the number of cases.

CSV: UTF-8 with a byte order mark (so that Excel opens Chinese text as such), the ``HEADER`` row,
then one row per case; RFC 4180 (CRLF between rows, fields with a comma, a quote or a newline
quoted, newlines inside a quoted field kept as they are). ``csv_chunks`` yields it as bytes for a
streaming response.

XLSX: one sheet, the header row bold and frozen, the same columns and values; integer columns
are numbers, every other cell is typed as a string. The CSV is the file to import again: an XLSX
cell holds at most 32,767 characters (longer text is cut and ends with "…"), a line break is LF
(XML reads CR LF and CR as LF anyway), and the control characters XML cannot carry are dropped.

Formula injection ("CSV injection"). A spreadsheet that opens a file evaluates a cell that
begins with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a carriage return) as a formula,
and a customer writes the subject and the description. So:

- XLSX: every text cell is written as a string cell, never a formula, whatever it begins with;
  the value is unchanged.
- CSV: a text has no type, so a cell that begins with one of ``= + - @``, a tab, a carriage
  return or an apostrophe gets one apostrophe (``'``) put in front (``protect_csv_cell``). A
  spreadsheet then shows it as text. The apostrophe case is there so that the rule can be undone
  without loss: **the importer removes exactly one leading apostrophe from every cell that begins
  with one, before any other parsing** (``unprotect_csv_cell``), and gets the exported value
  back. (A phone written ``+86...`` is protected too; Excel would otherwise read it as a number.)
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext

from .columns import HEADER, RELATED, export_row

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from complaints.models import Complaint

CHUNK_SIZE = 2000  # cases per database read
CSV_BUFFER_BYTES = 64 * 1024  # a streamed chunk is about this big
BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# More rows than an XLSX export takes: an XLSX is assembled whole before its first byte can be
# sent (a zip file's directory comes last), so a request for more would wait minutes with
# nothing on the wire. A CSV streams and has no such limit. Excel's own limit is 1,048,576 rows.
XLSX_MAX_ROWS = 200_000
XLSX_MAX_CELL = 32_767  # characters, Excel's limit

# What a spreadsheet may take for the start of a formula; the apostrophe keeps the rule reversible.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
# The control characters an XML document cannot carry (openpyxl refuses them).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

ShowPii = Callable[["Complaint"], bool]
Cell = str | int | None


def export_filename(extension: str, *, masked: bool = False) -> str:
    """``cases-2026-12-01.csv`` (``cases-masked-...`` when every customer detail is masked): the bank's date today."""
    return f"cases-{'masked-' if masked else ''}{timezone.localdate().isoformat()}.{extension}"


def export_cases(queryset: QuerySet[Complaint]) -> Iterator[Complaint]:
    """The queryset's cases with what the columns need, read ``CHUNK_SIZE`` at a time."""
    return queryset.select_related(*RELATED).iterator(chunk_size=CHUNK_SIZE)


def rows(cases: Iterable[Complaint], show_pii: ShowPii) -> Iterator[list[Cell]]:
    """The header, then one row per case (``columns.export_row``), identifiers masked where ``show_pii`` refuses."""
    yield list(HEADER)
    for case in cases:
        yield export_row(case, show_pii=show_pii(case))


# --- CSV ---------------------------------------------------------------------------------
def protect_csv_cell(value: Cell) -> Cell:
    """A text that a spreadsheet could take for a formula, with one apostrophe in front (see the module)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def unprotect_csv_cell(text: str) -> str:
    """What the importer does to every CSV cell first: drop one leading apostrophe, the one the export added."""
    return text[1:] if text.startswith("'") else text


def csv_chunks(cases: Iterable[Complaint], show_pii: ShowPii) -> Iterator[bytes]:
    """The CSV file as UTF-8 bytes, BOM first, in chunks of about ``CSV_BUFFER_BYTES``."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(cases, show_pii):
        writer.writerow([protect_csv_cell(value) for value in row])
        if buffer.tell() >= CSV_BUFFER_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------
def xlsx_text(value: str) -> str:
    """A text as an XLSX cell can hold it: line breaks LF, no XML-illegal control characters, cut at Excel's limit."""
    value = _XML_ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if len(value) > XLSX_MAX_CELL:
        value = value[: XLSX_MAX_CELL - 1] + "…"
    return value


def write_xlsx(cases: Iterable[Complaint], show_pii: ShowPii, file: IO[bytes] | Any) -> None:
    """Write the cases as an .xlsx workbook to ``file`` (a path or a binary file open for writing)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("cases")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def string_cell(value: str, **style: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=xlsx_text(value))
        cell.data_type = "s"  # never a formula (nor an error value), whatever the text begins with
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    all_rows = rows(cases, show_pii)
    next(all_rows)  # the header, written bold
    sheet.append([string_cell(name, font=bold) for name in HEADER])
    for row in all_rows:
        sheet.append([string_cell(value) if isinstance(value, str) else value for value in row])
    workbook.save(file)


def xlsx_limit_message(count: int) -> str:
    """Why an XLSX export of ``count`` cases (more than ``XLSX_MAX_ROWS``) is refused, and what to do instead."""
    return gettext(
        "These filters match %(count)s cases; an XLSX export holds at most %(limit)s. "
        "Narrow the filters or export CSV, which has no limit."
    ) % {"count": f"{count:,}", "limit": f"{XLSX_MAX_ROWS:,}"}
