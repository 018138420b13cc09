"""What an integrator's hostile or careless input gets (issue 11): deep JSON, unknown paths and
methods, received_at out of bounds or without a zone, replays with other values, unknown
list parameters; and the list's filters and count."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from api.parsers import too_deep_at
from complaints.models import Complaint
from tests import factories

INTAKE = "/api/v1/complaints/"
NOW = timezone.make_aware(datetime(2026, 11, 24, 10, 0, 0))


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert {"detail", "errors"} <= set(body) and isinstance(body["detail"], str) and body["detail"], body
    return body


def post_raw(client, text: str, path: str = INTAKE):
    return client.post(path, data=text, content_type="application/json")


# --- deeply nested JSON ---------------------------------------------------------------------
def test_nested_json_2000_deep_is_400_naming_the_field_and_logs_no_error(world, client_for, intake_body, caplog):
    body = json.dumps(intake_body())
    deep = body[:-1] + ', "customer": ' + "[" * 2000 + "]" * 2000 + "}"
    with caplog.at_level(logging.WARNING):
        response = post_raw(client_for(world.cs), deep)
    error = assert_json_error(response, 400)
    assert list(error["errors"]) == ["customer"]
    assert "32" in error["errors"]["customer"][0]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert Complaint.objects.count() == 0


def test_nested_json_in_a_transition_body_is_400_too(world, client_for):
    case = factories.create_case(world)
    deep = '{"department": ' + "{" * 40 + "}" * 40 + "}"
    response = post_raw(client_for(world.cs), deep, f"/api/v1/complaints/{case.reference}/transitions/assign/")
    assert list(assert_json_error(response, 400)["errors"]) == ["department"]


def test_nesting_up_to_the_limit_parses_and_brackets_in_strings_do_not_count(world, client_for, intake_body):
    client = client_for(world.cs)
    # 32 levels: the body (1), customer (2) and 30 arrays inside it: parsed, then refused by the serializer.
    body = json.dumps(intake_body())[:-1] + ', "customer": {"name": ' + "[" * 30 + "]" * 30 + "}}"
    error = assert_json_error(post_raw(client, body), 400)
    assert list(error["errors"]) == ["customer.name"]
    brackets = "[{" * 100 + '"\\"' + "]}" * 100
    response = client.post(INTAKE, intake_body(description=brackets), format="json")
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().description == brackets


@override_settings(API_JSON_MAX_DEPTH=3)
def test_the_depth_limit_is_a_setting(world, client_for, intake_body):
    response = client_for(world.cs).post(INTAKE, intake_body(customer={"name": [["x"]]}), format="json")
    error = assert_json_error(response, 400)
    assert list(error["errors"]) == ["customer"] and "3 levels" in error["errors"]["customer"][0]


@pytest.mark.parametrize(
    ("text", "limit", "named"),
    [
        ('{"a": 1, "b": [[[]]]}', 3, "b"),
        ('{"a": [[[]]], "b": 1}', 3, "a"),
        ('{"a": [[]], "b": {"c": 1}}', 3, None),
        ('[1, {"x": 2}, [[[[]]]]]', 3, "2"),
        ('{"k\\"[{": [[[]]]}', 3, 'k"[{'),
        ('{"a": "[[[[[[[[", "b": "}}}}"}', 2, None),
        ('{"a": "unterminated [[[[[[', 2, None),
        ("[[[[[[[[[[", 3, "0"),
    ],
)
def test_depth_scan(text, limit, named):
    assert too_deep_at(text, limit) == named


def test_malformed_json_and_a_compressing_charset_are_still_parse_errors(world, client_for):
    client = client_for(world.cs)
    assert_json_error(post_raw(client, '{"subject": '), 400)
    packed = client.post(INTAKE, data=b"BZh91AY&SY", content_type="application/json; charset=bz2_codec")
    assert_json_error(packed, 400)


# --- unknown paths and wrong methods --------------------------------------------------------
UNKNOWN = ["/api/v1/no-such-thing/", "/api/v1/complaints", "/api/v1/complaints/C-1/nope/"]


@pytest.mark.parametrize("path", UNKNOWN)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_unknown_paths_are_json_404_even_without_a_csrf_token(world, client_for, path, method):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.cs)
    assert_json_error(getattr(browser, method)(path, data="{}", content_type="application/json"), 404)
    assert_json_error(getattr(Client(enforce_csrf_checks=True), method)(path), 404)
    assert_json_error(getattr(client_for(world.supervisor), method)(path, {}, format="json"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/departments/"), ("delete", INTAKE), ("put", "/api/v1/complaints/{ref}/"),
     ("patch", "/api/v1/complaints/{ref}/events/"), ("delete", "/api/v1/complaints/{ref}/transitions/assign/")],
)  # fmt: skip
def test_a_known_path_with_a_wrong_method_is_json_405(world, client_for, method, path):
    path = path.format(ref=factories.create_case(world).reference)
    assert_json_error(getattr(client_for(world.supervisor), method)(path, {}, format="json"), 405)
    # A browser session without a CSRF token meets DRF's CSRF check first: JSON too, never HTML.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.supervisor)
    response = getattr(browser, method)(path, data="{}", content_type="application/json")
    assert response.status_code in (403, 405) and response["Content-Type"].startswith("application/json")


# --- received_at ----------------------------------------------------------------------------
@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("value", ["0001-01-02T00:00:00Z", "1900-01-01T00:00:00+08:00", "2023-11-01T00:00:00Z"])
def test_received_at_beyond_the_horizon_is_400_with_the_horizon_in_the_message(world, client_for, intake_body, value):
    response = client_for(world.cs).post(INTAKE, intake_body(received_at=value), format="json")
    error = assert_json_error(response, 400)
    assert list(error["errors"]) == ["received_at"]
    assert "1096 days" in error["errors"]["received_at"][0]
    assert Complaint.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_received_at_exactly_at_the_horizon_is_accepted(world, client_for, intake_body):
    horizon = NOW - timedelta(days=1096)
    response = client_for(world.cs).post(INTAKE, intake_body(received_at=horizon.isoformat()), format="json")
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().received_at == horizon
    earlier = (horizon - timedelta(microseconds=1)).isoformat()
    assert_json_error(client_for(world.cs).post(INTAKE, intake_body(received_at=earlier), format="json"), 400)


@time_machine.travel(NOW, tick=False)
@override_settings(INTAKE_RECEIVED_AT_HORIZON_DAYS=30)
def test_the_horizon_is_a_setting(world, client_for, intake_body):
    client = client_for(world.cs)
    error = assert_json_error(
        client.post(INTAKE, intake_body(received_at=(NOW - timedelta(days=31)).isoformat()), format="json"), 400
    )
    assert "30 days" in error["errors"]["received_at"][0]
    assert client.post(INTAKE, intake_body(received_at=(NOW - timedelta(days=29)).isoformat()), format="json").status_code == 201


@pytest.mark.parametrize(
    ("value", "says"),
    [("2026-11-20T10:00:00", "time zone"), ("2026-11-20T10:00", "time zone"), ("2026-11-20", "date alone"),
     ("20261120", "date alone")],
)  # fmt: skip
def test_naive_received_at_and_a_bare_date_are_refused(world, client_for, intake_body, value, says):
    error = assert_json_error(client_for(world.cs).post(INTAKE, intake_body(received_at=value), format="json"), 400)
    assert list(error["errors"]) == ["received_at"]
    assert says in error["errors"]["received_at"][0]
    assert Complaint.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_admin_intake_refuses_received_at_beyond_the_horizon_on_its_field(client, world):
    client.force_login(world.cs)
    data = {
        "channel": "branch", "kind": "complaint", "severity": "high", "category": world.routed.pk,
        "received_at": "2001-01-02T09:30", "customer_name": "赵六", "customer_phone": "13700001234",
        "subject": "Counter refused damaged notes", "description": "Refused to exchange.",
    }  # fmt: skip
    response = client.post(reverse("admin:complaints_complaint_add"), data)
    assert response.status_code == 200
    messages = response.context["form"].errors["received_at"]
    assert len(messages) == 1 and "1096 days" in messages[0]
    assert Complaint.objects.count() == 0
    data["received_at"] = "2026-11-23T09:30"
    assert client.post(reverse("admin:complaints_complaint_add"), data).status_code == 302


# --- replays --------------------------------------------------------------------------------
def test_identical_replay_is_200_with_the_case_also_in_normalised_forms(world, client_for, intake_body):
    client = client_for(world.cs)
    first = client.post(INTAKE, intake_body(external_id="cti-1"), format="json")
    assert first.status_code == 201
    again = client.post(INTAKE, intake_body(external_id="cti-1"), format="json")
    assert again.status_code == 200 and again.json()["reference"] == first.json()["reference"]
    reformatted = intake_body(
        external_id=" cti-1 ",
        subject="  Card fee charged twice ",
        customer={
            "name": " 张三 ", "phone": "+86 138-1234-5678", "email": "ZHANG@Example.com",
            "id_number": "110101 199001011234", "account": "6222 0212 3456 7890",
        },
    )  # fmt: skip
    response = client.post(INTAKE, reformatted, format="json")
    assert response.status_code == 200, response.content
    assert Complaint.objects.count() == 1


def test_replay_with_other_values_is_409_naming_the_fields_and_not_the_values(world, client_for, intake_body):
    client = client_for(world.cs)
    first = client.post(INTAKE, intake_body(external_id="cti-2"), format="json").json()
    changed = intake_body(
        external_id="cti-2",
        severity="high",
        subject="Card fee charged three times",
        customer={"name": "张三", "phone": "13998765432", "email": "zhang@example.com",
                  "id_number": "110101199001011234", "account": "6222021234567890"},
    )  # fmt: skip
    response = client.post(INTAKE, changed, format="json")
    error = assert_json_error(response, 409)
    assert list(error["errors"]) == ["severity", "subject", "customer.phone"]
    assert error["state"] == first["state"]
    assert first["reference"] in error["detail"] and "customer.phone" in error["detail"]
    text = response.content.decode()
    for value in ("13998765432", "13812345678", "three times", "138****5678", "张三"):
        assert value not in text
    case = Complaint.objects.get()
    assert case.severity == "medium" and case.customer_phone == "13812345678"


@time_machine.travel(NOW, tick=False)
def test_replay_received_at_same_instant_or_omitted_is_the_same(world, client_for, intake_body):
    client = client_for(world.cs)
    given = "2026-11-23T09:00:00+08:00"
    assert client.post(INTAKE, intake_body(external_id="cti-3", received_at=given), format="json").status_code == 201
    same_instant = "2026-11-23T01:00:00Z"
    assert client.post(INTAKE, intake_body(external_id="cti-3", received_at=same_instant), format="json").status_code == 200
    assert client.post(INTAKE, intake_body(external_id="cti-3"), format="json").status_code == 200
    other = client.post(INTAKE, intake_body(external_id="cti-3", received_at="2026-11-23T10:00:00+08:00"), format="json")
    assert list(assert_json_error(other, 409)["errors"]) == ["received_at"]
    # First call without received_at (stored: now); a retry that gives a different time differs.
    assert client.post(INTAKE, intake_body(external_id="cti-4"), format="json").status_code == 201
    assert client.post(INTAKE, intake_body(external_id="cti-4"), format="json").status_code == 200
    assert client.post(INTAKE, intake_body(external_id="cti-4", received_at=NOW.isoformat()), format="json").status_code == 200
    earlier = (NOW - timedelta(hours=1)).isoformat()
    assert_json_error(client.post(INTAKE, intake_body(external_id="cti-4", received_at=earlier), format="json"), 409)


# --- the list: parameters, filters, count ---------------------------------------------------
def test_unknown_and_repeated_list_parameters_are_400_naming_them(world, client_for):
    client = client_for(world.cs)
    error = assert_json_error(client.get(INTAKE, {"external_idx": "a", "sort": "x"}), 400)
    assert set(error["errors"]) == {"external_idx", "sort"}
    error = assert_json_error(client.get(f"{INTAKE}?state=new&state=assigned"), 400)
    assert list(error["errors"]) == ["state"]


def test_list_filters_external_id_channel_and_escalation_level(world, client_for, intake_body):
    client = client_for(world.supervisor)
    app = client.post(INTAKE, intake_body(external_id="x-1"), format="json").json()["reference"]
    web = client.post(INTAKE, intake_body(external_id="x-1", channel="web"), format="json").json()["reference"]
    other = client.post(INTAKE, intake_body(external_id="x-2", channel="wechat"), format="json").json()["reference"]
    Complaint.objects.filter(reference=other).update(escalation_level=2)

    def refs(**params) -> set[str]:
        response = client.get(INTAKE, params)
        assert response.status_code == 200, response.content
        return {row["reference"] for row in response.json()["results"]}

    assert refs(external_id="x-1") == {app, web}
    assert refs(external_id="x-1", channel="web") == {web}
    assert refs(channel="wechat") == {other}
    assert refs(escalation_level=2) == {other}
    assert refs(escalation_level=0) == {app, web}
    assert refs(external_id="nope") == set()
    for bad in ({"channel": "carrier-pigeon"}, {"escalation_level": "4"}, {"escalation_level": "high"}):
        assert list(assert_json_error(client.get(INTAKE, bad), 400)["errors"]) == list(bad)


def test_count_is_on_the_page_only_when_asked(world, client_for):
    for _ in range(3):
        factories.create_case(world)
    client = client_for(world.supervisor)
    plain = client.get(INTAKE, {"page_size": 2}).json()
    assert "count" not in plain and len(plain["results"]) == 2
    counted = client.get(INTAKE, {"page_size": 2, "count": "true"}).json()
    assert counted["count"] == 3 and len(counted["results"]) == 2
    second = client.get(counted["next"]).json()
    assert second["count"] == 3 and len(second["results"]) == 1
    assert client.get(INTAKE, {"count": "true", "state": "closed"}).json()["count"] == 0
    assert "count" not in client.get(INTAKE, {"count": "false"}).json()


def test_the_schema_says_a_complaint_needs_a_phone_or_an_email(world, client_for):
    schema = client_for(world.supervisor).get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    customer = components["ComplaintIntakeRequest"]["properties"]["customer"]["description"]
    assert "phone or an e-mail" in customer and "suggestion, praise or inquiry" in customer
    for field in ("phone", "email"):
        assert "A complaint needs this" in components["CustomerRequest"]["properties"][field]["description"]
    names = {p["name"] for p in schema["paths"]["/api/v1/complaints/"]["get"]["parameters"]}
    assert {"external_id", "channel", "escalation_level", "count"} <= names


@pytest.mark.postgres
def test_external_id_without_a_channel_can_use_the_unique_index(world):
    from django.db import connection

    from api.views import _filtered_cases

    assert connection.vendor == "postgresql"
    factories.create_case(world, external_id="x-9")
    queryset = _filtered_cases(world.supervisor, {"external_id": "x-9"})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.order_by().explain()
    assert "complaint_unique_channel_external_id" in plan, plan
    assert queryset.count() == 1
