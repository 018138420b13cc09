"""A case's clocks as the case table holds them: where each one's start, deadline and warning live,
and in which states it runs.

This is the part of the clock registry (``workflows.clocks``) that the model itself needs:
its partial indexes are built from ``running``, and the queues and the "overdue" filter read
it. How a deadline is computed, its warning band and its escalation ladder are in
``workflows.clocks``, which wraps each of these.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .states import UNRESOLVED_STATES, ComplaintState

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@dataclass(frozen=True)
class ClockColumns:
    name: str
    label: StrPromise
    start_field: str
    due_field: str
    # The stored instant of the warning step; None for a clock without one.
    warn_field: str | None
    # The cases whose clock runs, as a query (the partial indexes' condition) and on an instance.
    running: Q
    runs_on: Callable[[Any], bool]

    def due(self, case: Any) -> datetime | None:
        return getattr(case, self.due_field)

    def started(self, case: Any) -> datetime | None:
        return getattr(case, self.start_field) or case.received_at

    def warn_at(self, case: Any) -> datetime | None:
        return getattr(case, self.warn_field) if self.warn_field else None

    def overdue(self, now: datetime) -> Q:
        return self.running & Q(**{f"{self.due_field}__lt": now})


_OPEN = (ComplaintState.NEW, ComplaintState.ASSIGNED)

FIRST_RESPONSE = ClockColumns(
    name="first_response",
    label=_("first response"),
    # A regulator referral's clocks start when it was sent to the bank; other cases' at receipt.
    start_field="sent_to_bank_at",
    due_field="first_response_due",
    warn_field="first_response_warn_at",
    running=Q(state__in=list(_OPEN), first_responded_at__isnull=True),
    runs_on=lambda case: case.state in _OPEN and case.first_responded_at is None,
)
RESOLUTION = ClockColumns(
    name="resolution",
    label=_("resolution"),
    start_field="resolution_clock_started_at",
    due_field="resolution_due",
    warn_field="resolution_warn_at",
    # A paused clock (pause/resume) does not run: no escalation, not overdue.
    running=Q(state__in=list(UNRESOLVED_STATES), resolution_paused_at__isnull=True),
    runs_on=lambda case: case.state in UNRESOLVED_STATES and case.resolution_paused_at is None,
)
REVIEW = ClockColumns(
    name="review",
    label=_("review call-back"),
    start_field="resolved_at",
    due_field="review_due",
    warn_field=None,
    running=Q(state=ComplaintState.RESOLVED),
    runs_on=lambda case: case.state == ComplaintState.RESOLVED,
)

COLUMNS: dict[str, ClockColumns] = {clock.name: clock for clock in (FIRST_RESPONSE, RESOLUTION, REVIEW)}


def overdue_q(now: datetime) -> Q:
    """Cases with a running clock past its deadline."""
    condition = Q()
    for clock in COLUMNS.values():
        condition |= clock.overdue(now)
    return condition


def running_deadlines(case: Any) -> list[tuple[str, datetime, datetime]]:
    """Every clock running on the case as ``(clock, due, started_at)``, soonest due first."""
    found = []
    for clock in COLUMNS.values():
        due = clock.due(case)
        if due is not None and clock.runs_on(case):
            started = clock.started(case)
            if started is not None:
                found.append((clock.name, due, started))
    return sorted(found, key=lambda running: running[1])
