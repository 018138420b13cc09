"""The escalation ladder: each step at its boundary, exactly once, fresh ladders, what is left alone."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, ComplaintEvent
from tests import factories
from workflows import escalation, services
from workflows.calendars import warning_at
from workflows.models import Escalation

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
SECOND = timedelta(seconds=1)


def sweep_at(moment: datetime, **kwargs) -> escalation.SweepResult:
    """One sweep with the wall clock at ``moment``."""
    with time_machine.travel(moment, tick=False):
        return escalation.escalation_sweep(notify=False, **kwargs)


def steps(case: Complaint, clock: str | None = None) -> list[tuple[str, int]]:
    rows = Escalation.objects.filter(complaint=case)
    if clock:
        rows = rows.filter(clock=clock)
    return sorted((e.clock, e.level) for e in rows)


def level(case: Complaint) -> int:
    return Complaint.objects.values_list("escalation_level", flat=True).get(pk=case.pk)


def escalation_events(case: Complaint) -> list[dict]:
    return [e.data for e in ComplaintEvent.objects.filter(complaint=case, kind="escalation").order_by("id")]


@pytest.fixture
def assigned(world):
    with time_machine.travel(RECEIVED, tick=False):
        case = factories.create_case(world, now=RECEIVED)
        return services.complaint_assign(
            complaint=case, actor=world.cs, department=world.retail, assignee=world.member, now=RECEIVED
        )


@pytest.fixture
def responded(world, assigned):
    at = RECEIVED + timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        return services.complaint_respond(complaint=assigned, actor=world.member, method="phone", message="Called", now=at)


def resolve(world, case, at):
    with time_machine.travel(at, tick=False):
        return services.complaint_resolve(
            complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause(),
            compensation=Decimal("10"), now=at,
        )


# --- each step at its exact boundary ---------------------------------------------------
def test_first_response_ladder_steps_at_their_boundaries(assigned):
    due = assigned.first_response_due
    warn = warning_at(assigned.received_at, due, 75)
    assert warn == RECEIVED + timedelta(hours=18)

    assert sweep_at(warn - SECOND).total == 0
    assert sweep_at(warn).total == 1  # 75 % gone: reached at that instant
    assert steps(assigned) == [("first_response", 1)] and level(assigned) == 1

    assert sweep_at(due).total == 0  # at the deadline it has not passed yet
    assert sweep_at(due + SECOND).total == 1
    assert steps(assigned) == [("first_response", 1), ("first_response", 2)] and level(assigned) == 2

    assert sweep_at(due + timedelta(hours=24) - SECOND).total == 0
    assert sweep_at(due + timedelta(hours=24) + SECOND).total == 1
    assert steps(assigned) == [("first_response", 1), ("first_response", 2), ("first_response", 3)]
    assert level(assigned) == 3
    assert [(e["clock"], e["level"], e["skipped"]) for e in escalation_events(assigned)] == [
        ("first_response", 1, []),
        ("first_response", 2, []),
        ("first_response", 3, []),
    ]
    event = ComplaintEvent.objects.filter(complaint=assigned, kind="escalation").last()
    assert event.actor is None and event.actor_label == "system"
    assert event.data["due"] == due.isoformat(timespec="microseconds")


def test_resolution_ladder_steps_at_their_boundaries(responded):
    due = responded.resolution_due
    assert due == datetime(2026, 3, 17, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    warn = warning_at(responded.resolution_clock_started_at, due, 75)

    assert sweep_at(warn - SECOND).total == 0
    assert sweep_at(warn + SECOND).total == 1
    assert sweep_at(due - SECOND).total == 0
    assert sweep_at(due + SECOND).total == 1
    assert sweep_at(due + timedelta(days=2) - SECOND).total == 0
    assert sweep_at(due + timedelta(days=2) + SECOND).total == 1
    assert steps(responded) == [("resolution", 1), ("resolution", 2), ("resolution", 3)]
    assert level(responded) == 3


def test_review_clock_tells_supervisors_once_when_it_runs_out(world, responded):
    resolved = resolve(world, responded, RECEIVED + timedelta(days=2))
    due = resolved.review_due
    assert sweep_at(due - SECOND).total == 0
    assert sweep_at(due + SECOND).total == 1
    assert sweep_at(due + timedelta(days=30)).total == 0
    assert steps(resolved) == [("review", 3)]
    assert level(resolved) == 3


def test_state_is_never_changed_by_a_sweep(assigned):
    sweep_at(assigned.first_response_due + timedelta(days=40))
    case = Complaint.objects.get(pk=assigned.pk)
    assert case.state == assigned.state and case.version == assigned.version


# --- a case found past several steps ----------------------------------------------------
def test_case_found_past_level_3_records_only_level_3(assigned):
    due = assigned.first_response_due
    result = sweep_at(due + timedelta(hours=30))
    assert result.steps[("first_response", 3)] == 1 and result.total == 1
    assert steps(assigned) == [("first_response", 3)]
    assert [(e["level"], e["skipped"]) for e in escalation_events(assigned)] == [(3, [1, 2])]
    # The lower steps of that ladder are never recorded afterwards.
    assert sweep_at(due + timedelta(hours=31)).total == 0
    assert steps(assigned) == [("first_response", 3)]


def test_jump_from_warning_to_level_3_lists_only_the_missed_step(assigned):
    due = assigned.first_response_due
    sweep_at(due - timedelta(hours=1))
    sweep_at(due + timedelta(days=3))
    assert [(e["level"], e["skipped"]) for e in escalation_events(assigned)] == [(1, []), (3, [2])]


# --- exactly once, and what is left alone ---------------------------------------------
def test_second_sweep_changes_nothing(world, assigned):
    other = factories.create_case(world, now=RECEIVED)  # unrouted: still on the ladder
    moment = assigned.first_response_due + timedelta(hours=2)
    first = sweep_at(moment)
    assert first.total == 2
    events = ComplaintEvent.objects.count()
    claims = list(Escalation.objects.values_list("pk", flat=True))
    second = sweep_at(moment)
    assert second.total == 0
    assert ComplaintEvent.objects.count() == events
    assert list(Escalation.objects.values_list("pk", flat=True)) == claims
    assert level(other) == 2


def test_responded_case_is_left_alone_by_the_first_response_clock(responded):
    sweep_at(responded.first_response_due + timedelta(days=3))
    assert steps(responded, "first_response") == []
    assert level(responded) == 0


def test_response_after_warning_stops_that_ladder_and_resets_the_level(world, assigned):
    due = assigned.first_response_due
    sweep_at(due - timedelta(hours=2))
    assert level(assigned) == 1
    at = due - timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        services.complaint_respond(complaint=assigned, actor=world.member, method="phone", message="Called", now=at)
    assert level(assigned) == 0
    assert Complaint.objects.get(pk=assigned.pk).escalated_at is None
    sweep_at(due + timedelta(days=2))
    assert steps(assigned) == [("first_response", 1)]


def test_extension_starts_a_fresh_resolution_ladder(world, responded):
    old_due = responded.resolution_due
    warn = warning_at(responded.resolution_clock_started_at, old_due, 75)
    sweep_at(warn + SECOND)
    assert steps(responded) == [("resolution", 1)] and level(responded) == 1

    at = warn + timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        services.complaint_request_extension(complaint=responded, actor=world.member, days=10, reason="Audit", now=at)
        case = services.complaint_approve_extension(
            complaint=responded, actor=world.owner, customer_notified_by="phone", now=at
        )
    new_due = case.resolution_due
    assert new_due > old_due
    assert level(case) == 0  # the new deadline has no steps yet

    # The old deadline passing no longer escalates; the new ladder starts at its own 75 %.
    assert sweep_at(old_due + timedelta(days=3)).total == 0
    new_warn = warning_at(case.resolution_clock_started_at, new_due, 75)
    assert sweep_at(new_warn - SECOND).total == 0
    assert sweep_at(new_warn + SECOND).total == 1
    assert sorted((e.level, e.due) for e in case.escalations.all()) == [(1, old_due), (1, new_due)]
    assert level(case) == 1


def test_reopen_starts_a_fresh_resolution_ladder(world, responded):
    old_due = responded.resolution_due
    sweep_at(old_due + timedelta(days=3))  # resolution level 3 on the first deadline
    assert level(responded) == 3
    resolved = resolve(world, responded, old_due + timedelta(days=4))
    assert level(resolved) == 0  # the resolution clock stopped; review has no steps yet
    sweep_at(resolved.review_due + SECOND)
    assert level(resolved) == 3

    at = resolved.review_due + timedelta(hours=2)
    with time_machine.travel(at, tick=False):
        reopened = services.complaint_reopen(complaint=resolved, actor=world.cs, reason="Not accepted", now=at)
    assert level(reopened) == 0
    new_due = reopened.resolution_due
    new_warn = warning_at(reopened.resolution_clock_started_at, new_due, 75)
    assert sweep_at(new_warn - SECOND).total == 0
    assert sweep_at(new_warn + SECOND).total == 1
    assert steps(reopened, "resolution") == [("resolution", 1), ("resolution", 3)]
    assert Escalation.objects.get(complaint=reopened, clock="resolution", level=1).due == new_due


def test_closed_and_withdrawn_cases_are_left_alone(world):
    with time_machine.travel(RECEIVED, tick=False):
        closed = factories.case_in_state(world, "closed", now=RECEIVED)
        withdrawn = factories.case_in_state(world, "withdrawn", now=RECEIVED)
    assert sweep_at(RECEIVED + timedelta(days=90)).total == 0
    assert steps(closed) == steps(withdrawn) == []


# --- cost -------------------------------------------------------------------------------
def _overdue_cases(world, count):
    for _ in range(count):
        factories.create_case(world, now=RECEIVED)


def test_queries_per_batch_do_not_grow_with_the_cases_in_it(world):
    _overdue_cases(world, 3)
    moment = RECEIVED + timedelta(hours=30)
    with CaptureQueriesContext(connection) as few:
        assert sweep_at(moment, batch_size=100).total == 3
    _overdue_cases(world, 40)
    moment += timedelta(seconds=1)  # same band; the three earlier cases are already claimed
    with CaptureQueriesContext(connection) as many:
        assert sweep_at(moment, batch_size=100).total == 40
    assert len(many) == len(few)


def test_batches_cover_every_due_case(world):
    _overdue_cases(world, 25)
    result = sweep_at(RECEIVED + timedelta(hours=50), batch_size=4)
    assert result.total == 25
    assert result.batches == 7
    assert Escalation.objects.filter(level=3).count() == 25


# --- the command -----------------------------------------------------------------------
def test_escalate_overdue_command_runs_one_sweep_and_says_what_it_did(world, capsys):
    _overdue_cases(world, 2)
    with time_machine.travel(RECEIVED + timedelta(hours=50), tick=False):
        call_command("escalate_overdue", "--no-notify")
    out = capsys.readouterr().out
    assert "First response, level 3 (Escalated to supervisors): 2" in out
    assert "Escalated 2 step(s)" in out
    assert Escalation.objects.count() == 2
