"""The one registry of a case's lifecycle transitions: what each is called, which service runs it,
what input it takes, and who may take it now.

The admin's forms and the API's serializers are built from ``Transition.inputs``, so adding a
transition is one entry here (beside its model method and its service). The label and the
role rule live on the model's ``@transition`` (``custom["label"]``, ``permission``), where
django-fsm keeps them; this registry reads them from there.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Complaint, transition_label
from complaints.states import ContactMethod, Outcome, PauseReason

from . import services

if TYPE_CHECKING:
    # gettext_lazy's type in django-stubs (at runtime django.utils.functional.Promise).
    from django_stubs_ext import StrOrPromise, StrPromise


class InputKind(StrEnum):
    """How an input is typed; each interface maps a kind to its own field once."""

    TEXT = "text"  # free text; ``rows`` says how tall a box it wants
    CHOICE = "choice"  # one of ``choices``
    INTEGER = "integer"  # a whole number between ``min_value`` and ``max_value``
    SCORE = "score"  # 1 to 5, each with a spoken label in forms
    MONEY = "money"  # a non-negative amount with two decimals
    DEPARTMENT = "department"  # an active department, by code in the API
    ASSIGNEE = "assignee"  # a person of the chosen department, by username in the API
    CAUSE = "cause"  # an active root cause, by code in the API
    CASE = "case"  # another case the user can see, by reference


@dataclass(frozen=True)
class Input:
    """One keyword argument of a transition's service, as people and systems give it."""

    name: str
    kind: InputKind
    label: StrPromise
    required: bool = True
    help_text: StrOrPromise = ""
    choices: type[models.TextChoices] | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int = 10000
    rows: int = 3


@dataclass(frozen=True)
class Transition:
    """A lifecycle transition as the interfaces offer it."""

    name: str
    service: Callable[..., Complaint]
    inputs: tuple[Input, ...] = field(default=())

    @property
    def label(self) -> str:
        return transition_label(self.name)

    @property
    def help(self) -> str:
        """What the transition does, for people, in their language (the action panel's line)."""
        return str(HELP[self.name])

    @property
    def summary(self) -> str:
        """The first line of the service's docstring: what the transition does."""
        return (self.service.__doc__ or self.name).strip().splitlines()[0]

    def is_available(self, complaint: Complaint, user) -> bool:
        """Whether this user may take it on this case now (state, conditions and role)."""
        return self.name in selectors.available_transitions(complaint, user)


def _reason(label: StrPromise, **kwargs) -> Input:
    return Input("reason", InputKind.TEXT, label, **kwargs)


def _customer_told_by(label: StrPromise) -> Input:
    """How the customer was told (a contact method): the event records it."""
    return Input("customer_notified_by", InputKind.CHOICE, label, choices=ContactMethod)


def _optional_text(name: str, label: StrPromise, **kwargs) -> Input:
    return Input(name, InputKind.TEXT, label, required=False, rows=2, **kwargs)


_ROUTE = (
    Input("department", InputKind.DEPARTMENT, _("Department"), help_text=_("A department code.")),
    Input(
        "assignee",
        InputKind.ASSIGNEE,
        _("Assignee"),
        required=False,
        help_text=_("Optional: a person in that department (a username in the API)."),
    ),
)

# What each transition does, as the action panels say it (the services' docstrings are for developers).
HELP: Mapping[str, StrPromise] = MappingProxyType({
    "assign": _("Route a new case to the department that must fix it."),
    "reassign": _("Move a case to another department or person; it waits for the new owner's response."),
    "respond": _("The first response to the customer; stops the first-response clock."),
    "request_extension": _("Ask for more time before the resolution deadline; who must approve depends on the new window."),
    "approve_extension": _("Approve the pending extension; records how the customer was told of the new deadline."),
    "deny_extension": _("Refuse the pending extension; the deadline stays."),
    "resolve": _("Record the decision, its root cause and any compensation; starts the review clock."),
    "record_callback_attempt": _("Record a call-back that did not reach the customer."),
    "close": _("The customer accepts the outcome on the review call-back; closes the loop."),
    "close_unreachable": _("Close after three failed call-backs or when the review clock has run out."),
    "close_without_callback": _(
        "Close a resolved case that has no phone number or e-mail address to call back on; say why."
    ),
    "reopen": _("The customer does not accept: back to the department with a fresh resolution clock."),
    "reject": _("Not a case the bank handles (for example not a complaint about the bank)."),
    "merge": _("A repeat of another open case: fold it in; the other case carries on."),
    "withdraw": _("The customer withdraws; handling ends the day the withdrawal is received."),
    "pause": _("Stop the resolution clock while the bank waits on something it does not control; the customer is told."),
    "resume": _("Restart the paused resolution clock; the deadline moves by the time it was paused."),
    "new_facts": _("The customer brings new facts or reasons: the resolution clock restarts from that day."),
})


