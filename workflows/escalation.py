"""The escalation sweep: finds the ladder steps that are due and claims each exactly once.

Which clocks there are, where their deadlines and warning instants live, and their ladders
are the clock registry's (``workflows.clocks``); this module only walks it.

Boundaries: level 1 is reached at the clock's stored warning instant (inclusive); levels 2
and 3 once their instant is *passed* (strictly later), as "overdue" is defined in
``workflows.policies``.

Exactly once: every step is claimed by inserting an ``Escalation(complaint, clock, due,
level)`` row with "on conflict do nothing" in the same transaction as its
``ComplaintEvent``; only the rows this sweep really inserted get an event, a level update
and an e-mail. Because ``due`` is part of the claim, a moved deadline (extension, reopen)
starts a fresh ladder. A case that got its response is out of the first-response query.

**A case found past several steps at once** (a backlog, a sweep that did not run, a case
logged late) records only the highest step it has reached: one claim, one event (its data
lists the lower levels it ``skipped``) and one e-mail to that level's people. The lower
steps of that ladder are never recorded afterwards, so nobody is warned about a deadline
that has long passed.

Only due rows are read: each (clock, level) is one range on an indexed deadline or warning
column (partial indexes over the states in which the clock runs, see ``complaints.models``),
read in keyset-ordered batches with ``select_for_update(skip_locked=True)`` where the
database has it, so several workers share the work. Each batch costs a constant number of
queries. A sweep works from the database, so a lost message is redone by the next tick.
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat, Greatest
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent

from . import targets
from .clocks import CLOCKS, ClockRule, running
from .models import CaseTarget, ClockTarget, Escalation

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000
# A sweep whose notifications were never enqueued (its worker died) is picked up by a later
# sweep once its claims are this old; longer than the notification task's time limit.
DEFAULT_RENOTIFY_AFTER = timedelta(minutes=15)
EVENT_KIND = "escalation"


def step_reached(*, clock: str, due: datetime, now: datetime, warn_at: datetime | None = None) -> int:
    """The highest level of ``clock``'s ladder reached at ``now`` for deadline ``due`` (0 = none)."""
    return CLOCKS[clock].step_reached(due=due, now=now, warn_at=warn_at)


def running_deadlines(case: Complaint) -> frozenset[tuple[str, datetime | None]]:
    """The clocks that run on ``case`` with their deadlines; a change means the ladder restarts."""
    return frozenset((clock.name, clock.columns.due(case)) for clock in running(case))


def level_after_clock_change(case: Complaint) -> tuple[int, datetime | None]:
    """``(escalation_level, escalated_at)`` for ``case`` after a clock stopped or a deadline moved.

    The highest step already claimed on the clocks that still run, at their current
    deadlines; ``(0, None)`` when there is none (a fresh ladder).
    """
    condition = Q()
    for clock, due in running_deadlines(case):
        if due is not None:
            condition |= Q(clock=clock, due=due)
    if not condition:
        return 0, None
    found = Escalation.objects.filter(condition, complaint_id=case.pk).aggregate(
        level=Max("level"), at=Max("created_at")
    )
    return (found["level"] or 0, found["at"]) if found["level"] else (0, None)


@dataclass
class SweepResult:
    """What one sweep did."""

    sweep: str
    now: datetime
    steps: Counter = field(default_factory=Counter)  # (clock, level) -> steps claimed
    read: int = 0  # case rows read (locked) by this sweep
    batches: int = 0
    renotified: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.steps.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "sweep": self.sweep,
            "now": self.now.isoformat(),
            "escalated": self.total,
            "steps": {f"{clock}:{level}": count for (clock, level), count in sorted(self.steps.items())},
            "read": self.read,
            "batches": self.batches,
            "renotified": self.renotified,
        }


def _due_rows(clock: ClockRule, level: int, *, now: datetime) -> QuerySet[Complaint]:
    """The cases whose ``level`` step on ``clock`` is due and not yet claimed (nor a higher one)."""
    due = clock.columns.due_field
    if level == 3:
        limit = now - clock.supervisors_after if clock.supervisors_after else now
        window = Q(**{f"{due}__lt": limit})
    elif level == 2 and clock.supervisors_after is not None:
        window = Q(**{f"{due}__lt": now, f"{due}__gte": now - clock.supervisors_after})
    elif level == 1 and clock.columns.warn_field:
        window = Q(**{f"{clock.columns.warn_field}__lte": now, f"{due}__gte": now})
    else:
        raise ValueError(f"the {clock.name} clock has no level {level}")
    claimed = Escalation.objects.filter(
        complaint_id=OuterRef("pk"), clock=clock.name, due=OuterRef(due), level__gte=level
    )
    return Complaint.objects.filter(clock.columns.running, window).filter(~Exists(claimed))


