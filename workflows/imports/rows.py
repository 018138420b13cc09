"""One row of the case file checked and turned into a case's field values, or the reasons it cannot be.

Everything a row needs from the database (codes, usernames, policies) is read once per run into
``Lookups``, so checking a row costs no query. Messages name the column and the problem, never
the value of a customer identifier.

A historic case keeps its own dates. Its deadlines are counted from its real receipt (a
referral's from when it was sent to the bank) under the policy in force now; a closed case gets
a deadline only for the clocks whose stop the old system recorded (a first response time, a
resolution time), so that the report judges it on what is known and on nothing invented.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import customers
from complaints.models import Category, Cause, Complaint, Department
from complaints.states import (
    Channel,
    Closure,
    ComplaintState,
    ContactMethod,
    Kind,
    NarrativeConsent,
    Outcome,
    Severity,
)

from .. import clocks
from ..models import SlaPolicy
from ..policies import Sla
from . import columns as c

S = ComplaintState
REFERENCE_RE = re.compile(r"C-(\d{8})-(\d{6})")
SLASH_MOMENT_RE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
FINAL = (S.CLOSED, S.REJECTED, S.WITHDRAWN, S.MERGED)
NEEDS_DEPARTMENT = (S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED)
CLOCK_SKEW = timedelta(seconds=60)
MAX_TAGS = 10

# Columns whose value is the case's field of the same name, with that field's maximum length.
TEXT_FIELDS = (
    "external_id", "product", "sub_product", "issue", "sub_issue", "company", "subject", "description",
    "customer_name", "customer_id_number", "customer_account", "customer_region", "resolution_summary",
    "review_notes", "company_response", "public_response",
)  # fmt: skip
_CHOICE_TYPES: dict[str, tuple[type, str]] = {
    "channel": (Channel, ""),
    "kind": (Kind, Kind.COMPLAINT),
    "severity": (Severity, Severity.MEDIUM),
    "narrative_consent": (NarrativeConsent, ""),
    "submitted_via": (Channel, ""),
    "state": (ComplaintState, ""),
    "first_response_method": (ContactMethod, ""),
    "outcome": (Outcome, ""),
    "closure": (Closure, ""),
}
# column -> (its values, the default for an empty cell); TextChoices.values builds a new list per call.
CHOICES: dict[str, tuple[frozenset[str], str, str]] = {
    name: (frozenset(choices.values), ", ".join(choices.values), default)  # type: ignore[attr-defined]
    for name, (choices, default) in _CHOICE_TYPES.items()
}
MOMENTS = ("received_at", "sent_to_bank_at", "first_responded_at", "resolved_at", "closed_at")
# The orders a case's moments must come in (each at or after the one before, where both are given).
# A first response may be recorded after the resolution (the decision letter was the first answer).
MOMENT_ORDERS = (
    ("received_at", "sent_to_bank_at", "first_responded_at"),
    ("received_at", "sent_to_bank_at", "resolved_at", "closed_at"),
)


class RowProblems(Exception):
    """A row that cannot be imported: ``problems`` is ``[(column, reason), ...]``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{column}: {reason}" for column, reason in problems))
        self.problems = problems


def _max_length(name: str) -> int | None:
    return Complaint._meta.get_field(name).max_length


MAX_LENGTHS = {name: _max_length(name) for name in (*TEXT_FIELDS, "customer_phone", "customer_email")}


@dataclass
class Lookups:
    """The reference data a run checks rows against, read once."""

    categories: dict[str, int]
    inactive_categories: set[str]
    # category code -> the active department it routes new cases to
    routes: dict[str, int]
    departments: dict[str, int]
    causes: dict[str, int]
    users: dict[str, int]
    department_people: set[tuple[int, int]]
    now: datetime
    # The bank's time zone (TIME_ZONE), for times written without an offset.
    zone: tzinfo = UTC
    slas: dict[tuple[str, str], Sla] = field(default_factory=dict)

    @classmethod
    def load(cls, *, now: datetime) -> Lookups:
        categories = dict(Category.objects.values_list("code", "pk"))
        routes = dict(
            Category.objects.filter(default_department__is_active=True).values_list("code", "default_department_id")
        )
        people: set[tuple[int, int]] = set()
        for relation in (Department.members.through, Department.owners.through):
            people.update(relation.objects.values_list("department_id", "user_id"))
        return cls(
            categories=categories,
            inactive_categories=set(Category.objects.filter(is_active=False).values_list("code", flat=True)),
            routes=routes,
            departments=dict(Department.objects.values_list("code", "pk")),
            causes=dict(Cause.objects.values_list("code", "pk")),
            users=dict(get_user_model().objects.values_list("username", "pk")),
            department_people=people,
            now=now,
            zone=timezone.get_default_timezone(),
        )

    def sla(self, kind: str, severity: str) -> Sla:
        key = (kind, severity)
        if key not in self.slas:
            self.slas[key] = SlaPolicy.sla_for(kind=kind, severity=severity)
        return self.slas[key]


