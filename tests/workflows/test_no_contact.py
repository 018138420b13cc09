"""A case without a phone or an e-mail (a regulator referral) closes without call-back, and only so."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from complaints import conditions
from complaints.models import Complaint, ComplaintEvent
from complaints.states import Closure, EventKind
from complaints.states import ComplaintState as S
from tests import factories
from workflows import services


def referral_without_contact(world, *, category=None) -> Complaint:
    """A regulator referral logged through intake with no phone and no e-mail (routed to retail
    by its category unless another is given)."""
    case, created = services.complaint_create(
        actor=world.cs,
        kind="complaint",
        channel="regulator",
        severity="medium",
        category=category or world.routed,
        subject="Referred by the regulator",
        description="The regulator forwarded a complaint about a card fee.",
        customer=services.CustomerData(),
    )
    assert created
    return case


def resolved_referral_without_contact(world) -> Complaint:
    """The referral routed, responded to and resolved by the department."""
    case = referral_without_contact(world, category=world.unrouted)
    assert case.state == S.NEW
    case = services.complaint_assign(complaint=case, actor=world.cs, department=world.retail)
    case = services.complaint_respond(complaint=case, actor=world.owner, method="letter", message="Received from the regulator")
    return services.complaint_resolve(
        complaint=case,
        actor=world.owner,
        outcome="upheld",
        summary="Refunded the fee",
        cause=factories.cause(),
        compensation=Decimal("50.00"),
    )


def test_a_regulator_referral_may_arrive_without_contact_details(world):
    case = referral_without_contact(world)
    assert case.customer_phone == "" and case.customer_email == ""
    assert case.state == S.ASSIGNED and case.department == world.retail  # routed by its category
    assert conditions.has_no_contact(case)


def test_intake_outside_a_referral_still_needs_contact_details(world):
    with pytest.raises(ValidationError) as error:
        services.complaint_create(
            actor=world.cs,
            kind="complaint",
            channel="phone",
            severity="medium",
            category=world.routed,
            subject="No contact",
            description="A complaint logged by phone without a number.",
            customer=services.CustomerData(name="张三"),
        )
    assert "customer_phone" in error.value.message_dict


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("close", {"satisfaction": 4, "notes": "Fine"}),
        ("record_callback_attempt", {"note": "No answer"}),
        ("close_unreachable", {"notes": "No answer"}),
    ],
)
def test_a_case_without_contact_cannot_be_called_back(world, name, kwargs):
    case = resolved_referral_without_contact(world)
    service = getattr(services, f"complaint_{name}")
    with pytest.raises(services.TransitionNotPossible) as error:
        service(complaint=case, actor=world.cs, **kwargs)
    assert conditions.explanation(conditions.has_contact) in str(error.value)
    assert "no phone number or e-mail address" in str(error.value)
    assert error.value.state == S.RESOLVED
    case.refresh_from_db()
    assert case.state == S.RESOLVED and case.callback_attempts == 0


@pytest.mark.parametrize("reason", ["", "   "])
def test_closing_without_callback_needs_a_reason(world, reason):
    case = resolved_referral_without_contact(world)
    with pytest.raises(ValidationError) as error:
        services.complaint_close_without_callback(complaint=case, actor=world.cs, reason=reason)
    assert set(error.value.message_dict) == {"reason"}
    case.refresh_from_db()
    assert case.state == S.RESOLVED and case.closure == ""


def test_closing_without_callback_closes_the_loop_with_its_reason(world):
    case = resolved_referral_without_contact(world)
    reason = "Referred by the regulator without contact details; the regulator informs the customer"
    closed = services.complaint_close_without_callback(complaint=case, actor=world.cs, reason=reason)
    closed.refresh_from_db()
    assert closed.state == S.CLOSED
    assert closed.closure == Closure.NO_CONTACT
    assert closed.closed_at is not None and closed.closed_at >= closed.resolved_at
    assert closed.satisfaction is None
    event = ComplaintEvent.objects.filter(complaint=closed).latest("created_at", "id")
    assert event.kind == EventKind.CLOSE_WITHOUT_CALLBACK
    assert (event.from_state, event.to_state) == (S.RESOLVED, S.CLOSED)
    assert event.note == reason
    assert (event.actor, event.actor_label) == (world.cs, world.cs.username)
    assert event.created_at == closed.closed_at


def test_a_case_with_contact_cannot_close_without_callback(world):
    case = factories.case_in_state(world, S.RESOLVED)
    with pytest.raises(services.TransitionNotPossible) as error:
        services.complaint_close_without_callback(complaint=case, actor=world.cs, reason="Could not be bothered")
    assert conditions.explanation(conditions.has_no_contact) in str(error.value)
    case.refresh_from_db()
    assert case.state == S.RESOLVED


@pytest.mark.parametrize("state", [S.NEW, S.ASSIGNED, S.IN_PROGRESS])
def test_closing_without_callback_needs_a_resolved_case(world, state):
    case = referral_without_contact(world, category=world.unrouted)
    if state != S.NEW:
        case = services.complaint_assign(complaint=case, actor=world.cs, department=world.retail)
    if state == S.IN_PROGRESS:
        case = services.complaint_respond(complaint=case, actor=world.owner, method="letter", message="Noted")
    assert case.state == state
    with pytest.raises(services.TransitionNotPossible):
        services.complaint_close_without_callback(complaint=case, actor=world.cs, reason="No contact details")
