"""Pausing and restarting the resolution clock: pause, resume, new_facts (issue 12, PRODUCT section 2)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints import selectors
from complaints.models import Complaint, ComplaintEvent
from complaints.states import ComplaintState as S
from tests import factories
from workflows import escalation, services
from workflows.models import Escalation
from workflows.services import TransitionForbidden, TransitionNotPossible

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def in_progress(world, at: datetime = START) -> Complaint:
    return factories.case_in_state(world, S.IN_PROGRESS, now=at)


def pause(world, case, at, **overrides) -> Complaint:
    arguments = {"reason": "appraisal", "customer_notified_by": "letter", "note": "Valuation ordered"} | overrides
    return services.complaint_pause(complaint=case, actor=world.member, now=at, **arguments)


def test_a_paused_clock_is_neither_overdue_nor_escalated(world):
    case = in_progress(world)
    due = case.resolution_due
    case = pause(world, case, START + timedelta(days=3))
    assert case.resolution_paused_at == START + timedelta(days=3) and case.pause_reason == "appraisal"
    long_after = due + timedelta(days=10)
    assert not Complaint.objects.filter(selectors.overdue_q(long_after), pk=case.pk).exists()
    result = escalation.escalation_sweep(now=long_after, notify=False)
    assert not Escalation.objects.filter(complaint=case, clock="resolution").exists(), result.as_dict()
    event = case.events.latest("id")
    assert event.kind == "pause" and event.data == {"reason": "appraisal", "customer_notified_by": "letter"}


def test_resume_moves_the_deadline_and_warning_by_the_time_paused_and_starts_a_fresh_ladder(world):
    case = in_progress(world)
    due, warn = case.resolution_due, case.resolution_warn_at
    # The warning step is claimed before the pause, on the old deadline.
    escalation.escalation_sweep(now=warn + timedelta(minutes=1), notify=False)
    assert Escalation.objects.get(complaint=case, clock="resolution").due == due
    case = pause(world, Complaint.objects.get(pk=case.pk), warn + timedelta(hours=2))
    paused = timedelta(days=4, hours=3)
    case = services.complaint_resume(complaint=case, actor=world.owner, now=warn + timedelta(hours=2) + paused)
    assert case.resolution_due == due + paused
    assert case.resolution_warn_at == warn + paused
    assert case.resolution_paused_total == paused and case.resolution_paused_at is None
    assert case.escalation_level == 0  # the old ladder's warning does not count on the new deadline
    event = case.events.latest("id")
    assert event.kind == "resume" and event.data["paused_seconds"] == paused.total_seconds()
    # A second pause adds to the total.
    case = pause(world, case, case.resolution_due - timedelta(days=2), reason="mediation")
    case = services.complaint_resume(complaint=case, actor=world.owner, now=case.resolution_paused_at + timedelta(hours=5))
    assert case.resolution_paused_total == paused + timedelta(hours=5)
    assert case.resolution_due == due + paused + timedelta(hours=5)


def test_a_paused_case_cannot_be_resolved_or_extended_until_resumed(world):
    case = pause(world, in_progress(world), START + timedelta(days=1))
    with pytest.raises(TransitionNotPossible, match="paused; resume it first"):
        services.complaint_resolve(
            complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause(), compensation=None
        )
    with pytest.raises(TransitionNotPossible, match="paused"):
        services.complaint_request_extension(complaint=case, actor=world.owner, days=5, reason="More time")
    with pytest.raises(TransitionNotPossible, match="not paused"):
        services.complaint_resume(complaint=services.complaint_resume(complaint=case, actor=world.owner), actor=world.owner)


def test_pause_names_each_missing_field(world):
    case = in_progress(world)
    with pytest.raises(ValidationError) as caught:
        pause(world, case, START + timedelta(days=1), reason="holiday", customer_notified_by="")
    assert set(caught.value.message_dict) == {"reason", "customer_notified_by"}
    assert ComplaintEvent.objects.filter(complaint=case, kind="pause").count() == 0
    assert Complaint.objects.get(pk=case.pk).resolution_paused_at is None


def test_customer_service_may_not_pause(world):
    with pytest.raises(TransitionForbidden):
        services.complaint_pause(complaint=in_progress(world), actor=world.cs, reason="mediation", customer_notified_by="sms")


def test_new_facts_restart_the_clock_from_that_day_and_end_a_pause(world):
    case = pause(world, in_progress(world), START + timedelta(days=2))
    arrived = datetime(2026, 11, 12, 16, 0, tzinfo=SHANGHAI)
    case = services.complaint_new_facts(complaint=case, actor=world.member, note="The statement came", now=arrived)
    assert case.resolution_clock_started_at == arrived
    # 15 days after 12 November is Friday 27 November.
    assert case.resolution_due == datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert case.resolution_paused_at is None and case.resolution_paused_total == arrived - (START + timedelta(days=2))
    with pytest.raises(ValidationError) as caught:
        services.complaint_new_facts(complaint=case, actor=world.member, note=" ")
    assert set(caught.value.message_dict) == {"note"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=14)),
    paused=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=40)),
)
def test_pausing_for_d_moves_a_calendar_day_deadline_by_exactly_d(world, after, paused):
    case = in_progress(world)
    due = case.resolution_due
    case = pause(world, case, START + after)
    case = services.complaint_resume(complaint=case, actor=world.owner, now=START + after + paused)
    assert case.resolution_due - due == paused
    assert case.resolution_due > case.resolution_clock_started_at


def test_pause_through_the_api(world):
    from rest_framework.test import APIClient

    case = in_progress(world)
    client = APIClient()
    client.force_authenticate(world.owner)
    url = f"/api/v1/complaints/{case.reference}/transitions/"
    response = client.post(url + "pause/", {"reason": "awaiting_documents", "customer_notified_by": "sms"}, format="json")
    assert response.status_code == 200, response.json()
    resolve = {"outcome": "upheld", "cause": factories.cause().code, "summary": "Refunded"}
    refused = client.post(url + "resolve/", resolve, format="json")
    assert refused.status_code == 409 and "paused" in refused.json()["detail"]
    response = client.post(url + "resume/", {}, format="json")
    assert response.status_code == 200, response.json()
    bad = client.post(url + "pause/", {"reason": "lunch", "customer_notified_by": "sms"}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
