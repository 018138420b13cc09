"""Intake's one-statement lookups (token with user and groups, category with department, SLA policy)
behave exactly like the querysets they replace, and read afresh on every request."""
from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from access import services as access_services
from access import tokens
from access.models import ApiToken
from api import lookups
from complaints.models import Complaint
from tests import factories
from workflows.models import SlaPolicy

INTAKE = "/api/v1/complaints/"


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {access_services.api_token_issue(user=user).key}")
    return client


def test_token_lookup_returns_the_user_and_all_group_names(world):
    world.cs.groups.add(Group.objects.get(name="supervisor"))
    issued = access_services.api_token_issue(user=world.cs)
    found_token, group_names = lookups.token_with_user(tokens.key_digest(issued.key))
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert found_token.pk == stored.pk and found_token.user == world.cs
    for field in lookups.TOKEN_FIELDS:  # the ORM's values exactly, aware datetimes included
        assert getattr(found_token, field) == getattr(stored, field), field
    assert found_token.user.password == world.cs.password
    assert found_token.user.username == "cs" and found_token.user.is_active is True
    assert group_names == {"cs_staff", "supervisor"}
    assert found_token.user.date_joined == world.cs.date_joined  # deferred fields load on access


def test_token_lookup_of_a_user_without_groups_and_of_an_unknown_key(world):
    issued = access_services.api_token_issue(user=world.outsider)
    assert lookups.token_with_user(tokens.key_digest(issued.key))[1] == frozenset()
    assert lookups.token_with_user("no-such-key") is None


def test_token_intake_reads_token_user_and_groups_in_one_query(world, intake_body):
    client = _token_client(world.cs)
    with CaptureQueriesContext(connection) as captured:
        assert client.post(INTAKE, intake_body(external_id="q-1"), format="json").status_code == 201
    auth_queries = [q["sql"] for q in captured if "access_apitoken" in q["sql"] or "auth_group" in q["sql"]]
    assert len(auth_queries) == 1


def test_removing_a_role_group_takes_effect_on_the_next_request(world, intake_body):
    client = _token_client(world.cs)
    assert client.post(INTAKE, intake_body(external_id="g-1"), format="json").status_code == 201
    world.cs.groups.remove(Group.objects.get(name="cs_staff"))
    response = client.post(INTAKE, intake_body(external_id="g-2"), format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only customer service, supervisors and channel systems may log cases."


def test_deactivated_user_and_deleted_token_are_refused_with_drfs_messages(world, intake_body):
    client = _token_client(world.cs)
    world.cs.is_active = False
    world.cs.save()
    response = client.post(INTAKE, intake_body(), format="json")
    assert response.status_code == 401 and response.json()["detail"] == "User inactive or deleted."
    world.cs.is_active = True
    world.cs.save()
    ApiToken.objects.filter(user=world.cs).delete()
    response = client.post(INTAKE, intake_body(), format="json")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
    assert Complaint.objects.count() == 0


def test_category_lookup_brings_the_default_department(world):
    category = lookups.category_with_department("savings")
    assert category == world.routed and category.is_active is True
    with CaptureQueriesContext(connection) as captured:
        assert category.default_department == world.retail and category.default_department.is_active is True
    assert len(captured) == 0
    assert lookups.category_with_department("general").default_department is None
    assert lookups.category_with_department("no-such") is None


def test_unknown_or_non_text_category_keeps_drfs_message(world, client_for, intake_body):
    client = client_for(world.cs)
    unknown = client.post(INTAKE, intake_body(category="no-such"), format="json").json()
    assert unknown["errors"] == {"category": ["Object with code=no-such does not exist."]}
    number = client.post(INTAKE, intake_body(category=12), format="json").json()
    assert number["errors"] == {"category": ["Object with code=12 does not exist."]}


def test_unrouted_category_leaves_the_case_new(world, client_for, intake_body):
    response = client_for(world.cs).post(INTAKE, intake_body(category="general"), format="json")
    assert response.status_code == 201
    assert response.json()["state"] == "new" and response.json()["department"] is None


def test_inactive_default_department_does_not_route(world, client_for, intake_body):
    world.retail.is_active = False
    world.retail.save()
    response = client_for(world.cs).post(INTAKE, intake_body(), format="json")
    assert response.status_code == 201 and response.json()["state"] == "new"


def test_edited_sla_policy_applies_to_the_next_intake(world, client_for, intake_body):
    client = client_for(world.cs)
    first = Complaint.objects.get(reference=client.post(INTAKE, intake_body(), format="json").json()["reference"])
    assert first.first_response_due - first.received_at == timedelta(hours=24)
    SlaPolicy.objects.filter(kind="complaint", severity="medium").update(first_response_hours=4, resolution_window=5)
    second = Complaint.objects.get(reference=client.post(INTAKE, intake_body(), format="json").json()["reference"])
    assert second.first_response_due - second.received_at == timedelta(hours=4)
    assert second.resolution_window_days == 5


def test_sla_for_without_a_policy_row_is_the_default(world):
    from workflows.policies import DEFAULT_SLA

    SlaPolicy.objects.filter(kind="complaint", severity="high").delete()
    assert SlaPolicy.sla_for(kind="complaint", severity="high") == DEFAULT_SLA
    policy = SlaPolicy.objects.get(kind="complaint", severity="medium")
    assert SlaPolicy.sla_for(kind="complaint", severity="medium") == policy.as_sla()


def test_intake_with_a_token_costs_a_fixed_number_of_queries(world, intake_body):
    client = _token_client(factories.UserFactory(username="channel", roles=["cs_staff"]))
    # The first intake also reads the policy's business calendar (the calendar and its days),
    # which is then kept in memory until its revision changes.
    with CaptureQueriesContext(connection) as first:
        assert client.post(INTAKE, intake_body(external_id="n-0"), format="json").status_code == 201
    with CaptureQueriesContext(connection) as captured:
        assert client.post(INTAKE, intake_body(external_id="n-1"), format="json").status_code == 201
    selects = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    # token+user+groups, category+department, the external_id probe, the SLA policy with the
    # calendar's revision, the active internal targets
    assert len(selects) == 5, selects
    first_selects = [q["sql"] for q in first if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(first_selects) == 7 and any("workflows_calendarday" in sql for sql in first_selects), first_selects
