"""The clock registry: every clock a case has, in one place.

Each :class:`ClockRule` names the clock's columns and the states it runs in
(``complaints.clocks``), how its deadline is counted from a policy, its warning band and its
escalation ladder. The escalation sweep, the services that start, move and stop clocks, the
admin's badges and the "overdue" filters all read it; a new clock is a new entry here (and its
columns and partial indexes in ``complaints``).

The ladder (PRODUCT section 3):

========  =======================================  ============================  ==================
level     first response                           resolution                    notifies
========  =======================================  ============================  ==================
1         the warning instant (``warning_percent``  same                         assignee, members
          of the window gone, stored on the case)
2         deadline passed (``now > due``)          same                          department owners
3         more than 24 h past the deadline         more than 2 days past         supervisors
========  =======================================  ============================  ==================

The review (call-back) clock has one step, recorded as level 3: when it has run out the
supervisors are told.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from complaints import clocks as columns
from complaints.clocks import ClockColumns

from . import calendars
from .policies import Sla

if TYPE_CHECKING:
    from complaints.models import Complaint


@dataclass(frozen=True)
class ClockRule:
    columns: ClockColumns
    # The policy's warning band applies (level 1 at the stored warning instant).
    warns: bool
    # How long past the deadline the supervisors are told; None = the deadline is the only step.
    supervisors_after: timedelta | None

    @property
    def name(self) -> str:
        return self.columns.name

    @property
    def label(self):  # noqa: ANN201 - a lazy string
        return self.columns.label

    @property
    def levels(self) -> tuple[int, ...]:
        """The ladder's steps, highest first (the sweep claims them in this order)."""
        if self.supervisors_after is None:
            return (3,)
        return (3, 2, 1) if self.warns and self.columns.warn_field else (3, 2)

    def step_reached(self, *, due: datetime, now: datetime, warn_at: datetime | None = None) -> int:
        """The highest level reached at ``now`` for deadline ``due`` (0 = none).

        Level 1 at the warning instant (inclusive); levels 2 and 3 once the instant is passed.
        """
        if self.supervisors_after is None:
            return 3 if now > due else 0
        if now > due + self.supervisors_after:
            return 3
        if now > due:
            return 2
        if warn_at is not None and now >= warn_at:
            return 1
        return 0


FIRST_RESPONSE = ClockRule(columns.FIRST_RESPONSE, warns=True, supervisors_after=timedelta(hours=24))
RESOLUTION = ClockRule(columns.RESOLUTION, warns=True, supervisors_after=timedelta(days=2))
REVIEW = ClockRule(columns.REVIEW, warns=False, supervisors_after=None)

CLOCKS: dict[str, ClockRule] = {clock.name: clock for clock in (FIRST_RESPONSE, RESOLUTION, REVIEW)}


def running(case: Complaint) -> list[ClockRule]:
    return [clock for clock in CLOCKS.values() if clock.columns.runs_on(case)]


# --- deadlines: computed here only --------------------------------------------------------
def first_response_deadline(sla: Sla, at: datetime) -> tuple[datetime, datetime | None]:
    """The first-response clock started at ``at``: its deadline and its warning instant."""
    due = at + timedelta(hours=sla.first_response_hours)
    return due, calendars.warning_at(at, due, sla.warning_percent)


def start_first_response(case: Complaint, sla: Sla, at: datetime) -> None:
    case.first_response_due, case.first_response_warn_at = first_response_deadline(sla, at)


@dataclass(frozen=True)
class ResolutionDeadline:
    due: datetime
    warn_at: datetime | None
    # Years counted without their calendar, "2027" or "2026,2027"; empty when covered.
    calendar_gaps: str

    def as_fields(self) -> dict[str, object]:
        return {"resolution_due": self.due, "resolution_warn_at": self.warn_at, "calendar_gaps": self.calendar_gaps}


def resolution_deadline(sla: Sla, started: datetime, window_days: int | None = None) -> ResolutionDeadline:
    """The resolution clock started at ``started``: the policy's window, or ``window_days`` of its kind."""
    deadline = calendars.due(started, sla.resolution(window_days), sla.calendar())
    return ResolutionDeadline(
        due=deadline.due,
        warn_at=calendars.warning_at(started, deadline.due, sla.warning_percent),
        calendar_gaps=",".join(str(year) for year in deadline.uncovered_years),
    )


def review_due(sla: Sla, resolved_at: datetime) -> datetime:
    """The review (call-back) clock: ``review_days`` after resolution."""
    return resolved_at + timedelta(days=sla.review_days)


def calendar_gap_years(case: Complaint) -> list[int]:
    """Years the case's resolution deadline was counted through without their business calendar."""
    return [int(year) for year in case.calendar_gaps.split(",") if year]
