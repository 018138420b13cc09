"""A case's history is in the order its transitions took the lock, and the case's timestamps agree with it.

Each transition takes its instant after it has locked the case, stamps the event with it and
stores that same instant on the case (``resolved_at``, ``closed_at``, ``first_responded_at``,
``review_due`` derived from it, ...). Checked as properties over random sequences of
transitions (any database) and over random sets of transitions racing on one case in threads
(PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.models import Complaint
from complaints.states import FINAL_STATES
from complaints.states import ComplaintState as S
from tests import factories
from tests.threads import run_at_once
from workflows import clocks, services
from workflows.models import SlaPolicy

CLOSING = {"close", "close_unreachable", "withdraw", "reject", "merge"}


def _calls(world: factories.World, cause) -> dict[str, Callable[[int], Complaint]]:
    """Every transition service, by transition name, as a call on a case id by a role that may take it."""
    return {
        "assign": lambda pk: services.complaint_assign(complaint=pk, actor=world.cs, department=world.retail),
        "reassign": lambda pk: services.complaint_reassign(
            complaint=pk, actor=world.cs, department=world.retail, assignee=world.member
        ),
        "respond": lambda pk: services.complaint_respond(
            complaint=pk, actor=world.owner, method="phone", message="Called"
        ),
        "request_extension": lambda pk: services.complaint_request_extension(
            complaint=pk, actor=world.member, days=5, reason="Waiting for the card scheme"
        ),
        "approve_extension": lambda pk: services.complaint_approve_extension(
            complaint=pk, actor=world.supervisor, customer_notified_by="phone"
        ),
        "deny_extension": lambda pk: services.complaint_deny_extension(
            complaint=pk, actor=world.supervisor, reason="No"
        ),
        "resolve": lambda pk: services.complaint_resolve(
            complaint=pk,
            actor=world.owner,
            outcome="upheld",
            summary="Refunded",
            cause=cause,
            compensation=Decimal("10"),
        ),
        "record_callback_attempt": lambda pk: services.complaint_record_callback_attempt(complaint=pk, actor=world.cs),
        "close": lambda pk: services.complaint_close(complaint=pk, actor=world.cs, satisfaction=4),
        "close_unreachable": lambda pk: services.complaint_close_unreachable(complaint=pk, actor=world.cs),
        "reopen": lambda pk: services.complaint_reopen(complaint=pk, actor=world.cs, reason="Not accepted"),
        "withdraw": lambda pk: services.complaint_withdraw(complaint=pk, actor=world.cs, reason="Customer withdrew"),
        "reject": lambda pk: services.complaint_reject(complaint=pk, actor=world.cs, reason="Not about the bank"),
    }


NAMES = [
    "assign", "reassign", "respond", "request_extension", "approve_extension", "deny_extension", "resolve",
    "record_callback_attempt", "close", "close_unreachable", "reopen", "withdraw", "reject",
]  # fmt: skip


def assert_history_agrees(case: Complaint) -> None:
    """The case's events are in lock (id) order in time, and every stored timestamp is its event's."""
    case = Complaint.objects.get(pk=case.pk)
    events = list(case.events.order_by("id"))
    stamps = [(event.kind, event.created_at) for event in events]
    assert [at for _, at in stamps] == sorted(at for _, at in stamps), f"events out of order: {stamps}"

    def last(kind: str):
        found = [event for event in events if event.kind == kind]
        return found[-1] if found else None

    responses = [event for event in events if event.kind == "respond"]
    if responses:
        assert case.first_responded_at == responses[0].created_at, stamps
    else:
        assert case.first_responded_at is None
    sla = SlaPolicy.sla_for(kind=case.kind, severity=case.severity)
    if case.resolved_at is not None:
        resolved = last("resolve")
        assert resolved is not None and case.resolved_at == resolved.created_at, stamps
        assert case.review_due == clocks.review_due(sla, case.resolved_at)
    else:
        assert case.review_due is None
    reopened = last("reopen")
    started = reopened.created_at if reopened is not None else case.received_at
    assert case.resolution_clock_started_at == started, stamps
    assert case.resolution_due == clocks.resolution_deadline(sla, started, case.resolution_window_days).due
    if case.extension_requested_at is not None:
        requested = last("request_extension")
        assert requested is not None and case.extension_requested_at == requested.created_at, stamps
    if case.state in FINAL_STATES:
        assert events[-1].kind in CLOSING and case.closed_at == events[-1].created_at, stamps
        if case.resolved_at is not None:
            assert case.closed_at >= case.resolved_at, stamps
    else:
        assert case.closed_at is None


def _attempt(call: Callable[[int], Complaint], pk: int):
    try:
        return call(pk)
    except (services.WorkflowError, ValidationError) as exc:
        return exc


# --- one transition after another (any database) -------------------------------------
@pytest.mark.django_db
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(routed=st.booleans(), steps=st.lists(st.sampled_from(NAMES), min_size=1, max_size=14))
def test_sequential_transitions_keep_the_history_and_the_case_in_agreement(world, routed, steps):
    calls = _calls(world, factories.cause())
    case = factories.create_case(world, category=world.routed if routed else world.unrouted)
    for step in steps:
        _attempt(calls[step], case.pk)
    assert_history_agrees(case)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "name", "fields"),
    [
        (S.ASSIGNED, "respond", ["first_responded_at"]),
        (S.IN_PROGRESS, "request_extension", ["extension_requested_at"]),
        (S.IN_PROGRESS, "resolve", ["resolved_at"]),
        (S.RESOLVED, "close", ["closed_at"]),
        (S.RESOLVED, "reopen", ["resolution_clock_started_at"]),
        (S.IN_PROGRESS, "withdraw", ["closed_at"]),
        (S.ASSIGNED, "reject", ["closed_at"]),
    ],
)
def test_an_explicit_now_stamps_the_event_and_the_case(world, start, name, fields):
    """Seeding and tests back-date transitions with ``now=``; it wins over the time of the lock."""
    back_then = timezone.now() - timedelta(hours=3)
    case = factories.case_in_state(world, start, now=back_then - timedelta(hours=1))
    service = {
        "respond": lambda: services.complaint_respond(
            complaint=case, actor=world.owner, method="phone", message="Called", now=back_then
        ),
        "request_extension": lambda: services.complaint_request_extension(
            complaint=case, actor=world.member, days=5, reason="More time", now=back_then
        ),
        "resolve": lambda: services.complaint_resolve(
            complaint=case,
            actor=world.owner,
            outcome="upheld",
            summary="Refunded",
            cause=factories.cause(),
            now=back_then,
        ),
        "close": lambda: services.complaint_close(complaint=case, actor=world.cs, satisfaction=5, now=back_then),
        "reopen": lambda: services.complaint_reopen(complaint=case, actor=world.cs, reason="No", now=back_then),
        "withdraw": lambda: services.complaint_withdraw(
            complaint=case, actor=world.cs, reason="Withdrew", now=back_then
        ),
        "reject": lambda: services.complaint_reject(complaint=case, actor=world.cs, reason="Not ours", now=back_then),
    }[name]
    updated = service()
    event = updated.events.order_by("id").last()
    assert event.kind == name and event.created_at == back_then
    for field in fields:
        assert getattr(updated, field) == back_then
    assert_history_agrees(updated)


# --- transitions racing on one case (PostgreSQL, real threads) ------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.sampled_from([S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED]),
    racing=st.lists(st.sampled_from(NAMES), min_size=2, max_size=9),
)
def test_racing_transitions_are_stamped_in_lock_order(world, start, racing):
    calls = _calls(world, factories.cause())
    case = factories.case_in_state(world, start)
    results = run_at_once(*[lambda name=name: _attempt(calls[name], case.pk) for name in racing])
    unexpected = [r for r in results if not isinstance(r, Complaint | services.WorkflowError | ValidationError)]
    assert not unexpected, unexpected
    assert_history_agrees(case)


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)")  # live, unlike pg_stat_activity
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transition_that_waited_for_the_lock_is_stamped_after_the_one_that_held_it(world):
    """The reported case: a withdrawal queued behind a resolution was stamped before it."""
    case = factories.case_in_state(world, S.IN_PROGRESS)
    withdrawn: list[object] = []

    def withdraw() -> None:
        try:
            withdrawn.append(
                _attempt(
                    lambda pk: services.complaint_withdraw(complaint=pk, actor=world.cs, reason="Withdrew"), case.pk
                )
            )
        finally:
            connection.close()

    with transaction.atomic():
        Complaint.objects.select_for_update().get(pk=case.pk)  # someone is working on the case
        waiter = threading.Thread(target=withdraw)
        waiter.start()
        deadline = time.monotonic() + 30
        while not _someone_waits_for_a_lock():  # the withdrawal has begun and waits for the case
            assert time.monotonic() < deadline, "the withdrawal never queued for the case's lock"
        services.complaint_resolve(
            complaint=case.pk, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause()
        )
    waiter.join(timeout=60)
    assert isinstance(withdrawn[0], Complaint), withdrawn
    fresh = Complaint.objects.get(pk=case.pk)
    assert fresh.state == S.WITHDRAWN
    assert fresh.closed_at >= fresh.resolved_at
    assert_history_agrees(fresh)
