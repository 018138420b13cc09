"""Contract tests of PRODUCT section 5: paths, fields and status codes exactly."""
from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from access import services as access_services
from access import tokens
from access.models import ApiToken
from api import serializers as api_serializers
from api.throttling import TokenClientRateThrottle, TokenLoginRateThrottle
from complaints.models import Complaint
from complaints.states import ComplaintState as S
from tests import factories
from workflows import services
from workflows.transitions import TRANSITIONS

ERROR_KEYS = {"detail", "errors"}


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert ERROR_KEYS <= set(body), body
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(isinstance(messages, list) for messages in body["errors"].values())
    return body


# --- auth -----------------------------------------------------------------------------------
def test_token_for_username_and_password_then_token_auth_works(world):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "cs", "password": "pw"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=world.cs).key_digest == tokens.key_digest(token)
    assert set(response.json()) == {"token", "expires_at"}
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/complaints/").status_code == 200


def test_token_with_wrong_password_is_400_with_message(world):
    body = assert_error(
        APIClient().post("/api/v1/auth/token/", {"username": "cs", "password": "nope"}, format="json"), 400
    )
    assert body["errors"]["non_field_errors"]


def test_token_without_fields_is_400_per_field(db):
    body = assert_error(APIClient().post("/api/v1/auth/token/", {}, format="json"), 400)
    assert set(body["errors"]) == {"username", "password"}


def test_token_requests_are_throttled_per_address(world, monkeypatch):
    monkeypatch.setattr(TokenLoginRateThrottle, "rate", "2/minute", raising=False)
    client = APIClient()
    for _ in range(2):
        client.post("/api/v1/auth/token/", {"username": "cs", "password": "nope"}, format="json")
    response = client.post("/api/v1/auth/token/", {"username": "cs", "password": "pw"}, format="json")
    assert_error(response, 429)
    assert "Retry-After" in response


def test_token_clients_are_throttled_but_sessions_are_not(world, monkeypatch):
    monkeypatch.setattr(TokenClientRateThrottle, "rate", "2/minute", raising=False)
    key = access_services.api_token_issue(user=world.cs).key
    system = APIClient()
    system.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert [system.get("/api/v1/departments/").status_code for _ in range(2)] == [200, 200]
    assert_error(system.get("/api/v1/departments/"), 429)
    browser = APIClient()
    browser.force_login(world.cs)
    assert [browser.get("/api/v1/departments/").status_code for _ in range(3)] == [200, 200, 200]


def test_session_auth_needs_csrf_for_writes(world, intake_body):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(world.cs)
    assert_error(browser.post("/api/v1/complaints/", intake_body(), format="json"), 403)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/complaints/"),
        ("post", "/api/v1/complaints/"),
        ("get", "/api/v1/complaints/C-20260101-000001/"),
        ("get", "/api/v1/complaints/C-20260101-000001/events/"),
        ("post", "/api/v1/complaints/C-20260101-000001/transitions/assign/"),
        ("get", "/api/v1/departments/"),
        ("get", "/api/v1/categories/"),
        ("get", "/api/v1/causes/"),
    ],
)
def test_anonymous_gets_401(db, method, path):
    response = getattr(APIClient(), method)(path, {}, format="json") if method == "post" else APIClient().get(path)
    assert_error(response, 401)


