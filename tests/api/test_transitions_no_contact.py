"""Closing a case without contact details over the API: close_without_callback is the way, close is a 409."""
from __future__ import annotations

from complaints.models import ComplaintEvent
from complaints.states import ComplaintState as S
from complaints.states import EventKind
from tests.workflows.test_no_contact import resolved_referral_without_contact

from .test_contract import assert_error


def _post(client, case, name, body):
    return client.post(f"/api/v1/complaints/{case.reference}/transitions/{name}/", body, format="json")


def test_close_without_callback_gives_the_closed_case(world, client_for):
    case = resolved_referral_without_contact(world)
    reason = "Referred by the regulator without contact details"
    response = _post(client_for(world.cs), case, "close_without_callback", {"reason": reason, "version": case.version})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == case.reference
    assert body["state"] == S.CLOSED
    assert body["closure"] == "no_contact"
    assert body["closed_at"]
    assert body["version"] == case.version + 1
    event = ComplaintEvent.objects.filter(complaint=case).latest("created_at", "id")
    assert (event.kind, event.note) == (EventKind.CLOSE_WITHOUT_CALLBACK, reason)


def test_close_without_callback_without_a_reason_is_400_on_reason(world, client_for):
    case = resolved_referral_without_contact(world)
    body = assert_error(_post(client_for(world.cs), case, "close_without_callback", {"reason": ""}), 400)
    assert "reason" in body["errors"]


def test_close_on_a_case_without_contact_is_409_saying_why(world, client_for):
    case = resolved_referral_without_contact(world)
    body = assert_error(_post(client_for(world.cs), case, "close", {"satisfaction": 5}), 409)
    assert body["state"] == S.RESOLVED
    assert "no phone number or e-mail address" in body["detail"]


def test_a_department_member_may_not_close_without_callback(world, client_for):
    case = resolved_referral_without_contact(world)
    assert_error(_post(client_for(world.member), case, "close_without_callback", {"reason": "No contact"}), 403)
