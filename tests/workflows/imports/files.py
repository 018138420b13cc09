"""Fixture writers for the importer's tests: CFPB-shaped exports and our case file, written into tmp_path.

Each writer returns a ``Written``: the file's path and the line each data row starts on (the
header is line 1), counted from the text as written, so that a test can name a row's line
without trusting the reader under test.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# The CFPB public export's columns, in the order of the download (18 since 2017).
CFPB_COLUMNS = (
    "Date received", "Product", "Sub-product", "Issue", "Sub-issue", "Consumer complaint narrative",
    "Company public response", "Company", "State", "ZIP code", "Tags", "Consumer consent provided?",
    "Submitted via", "Date sent to company", "Company response to consumer", "Timely response?",
    "Consumer disputed?", "Complaint ID",
)  # fmt: skip
# The older export without "Consumer consent provided?" and "Consumer disputed?".
CFPB_COLUMNS_16 = tuple(name for name in CFPB_COLUMNS if name not in ("Consumer consent provided?", "Consumer disputed?"))

DATE_STYLES = ("YYYY-MM-DD", "MM/DD/YY", "M/D/YYYY", "YYYY/M/D")

# Our case file's columns, written out here rather than read from workflows.imports.columns.
CASE_COLUMNS = (
    "reference", "external_id", "channel", "kind", "severity", "category", "product", "sub_product", "issue",
    "sub_issue", "company", "subject", "description", "customer_name", "customer_phone", "customer_email",
    "customer_id_number", "customer_account", "customer_region", "customer_tags", "narrative_consent",
    "submitted_via", "received_at", "sent_to_bank_at", "state", "department", "assignee", "first_responded_at",
    "first_response_method", "resolved_at", "outcome", "cause", "resolution_summary", "compensation", "closed_at",
    "closure", "satisfaction", "review_notes", "reopen_count", "company_response", "public_response",
    "timely_response", "consumer_disputed",
)  # fmt: skip


@dataclass(frozen=True)
class Written:
    path: Path
    lines: list[int]  # the line each data row starts on, in file order

    def __str__(self) -> str:
        return str(self.path)


def format_date(day: date, style: str) -> str:
    if style == "YYYY-MM-DD":
        return day.isoformat()
    if style == "MM/DD/YY":
        return f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}"
    if style == "M/D/YYYY":
        return f"{day.month}/{day.day}/{day.year}"
    if style == "YYYY/M/D":
        return f"{day.year}/{day.month}/{day.day}"
    raise ValueError(style)


def cfpb_row(complaint_id: int | str, **values: object) -> dict[str, object]:
    """One CFPB row: a closed credit-card complaint sent to the company two days after receipt.

    Keyword names are the column names with spaces and punctuation as underscores
    (``Date_received`` is awkward, so the common ones have short names: received, sent, product,
    sub_product, issue, sub_issue, narrative, response, via, state, tags, consent, timely, disputed,
    company, public_response, zip). Dates may be ``date`` objects (written in the file's style) or
    text written as given.
    """
    row: dict[str, object] = {
        "Date received": date(2023, 3, 1),
        "Product": "Credit card or prepaid card",
        "Sub-product": "General-purpose credit card or charge card",
        "Issue": "Problem with a purchase shown on your statement",
        "Sub-issue": "Credit card company isn't resolving a dispute about a purchase on your statement",
        "Consumer complaint narrative": "",
        "Company public response": "Company has responded to the consumer and the CFPB and chooses not to provide a public response",
        "Company": "EXAMPLE BANK, N.A.",
        "State": "CA",
        "ZIP code": "945XX",
        "Tags": "",
        "Consumer consent provided?": "Consent not provided",
        "Submitted via": "Web",
        "Date sent to company": date(2023, 3, 3),
        "Company response to consumer": "Closed with explanation",
        "Timely response?": "Yes",
        "Consumer disputed?": "N/A",
        "Complaint ID": str(complaint_id),
    }
    short = {
        "received": "Date received", "product": "Product", "sub_product": "Sub-product", "issue": "Issue",
        "sub_issue": "Sub-issue", "narrative": "Consumer complaint narrative", "public_response": "Company public response",
        "company": "Company", "state": "State", "zip": "ZIP code", "tags": "Tags", "consent": "Consumer consent provided?",
        "via": "Submitted via", "sent": "Date sent to company", "response": "Company response to consumer",
        "timely": "Timely response?", "disputed": "Consumer disputed?",
    }  # fmt: skip
    for name, value in values.items():
        row[short.get(name, name)] = value
    return row


def _serialize(header: Sequence[str], rows: Iterable[Mapping[str, object]], *, newline: str, cell) -> tuple[str, list[int]]:
    """The CSV text and each data row's start line (header = line 1)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    starts = []
    for row in rows:
        text = out.getvalue()
        # Every line break in the text so far ends one line: \r\n, \n or a lone \r.
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        starts.append(breaks + 1)
        writer.writerow([cell(row.get(name, "")) for name in header])
    return out.getvalue(), starts


def write_cfpb(
    tmp_path: Path,
    rows: Iterable[Mapping[str, object]],
    *,
    name: str = "complaints.csv",
    style: str = "YYYY-MM-DD",
    columns: Sequence[str] = CFPB_COLUMNS,
    newline: str = "\n",
    encoding: str = "utf-8",
) -> Written:
    """A CFPB export as downloaded: the columns in the CFPB order, dates in one ``style``."""

    def cell(value: object) -> str:
        if isinstance(value, date):
            return format_date(value, style)
        return "" if value is None else str(value)

    text, starts = _serialize(columns, rows, newline=newline, cell=cell)
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return Written(path, starts)


def case_row(external_id: str, **values: object) -> dict[str, object]:
    """One row of our case file: a closed phone complaint of 2025, first response, resolution, review."""
    row: dict[str, object] = {
        "external_id": external_id,
        "channel": "phone",
        "kind": "complaint",
        "severity": "medium",
        "category": "bank-cards",
        "subject": "Annual fee charged twice",
        "description": "The customer was charged the annual fee twice.",
        "customer_name": "Zhang San",
        "customer_phone": "13812345678",
        "received_at": "2025-03-03T09:00:00+08:00",
        "state": "closed",
        "first_responded_at": "2025-03-03T15:00:00+08:00",
        "first_response_method": "phone",
        "resolved_at": "2025-03-06T10:00:00+08:00",
        "outcome": "upheld",
        "cause": "service-attitude",
        "resolution_summary": "Refunded the second fee",
        "closed_at": "2025-03-07T10:00:00+08:00",
        "satisfaction": "5",
    }
    row.update(values)
    return row


def write_case_file(
    tmp_path: Path,
    rows: Iterable[Mapping[str, object]],
    *,
    name: str = "cases.csv",
    encoding: str = "utf-8",
    bom: bool = False,
    newline: str = "\r\n",
    header: Sequence[str] = CASE_COLUMNS,
) -> Written:
    """Our case file. ``encoding="gb18030"``, ``newline="\\r\\n"``, no BOM: what Chinese Excel writes
    for "CSV (comma delimited)"; ``bom=True`` with UTF-8: its "CSV UTF-8"."""
    text, starts = _serialize(header, rows, newline=newline, cell=lambda value: "" if value is None else str(value))
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / name
    path.write_bytes(data)
    return Written(path, starts)


def write_bytes(tmp_path: Path, data: bytes, *, name: str = "raw.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
