"""Role x transition x own or other department."""
from __future__ import annotations

import pytest

from complaints.states import ComplaintState as S
from tests import factories
from tests.workflows.test_no_contact import resolved_referral_without_contact
from workflows import services
from workflows.transitions import TRANSITIONS

ROLES = ["cs", "owner", "member", "other_owner", "other_member", "supervisor", "outsider"]

# transition -> (state the retail case is in, roles that may take it)
MAY = {
    "assign": (S.NEW, {"cs", "supervisor"}),
    "reassign": (S.ASSIGNED, {"cs", "supervisor", "owner"}),
    "respond": (S.ASSIGNED, {"cs", "supervisor", "owner", "member"}),
    "request_extension": (S.IN_PROGRESS, {"supervisor", "owner", "member"}),
    "approve_extension": ("pending_extension", {"supervisor", "owner"}),
    "deny_extension": ("pending_extension", {"supervisor", "owner"}),
    "resolve": (S.IN_PROGRESS, {"supervisor", "owner", "member"}),
    "record_callback_attempt": (S.RESOLVED, {"cs", "supervisor"}),
    "close": (S.RESOLVED, {"cs", "supervisor"}),
    "close_unreachable": ("three_attempts", {"cs", "supervisor"}),
    "close_without_callback": ("no_contact", {"cs", "supervisor"}),
    "reopen": (S.RESOLVED, {"cs", "supervisor"}),
    "reject": (S.ASSIGNED, {"cs", "supervisor"}),
    "merge": (S.ASSIGNED, {"cs", "supervisor"}),
    "withdraw": (S.IN_PROGRESS, {"cs", "supervisor"}),
}


def prepared_case(world, setup: str):
    if setup == "pending_extension":
        case = factories.case_in_state(world, S.IN_PROGRESS)
        return services.complaint_request_extension(complaint=case, actor=world.owner, days=5, reason="Scheme")
    if setup == "three_attempts":
        case = factories.case_in_state(world, S.RESOLVED)
        for _ in range(3):
            case = services.complaint_record_callback_attempt(complaint=case, actor=world.cs)
        return case
    if setup == "no_contact":
        return resolved_referral_without_contact(world)
    return factories.case_in_state(world, setup)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MAY))
def test_role_may_take_transition_only_where_allowed(world, name, role):
    from tests.workflows.test_lifecycle import arguments

    setup, allowed = MAY[name]
    case = prepared_case(world, setup)
    kwargs = arguments(world, name)
    if name == "reassign":
        kwargs = {"department": world.retail}
    actor = getattr(world, role)
    service = TRANSITIONS[name].service
    if role in allowed:
        service(complaint=case, actor=actor, **kwargs)
    else:
        with pytest.raises(services.TransitionForbidden):
            service(complaint=case, actor=actor, **kwargs)


def test_owner_cannot_reassign_to_another_department(world):
    case = factories.case_in_state(world, S.ASSIGNED)
    with pytest.raises(services.ValidationError) as error:
        services.complaint_reassign(complaint=case, actor=world.owner, department=world.cards)
    assert "department" in error.value.message_dict


def test_owner_may_not_approve_beyond_owner_tier(world):
    case = factories.case_in_state(world, S.IN_PROGRESS)
    case = services.complaint_request_extension(complaint=case, actor=world.member, days=20, reason="Complex")
    assert case.extension_requires_supervisor
    with pytest.raises(services.TransitionForbidden):
        services.complaint_approve_extension(complaint=case, actor=world.owner, customer_notified_by="sms")
    approved = services.complaint_approve_extension(complaint=case, actor=world.supervisor, customer_notified_by="sms")
    assert approved.resolution_window_days == 35


def test_customer_service_in_the_department_may_not_review_its_own_case(world):
    world.retail.members.add(world.cs)
    world.cs.groups.add(*world.member.groups.all())
    case = factories.case_in_state(world, S.RESOLVED)
    cs = type(world.cs).objects.get(pk=world.cs.pk)  # fresh user: no cached roles
    with pytest.raises(services.TransitionForbidden):
        services.complaint_close(complaint=case, actor=cs, satisfaction=5)
