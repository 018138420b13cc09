"""The CFPB public complaint database, as downloaded, turned into rows of our case file.

Columns are found by their header names (the export has had 16 to 18 over the years; see
../shared/research/regulation.md section 2.2). Each row becomes a ``regulator`` referral keyed by
its Complaint ID. Product / Sub-product give the category and "Submitted via" how the consumer
reached the CFPB, through the admin-editable ``ImportMapping`` rows; "Company response to
consumer" gives the state and the outcome (``RESPONSES``). A value none of them knows makes the
row bad: it is reported, never guessed.

The CFPB publishes days, not times: a date is read as the start of that day in the bank's time
zone. It publishes no closing date either: a closed row is taken to have closed on the day it
was sent to the company (the latest date the row carries), and carries no resolution time, so
the report's resolution figures leave it out rather than invent a duration.

ZIP code is not kept: a three-digit prefix says little, and the bank has the customer's address
in its own systems.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from complaints.models import Category
from complaints.states import Channel, ComplaintState, NarrativeConsent, Outcome

from ..models import ImportMapping, ImportSource, MappedColumn

DATE_RECEIVED = "Date received"
PRODUCT = "Product"
SUB_PRODUCT = "Sub-product"
ISSUE = "Issue"
SUB_ISSUE = "Sub-issue"
NARRATIVE = "Consumer complaint narrative"
PUBLIC_RESPONSE = "Company public response"
COMPANY = "Company"
STATE = "State"
ZIP_CODE = "ZIP code"
TAGS = "Tags"
CONSENT = "Consumer consent provided?"
SUBMITTED_VIA = "Submitted via"
DATE_SENT = "Date sent to company"
RESPONSE = "Company response to consumer"
TIMELY = "Timely response?"
DISPUTED = "Consumer disputed?"
COMPLAINT_ID = "Complaint ID"

REQUIRED = (DATE_RECEIVED, PRODUCT, RESPONSE, COMPLAINT_ID)
KNOWN = (
    DATE_RECEIVED, PRODUCT, SUB_PRODUCT, ISSUE, SUB_ISSUE, NARRATIVE, PUBLIC_RESPONSE, COMPANY, STATE, ZIP_CODE,
    TAGS, CONSENT, SUBMITTED_VIA, DATE_SENT, RESPONSE, TIMELY, DISPUTED, COMPLAINT_ID,
)  # fmt: skip

# "Company response to consumer" -> (state, outcome). The retired "Closed with relief" does not
# say whether the relief was money, so it counts as partly upheld, never as upheld with redress.
RESPONSES: dict[str, tuple[str, str]] = {
    "Closed with monetary relief": (ComplaintState.CLOSED, Outcome.UPHELD),
    "Closed with non-monetary relief": (ComplaintState.CLOSED, Outcome.PARTLY_UPHELD),
    "Closed with explanation": (ComplaintState.CLOSED, Outcome.NOT_UPHELD),
    "Closed with relief": (ComplaintState.CLOSED, Outcome.PARTLY_UPHELD),
    "Closed without relief": (ComplaintState.CLOSED, Outcome.NOT_UPHELD),
    "Closed": (ComplaintState.CLOSED, ""),
    "In progress": (ComplaintState.NEW, ""),
    "Untimely response": (ComplaintState.NEW, ""),
}
CONSENTS = {
    "Consent provided": NarrativeConsent.PROVIDED,
    "Consent not provided": NarrativeConsent.NOT_PROVIDED,
    "Consent withdrawn": NarrativeConsent.WITHDRAWN,
    "N/A": NarrativeConsent.NOT_APPLICABLE,
    "Other": NarrativeConsent.OTHER,
    "": "",
}
YES_NO = {"Yes": "yes", "No": "no", "N/A": "", "": ""}

# Which CFPB column a problem with one of our columns comes from, so that reports name the file's.
SOURCE_COLUMN = {
    "external_id": COMPLAINT_ID,
    "category": PRODUCT,
    "product": PRODUCT,
    "sub_product": SUB_PRODUCT,
    "issue": ISSUE,
    "sub_issue": SUB_ISSUE,
    "subject": ISSUE,
    "description": NARRATIVE,
    "company": COMPANY,
    "customer_region": STATE,
    "customer_tags": TAGS,
    "narrative_consent": CONSENT,
    "submitted_via": SUBMITTED_VIA,
    "received_at": DATE_RECEIVED,
    "sent_to_bank_at": DATE_SENT,
    "state": RESPONSE,
    "outcome": RESPONSE,
    "closed_at": DATE_SENT,
    "company_response": RESPONSE,
    "public_response": PUBLIC_RESPONSE,
    "timely_response": TIMELY,
    "consumer_disputed": DISPUTED,
}


@dataclass(frozen=True)
class DateStyle:
    pattern: re.Pattern[str]
    example: str
    order: str  # "ymd" or "mdy"
    two_digit_year: bool = False


DATE_STYLES = (
    DateStyle(re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"), "YYYY-MM-DD", "ymd"),
    DateStyle(re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})"), "MM/DD/YY", "mdy", two_digit_year=True),
    DateStyle(re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "M/D/YYYY", "mdy"),
    DateStyle(re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "YYYY/M/D", "ymd"),
)


class BadValue(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class Mapping:
    """The ``ImportMapping`` rows of the CFPB, read once per run."""

    products: dict[tuple[str, str], str] = field(default_factory=dict)  # (product, sub-product or "") -> category code
    channels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Mapping:
        mapping = cls()
        codes = dict(Category.objects.values_list("pk", "code"))
        for column, value, sub_value, category_id, channel in ImportMapping.objects.filter(
            source=ImportSource.CFPB
        ).values_list("column", "value", "sub_value", "category_id", "channel"):
            if column == MappedColumn.PRODUCT and category_id in codes:
                mapping.products[(value, sub_value)] = codes[category_id]
            elif column == MappedColumn.SUBMITTED_VIA and channel:
                mapping.channels[value] = channel
        return mapping

    def category(self, product: str, sub_product: str) -> str:
        code = self.products.get((product, sub_product)) or self.products.get((product, ""))
        if code is None:
            raise BadValue(
                PRODUCT,
                _("The product “%(product)s” is not in the import mapping; add it in the admin (Import mappings).")
                % {"product": product[:120]},
            )
        return code

    def channel(self, submitted_via: str) -> str:
        if not submitted_via:
            return ""
        channel = self.channels.get(submitted_via)
        if channel is None:
            raise BadValue(
                SUBMITTED_VIA,
                _("“%(value)s” is not in the import mapping of “Submitted via”; add it in the admin (Import mappings).")
                % {"value": submitted_via[:60]},
            )
        return channel


class CfpbRows:
    """Turns CFPB rows into rows of our case file; one instance per file (it learns the date style)."""

    def __init__(self, header: list[str], mapping: Mapping) -> None:
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            from .reading import FileProblem

            raise FileProblem(
                _("This is not a CFPB export: the header lacks %(columns)s.") % {"columns": ", ".join(missing)}
            )
        self.mapping = mapping
        self.style: DateStyle | None = None
        self.style_line = 0

    def _date(self, text: str, column: str, line: int) -> date | None:
        text = text.strip()
        if not text:
            return None
        style = self.style
        styles = (style,) if style is not None else DATE_STYLES
        for candidate in styles:
            match = candidate.pattern.fullmatch(text)
            if match:
                break
        else:
            if style is not None and any(other.pattern.fullmatch(text) for other in DATE_STYLES):
                raise BadValue(
                    column,
                    _("Dates in this file are written %(style)s (line %(line)d); this one is written otherwise.")
                    % {"style": style.example, "line": self.style_line},
                )
            raise BadValue(column, _("Not a date (write it as YYYY-MM-DD, MM/DD/YY, M/D/YYYY or YYYY/M/D)."))
        first, second, third = (int(part) for part in match.groups())
        year, month, day = (first, second, third) if candidate.order == "ymd" else (third, first, second)
        if candidate.two_digit_year:
            year += 2000
        try:
            value = date(year, month, day)
        except ValueError:
            raise BadValue(column, _("No such day.")) from None
        if self.style is None:
            self.style, self.style_line = candidate, line
        return value

    def convert(self, values: dict[str, str], line: int) -> dict[str, str]:
        """The row as our case file's columns; raises ``BadValue`` naming the CFPB column."""
        get = lambda name: (values.get(name) or "").strip()  # noqa: E731
        complaint_id = get(COMPLAINT_ID)
        if not complaint_id:
            raise BadValue(COMPLAINT_ID, _("Give the Complaint ID."))
        received = self._date(get(DATE_RECEIVED), DATE_RECEIVED, line)
        if received is None:
            raise BadValue(DATE_RECEIVED, _("Give the date received."))
        sent = self._date(get(DATE_SENT), DATE_SENT, line)
        response = get(RESPONSE)
        if response not in RESPONSES:
            raise BadValue(
                RESPONSE,
                _("“%(value)s” is not a company response the CFPB uses.") % {"value": response[:60]}
                if response
                else _("Give the company's response to the consumer."),
            )
        state, outcome = RESPONSES[response]
        product, sub_product, issue = get(PRODUCT), get(SUB_PRODUCT), get(ISSUE)
        if not product:
            raise BadValue(PRODUCT, _("Give the product."))
        consent = get(CONSENT)
        if consent not in CONSENTS:
            raise BadValue(CONSENT, _("“%(value)s” is not a consent value the CFPB uses.") % {"value": consent[:60]})
        timely, disputed = get(TIMELY), get(DISPUTED)
        for column, value in ((TIMELY, timely), (DISPUTED, disputed)):
            if value not in YES_NO:
                raise BadValue(column, _("Write Yes or No."))
        return {
            "external_id": complaint_id,
            "channel": Channel.REGULATOR,
            "category": self.mapping.category(product, sub_product),
            "product": product,
            "sub_product": sub_product,
            "issue": issue,
            "sub_issue": get(SUB_ISSUE),
            "company": get(COMPANY),
            "subject": (issue or product)[:200],
            "description": get(NARRATIVE),
            "customer_region": get(STATE),
            "customer_tags": get(TAGS),
            "narrative_consent": CONSENTS[consent],
            "submitted_via": self.mapping.channel(get(SUBMITTED_VIA)),
            "received_at": received.isoformat(),
            "sent_to_bank_at": sent.isoformat() if sent else "",
            "state": state,
            "outcome": outcome,
            "closed_at": (sent or received).isoformat() if state == ComplaintState.CLOSED else "",
            "company_response": response,
            "public_response": get(PUBLIC_RESPONSE),
            "timely_response": YES_NO[timely],
            "consumer_disputed": YES_NO[disputed],
        }
