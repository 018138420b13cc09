"""The full state x transition matrix, run through the services as a supervisor."""
from __future__ import annotations

import pytest

from complaints.models import Complaint, ComplaintEvent
from complaints.states import ComplaintState as S
from tests import factories
from workflows import services
from workflows.transitions import TRANSITIONS

ALL_STATES = [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED, S.REJECTED, S.MERGED, S.WITHDRAWN]

# transition -> (states it may start from, the state it leads to; None = unchanged)
ALLOWED = {
    "assign": ({S.NEW}, S.ASSIGNED),
    "reassign": ({S.ASSIGNED, S.IN_PROGRESS}, S.ASSIGNED),
    "respond": ({S.ASSIGNED}, S.IN_PROGRESS),
    "request_extension": ({S.ASSIGNED, S.IN_PROGRESS}, None),
    "approve_extension": (set(), None),  # needs a pending request: see test_services
    "deny_extension": (set(), None),
    "resolve": ({S.IN_PROGRESS}, S.RESOLVED),
    "record_callback_attempt": ({S.RESOLVED}, None),
    "close": ({S.RESOLVED}, S.CLOSED),
    "close_unreachable": (set(), S.CLOSED),  # needs three attempts: see test_services
    "close_without_callback": (set(), S.CLOSED),  # needs a case without contact details: see test_no_contact
    "reopen": ({S.RESOLVED}, S.IN_PROGRESS),
    "reject": ({S.NEW, S.ASSIGNED}, S.REJECTED),
    "merge": ({S.NEW, S.ASSIGNED}, S.MERGED),
    "withdraw": ({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED}, S.WITHDRAWN),
    "pause": ({S.ASSIGNED, S.IN_PROGRESS}, None),
    "resume": (set(), None),  # needs a paused clock: see test_pauses
    "new_facts": ({S.ASSIGNED, S.IN_PROGRESS}, None),
}


def arguments(world, name: str) -> dict:
    return {
        "assign": {"department": world.retail},
        "reassign": {"department": world.retail, "assignee": world.member},
        "respond": {"method": "phone", "message": "Called the customer"},
        "request_extension": {"days": 5, "reason": "Waiting for the card scheme"},
        "approve_extension": {"customer_notified_by": "sms"},
        "deny_extension": {"reason": "Not needed"},
        "resolve": {"outcome": "upheld", "summary": "Refunded", "cause": factories.cause()},
        "record_callback_attempt": {"note": "No answer"},
        "close": {"satisfaction": 4, "notes": "Fine"},
        "close_unreachable": {"notes": "No answer"},
        "close_without_callback": {"reason": "Referred by the regulator without contact details"},
        "reopen": {"reason": "Customer disagrees"},
        "reject": {"reason": "Not about the bank"},
        "merge": {"into": factories.create_case(world)},
        "withdraw": {"reason": "Customer withdrew"},
        "pause": {"reason": "appraisal", "customer_notified_by": "phone", "note": "Valuation of the collateral"},
        "resume": {"note": "Valuation received"},
        "new_facts": {"note": "The customer sent the card statement"},
    }[name]


def test_matrix_covers_every_transition():
    assert set(ALLOWED) == set(TRANSITIONS)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_state_transition_matrix(world, state, name):
    case = factories.case_in_state(world, state)
    sources, target = ALLOWED[name]
    kwargs = arguments(world, name)
    before_events = ComplaintEvent.objects.filter(complaint=case).count()
    service = TRANSITIONS[name].service
    if state in sources:
        result = service(complaint=case, actor=world.supervisor, **kwargs)
        assert result.state == (target or state)
        assert result.version == case.version + 1
        event = ComplaintEvent.objects.filter(complaint=case).latest("id")
        assert (event.kind, event.from_state, event.to_state, event.actor) == (
            name, state, target or state, world.supervisor
        )
    else:
        with pytest.raises(services.TransitionNotPossible):
            service(complaint=case, actor=world.supervisor, **kwargs)
        fresh = Complaint.objects.get(pk=case.pk)
        assert fresh.state == state
        assert fresh.version == case.version
        assert ComplaintEvent.objects.filter(complaint=case).count() == before_events


def test_registry_holds_every_transition_of_the_model_with_its_label():
    from complaints.models import Complaint

    declared = {t.name for t in Complaint._meta.get_field("state").get_all_transitions(Complaint)}
    assert set(TRANSITIONS) == declared
    for transition in TRANSITIONS.values():
        assert transition.label and transition.label != transition.name
        assert transition.summary


def test_every_transition_says_what_it_does_in_words_for_people():
    from workflows.transitions import HELP

    assert set(HELP) == set(TRANSITIONS)
    assert all(TRANSITIONS[name].help and "``" not in TRANSITIONS[name].help for name in TRANSITIONS)
