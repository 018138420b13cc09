"""A case's history as staff read it: each event one sentence in the reader's language.

Events store codes (``kind``, department codes, usernames, ISO instants); this module turns
them into words at reading time, in the active language and the bank's time zone, so the
same history reads in English and Chinese alike.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from complaints.models import Cause, ComplaintEvent, Department
from complaints.states import ComplaintState, ContactMethod, EventKind, Outcome, PauseReason
from workflows.notifications import clock_label

from .badges import CLOCK_LABELS, humanize_delta

ESCALATION_LEVELS = {
    1: gettext_lazy("warning"),
    2: gettext_lazy("overdue"),
    3: gettext_lazy("escalated to supervisors"),
}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime  # in the bank's time zone
    who: str
    title: str
    sentence: str
    note: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    is_system: bool = False


def local_moment(value: datetime | str | None) -> str:
    """An instant as staff read it: local date and time, minutes precision."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _lower(label: str) -> str:
    """A label inside a sentence: its first letter in lower case, unless it is an acronym (SMS)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _full_stop(sentence: str) -> str:
    """One full stop at the end, also after a time that ends in one ("11:59 p.m.")."""
    return sentence[:-1] if sentence.endswith("..") else sentence


def _choice(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


class _Names:
    """Department, cause and person names for a batch of events, read in three queries at most."""

    def __init__(self, events: list[ComplaintEvent]) -> None:
        departments, causes, usernames = set(), set(), set()
        for event in events:
            data = event.data or {}
            if data.get("department"):
                departments.add(data["department"])
            if data.get("cause"):
                causes.add(data["cause"])
            if data.get("assignee"):
                usernames.add(data["assignee"])
            if event.actor_label and event.actor_label != ComplaintEvent.SYSTEM:
                usernames.add(event.actor_label)
        self.departments = {d.code: d.name for d in Department.objects.filter(code__in=departments)} if departments else {}
        self.causes = {c.code: c.name for c in Cause.objects.filter(code__in=causes)} if causes else {}
        people = get_user_model().objects.filter(username__in=usernames) if usernames else []
        self.people = {p.get_username(): (p.get_full_name() or p.get_username()) for p in people}

    def department(self, code: str | None) -> str:
        return self.departments.get(code or "", code or "")

    def cause(self, code: str | None) -> str:
        return self.causes.get(code or "", code or "")

    def person(self, username: str | None) -> str:
        return self.people.get(username or "", username or "")


def _first_upper(text: str) -> str:
    """The first letter in upper case and the rest as written (a target's name may hold capitals)."""
    return text[:1].upper() + text[1:]


def _sentence(event: ComplaintEvent, names: _Names) -> tuple[str, list[tuple[str, str]]]:
    """What happened, in words, and the event's data as labelled values."""
    data = event.data or {}
    kind = event.kind
    details: list[tuple[str, str]] = []
    if kind == EventKind.CREATED:
        return _("Case logged."), details
    if kind in (EventKind.ASSIGN, EventKind.REASSIGN):
        department = names.department(data.get("department"))
        if data.get("assignee"):
            sentence = _("Routed to %(department)s, assigned to %(person)s.") % {
                "department": department,
                "person": names.person(data["assignee"]),
            }
        else:
            sentence = _("Routed to %(department)s.") % {"department": department}
        if data.get("routed_by") == "category":
            sentence = _("Routed automatically to %(department)s by the category's default department.") % {
                "department": department
            }
        return sentence, details
    if kind == EventKind.RESPOND:
        return _("First response given to the customer by %(method)s.") % {
            "method": _lower(_choice(ContactMethod, data.get("method")))
        }, details
    if kind == EventKind.REQUEST_EXTENSION:
        days = int(data.get("days") or 0)
        who = _("a supervisor") if data.get("requires_supervisor") else _("the department owner")
        return ngettext(
            "Extension of %(days)d day requested; %(who)s decides.",
            "Extension of %(days)d days requested; %(who)s decides.",
            days,
        ) % {"days": days, "who": who}, details
    if kind == EventKind.APPROVE_EXTENSION:
        days = int(data.get("days") or 0)
        return ngettext(
            "Extension approved: %(days)d day, customer told by %(method)s, new deadline %(due)s.",
            "Extension approved: %(days)d days, customer told by %(method)s, new deadline %(due)s.",
            days,
        ) % {
            "days": days,
            "method": _lower(_choice(ContactMethod, data.get("customer_notified_by"))),
            "due": local_moment(data.get("resolution_due")),
        }, [(_("Previous deadline"), local_moment(data.get("previous_resolution_due")))]
    if kind == EventKind.DENY_EXTENSION:
        return _("Extension refused; the deadline stays."), details
    if kind == EventKind.RESOLVE:
        sentence = _("Resolved: %(outcome)s; root cause: %(cause)s.") % {
            "outcome": _lower(_choice(Outcome, data.get("outcome"))),
            "cause": names.cause(data.get("cause")),
        }
        if data.get("compensation"):
            try:
                amount = formats.number_format(Decimal(data["compensation"]), 2, use_l10n=True)
            except InvalidOperation:
                amount = str(data["compensation"])
            details.append((_("Compensation"), amount))
        return sentence, details
    if kind == EventKind.RECORD_CALLBACK_ATTEMPT:
        return _("Call-back attempt %(attempt)s did not reach the customer.") % {
            "attempt": data.get("attempt", "")
        }, details
    if kind == EventKind.CLOSE:
        return _("Closed: the customer accepts the outcome (satisfaction %(score)s of 5).") % {
            "score": data.get("satisfaction", "")
        }, details
    if kind == EventKind.CLOSE_UNREACHABLE:
        return _("Closed: the customer could not be reached after %(attempts)s call-back attempts.") % {
            "attempts": data.get("attempts", 0)
        }, details
    if kind == EventKind.CLOSE_WITHOUT_CALLBACK:
        return _("Closed without call-back: the case has no phone number or e-mail address."), details
    if kind == EventKind.REOPEN:
        if data.get("previous_outcome"):
            details.append((_("Previous outcome"), _choice(Outcome, data["previous_outcome"])))
        return _("Reopened: the customer does not accept; new resolution deadline %(due)s.") % {
            "due": local_moment(data.get("resolution_due"))
        }, details
    if kind == EventKind.REJECT:
        return _("Rejected."), details
    if kind == EventKind.MERGE:
        return _("Merged into %(reference)s.") % {"reference": data.get("into", "")}, details
    if kind == EventKind.WITHDRAW:
        return _("Withdrawn by the customer."), details
    if kind == EventKind.PAUSE:
        return _("Reason: %(reason)s; customer told by %(method)s.") % {
            "reason": _lower(_choice(PauseReason, data.get("reason"))),
            "method": _lower(_choice(ContactMethod, data.get("customer_notified_by"))),
        }, details
    if kind == EventKind.RESUME:
        return _("Paused for %(paused)s; new deadline %(due)s.") % {
            "paused": humanize_delta(float(data.get("paused_seconds") or 0)),
            "due": local_moment(data.get("resolution_due")),
        }, [(_("Previous deadline"), local_moment(data.get("previous_resolution_due")))]
    if kind == EventKind.NEW_FACTS:
        return _("The resolution clock starts again from this day; new deadline %(due)s.") % {
            "due": local_moment(data.get("resolution_due"))
        }, details
    if kind == EventKind.ESCALATION:
        level = int(data.get("level") or 0)
        sentence = _("%(clock)s deadline %(due)s: %(level)s.") % {
            "clock": _first_upper(str(CLOCK_LABELS.get(data.get("clock", "")) or clock_label(data.get("clock", "")))),
            "due": local_moment(data.get("due")),
            "level": str(ESCALATION_LEVELS.get(level, level)),
        }
        skipped = [str(ESCALATION_LEVELS.get(int(step), step)) for step in data.get("skipped") or []]
        if skipped:
            details.append((_("Earlier steps not sent"), ", ".join(skipped)))
        if data.get("not_sent") == "imported":
            details.append((_("Not sent"), _("the step had passed before the case was imported")))
        return sentence, details
    if kind == EventKind.IMPORTED:
        sentence = _("Imported from %(file)s, line %(line)s.") % {"file": data.get("file", ""), "line": data.get("line", "")}
        if data.get("os_user"):
            details.append((_("Operating-system user"), data["os_user"]))
        return sentence, details
    return _choice(EventKind, kind), details


def timeline(events: Iterable[ComplaintEvent]) -> list[Entry]:
    """The events as timeline entries, in the order given."""
    events = list(events)
    names = _Names(events)
    entries = []
    for event in events:
        sentence, details = _sentence(event, names)
        sentence = _full_stop(sentence)
        is_system = event.actor_label == ComplaintEvent.SYSTEM
        if event.from_state and event.to_state and event.from_state != event.to_state:
            details.append(
                (_("State"), f"{_choice(ComplaintState, event.from_state)} → {_choice(ComplaintState, event.to_state)}")
            )
        entries.append(
            Entry(
                at=timezone.localtime(event.created_at),
                who=_("System") if is_system else names.person(event.actor_label),
                title=_choice(EventKind, event.kind),
                sentence=sentence,
                note=event.note,
                details=[(label, value) for label, value in details if value],
                is_system=is_system,
            )
        )
    return entries
