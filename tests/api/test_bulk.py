"""Bulk intake, POST /api/v1/complaints/bulk/: per-item answers in the single intake's shapes, atomic and idempotent per item."""
from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from access import services as access_services
from api.throttling import TokenClientRateThrottle
from complaints.models import Complaint
from tests import factories

BULK = "/api/v1/complaints/bulk/"
INTAKE = "/api/v1/complaints/"


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"detail", "errors"} <= set(body) and isinstance(body["detail"], str) and body["detail"], body
    return body


def bulk(client, items) -> list[dict]:
    response = client.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [result["index"] for result in results] == list(range(len(items)))
    return results


def single(client, body) -> tuple[int, dict]:
    response = client.post(INTAKE, body, format="json")
    return response.status_code, response.json()


def referral(intake_body, **overrides) -> dict:
    """A regulator referral as a CFPB row brings it: no name, no contact details."""
    body = intake_body(channel="regulator", customer={"region": "CA", "tags": ["Older American"]})
    body.update(overrides)
    return body


# --- per-item answers ----------------------------------------------------------------------
def test_one_request_answers_201_200_400_and_409_per_item_in_the_single_intakes_shapes(world, client_for, intake_body):
    client = client_for(world.cs)
    logged_before = client.post(INTAKE, intake_body(external_id="old-1"), format="json").json()
    items = [
        intake_body(external_id="new-1"),
        intake_body(external_id="old-1"),
        intake_body(external_id="bad-1", channel="pigeon", customer={"name": "张三", "phone": "13812345678", "account": 5}),
        intake_body(external_id="old-1", subject="Another subject", customer={"name": "李四", "phone": "13812345678"}),
    ]
    results = bulk(client, items)
    assert [result["status"] for result in results] == [201, 200, 400, 409]

    created = results[0]["case"]
    stored = Complaint.objects.get(reference=created["reference"])
    assert stored.external_id == "new-1" and stored.created_by == world.cs
    assert set(results[0]) == {"index", "status", "case"}
    assert created["customer"]["masked"] is True and created["customer"]["phone"] != "13812345678"
    assert results[1]["case"] == logged_before

    # 400 and 409 exactly as the single intake answers the same body (after this request, the same state).
    for result, item in zip(results[2:], items[2:], strict=True):
        status, body = single(client, item)
        assert result == {"index": result["index"], "status": status, **body}
    assert set(results[2]["errors"]) == {"channel", "customer.account"}
    assert set(results[3]["errors"]) == {"subject", "customer.name", "customer.email", "customer.id_number", "customer.account"}
    assert results[3]["state"] == logged_before["state"]
    answer = json.dumps(results[3], ensure_ascii=False)
    assert "李四" not in answer and "Another subject" not in answer  # fields named, never values
    assert Complaint.objects.count() == 2


def test_an_invalid_item_between_valid_ones_undoes_nothing_and_the_same_request_again_adds_nothing(
    world, client_for, intake_body
):
    client = client_for(world.cs)
    items = [
        intake_body(external_id="a-1"),
        intake_body(external_id="a-2", category="no-such"),
        intake_body(external_id="a-3", subject="   "),  # valid fields; the service refuses it
        intake_body(external_id="a-4"),
    ]
    first = bulk(client, items)
    assert [result["status"] for result in first] == [201, 400, 400, 201]
    assert list(first[1]["errors"]) == ["category"] and list(first[2]["errors"]) == ["subject"]
    assert set(Complaint.objects.values_list("external_id", flat=True)) == {"a-1", "a-4"}
    events = Complaint.objects.get(external_id="a-1").events.count()

    again = bulk(client, items)
    assert [result["status"] for result in again] == [200, 400, 400, 200]
    assert [again[i]["case"]["reference"] for i in (0, 3)] == [first[i]["case"]["reference"] for i in (0, 3)]
    assert Complaint.objects.count() == 2 and Complaint.objects.get(external_id="a-1").events.count() == events


def test_two_items_with_the_same_channel_and_external_id_the_second_is_a_replay_of_the_first(
    world, client_for, intake_body
):
    client = client_for(world.cs)
    results = bulk(
        client,
        [
            intake_body(external_id="dup-1"),
            intake_body(external_id="dup-1"),
            intake_body(external_id="dup-1", severity="high"),
            intake_body(external_id="dup-1", channel="web"),  # another channel: another case
        ],
    )
    assert [result["status"] for result in results] == [201, 200, 409, 201]
    assert results[1]["case"]["reference"] == results[0]["case"]["reference"]
    assert results[2]["errors"] == {"severity": ["Differs from the case logged before with this channel and external_id."]}
    assert Complaint.objects.filter(external_id="dup-1").count() == 2