def _text(value: str) -> str:
    return value.strip()


def parse_moment(text: str, zone: tzinfo | None = None) -> datetime:
    """ISO 8601 (with or without an offset), a date alone, or ``YYYY/M/D H:MM``; without an offset
    in ``zone`` (default: the bank's time zone, ``TIME_ZONE``). Raises ValueError."""
    text = text.strip()
    match = SLASH_MOMENT_RE.fullmatch(text)
    if match:
        year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    elif len(text) == 10:
        moment = datetime.combine(date.fromisoformat(text), time())
    else:
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or timezone.get_default_timezone())
    return moment


@dataclass
class Prepared:
    """A checked row: the case's field values (``category_id`` and the like), its key and digest."""

    line: int
    fields: dict[str, Any]
    digest: str
    reference: str = ""

    @property
    def key(self) -> tuple[str, str]:
        external_id = self.fields["external_id"]
        return ("external", f"{self.fields['channel']}\x1f{external_id}") if external_id else ("reference", self.reference)


DIGESTED = tuple(name for name in c.HEADER if name != "reference")


def digest(values: dict[str, str]) -> str:
    """The row's checksum over our columns as given: what tells a changed row from a repeated one."""
    text = "\x1e".join([values.get(name, "").strip() for name in DIGESTED])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def prepare(values: dict[str, str], *, line: int, lookups: Lookups, route: bool = False) -> Prepared:
    """Check one row of our case file; raises ``RowProblems`` naming every column that is wrong.

    ``route``: a new case goes to its category's department, as live intake routes it (a
    regulator's export says nothing of the bank's departments).
    """
    problems: list[tuple[str, str]] = []
    problem = lambda column, reason: problems.append((column, reason))  # noqa: E731
    unknown = [name for name in values if name and name not in c.BY_NAME]
    if "" in values and len(values) == 1:
        raise RowProblems([("", _("The row has more cells than the header has columns."))])
    if unknown:
        raise RowProblems([(name, _("Not a column of the case file.")) for name in unknown])
    f: dict[str, Any] = {}

    for name in TEXT_FIELDS:
        text = _text(values.get(name, ""))
        limit = MAX_LENGTHS[name]
        if limit and len(text) > limit:
            problem(name, _("At most %(limit)d characters (this has %(length)d).") % {"limit": limit, "length": len(text)})
        f[name] = text
    for name, (allowed, listed, default) in CHOICES.items():
        text = values.get(name, "").strip()
        if not text:
            f[name] = default
        elif text in allowed:
            f[name] = text
        else:
            problem(name, _("Not one of: %(choices)s.") % {"choices": listed})
            f[name] = default
    for name in MOMENTS:
        text = values.get(name, "").strip()
        f[name] = None
        if text:
            try:
                f[name] = parse_moment(text, lookups.zone)
            except ValueError:
                problem(name, _("Not a date and time (write it as 2026-01-05T09:30:00+08:00, 2026-01-05 or 2026/1/5 9:30)."))
            else:
                if f[name] > lookups.now + CLOCK_SKEW:
                    problem(name, _("In the future."))

    # customer identifiers: checked, never quoted back
    phone = _text(values.get("customer_phone", ""))
    if phone:
        if not customers.phone_is_valid(phone):
            problem("customer_phone", _("Not a phone number."))
        else:
            phone = customers.normalize_phone(phone)
    f["customer_phone"] = phone
    email = _text(values.get("customer_email", ""))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problem("customer_email", _("Not an e-mail address."))
    f["customer_email"] = email
    f["customer_account"] = customers.normalize_account(f["customer_account"])
    tags = [tag.strip() for tag in values.get("customer_tags", "").split(",") if tag.strip()]
    if len(tags) > MAX_TAGS or any(len(tag) > 60 for tag in tags):
        problem("customer_tags", _("At most %(count)d tags of up to 60 characters.") % {"count": MAX_TAGS})
    f["customer_tags"] = list(dict.fromkeys(tags))

    # reference data
    category = values.get("category", "").strip()
    if not category:
        problem("category", _("Give a category code."))
    elif category not in lookups.categories:
        problem("category", _("No category has the code “%(code)s”.") % {"code": category[:40]})
    f["category_id"] = lookups.categories.get(category)
    department = values.get("department", "").strip()
    f["department_id"] = lookups.departments.get(department) if department else None
    if department and f["department_id"] is None:
        problem("department", _("No department has the code “%(code)s”.") % {"code": department[:40]})
    cause = values.get("cause", "").strip()
    f["cause_id"] = lookups.causes.get(cause) if cause else None
    if cause and f["cause_id"] is None:
        problem("cause", _("No root cause has the code “%(code)s”.") % {"code": cause[:40]})
    assignee = values.get("assignee", "").strip()
    f["assignee_id"] = lookups.users.get(assignee) if assignee else None
    if assignee:
        if f["assignee_id"] is None:
            problem("assignee", _("No user has this username."))
        elif f["department_id"] is not None and (f["department_id"], f["assignee_id"]) not in lookups.department_people:
            problem("assignee", _("This user is not in the case's department."))
        elif f["department_id"] is None:
            problem("assignee", _("An assignee needs a department."))

    # numbers
    f["satisfaction"] = None
    if text := values.get("satisfaction", "").strip():
        if not (text.isdigit() and 1 <= int(text) <= 5):
            problem("satisfaction", _("A whole number from 1 to 5."))
        else:
            f["satisfaction"] = int(text)
    f["reopen_count"] = 0
    if text := values.get("reopen_count", "").strip():
        if not (text.isdigit() and int(text) < 1000):
            problem("reopen_count", _("A whole number from 0 to 999."))
        else:
            f["reopen_count"] = int(text)
    f["compensation"] = None
    if text := values.get("compensation", "").strip():
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10") or amount != amount.quantize(Decimal("0.01")):
            problem("compensation", _("An amount such as 120.00 (not negative, at most two decimals)."))
        else:
            f["compensation"] = amount
    for name in ("timely_response", "consumer_disputed"):
        text = values.get(name, "").strip().lower()
        if text not in ("", "yes", "no"):
            problem(name, _("Write yes or no, or leave it empty."))
        f[name] = None if text not in ("yes", "no") else text == "yes"

    # identity
    reference = values.get("reference", "").strip()
    if reference:
        match = REFERENCE_RE.fullmatch(reference)
        if not match:
            problem("reference", _("Not a reference like C-20260105-000001."))
        else:
            try:
                date(int(reference[2:6]), int(reference[6:8]), int(reference[8:10]))
            except ValueError:
                problem("reference", _("Not a reference like C-20260105-000001."))
    if not f["external_id"] and not reference:
        problem("external_id", _("Give external_id (the old system's own id) or reference, so that a second import adds nothing."))
    if not values.get("channel", "").strip():
        problem("channel", _("Give the channel."))
    if not f["subject"]:
        problem("subject", _("Give the case a subject."))

    # the lifecycle
    state = f["state"]
    if not values.get("state", "").strip():
        problem("state", _("Give the state."))
    merged_into = values.get("merged_into", "").strip()
    f["merged_into"] = merged_into
    if state == S.MERGED and not merged_into:
        problem("merged_into", _("A merged case names the case it was merged into (its reference)."))
    elif merged_into and state != S.MERGED:
        problem("merged_into", _("Only a merged case has it."))
    elif merged_into and not REFERENCE_RE.fullmatch(merged_into):
        problem("merged_into", _("Not a reference like C-20260105-000001."))
    elif merged_into and merged_into == values.get("reference", "").strip():
        problem("merged_into", _("A case cannot be merged into itself."))
    if f["received_at"] is None and "received_at" not in {p[0] for p in problems}:
        problem("received_at", _("Give the time of receipt."))
    if f["sent_to_bank_at"] is not None and f["channel"] != Channel.REGULATOR:
        problem("sent_to_bank_at", _("Only a regulator referral is sent to the bank."))
    if f["submitted_via"] and f["channel"] != Channel.REGULATOR:
        problem("submitted_via", _("Only a regulator referral has it."))
    if state == S.NEW and f["department_id"] is not None:
        problem("department", _("A new case has no department yet; give the state assigned."))
    if state in NEEDS_DEPARTMENT and f["department_id"] is None and "department" not in {p[0] for p in problems}:
        problem("department", _("A case that is %(state)s needs a department.") % {"state": state})
    if state == S.IN_PROGRESS and f["first_responded_at"] is None:
        problem("first_responded_at", _("A case in progress has had its first response: give its time."))
    if state in (S.NEW, S.ASSIGNED) and f["first_responded_at"] is not None:
        problem("state", _("A case with a first response is in progress (or later)."))
    if state == S.RESOLVED:
        if f["resolved_at"] is None:
            problem("resolved_at", _("A resolved case needs the time it was resolved."))
        if not f["outcome"]:
            problem("outcome", _("A resolved case needs its outcome."))
    if state in FINAL and f["closed_at"] is None:
        problem("closed_at", _("A case that is %(state)s needs the time it ended.") % {"state": state})
    if state not in FINAL and f["closed_at"] is not None:
        problem("closed_at", _("Only a closed, rejected, withdrawn or merged case has an end time."))
    if state in (S.NEW, S.ASSIGNED, S.IN_PROGRESS) and (f["resolved_at"] or f["outcome"]):
        problem("state", _("A case with a resolution is resolved or closed."))
    if (f["closure"] or f["satisfaction"]) and state != S.CLOSED:
        problem("closure", _("Only a closed case has a closure or a satisfaction score."))
    if f["satisfaction"] is not None and f["closure"] not in ("", Closure.ACCEPTED):
        problem("satisfaction", _("Only a customer who accepted the outcome gives a score."))
    for order in MOMENT_ORDERS:
        earlier: tuple[str, datetime] | None = None
        for name in order:
            moment = f[name]
            if moment is None:
                continue
            if earlier is not None and moment < earlier[1] and name not in {p[0] for p in problems}:
                problem(name, _("Earlier than %(column)s.") % {"column": earlier[0]})
            earlier = (name, moment)
    if f["category_id"] is not None and category in lookups.inactive_categories and state not in FINAL:
        problem("category", _("This category is no longer in use; an open case needs one that is."))
    if problems:
        raise RowProblems(problems)

    if route and state == S.NEW and category in lookups.routes:
        f["state"], f["department_id"] = S.ASSIGNED, lookups.routes[category]
    if f["closure"] == "" and f["satisfaction"] is not None:
        f["closure"] = Closure.ACCEPTED
    _deadlines(f, lookups)
    return Prepared(line=line, fields=f, digest=digest(values), reference=reference)


def _deadlines(f: dict[str, Any], lookups: Lookups) -> None:
    """The case's clocks, counted from its real receipt (a referral's from when it was sent on)."""
    sla = lookups.sla(f["kind"], f["severity"])
    started = f["sent_to_bank_at"] or f["received_at"]
    final = f["state"] in FINAL
    f.update(first_response_due=None, first_response_warn_at=None, resolution_due=None, resolution_warn_at=None, review_due=None)
    f["resolution_clock_started_at"] = started
    f["resolution_window_days"] = sla.window_days
    f["calendar_gaps"] = ""
    if not final or f["first_responded_at"] is not None:
        f["first_response_due"], f["first_response_warn_at"] = clocks.first_response_deadline(sla, started)
    if not final or f["resolved_at"] is not None:
        deadline = clocks.resolution_deadline(sla, started)
        f.update(deadline.as_fields())
    if f["resolved_at"] is not None and (not final or f["closure"]):
        f["review_due"] = clocks.review_due(sla, f["resolved_at"])
