"""A bank's own targets beside the regulator's clocks (``ClockTarget``, one ``CaseTarget`` per case).

A target starts and stops with the clock it measures, so the services call two functions only:
``start_at_intake`` when a case is logged and ``after_transition`` after every transition.
Deadlines are counted like the regulator's (``workflows.calendars``), on the target's own
window, unit and calendar; a last day that is not a working day moves to the next one.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from complaints.models import Complaint
from complaints.states import UNRESOLVED_STATES

from . import calendars
from .calendars import Unit, Window
from .models import CaseTarget, ClockTarget, TargetMeasures

# Transitions after which a target stops or restarts (the others leave targets alone).
STOPS_FIRST_RESPONSE = frozenset({"respond"})
STOPS_EVERY_TARGET = frozenset({"resolve", "reject", "merge", "withdraw"})
RESTARTS_RESOLUTION = frozenset({"reopen", "new_facts"})


def active_targets(*, kind: str, severity: str, category_id: int | None) -> list[ClockTarget]:
    return list(
        ClockTarget.objects.filter(
            Q(kind="") | Q(kind=kind),
            Q(severity="") | Q(severity=severity),
            Q(category__isnull=True) | Q(category_id=category_id),
            is_active=True,
        )
        .select_related("calendar")
        .order_by("code")
    )


def deadline(target: ClockTarget, started: datetime) -> tuple[datetime, datetime | None]:
    """The target's deadline and warning instant for a clock started at ``started``."""
    if target.unit == Unit.HOURS:
        due = started + timedelta(hours=target.window)
    else:
        calendar = calendars.calendar_for(target.calendar_id, target.calendar.revision if target.calendar else None)
        due = calendars.due(started, Window(target.window, target.unit), calendar).due
    return due, calendars.warning_at(started, due, target.warning_percent)


def _rows(case: Complaint, targets: list[ClockTarget], started: datetime) -> list[CaseTarget]:
    rows = []
    for target in targets:
        due, warn_at = deadline(target, started)
        rows.append(CaseTarget(complaint=case, target=target, started_at=started, due=due, warn_at=warn_at))
    return rows


def start_at_intake(case: Complaint) -> None:
    """Every active target for the case's kind and severity, started at receipt."""
    targets = active_targets(kind=case.kind, severity=case.severity, category_id=case.category_id)
    if targets:
        CaseTarget.objects.bulk_create(_rows(case, targets, case.received_at))


def running_q() -> Q:
    """The case targets that run: not stopped, and a resolution target not on a paused clock."""
    return Q(stopped_at__isnull=True) & (
        Q(target__measures=TargetMeasures.FIRST_RESPONSE)
        | Q(complaint__resolution_paused_at__isnull=True, complaint__state__in=list(UNRESOLVED_STATES))
    )


def after_transition(case: Complaint, name: str, at: datetime, *, paused: timedelta | None = None) -> None:
    """Stop, restart or move the case's targets after transition ``name`` taken at ``at``."""
    open_rows = CaseTarget.objects.filter(complaint=case, stopped_at__isnull=True)
    if name in STOPS_FIRST_RESPONSE:
        open_rows.filter(target__measures=TargetMeasures.FIRST_RESPONSE).update(stopped_at=at)
    elif name in STOPS_EVERY_TARGET:
        open_rows.update(stopped_at=at)
    elif name in RESTARTS_RESOLUTION:
        stopped = list(open_rows.filter(target__measures=TargetMeasures.RESOLUTION).values_list("target_id", flat=True))
        open_rows.filter(target__measures=TargetMeasures.RESOLUTION).update(stopped_at=at)
        # A reopened case gets every active resolution target afresh (one that stopped at the
        # resolution included); new facts restart the ones that ran.
        if name == "reopen":
            targets = [t for t in active_targets(kind=case.kind, severity=case.severity, category_id=case.category_id) if t.measures == TargetMeasures.RESOLUTION]
        else:
            targets = list(ClockTarget.objects.filter(pk__in=stopped).select_related("calendar"))
        CaseTarget.objects.bulk_create(_rows(case, targets, at))
    elif name == "resume" and paused:
        # Counted again as if the target had started ``paused`` later: a business-day target
        # still ends on a working day (moving the deadline by the raw time would not).
        for row in open_rows.filter(target__measures=TargetMeasures.RESOLUTION).select_related("target__calendar"):
            row.due, row.warn_at = deadline(row.target, row.started_at + paused)
            row.save(update_fields=["due", "warn_at"])


def running_targets(case: Complaint) -> QuerySet[CaseTarget]:
    """The case's targets that run now, soonest due first (for its page)."""
    return CaseTarget.objects.filter(running_q(), complaint=case).select_related("target")
