"""The case file: our own CSV columns, which ``import_complaints --format csv`` reads and the case
exports (admin and API, CSV and XLSX) write, so that an export imported into a fresh database
gives the same cases.

One column per intake field, plus the case's state, outcome, cause and timestamps. Times are
ISO 8601 with their offset (``2026-01-05T09:30:00+08:00``); a time without one is read in the
bank's time zone (``TIME_ZONE``). Codes (category, department, cause) and usernames (assignee)
stand for reference data. Yes/no columns hold ``yes``, ``no`` or nothing (not recorded).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import masking

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from complaints.models import Complaint

# How a column's text is read and written.
TEXT, CODE, CHOICE, MOMENT, YES_NO, INTEGER, DECIMAL, TAGS = "text", "code", "choice", "moment", "yes_no", "integer", "decimal", "tags"
TAG_SEPARATOR = ", "  # as the CFPB writes "Older American, Servicemember"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    help: StrPromise
    # The case's attribute, when it is not the column's name (a code or a username of a related row).
    source: str = ""
    # A customer identifier: masked in an export unless the user may see the customer.
    pii: bool = False
    mask: Any = None

    @property
    def attribute(self) -> str:
        return self.source or self.name


COLUMNS: tuple[Column, ...] = (
    Column("reference", TEXT, _("Our reference (C-YYYYMMDD-NNNNNN). Empty: one is given from the day of receipt.")),
    Column("external_id", TEXT, _("The old system's or channel's own id; with channel, what makes a second import add nothing.")),
    Column("channel", CHOICE, _("How the case reached the bank: phone, chat, wechat, app, web, branch, letter, email, fax, regulator.")),
    Column("kind", CHOICE, _("complaint, suggestion, praise or inquiry. Empty: complaint.")),
    Column("severity", CHOICE, _("low, medium or high. Empty: medium.")),
    Column("category", CODE, _("A category code."), source="category.code"),
    Column("product", TEXT, _("The product as the source names it.")),
    Column("sub_product", TEXT, _("The sub-product as the source names it.")),
    Column("issue", TEXT, _("The issue as the source names it.")),
    Column("sub_issue", TEXT, _("The sub-issue as the source names it.")),
    Column("company", TEXT, _("The company or branch the case is about.")),
    Column("subject", TEXT, _("A one-line subject (up to 200 characters).")),
    Column("description", TEXT, _("What the customer complains about (up to 100,000 characters).")),
    Column("customer_name", TEXT, _("The customer's name."), pii=True, mask=masking.mask_name),
    Column("customer_phone", TEXT, _("The customer's phone number."), pii=True, mask=masking.mask_phone),
    Column("customer_email", TEXT, _("The customer's e-mail address."), pii=True, mask=masking.mask_email),
    Column("customer_id_number", TEXT, _("The customer's identity document number."), pii=True, mask=masking.mask_id_number),
    Column("customer_account", TEXT, _("The customer's account or card number."), pii=True, mask=masking.mask_account),
    Column("customer_region", TEXT, _("The customer's state or province.")),
    Column("customer_tags", TAGS, _('Tags separated by commas, such as "Older American, Servicemember".')),
    Column("narrative_consent", CHOICE, _("provided, not_provided, withdrawn, not_applicable, other, or empty.")),
    Column("submitted_via", CHOICE, _("A referral: how the customer reached the regulator (a channel).")),
    Column("received_at", MOMENT, _("When the bank (for a referral: the regulator) received it.")),
    Column("sent_to_bank_at", MOMENT, _("A referral: when the regulator sent it to the bank; the clocks start then.")),
    Column("state", CHOICE, _("new, assigned, in_progress, resolved, closed, rejected or withdrawn.")),
    Column("department", CODE, _("The department code handling it; needed from assigned on."), source="department.code"),
    Column("assignee", CODE, _("The username of the person handling it, in that department."), source="assignee.username"),
    Column("first_responded_at", MOMENT, _("When the customer got the first response.")),
    Column("first_response_method", CHOICE, _("How: phone, sms, email, letter, in_person or app.")),
    Column("resolved_at", MOMENT, _("When the case was resolved.")),
    Column("outcome", CHOICE, _("upheld, partly_upheld or not_upheld; empty when not recorded.")),
    Column("cause", CODE, _("The root-cause code."), source="cause.code"),
    Column("resolution_summary", TEXT, _("The decision and what was done.")),
    Column("compensation", DECIMAL, _("Compensation paid, such as 120.00.")),
    Column("closed_at", MOMENT, _("When the case was closed, rejected or withdrawn.")),
    Column("closure", CHOICE, _("accepted, unreachable or no_contact; empty when not recorded.")),
    Column("satisfaction", INTEGER, _("The customer's score from 1 to 5.")),
    Column("review_notes", TEXT, _("Notes of the review call-back.")),
    Column("reopen_count", INTEGER, _("How many times the customer did not accept the outcome.")),
    Column("company_response", TEXT, _("The response reported to the regulator (as the regulator names it).")),
    Column("public_response", TEXT, _("The bank's public response, if the regulator publishes one.")),
    Column("timely_response", YES_NO, _("The regulator's judgement: yes or no.")),
    Column("consumer_disputed", YES_NO, _("Whether the customer disputed the response: yes or no.")),
    Column(
        "merged_into", CODE, _("A merged case: the reference of the case it was merged into."), source="duplicate_of.reference"
    ),
)
HEADER: tuple[str, ...] = tuple(column.name for column in COLUMNS)
BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
# What an export must load with the cases.
RELATED = ("category", "department", "assignee", "cause", "duplicate_of")


def _attribute(case: Complaint, path: str) -> Any:
    value: Any = case
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def format_moment(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat() if value is not None else ""


def export_value(case: Complaint, column: Column, *, show_pii: bool) -> str | int | None:
    """One cell as an export writes it: text, or an integer for integer columns (XLSX keeps numbers)."""
    value = _attribute(case, column.attribute)
    if column.kind == MOMENT:
        return format_moment(value)
    if column.kind == YES_NO:
        return "" if value is None else ("yes" if value else "no")
    if column.kind == TAGS:
        return TAG_SEPARATOR.join(value or [])
    if column.kind == INTEGER:
        return value
    if column.kind == DECIMAL:
        return "" if value is None else f"{value:.2f}"
    text = "" if value is None else str(value)
    if column.pii and not show_pii:
        return column.mask(text)
    return text


def export_row(case: Complaint, *, show_pii: bool) -> list[str | int | None]:
    """A case as one row of the case file, in ``HEADER`` order; customer identifiers masked unless ``show_pii``."""
    return [export_value(case, column, show_pii=show_pii) for column in COLUMNS]