def test_a_replay_of_a_case_the_caller_may_not_see_is_answered_as_the_single_intake_answers_it(
    world, client_for, intake_body
):
    channel = factories.UserFactory(username="channel-app", roles=["channel_system"])
    client_for(world.cs).post(INTAKE, intake_body(external_id="cs-1"), format="json")
    system = client_for(channel)
    results = bulk(system, [intake_body(external_id="cs-1"), intake_body(external_id="cs-1", subject="Other")])
    status, body = single(system, intake_body(external_id="cs-1"))
    assert status == 409 and "state" not in body
    for result in results:
        assert result == {"index": result["index"], "status": status, **body}
        assert list(result["errors"]) == ["external_id"]


# --- the envelope --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '"items"',
        "{}",
        '{"items": {}}',
        '{"items": "x"}',
        '{"items": []}',
        '{"item": [{}]}',
    ],
)
def test_a_body_that_is_not_an_object_with_an_items_list_is_400_naming_items(world, client_for, body):
    response = client_for(world.cs).post(BULK, body, content_type="application/json")
    assert list(assert_error(response, 400)["errors"]) == ["items"]
    assert not Complaint.objects.exists()


def test_items_that_are_not_intakes_are_400_each_and_the_rest_is_logged(world, client_for, intake_body):
    results = bulk(client_for(world.cs), [None, 5, "x", [], {}, intake_body()])
    assert [result["status"] for result in results] == [400, 400, 400, 400, 400, 201]
    assert all(list(result["errors"]) == ["non_field_errors"] for result in results[:4])
    assert {"channel", "category", "subject", "description", "customer"} <= set(results[4]["errors"])


def test_at_most_1000_items(world, client_for, intake_body):
    client = client_for(world.cs)
    item = intake_body()
    # A category that does not exist: each item is a quick 400, so the limit is what is measured.
    quick = intake_body(category="no-such")
    too_many = client.post(BULK, {"items": [quick] * 1001}, format="json")
    assert list(assert_error(too_many, 400)["errors"]) == ["items"]
    assert not Complaint.objects.exists()
    items = [dict(item, external_id=f"k-{i}") for i in range(1000)]
    results = bulk(client, items)
    assert {result["status"] for result in results} == {201}
    assert Complaint.objects.count() == 1000


def test_the_bulk_body_may_be_larger_than_a_single_intakes_up_to_its_own_limit(world, client_for, intake_body):
    client = client_for(world.cs)
    items = [intake_body(external_id=f"big-{i}", description="x" * 100_000) for i in range(3)]  # about 300 KB
    assert [result["status"] for result in bulk(client, items)] == [201, 201, 201]
    with override_settings(API_BULK_MAX_BODY_SIZE=200_000):
        assert_error(client.post(BULK, {"items": items}, format="json"), 413)


# --- what an item may carry ----------------------------------------------------------------
def test_a_regulator_referral_without_contact_is_logged_and_on_channel_phone_is_refused(world, client_for, intake_body):
    client = client_for(world.cs)
    phoned = referral(intake_body, channel="phone", external_id="r-1")
    results = bulk(client, [referral(intake_body, external_id="r-1"), phoned])
    assert [result["status"] for result in results] == [201, 400]
    assert set(results[1]["errors"]) == {"customer.phone", "customer.name"}
    case = Complaint.objects.get(reference=results[0]["case"]["reference"])
    assert case.channel == "regulator" and case.customer_name == case.customer_phone == case.customer_email == ""
    assert case.customer_region == "CA" and case.customer_tags == ["Older American"]


