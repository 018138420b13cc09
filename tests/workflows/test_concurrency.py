"""Two people acting on one case at once, on a real PostgreSQL started by the test run."""
from __future__ import annotations

import pytest
from django.db import connection

from complaints.models import Complaint, ComplaintEvent
from complaints.states import ComplaintState as S
from tests import factories
from tests.threads import run_at_once
from workflows import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_two_people_resolve_at_once_one_gets_a_conflict(world):
    # Two transitions that exclude each other in either order. (Resolve and withdraw do not:
    # a resolved case may still be withdrawn, so both may rightly succeed one after the other.)
    case = factories.case_in_state(world, S.IN_PROGRESS)

    def resolve(actor, summary):
        return lambda: services.complaint_resolve(
            complaint=case.pk, actor=actor, outcome="upheld", summary=summary, cause=factories.cause()
        )

    results = run_at_once(resolve(world.owner, "Refunded by the owner"), resolve(world.member, "Refunded by the member"))
    winners = [r for r in results if isinstance(r, Complaint)]
    losers = [r for r in results if isinstance(r, services.TransitionNotPossible)]
    assert len(winners) == 1 and len(losers) == 1, results
    fresh = Complaint.objects.get(pk=case.pk)
    assert fresh.state == S.RESOLVED
    assert fresh.resolution_summary == winners[0].resolution_summary  # the winner's update is the one kept
    assert losers[0].state == fresh.state  # the loser is told the current state
    assert ComplaintEvent.objects.filter(complaint=case, kind="resolve").count() == 1


def test_two_same_state_edits_with_the_version_they_saw_one_gets_case_changed(world):
    case = factories.case_in_state(world, S.IN_PROGRESS)
    seen = case.version
    results = run_at_once(
        lambda: services.complaint_request_extension(
            complaint=case.pk, actor=world.member, days=5, reason="A", expected_version=seen
        ),
        lambda: services.complaint_request_extension(
            complaint=case.pk, actor=world.owner, days=10, reason="B", expected_version=seen
        ),
    )
    assert sum(isinstance(r, Complaint) for r in results) == 1
    assert sum(isinstance(r, services.CaseChanged) for r in results) == 1
    assert ComplaintEvent.objects.filter(complaint=case, kind="request_extension").count() == 1


def test_concurrent_intake_gets_distinct_references(world):
    calls = [lambda: factories.create_case(world) for _ in range(8)]
    results = run_at_once(*calls)
    assert all(isinstance(r, Complaint) for r in results), results
    references = {r.reference for r in results}
    assert len(references) == 8
    assert sorted(int(r[-6:]) for r in references) == list(range(1, 9))


def test_stale_in_memory_copy_cannot_overwrite(world):
    case = factories.case_in_state(world, S.IN_PROGRESS)
    stale = Complaint.objects.get(pk=case.pk)
    services.complaint_withdraw(complaint=case, actor=world.cs, reason="Withdrew")
    from django_fsm import ConcurrentTransition

    stale.resolve(outcome="upheld", summary="x", cause=factories.cause(), compensation=None, at=None, review_due=None)
    with pytest.raises(ConcurrentTransition):
        stale.save()
    assert Complaint.objects.get(pk=case.pk).state == S.WITHDRAWN