_REGISTRY = (
    Transition("assign", services.complaint_assign, _ROUTE),
    Transition("reassign", services.complaint_reassign, (*_ROUTE, _optional_text("note", _("Why")))),
    Transition(
        "respond",
        services.complaint_respond,
        (
            Input("method", InputKind.CHOICE, _("How the customer was contacted"), choices=ContactMethod),
            Input("message", InputKind.TEXT, _("What the customer was told"), rows=4),
        ),
    ),
    Transition(
        "request_extension",
        services.complaint_request_extension,
        (
            Input("days", InputKind.INTEGER, _("Extra days"), min_value=1, max_value=365),
            _reason(_("Why more time is needed")),
        ),
    ),
    Transition(
        "approve_extension",
        services.complaint_approve_extension,
        (
            _customer_told_by(_("How the customer was told of the new deadline")),
            _optional_text("note", _("Note")),
        ),
    ),
    Transition("deny_extension", services.complaint_deny_extension, (_reason(_("Why the extension is refused")),)),
    Transition(
        "resolve",
        services.complaint_resolve,
        (
            Input("outcome", InputKind.CHOICE, _("Outcome"), choices=Outcome),
            Input("cause", InputKind.CAUSE, _("Root cause"), help_text=_("A root-cause code.")),
            Input("summary", InputKind.TEXT, _("Decision and what was done"), rows=4),
            Input("compensation", InputKind.MONEY, _("Compensation"), required=False),
        ),
    ),
    Transition(
        "record_callback_attempt",
        services.complaint_record_callback_attempt,
        (_optional_text("note", _("What happened")),),
    ),
    Transition(
        "close",
        services.complaint_close,
        (
            Input("satisfaction", InputKind.SCORE, _("Satisfaction"), min_value=1, max_value=5),
            _optional_text("notes", _("Notes")),
        ),
    ),
    Transition("close_unreachable", services.complaint_close_unreachable, (_optional_text("notes", _("Notes")),)),
    Transition(
        "close_without_callback",
        services.complaint_close_without_callback,
        (_reason(_("Why the case closes without a call-back")),),
    ),
    Transition("reopen", services.complaint_reopen, (_reason(_("Why the customer does not accept")),)),
    Transition("reject", services.complaint_reject, (_reason(_("Why the case is rejected")),)),
    Transition(
        "merge",
        services.complaint_merge,
        (
            Input(
                "into",
                InputKind.CASE,
                _("Reference of the case to merge into"),
                help_text=_("The reference of the open case to merge into."),
                max_length=20,
            ),
        ),
    ),
    Transition("withdraw", services.complaint_withdraw, (_reason(_("What the customer said")),)),
    Transition(
        "pause",
        services.complaint_pause,
        (
            Input("reason", InputKind.CHOICE, _("Why the clock stops"), choices=PauseReason),
            _customer_told_by(_("How the customer was told the clock is paused")),
            _optional_text("note", _("Note")),
        ),
    ),
    Transition("resume", services.complaint_resume, (_optional_text("note", _("Note")),)),
    Transition(
        "new_facts",
        services.complaint_new_facts,
        (Input("note", InputKind.TEXT, _("What new facts or reasons the customer brought"), rows=3),),
    ),
)

TRANSITIONS: Mapping[str, Transition] = MappingProxyType({t.name: t for t in _REGISTRY})


def available_transitions(complaint: Complaint, user) -> list[Transition]:
    """The transitions this user may take on this case now, in the registry's order."""
    names = set(selectors.available_transitions(complaint, user))
    return [t for t in _REGISTRY if t.name in names]