def test_sent_to_bank_at_before_received_at_is_refused_on_sent_to_bank_at(world, client_for, intake_body):
    received = timezone.now() - timedelta(days=10)
    items = [
        referral(intake_body, received_at=received.isoformat(), sent_to_bank_at=(received - timedelta(days=1)).isoformat()),
        referral(intake_body, received_at=received.isoformat(), sent_to_bank_at=(received + timedelta(days=2)).isoformat()),
        intake_body(received_at=received.isoformat(), sent_to_bank_at=received.isoformat()),  # not a referral
    ]
    results = bulk(client_for(world.cs), items)
    assert [result["status"] for result in results] == [400, 201, 400]
    assert list(results[0]["errors"]) == ["sent_to_bank_at"] and list(results[2]["errors"]) == ["sent_to_bank_at"]
    case = Complaint.objects.get(reference=results[1]["case"]["reference"])
    assert case.received_at == received and case.sent_to_bank_at == received + timedelta(days=2)
    assert case.resolution_clock_started_at == case.sent_to_bank_at  # the referral's clocks start when it was sent on


def test_a_description_of_100000_characters_is_taken_and_one_more_is_refused(world, client_for, intake_body):
    results = bulk(
        client_for(world.cs),
        [intake_body(description="x" * 100_000), intake_body(description="x" * 100_001)],
    )
    assert [result["status"] for result in results] == [201, 400]
    assert list(results[1]["errors"]) == ["description"]
    assert len(Complaint.objects.get().description) == 100_000


# --- who may, and how often ----------------------------------------------------------------
def test_a_channel_system_may_log_in_bulk_and_a_department_member_may_not(world, client_for, intake_body):
    channel = factories.UserFactory(username="channel-app", is_staff=False, roles=["channel_system"])
    results = bulk(client_for(channel), [intake_body(external_id="c-1")])
    assert results[0]["status"] == 201
    assert Complaint.objects.get().created_by == channel
    assert_error(client_for(world.member).post(BULK, {"items": [intake_body()]}, format="json"), 403)
    assert_error(APIClient().post(BULK, {"items": [intake_body()]}, format="json"), 401)
    assert Complaint.objects.count() == 1


def test_a_bulk_request_counts_once_per_item_against_the_token_rate(world, intake_body, monkeypatch):
    monkeypatch.setattr(TokenClientRateThrottle, "rate", "5/minute", raising=False)
    system = APIClient()
    system.credentials(HTTP_AUTHORIZATION=f"Token {access_services.api_token_issue(user=world.cs).key}")
    items = [intake_body(external_id=f"t-{i}") for i in range(3)]
    assert system.post(BULK, {"items": items}, format="json").status_code == 200  # 3 of 5
    assert_error(system.post(BULK, {"items": copy.deepcopy(items)}, format="json"), 429)  # 3 more would be 6
    assert Complaint.objects.count() == 3
    assert system.post(INTAKE, intake_body(), format="json").status_code == 201  # 4 of 5: one counter
    assert system.post(BULK, {"items": items[:1]}, format="json").status_code == 200  # 5 of 5
    assert_error(system.post(INTAKE, intake_body(), format="json"), 429)


def test_bulk_is_in_the_schema_with_its_request_and_answers(world, client_for):
    schema = client_for(world.supervisor).get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/complaints/bulk/"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "413", "415", "429"}
    assert "20 MB" in operation["responses"]["413"]["description"]
    request = schema["components"]["schemas"]["BulkIntakeRequest"]["properties"]["items"]
    assert request["minItems"] == 1 and request["maxItems"] == 1000
    assert {"$ref": "#/components/schemas/ComplaintIntakeRequest"} in request["items"]["anyOf"]


# --- PostgreSQL ----------------------------------------------------------------------------
@pytest.mark.postgres
def test_on_postgresql_items_are_atomic_each_and_replays_add_nothing(world, client_for, intake_body):
    from django.db import connection

    assert connection.vendor == "postgresql"
    client = client_for(world.cs)
    items = [
        intake_body(external_id="p-1"),
        intake_body(external_id="p-2", customer={"name": "张三", "phone": "not a phone"}),
        referral(intake_body, external_id="p-3"),
        intake_body(external_id="p-1"),
        intake_body(external_id="p-4", description="x" * 100_000),
    ]
    first = bulk(client, items)
    assert [result["status"] for result in first] == [201, 400, 201, 200, 201]
    assert list(first[1]["errors"]) == ["customer.phone"]
    assert set(Complaint.objects.values_list("external_id", flat=True)) == {"p-1", "p-3", "p-4"}
    again = bulk(client, items)
    assert [result["status"] for result in again] == [200, 400, 200, 200, 200]
    assert Complaint.objects.count() == 3