def escalation_sweep(
    *,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    notify: bool = True,
    renotify_after: timedelta = DEFAULT_RENOTIFY_AFTER,
) -> SweepResult:
    """Claim every escalation step that is due at ``now``, each in a short transaction per batch.

    Safe to run from several processes at once. Sets ``escalation_level`` (never lowered by
    a sweep) and ``escalated_at`` with a queryset update; never touches the state. When
    ``notify`` is true, enqueues the e-mails of this sweep (and of earlier sweeps whose
    e-mails were never enqueued) after commit.
    """
    now = now or timezone.now()
    result = SweepResult(sweep=uuid.uuid4().hex, now=now)
    lock = connection.features.has_select_for_update_skip_locked

    for clock in CLOCKS.values():
        due_field = clock.columns.due_field
        for level in clock.levels:
            base = _due_rows(clock, level, now=now)
            last: tuple[datetime, int] | None = None
            while True:
                with transaction.atomic():
                    rows = base
                    if last is not None:
                        rows = rows.filter(
                            Q(**{f"{due_field}__gt": last[0]}) | Q(**{due_field: last[0], "pk__gt": last[1]})
                        )
                    if lock:
                        rows = rows.select_for_update(skip_locked=True)
                    found = list(rows.order_by(due_field, "pk").values_list("pk", due_field)[:batch_size])
                    if not found:
                        break
                    fetched = len(found)
                    result.batches += 1
                    result.read += fetched
                    last = (found[-1][1], found[-1][0])
                    claimed = _claim(clock, level, found, now=now, sweep=result.sweep)
                    result.steps[(clock.name, level)] += claimed
                if fetched < batch_size:
                    break

    _sweep_targets(result, now=now, batch_size=batch_size, lock=lock)
    if notify:
        _enqueue_notifications(result, renotify_after=renotify_after)
    logger.info("escalation sweep %s: %s", result.sweep, result.as_dict()["steps"])
    return result


def _sweep_targets(result: SweepResult, *, now: datetime, batch_size: int, lock: bool) -> None:
    """The internal targets' two-step ladders: the warning (level 1) and the deadline passed (level 2).

    Claims and events as for the registry's clocks; the case's own escalation level, which
    the regulator's clocks set, is left alone.
    """
    for level in (2, 1):
        window = Q(due__lt=now) if level == 2 else Q(warn_at__lte=now, due__gte=now)
        claimed = Escalation.objects.filter(
            complaint_id=OuterRef("complaint_id"),
            clock=Concat(Value(ClockTarget.CLOCK_PREFIX), OuterRef("target__code")),
            due=OuterRef("due"),
            level__gte=level,
        )
        base = CaseTarget.objects.filter(targets.running_q(), window).filter(~Exists(claimed))
        last: tuple[datetime, int] | None = None
        while True:
            with transaction.atomic():
                rows = base if last is None else base.filter(Q(due__gt=last[0]) | Q(due=last[0], pk__gt=last[1]))
                if lock:
                    rows = rows.select_for_update(skip_locked=True, of=("self",))
                found = list(rows.order_by("due", "pk").values_list("pk", "due", "complaint_id", "target__code")[:batch_size])
                if not found:
                    break
                result.batches += 1
                result.read += len(found)
                last = (found[-1][1], found[-1][0])
                for code, claimed_count in _claim_targets(level, found, now=now, sweep=result.sweep).items():
                    result.steps[(ClockTarget.CLOCK_PREFIX + code, level)] += claimed_count
            if len(found) < batch_size:
                break


def _claim_targets(level: int, rows: list[tuple], *, now: datetime, sweep: str) -> Counter:
    """Claim ``level`` of internal targets for the locked ``(pk, due, complaint_id, code)`` rows."""
    mine = _record_claims(
        [(case_id, ClockTarget.CLOCK_PREFIX + code, due) for _pk, due, case_id, code in rows],
        level=level,
        now=now,
        sweep=sweep,
        skipped=lambda complaint_id, clock, due: [],
    )
    return Counter(clock.removeprefix(ClockTarget.CLOCK_PREFIX) for _id, clock, _due in mine)


def _record_claims(
    claims: list[tuple[int, str, datetime]],
    *,
    level: int,
    now: datetime,
    sweep: str,
    skipped: Callable[[int, str, datetime], list[int]],
) -> list[tuple[int, str, datetime]]:
    """Insert ``(complaint_id, clock, due)`` claims at ``level``, "on conflict do nothing", and write
    an escalation event for each one this sweep really inserted; return those (the portable path)."""
    Escalation.objects.bulk_create(
        [
            Escalation(complaint_id=case_id, clock=clock, due=due, level=level, created_at=now, sweep=sweep)
            for case_id, clock, due in claims
        ],
        ignore_conflicts=True,
    )
    # Rows another sweep inserted first keep their own sweep id, so this reads only ours.
    mine = list(
        Escalation.objects.filter(
            sweep=sweep,
            level=level,
            clock__in={clock for _id, clock, _due in claims},
            complaint_id__in=[case_id for case_id, _clock, _due in claims],
        ).values_list("complaint_id", "clock", "due")
    )
    ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(
                complaint_id=complaint_id,
                created_at=now,
                actor=None,
                actor_label=ComplaintEvent.SYSTEM,
                kind=EVENT_KIND,
                data={
                    "clock": clock,
                    "level": level,
                    "due": due.isoformat(timespec="microseconds"),
                    # Lower steps not claimed before this one are never recorded (module docstring).
                    "skipped": skipped(complaint_id, clock, due),
                },
            )
            for complaint_id, clock, due in mine
        ]
    )
    return mine


