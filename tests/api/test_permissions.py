"""Permission matrix: role x endpoint x a case of the user's own or another department."""
from __future__ import annotations

import pytest

from complaints.models import Complaint
from complaints.states import ComplaintState as S
from tests import factories

ROLES = ["cs", "supervisor", "owner", "member", "other_owner", "other_member", "outsider", "anonymous"]


def _user(world, role):
    return None if role == "anonymous" else getattr(world, role)


# Expected status per role for reads of a retail case ("own" for owner/member, "other" for other_*).
DETAIL = {
    "cs": 200,
    "supervisor": 200,
    "owner": 200,
    "member": 200,
    "other_owner": 404,
    "other_member": 404,
    "outsider": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("suffix", ["", "events/"])
def test_reading_a_retail_case(world, client_for, role, suffix):
    case = factories.case_in_state(world, S.ASSIGNED)
    response = client_for(_user(world, role)).get(f"/api/v1/complaints/{case.reference}/{suffix}")
    assert response.status_code == DETAIL[role], response.content


@pytest.mark.parametrize("role", ["cs", "supervisor", "owner", "member"])
def test_people_who_handle_the_case_see_full_pii(world, client_for, role):
    case = factories.case_in_state(world, S.ASSIGNED)
    body = client_for(_user(world, role)).get(f"/api/v1/complaints/{case.reference}/").json()
    assert body["customer"]["masked"] is False and body["customer"]["id_number"] == "110101199001011234"


LIST_COUNT = {"cs": 3, "supervisor": 3, "owner": 1, "member": 1, "other_owner": 1, "other_member": 1, "outsider": 0}


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_only_what_the_role_may_see(world, client_for, role):
    factories.case_in_state(world, S.ASSIGNED)  # retail
    factories.case_in_state(world, S.ASSIGNED, department=world.cards)
    factories.case_in_state(world, S.NEW)  # no department yet
    response = client_for(_user(world, role)).get("/api/v1/complaints/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert len(response.json()["results"]) == LIST_COUNT[role]


INTAKE = {
    "cs": 201,
    "supervisor": 201,
    "owner": 403,
    "member": 403,
    "other_owner": 403,
    "other_member": 403,
    "outsider": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
def test_intake_is_for_customer_service_supervisors_and_channel_systems(world, client_for, intake_body, role):
    response = client_for(_user(world, role)).post("/api/v1/complaints/", intake_body(), format="json")
    assert response.status_code == INTAKE[role], response.content
    assert Complaint.objects.count() == (1 if INTAKE[role] == 201 else 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["departments", "categories", "causes"])
def test_reference_data_is_for_every_signed_in_user(world, client_for, role, path):
    response = client_for(_user(world, role)).get(f"/api/v1/{path}/")
    assert response.status_code == (401 if role == "anonymous" else 200)


# transition -> (state of a retail case, body, {role: status}); roles not listed are 404 (not visible).
TRANSITIONS = {
    "assign": (
        S.NEW,
        {"department": "retail"},
        {"cs": 200, "supervisor": 200, "anonymous": 401},
    ),
    "respond": (
        S.ASSIGNED,
        {"method": "phone", "message": "We are on it"},
        {"cs": 200, "supervisor": 200, "owner": 200, "member": 200, "anonymous": 401},
    ),
    "resolve": (
        S.IN_PROGRESS,
        {"outcome": "upheld", "summary": "Refunded", "cause": "service-attitude"},
        {"cs": 403, "supervisor": 200, "owner": 200, "member": 200, "anonymous": 401},
    ),
    "close": (
        S.RESOLVED,
        {"satisfaction": 5},
        {"cs": 200, "supervisor": 200, "owner": 403, "member": 403, "anonymous": 401},
    ),
    "reject": (
        S.ASSIGNED,
        {"reason": "Not about the bank"},
        {"cs": 200, "supervisor": 200, "owner": 403, "member": 403, "anonymous": 401},
    ),
    "request_extension": (
        S.IN_PROGRESS,
        {"days": 10, "reason": "Needs the card scheme"},
        {"cs": 403, "supervisor": 200, "owner": 200, "member": 200, "anonymous": 401},
    ),
    "reassign": (
        S.ASSIGNED,
        {"department": "retail", "assignee": "member"},
        {"cs": 200, "supervisor": 200, "owner": 200, "member": 403, "anonymous": 401},
    ),
}
MATRIX = [(name, role) for name in TRANSITIONS for role in ROLES]


@pytest.mark.parametrize("name, role", MATRIX)
def test_transition_matrix(world, client_for, name, role):
    state, body, expected = TRANSITIONS[name]
    case = factories.case_in_state(world, state)
    response = client_for(_user(world, role)).post(
        f"/api/v1/complaints/{case.reference}/transitions/{name}/", body, format="json"
    )
    assert response.status_code == expected.get(role, 404), response.content


@pytest.mark.parametrize("role, expected", [("other_owner", 200), ("owner", 404), ("cs", 200)])
def test_transition_on_a_cards_case(world, client_for, role, expected):
    case = factories.case_in_state(world, S.ASSIGNED, department=world.cards)
    response = client_for(_user(world, role)).post(
        f"/api/v1/complaints/{case.reference}/transitions/respond/", {"method": "sms", "message": "Noted"}, format="json"
    )
    assert response.status_code == expected


@pytest.mark.parametrize("role, expected", [("owner", 200), ("member", 403), ("supervisor", 200), ("other_owner", 404)])
def test_approving_an_extension_is_for_the_owner(world, client_for, role, expected):
    from workflows import services

    case = factories.case_in_state(world, S.IN_PROGRESS)
    case = services.complaint_request_extension(complaint=case, actor=world.member, days=10, reason="Need time")
    response = client_for(_user(world, role)).post(
        f"/api/v1/complaints/{case.reference}/transitions/approve_extension/",
        {"customer_notified_by": "phone"},
        format="json",
    )
    assert response.status_code == expected