# --- intake ---------------------------------------------------------------------------------
def test_intake_returns_201_with_reference_state_and_deadlines(world, client_for, intake_body):
    response = client_for(world.cs).post("/api/v1/complaints/", intake_body(external_id="app-1"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Complaint.objects.get(reference=body["reference"])
    assert body["state"] == case.state == S.ASSIGNED  # "savings" routes to retail
    assert body["department"] == "retail"
    assert body["first_response_due"] and body["resolution_due"]
    assert body["customer"]["masked"] is True and body["customer"]["phone"] == "138****5678"  # never echoed
    assert case.customer_phone == "13812345678" and case.customer_account == "6222021234567890"
    assert case.created_by == world.cs and case.external_id == "app-1"


def test_intake_retry_with_same_channel_and_external_id_returns_existing_case_200(world, client_for, intake_body):
    client = client_for(world.cs)
    first = client.post("/api/v1/complaints/", intake_body(external_id="app-7"), format="json")
    again = client.post("/api/v1/complaints/", intake_body(external_id="app-7"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["reference"]
    assert Complaint.objects.count() == 1
    other_channel = client.post("/api/v1/complaints/", intake_body(external_id="app-7", channel="web"), format="json")
    assert other_channel.status_code == 201


def test_intake_received_at_in_the_past_is_kept(world, client_for, intake_body):
    received = timezone.now() - timedelta(days=2)
    response = client_for(world.cs).post(
        "/api/v1/complaints/", intake_body(received_at=received.isoformat()), format="json"
    )
    assert response.status_code == 201
    assert Complaint.objects.get().received_at == received


def test_intake_received_at_in_the_future_is_400(world, client_for, intake_body):
    future = timezone.now() + timedelta(hours=2)
    body = assert_error(
        client_for(world.cs).post("/api/v1/complaints/", intake_body(received_at=future.isoformat()), format="json"),
        400,
    )
    assert list(body["errors"]) == ["received_at"]


def test_intake_bad_fields_get_a_message_each(world, client_for, intake_body):
    body = assert_error(
        client_for(world.cs).post(
            "/api/v1/complaints/",
            intake_body(channel="pigeon", category="no-such", subject="", customer={"email": "not-an-email"}),
            format="json",
        ),
        400,
    )
    # No customer.name here: whether a name is needed depends on the channel, which the service
    # decides once the fields are valid (next test).
    assert set(body["errors"]) == {"channel", "category", "subject", "customer.email"}


def test_intake_without_a_name_is_400_naming_customer_name_except_for_a_regulator_referral(world, client_for, intake_body):
    client = client_for(world.cs)
    customer = {"phone": "13812345678"}
    body = assert_error(client.post("/api/v1/complaints/", intake_body(customer=customer), format="json"), 400)
    assert list(body["errors"]) == ["customer.name"]
    referral = client.post("/api/v1/complaints/", intake_body(channel="regulator", customer={}), format="json")
    assert referral.status_code == 201, referral.content


def _referral(intake_body, **overrides) -> dict:
    received = timezone.now() - timedelta(days=20)
    body = intake_body(
        channel="regulator",
        external_id="240101-1",
        received_at=received.isoformat(),
        sent_to_bank_at=(received + timedelta(days=3)).isoformat(),
        product="Credit card",
        sub_product="General-purpose credit card",
        issue="Problem with a purchase shown on your statement",
        sub_issue="Credit card company isn't resolving a dispute",
        company="Retail bank, Shanghai branch",
        narrative_consent="provided",
        submitted_via="web",
        customer={"region": "CA", "tags": ["Older American", "Servicemember", "Older American"]},
    )
    body.update(overrides)
    return body


def test_intake_takes_what_a_regulator_referral_carries_and_the_detail_shows_it(world, client_for, intake_body):
    body = _referral(intake_body)
    response = client_for(world.cs).post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.content
    case = Complaint.objects.get(reference=response.json()["reference"])
    assert (case.product, case.sub_product, case.issue, case.sub_issue, case.company) == (
        body["product"], body["sub_product"], body["issue"], body["sub_issue"], body["company"]
    )
    assert (case.narrative_consent, case.submitted_via) == ("provided", "web")
    assert case.customer_region == "CA" and case.customer_tags == ["Older American", "Servicemember"]
    assert case.sent_to_bank_at.isoformat() == body["sent_to_bank_at"]
    assert case.resolution_clock_started_at == case.sent_to_bank_at

    detail = client_for(world.supervisor).get(f"/api/v1/complaints/{case.reference}/").json()
    for field in ("product", "sub_product", "issue", "sub_issue", "company", "narrative_consent", "submitted_via"):
        assert detail[field] == body[field], field
    assert detail["sent_to_bank_at"] is not None and detail["imported_at"] is None
    assert (detail["company_response"], detail["public_response"]) == ("", "")
    assert detail["timely_response"] is None and detail["consumer_disputed"] is None
    assert detail["customer"]["region"] == "CA" and detail["customer"]["tags"] == ["Older American", "Servicemember"]


def test_region_and_tags_are_shown_even_when_the_customer_is_masked(world, client_for, intake_body, monkeypatch):
    reference = client_for(world.cs).post("/api/v1/complaints/", _referral(intake_body), format="json").json()["reference"]
    monkeypatch.setattr("complaints.selectors.user_may_see_pii", lambda user, complaint: False)
    customer = client_for(world.supervisor).get(f"/api/v1/complaints/{reference}/").json()["customer"]
    assert customer["masked"] is True
    assert customer["region"] == "CA" and customer["tags"] == ["Older American", "Servicemember"]


def test_a_replay_with_other_facts_is_409_naming_them_as_the_api_does(world, client_for, intake_body):
    client = client_for(world.cs)
    first = _referral(intake_body)
    assert client.post("/api/v1/complaints/", first, format="json").status_code == 201
    assert client.post("/api/v1/complaints/", first, format="json").status_code == 200
    changed = dict(first, product="Mortgage", customer={"region": "NY", "tags": ["Servicemember"]})
    body = assert_error(client.post("/api/v1/complaints/", changed, format="json"), 409)
    assert set(body["errors"]) == {"product", "customer.region", "customer.tags"}
    assert "Mortgage" not in body["detail"] and "NY" not in body["detail"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"channel": "phone", "customer": {"name": "张三", "phone": "13812345678"}}, "sent_to_bank_at"),
        ({"sent_to_bank_at": "2026-01-05"}, "sent_to_bank_at"),
        ({"sent_to_bank_at": "2026-01-05T09:30:00"}, "sent_to_bank_at"),
        ({"narrative_consent": "maybe"}, "narrative_consent"),
        ({"submitted_via": "pigeon"}, "submitted_via"),
        ({"product": "x" * 201}, "product"),
        ({"company": 5}, "company"),
        ({"customer": {"region": "x" * 61}}, "customer.region"),
        ({"customer": {"tags": "Older American"}}, "customer.tags"),
        ({"customer": {"tags": [f"t{i}" for i in range(11)]}}, "customer.tags"),
        ({"customer": {"tags": ["x" * 61]}}, "customer.tags.0"),
        ({"customer": {"tags": ["ok", 5]}}, "customer.tags.1"),
    ],
)
def test_intake_facts_that_do_not_fit_are_400_naming_the_field(world, client_for, intake_body, overrides, field):
    response = client_for(world.cs).post("/api/v1/complaints/", _referral(intake_body, **overrides), format="json")
    assert list(assert_error(response, 400)["errors"]) == [field]


def test_the_schema_says_a_referral_needs_no_contact_and_when_its_clocks_start(world, client_for):
    schema = client_for(world.supervisor).get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    intake, customer = schema["ComplaintIntakeRequest"]["properties"], schema["CustomerRequest"]["properties"]
    assert "regulator" in intake["customer"]["description"] and "without call-back" in intake["customer"]["description"]
    assert "regulator" in customer["name"]["description"] and "customer" not in schema["CustomerRequest"].get("required", [])
    assert "name" not in schema["CustomerRequest"].get("required", [])
    assert "starts the clocks of a referral" in intake["sent_to_bank_at"]["description"]
    assert intake["description"]["maxLength"] == 100000
    assert customer["tags"]["maxItems"] == 10 and customer["tags"]["items"]["maxLength"] == 60


def test_intake_complaint_without_phone_or_email_names_the_nested_field(world, client_for, intake_body):
    body = assert_error(
        client_for(world.cs).post("/api/v1/complaints/", intake_body(customer={"name": "张三"}), format="json"), 400
    )
    assert list(body["errors"]) == ["customer.phone"]


def test_intake_inactive_category_is_400(world, client_for, intake_body):
    world.routed.is_active = False
    world.routed.save()
    body = assert_error(client_for(world.cs).post("/api/v1/complaints/", intake_body(), format="json"), 400)
    assert list(body["errors"]) == ["category"]


def test_intake_refuses_numbers_for_text_fields(world, client_for, intake_body):
    body = assert_error(
        client_for(world.cs).post(
            "/api/v1/complaints/", intake_body(customer={"name": "张三", "phone": "13812345678", "account": 1234}), format="json"
        ),
        400,
    )
    assert list(body["errors"]) == ["customer.account"]


def test_malformed_json_is_400_json(world, client_for):
    body = assert_error(
        client_for(world.cs).post("/api/v1/complaints/", '{"kind": ', content_type="application/json"), 400
    )
    assert "JSON" in body["detail"]


def test_json_that_is_not_an_object_is_400(world, client_for):
    assert_error(client_for(world.cs).post("/api/v1/complaints/", "[1, 2]", content_type="application/json"), 400)


def test_form_encoded_body_is_415(world, client_for):
    assert_error(
        client_for(world.cs).post("/api/v1/complaints/", "kind=complaint", content_type="application/x-www-form-urlencoded"),
        415,
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_body_over_the_size_limit_is_413(world, client_for, intake_body):
    body = intake_body(description="x" * 2000)
    assert_error(client_for(world.cs).post("/api/v1/complaints/", body, format="json"), 413)
    assert not Complaint.objects.exists()


def test_unsupported_method_is_405_json(world, client_for):
    assert_error(client_for(world.cs).delete("/api/v1/complaints/"), 405)
    assert_error(client_for(world.cs).put("/api/v1/departments/", {}, format="json"), 405)


def test_unknown_path_under_the_api_is_404_json(world, client_for):
    assert_error(client_for(world.cs).get("/api/v1/no-such-thing/"), 404)
    assert_error(client_for(None).get("/api/v1/complaints"), 404)


# --- reads ----------------------------------------------------------------------------------
def test_list_masks_customer_pii(world, client_for):
    factories.create_case(world, category=world.routed)
    item = client_for(world.supervisor).get("/api/v1/complaints/").json()["results"][0]
    assert item["customer"] == {
        "name": "张*",
        "phone": "138****5678",
        "email": "z***@example.com",
        "id_number": "11**************34",
        "account": "****7890",
        "masked": True,
    }


def _references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["reference"] for item in response.json()["results"]]


def test_list_filters(world, client_for):
    now = timezone.now()
    old = factories.create_case(world, category=world.routed, received_at=now - timedelta(days=30), now=now)
    cards = factories.create_case(world, category=world.cards_category, kind="inquiry", now=now)
    unrouted = factories.create_case(world, category=world.unrouted, now=now)
    client = client_for(world.supervisor)

    def refs(**query) -> set[str]:
        return set(_references(client.get("/api/v1/complaints/", query)))

    assert refs() == {old.reference, cards.reference, unrouted.reference}
    assert refs(state="new") == {unrouted.reference}
    assert refs(department="cards") == {cards.reference}
    assert refs(category="savings") == {old.reference}
    assert refs(kind="inquiry") == {cards.reference}
    assert refs(overdue="true") == {old.reference}
    assert refs(overdue="false") == {cards.reference, unrouted.reference}
    assert refs(received_after=(now - timedelta(days=1)).isoformat()) == {cards.reference, unrouted.reference}
    assert refs(received_before=(now - timedelta(days=1)).isoformat()) == {old.reference}
    assert refs(department="no-such") == set()


@pytest.mark.parametrize(
    "query",
    [{"state": "sleeping"}, {"overdue": "maybe"}, {"received_after": "yesterday"}, {"ordering": "subject"}, {"page_size": "0"}, {"cursor": "garbage"}],
)
def test_list_bad_query_is_400(world, client_for, query):
    body = assert_error(client_for(world.supervisor).get("/api/v1/complaints/", query), 400)
    assert list(body["errors"]) == list(query)


def test_list_orders_and_pages_with_a_cursor(world, client_for):
    now = timezone.now()
    cases = [factories.create_case(world, received_at=now - timedelta(hours=i), now=now) for i in range(5)]
    client = client_for(world.supervisor)
    first = client.get("/api/v1/complaints/", {"page_size": 2})
    assert _references(first) == [cases[0].reference, cases[1].reference]
    second = client.get(first.json()["next"])
    assert _references(second) == [cases[2].reference, cases[3].reference]
    oldest_first = client.get("/api/v1/complaints/", {"ordering": "received_at", "page_size": 5})
    assert _references(oldest_first) == [c.reference for c in reversed(cases)]
    by_reference = client.get("/api/v1/complaints/", {"ordering": "-reference", "page_size": 3})
    assert _references(by_reference) == sorted((c.reference for c in cases), reverse=True)[:3]
    assert _references(client.get(by_reference.json()["next"])) == sorted((c.reference for c in cases), reverse=True)[3:]


def test_detail_shows_full_pii_to_the_department_and_events_in_order(world, client_for):
    case = factories.case_in_state(world, S.IN_PROGRESS)
    response = client_for(world.member).get(f"/api/v1/complaints/{case.reference}/")
    assert response.status_code == 200
    body = response.json()
    assert body["customer"]["phone"] == "13812345678" and body["customer"]["masked"] is False
    assert body["state"] == S.IN_PROGRESS and body["version"] == case.version
    assert "resolve" in body["transitions"]
    events = client_for(world.member).get(f"/api/v1/complaints/{case.reference}/events/").json()
    assert [(e["kind"], e["actor"]) for e in events] == [("created", "cs"), ("assign", "cs"), ("respond", "owner")]


def test_detail_masks_pii_for_a_user_who_may_see_but_not_handle(world, client_for, monkeypatch):
    case = factories.case_in_state(world, S.ASSIGNED)
    monkeypatch.setattr("complaints.selectors.user_may_see_pii", lambda user, complaint: False)
    body = client_for(world.owner).get(f"/api/v1/complaints/{case.reference}/").json()
    assert body["customer"]["masked"] is True and body["customer"]["phone"] == "138****5678"


def test_missing_case_is_404(world, client_for):
    assert_error(client_for(world.supervisor).get("/api/v1/complaints/C-20000101-000001/"), 404)
    assert_error(client_for(world.supervisor).get("/api/v1/complaints/C-20000101-000001/events/"), 404)


@pytest.mark.parametrize("path, codes", [("departments", {"cards", "retail"}), ("categories", {"cards", "general", "savings"})])
def test_reference_data_lists_have_codes(world, client_for, path, codes):
    response = client_for(world.member).get(f"/api/v1/{path}/")
    assert response.status_code == 200
    assert codes <= {item["code"] for item in response.json()}


def test_causes_list_has_codes(world, client_for):
    codes = {item["code"] for item in client_for(world.member).get("/api/v1/causes/").json()}
    assert "service-attitude" in codes


# --- transitions ------------------------------------------------------------------------------
def _post(client, case, name, body):
    return client.post(f"/api/v1/complaints/{case.reference}/transitions/{name}/", body, format="json")


def test_every_transition_has_a_request_serializer_with_the_services_arguments():
    assert set(api_serializers.TRANSITION_SERIALIZERS) == set(TRANSITIONS)
    for name, transition in TRANSITIONS.items():
        service = transition.service
        arguments = set(inspect.signature(service).parameters) - {"complaint", "actor", "expected_version", "now"}
        fields = set(api_serializers.TRANSITION_SERIALIZERS[name]().fields) - {"version"}
        assert fields == arguments, name


def _world_case(world, state, **kwargs):
    return factories.case_in_state(world, state, **kwargs)


# name -> (state of the case, who acts, request body, state after)
HAPPY = {
    "assign": (S.NEW, "cs", lambda w: {"department": "retail", "assignee": "member"}, S.ASSIGNED),
    "reassign": (S.ASSIGNED, "cs", lambda w: {"department": "cards", "note": "Card matter"}, S.ASSIGNED),
    "respond": (S.ASSIGNED, "member", lambda w: {"method": "phone", "message": "We are on it"}, S.IN_PROGRESS),
    "request_extension": (S.IN_PROGRESS, "member", lambda w: {"days": 10, "reason": "Waiting for the card scheme"}, S.IN_PROGRESS),
    "resolve": (
        S.IN_PROGRESS,
        "owner",
        lambda w: {"outcome": "upheld", "summary": "Refunded", "cause": "service-attitude", "compensation": "10.50"},
        S.RESOLVED,
    ),
    "record_callback_attempt": (S.RESOLVED, "cs", lambda w: {"note": "No answer"}, S.RESOLVED),
    "close": (S.RESOLVED, "cs", lambda w: {"satisfaction": 4, "notes": "Fine"}, S.CLOSED),
    "reopen": (S.RESOLVED, "cs", lambda w: {"reason": "Customer does not accept"}, S.IN_PROGRESS),
    "reject": (S.NEW, "cs", lambda w: {"reason": "Not about the bank"}, S.REJECTED),
    "merge": (S.NEW, "cs", lambda w: {"into": factories.create_case(w).reference}, S.MERGED),
    "withdraw": (S.ASSIGNED, "cs", lambda w: {"reason": "Customer withdrew"}, S.WITHDRAWN),
}


@pytest.mark.parametrize("name", sorted(HAPPY))
def test_transition_returns_200_with_the_case(world, client_for, name):
    state, actor, body, after = HAPPY[name]
    case = _world_case(world, state)
    response = _post(client_for(getattr(world, actor)), case, name, body(world))
    assert response.status_code == 200, response.content
    assert response.json()["reference"] == case.reference
    assert response.json()["state"] == after
    assert case.events.order_by("-id").first().kind == name


def _with_pending_extension(world, days: int = 10):
    case = _world_case(world, S.IN_PROGRESS)
    return services.complaint_request_extension(complaint=case, actor=world.member, days=days, reason="Need time")


def test_approve_extension_moves_the_deadline(world, client_for):
    case = _with_pending_extension(world)
    response = _post(client_for(world.owner), case, "approve_extension", {"customer_notified_by": "sms"})
    assert response.status_code == 200, response.content
    assert response.json()["extension_status"] == "approved"
    assert response.json()["resolution_due"] != case.resolution_due


def test_deny_extension(world, client_for):
    case = _with_pending_extension(world)
    response = _post(client_for(world.owner), case, "deny_extension", {"reason": "Not complex"})
    assert response.status_code == 200 and response.json()["extension_status"] == "denied"


def test_close_unreachable_after_three_attempts(world, client_for):
    case = _world_case(world, S.RESOLVED)
    for _ in range(3):
        services.complaint_record_callback_attempt(complaint=case, actor=world.cs)
    response = _post(client_for(world.cs), case, "close_unreachable", {"notes": "Three tries"})
    assert response.status_code == 200 and response.json()["closure"] == "unreachable"


def test_transition_missing_fields_is_400_per_field(world, client_for):
    case = _world_case(world, S.IN_PROGRESS)
    body = assert_error(_post(client_for(world.owner), case, "resolve", {"outcome": "maybe"}), 400)
    assert set(body["errors"]) == {"outcome", "summary", "cause"}


def test_transition_service_validation_is_400_per_field(world, client_for):
    case = _world_case(world, S.ASSIGNED)
    body = assert_error(_post(client_for(world.owner), case, "reassign", {"department": "cards"}), 400)
    assert list(body["errors"]) == ["department"]
    body = assert_error(
        _post(client_for(world.cs), _world_case(world, S.NEW), "assign", {"department": "retail", "assignee": "other_member"}), 400
    )
    assert list(body["errors"]) == ["assignee"]


def test_transition_forbidden_for_the_role_is_403(world, client_for):
    case = _world_case(world, S.IN_PROGRESS)
    body = assert_error(
        _post(client_for(world.cs), case, "resolve", {"outcome": "upheld", "summary": "x", "cause": "service-attitude"}), 403
    )
    assert "state" not in body


def test_transition_on_a_case_of_another_department_is_404(world, client_for):
    case = _world_case(world, S.IN_PROGRESS, department=world.cards)
    assert_error(_post(client_for(world.owner), case, "respond", {"method": "phone", "message": "hi"}), 404)


def test_transition_not_possible_from_this_state_is_409_with_state(world, client_for):
    case = _world_case(world, S.ASSIGNED)
    body = assert_error(_post(client_for(world.cs), case, "close", {"satisfaction": 5}), 409)
    assert body["state"] == S.ASSIGNED


def test_transition_with_unmet_condition_is_409(world, client_for):
    case = _world_case(world, S.RESOLVED)
    body = assert_error(_post(client_for(world.cs), case, "close_unreachable", {}), 409)
    assert body["state"] == S.RESOLVED and "call-back" in body["detail"]


def test_transition_with_a_stale_version_is_409_with_state(world, client_for):
    case = _world_case(world, S.ASSIGNED)
    body = assert_error(
        _post(client_for(world.owner), case, "respond", {"method": "phone", "message": "hi", "version": case.version - 1}), 409
    )
    assert body["state"] == S.ASSIGNED
    ok = _post(client_for(world.owner), case, "respond", {"method": "phone", "message": "hi", "version": case.version})
    assert ok.status_code == 200 and ok.json()["version"] == case.version + 1


def test_empty_assignee_is_400_not_nobody(world, client_for):
    case = _world_case(world, S.NEW)
    body = assert_error(_post(client_for(world.cs), case, "assign", {"department": "retail", "assignee": ""}), 400)
    assert list(body["errors"]) == ["assignee"]


def test_unknown_transition_is_404(world, client_for):
    case = _world_case(world, S.NEW)
    assert_error(_post(client_for(world.cs), case, "teleport", {}), 404)


def test_transition_only_takes_post(world, client_for):
    case = _world_case(world, S.NEW)
    assert_error(client_for(world.cs).get(f"/api/v1/complaints/{case.reference}/transitions/assign/"), 405)


def test_extension_request_at_a_passed_deadline_is_409(world, client_for):
    case = _world_case(world, S.IN_PROGRESS)
    with time_machine.travel(case.resolution_due + timedelta(hours=1)):
        body = assert_error(_post(client_for(world.member), case, "request_extension", {"days": 5, "reason": "x"}), 409)
    assert body["state"] == S.IN_PROGRESS


# --- schema and docs --------------------------------------------------------------------------
def test_schema_is_served_and_lists_every_transition(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    for name in TRANSITIONS:
        operation = schema["paths"][f"/api/v1/complaints/{{reference}}/transitions/{name}/"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("TransitionRequest")
    assert len({op["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"] for path, op in schema["paths"].items() if "/transitions/" in path}) == len(TRANSITIONS)


def test_docs_are_served_from_our_own_static_files(db):
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html
    assert "cdn" not in html.lower() and "https://" not in html