def _claim(clock: ClockRule, level: int, rows: list[tuple], *, now: datetime, sweep: str) -> int:
    """Claim ``level`` for the locked ``rows``; events and level updates only for claims really inserted."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _claim_postgresql(clock, level, [row[0] for row in rows], now=now, sweep=sweep)
    ids = [row[0] for row in rows]
    earlier: dict[tuple[int, datetime], set[int]] = {}
    if level > 1 and clock.supervisors_after is not None:
        for complaint_id, due, lower in Escalation.objects.filter(
            clock=clock.name, level__lt=level, complaint_id__in=ids
        ).values_list("complaint_id", "due", "level"):
            earlier.setdefault((complaint_id, due), set()).add(lower)
    lower_levels = set(range(1, level)) if clock.supervisors_after is not None else set()
    mine = _record_claims(
        [(row[0], clock.name, row[1]) for row in rows],
        level=level,
        now=now,
        sweep=sweep,
        skipped=lambda complaint_id, _clock, due: sorted(lower_levels - earlier.get((complaint_id, due), set())),
    )
    if not mine:
        return 0
    Complaint.objects.filter(pk__in=[complaint_id for complaint_id, _clock, _due in mine]).update(
        escalation_level=Greatest(F("escalation_level"), Value(level)), escalated_at=now
    )
    return len(mine)


def _claim_postgresql(clock: ClockRule, level: int, ids: list[int], *, now: datetime, sweep: str) -> int:
    """The same as the portable path in one statement: claims, events and level updates in the database.

    The rows never travel to Python and back, which is what makes a sweep of thousands of
    steps take a second rather than several.
    """
    complaint_table = Complaint._meta.db_table
    event_table = ComplaintEvent._meta.db_table
    claim_table = Escalation._meta.db_table
    due_column = Complaint._meta.get_field(clock.columns.due_field).column
    first_skippable = 1 if clock.supervisors_after is not None else level
    sql = f"""
        WITH batch AS (
            SELECT id AS complaint_id, {due_column} AS due FROM {complaint_table} WHERE id = ANY(%(ids)s)
        ), claimed AS (
            INSERT INTO {claim_table} (complaint_id, clock, due, level, created_at, sweep, notify_batch)
            SELECT complaint_id, %(clock)s, due, %(level)s, %(now)s, %(sweep)s, '' FROM batch
            ON CONFLICT (complaint_id, clock, due, level) DO NOTHING
            RETURNING complaint_id, due
        ), events AS (
            INSERT INTO {event_table}
                (complaint_id, created_at, actor_id, actor_label, kind, from_state, to_state, note, data)
            SELECT complaint_id, %(now)s, NULL, %(system)s, %(kind)s, '', '', '', jsonb_build_object(
                'clock', %(clock)s::text,
                'level', %(level)s::int,
                'due', to_char(due AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00',
                'skipped', to_jsonb(ARRAY(
                    SELECT step FROM generate_series(%(first_skippable)s::int, %(level)s::int - 1) AS step
                    WHERE NOT EXISTS (
                        SELECT 1 FROM {claim_table} earlier
                        WHERE earlier.complaint_id = claimed.complaint_id AND earlier.clock = %(clock)s
                          AND earlier.due = claimed.due AND earlier.level = step
                    )
                    ORDER BY step
                ))
            )
            FROM claimed
        ), updated AS (
            UPDATE {complaint_table} AS c
            SET escalation_level = GREATEST(c.escalation_level, %(level)s), escalated_at = %(now)s
            FROM claimed WHERE c.id = claimed.complaint_id
        )
        SELECT count(*) FROM claimed
    """
    params: dict[str, Any] = {
        "ids": ids,
        "clock": clock.name,
        "level": level,
        "now": now,
        "sweep": sweep,
        "system": ComplaintEvent.SYSTEM,
        "kind": EVENT_KIND,
        "first_skippable": first_skippable,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _enqueue_notifications(result: SweepResult, *, renotify_after: timedelta) -> None:
    sweeps = [result.sweep] if result.total else []
    stale = (
        Escalation.objects.filter(notify_batch="", created_at__lte=result.now - renotify_after)
        .exclude(sweep=result.sweep)
        .values_list("sweep", flat=True)
        .distinct()[:100]
    )
    result.renotified = sorted(set(stale))
    for sweep in sweeps + result.renotified:
        transaction.on_commit(partial(_send_notifications, sweep))


def _send_notifications(sweep: str) -> None:
    from . import tasks  # tasks imports this module

    tasks.send_escalation_notifications.delay(sweep)


def renotify_after_setting() -> timedelta:
    seconds = getattr(settings, "ESCALATION_RENOTIFY_AFTER_SECONDS", None)
    return timedelta(seconds=seconds) if seconds is not None else DEFAULT_RENOTIFY_AFTER
