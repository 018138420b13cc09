"""Admin per role: scoped lists, only the allowed transitions, events written, intake errors on fields."""
from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint, ComplaintEvent
from complaints.states import ComplaintState as S
from tests import factories
from workflows.imports.columns import HEADER


@pytest.fixture
def cases(world):
    retail = factories.case_in_state(world, S.IN_PROGRESS, department=world.retail)
    cards = factories.case_in_state(world, S.IN_PROGRESS, department=world.cards)
    unrouted = factories.create_case(world)
    return {"retail": retail, "cards": cards, "new": unrouted}


def changelist_references(client) -> set[str]:
    response = client.get(reverse("admin:complaints_complaint_changelist"))
    assert response.status_code == 200
    return {c.reference for c in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("cs", {"retail", "cards", "new"}),
        ("supervisor", {"retail", "cards", "new"}),
        ("owner", {"retail"}),
        ("member", {"retail"}),
        ("other_owner", {"cards"}),
        ("other_member", {"cards"}),
    ],
)
def test_changelist_shows_only_the_roles_rows(client, world, cases, role, visible):
    client.force_login(getattr(world, role))
    assert changelist_references(client) == {cases[k].reference for k in visible}
    for key, case in cases.items():
        response = client.get(reverse("admin:complaints_complaint_change", args=[case.pk]))
        if key in visible:
            assert response.status_code == 200
        else:
            assert response.status_code == 302  # "does not exist" and back to the index


def test_changelist_masks_phone_and_a_phone_in_the_query_string_finds_nothing(client, world, cases):
    client.force_login(world.cs)
    response = client.get(reverse("admin:complaints_complaint_changelist"))
    assert b"138****5678" in response.content and b"13812345678" not in response.content
    factories.create_case(world, phone="13900001111")
    found = client.get(reverse("admin:complaints_complaint_changelist"), {"q": "139 0000 1111"})
    assert list(found.context["cl"].result_list) == []
    by_reference = client.get(reverse("admin:complaints_complaint_changelist"), {"q": cases["cards"].reference})
    assert {c.reference for c in by_reference.context["cl"].result_list} == {cases["cards"].reference}


def test_department_user_cannot_find_another_departments_case_by_search(client, world, cases):
    client.force_login(world.owner)
    response = client.get(reverse("admin:complaints_complaint_changelist"), {"q": cases["cards"].reference})
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("owner", {"reassign", "request_extension", "resolve", "pause", "new_facts"}),
        ("member", {"request_extension", "resolve", "pause", "new_facts"}),
        ("cs", {"reassign", "withdraw"}),
        ("supervisor", {"reassign", "request_extension", "resolve", "withdraw", "pause", "new_facts"}),
    ],
)
def test_change_page_offers_only_the_users_transitions(client, world, cases, role, offered):
    client.force_login(getattr(world, role))
    response = client.get(reverse("admin:complaints_complaint_change", args=[cases["retail"].pk]))
    assert {name for name, _label in response.context["transitions"]} == offered


def test_change_page_shows_pii_only_to_handlers(client, world, cases):
    client.force_login(world.member)
    response = client.get(reverse("admin:complaints_complaint_change", args=[cases["retail"].pk]))
    assert b"13812345678" in response.content and b"110101199001011234" in response.content


def _panel(name: str, **fields) -> dict:
    """A transition panel's POST body: its fields carry the transition's name as prefix."""
    return {f"{name}-{field}": value for field, value in fields.items()}


def test_transition_through_admin_writes_its_event(client, world, cases):
    case = cases["retail"]
    client.force_login(world.member)
    url = reverse("admin:complaints_complaint_transition", args=[case.pk, "resolve"])
    opened = client.get(url)
    assert opened.status_code == 200 and [p["transition"].name for p in opened.context["panels"] if p["open"]] == ["resolve"]
    response = client.post(
        url,
        _panel("resolve", version=case.version, outcome="upheld", cause=factories.cause().pk, summary="Refunded"),
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == S.RESOLVED
    event = ComplaintEvent.objects.filter(complaint=case).latest("id")
    assert (event.kind, event.actor, event.from_state, event.to_state) == ("resolve", world.member, "in_progress", "resolved")


def test_transition_panel_shows_every_field_error_at_once_and_changes_nothing(client, world, cases):
    case = cases["retail"]
    client.force_login(world.member)
    url = reverse("admin:complaints_complaint_transition", args=[case.pk, "resolve"])
    response = client.post(url, _panel("resolve", version=case.version, summary="  "))
    assert response.status_code == 200
    form = next(p["form"] for p in response.context["panels"] if p["open"])
    assert set(form.errors) == {"outcome", "cause", "summary"}
    assert Complaint.objects.get(pk=case.pk).version == case.version


def test_service_rule_errors_land_on_the_field(client, world, cases):
    case = cases["retail"]
    client.force_login(world.member)
    url = reverse("admin:complaints_complaint_transition", args=[case.pk, "request_extension"])
    response = client.post(url, _panel("request_extension", version=case.version, days=50, reason="Long"))
    assert response.status_code == 200
    form = next(p["form"] for p in response.context["panels"] if p["open"])
    assert form.errors["days"]
    assert Complaint.objects.get(pk=case.pk).version == case.version


def test_refused_concurrent_change_keeps_what_the_user_typed(client, world, cases):
    case = cases["retail"]
    client.force_login(world.owner)
    url = reverse("admin:complaints_complaint_transition", args=[case.pk, "resolve"])
    from workflows import services

    services.complaint_request_extension(complaint=case, actor=world.member, days=3, reason="Scheme")
    typed = "Refunded the double charge and apologised."
    response = client.post(
        url, _panel("resolve", version=case.version, outcome="upheld", cause=factories.cause().pk, summary=typed)
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert typed in response.content.decode()
    assert Complaint.objects.get(pk=case.pk).state == S.IN_PROGRESS
    form = next(p["form"] for p in response.context["panels"] if p["open"])
    current = Complaint.objects.get(pk=case.pk).version
    assert form["version"].value() == str(current)
    again = client.post(url, {**form.data.dict()})
    assert again.status_code == 302 and Complaint.objects.get(pk=case.pk).state == S.RESOLVED


def test_history_opens_the_timeline(client, world, cases):
    client.force_login(world.owner)
    case = cases["retail"]
    response = client.get(reverse("admin:complaints_complaint_history", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("admin:complaints_complaint_change", args=[case.pk]) + "#timeline")


def test_department_member_cannot_post_a_transition_on_another_departments_case(client, world, cases):
    client.force_login(world.member)
    url = reverse("admin:complaints_complaint_transition", args=[cases["cards"].pk, "resolve"])
    response = client.post(url, _panel("resolve", version=1, outcome="upheld", cause=factories.cause().pk, summary="x"))
    assert response.status_code == 404
    assert Complaint.objects.get(pk=cases["cards"].pk).state == S.IN_PROGRESS


def test_intake_through_admin(client, world):
    client.force_login(world.cs)
    url = reverse("admin:complaints_complaint_add")
    assert client.get(url).status_code == 200
    data = {
        "channel": "branch", "kind": "complaint", "severity": "high", "category": world.routed.pk,
        "received_at": "2026-11-24T09:30", "customer_name": "赵六", "customer_phone": "13700001234",
        "subject": "Counter refused damaged notes", "description": "Refused to exchange.",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    case = Complaint.objects.get()
    assert case.state == S.ASSIGNED and case.created_by == world.cs


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"received_at": "2099-01-01T10:00"}, "received_at"),
        ({"description": ""}, "description"),
        ({"customer_phone": "call me"}, "customer_phone"),
        ({"category": 999999}, "category"),
        ({"subject": "x" * 201}, "subject"),
    ],
)
def test_bad_intake_shows_the_field_error_and_saves_nothing(client, world, change, field):
    client.force_login(world.cs)
    data = {
        "channel": "branch", "kind": "complaint", "severity": "high", "category": world.routed.pk,
        "received_at": "2026-11-24T09:30", "customer_name": "赵六", "customer_phone": "13700001234",
        "subject": "Counter", "description": "Refused.",
    }
    data.update(change)
    response = client.post(reverse("admin:complaints_complaint_add"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Complaint.objects.count() == 0


def test_department_people_cannot_log_cases(client, world):
    client.force_login(world.owner)
    assert client.get(reverse("admin:complaints_complaint_add")).status_code == 403


def test_csv_export_is_scoped_and_masked(client, world, cases):
    client.force_login(world.owner)
    response = client.post(
        reverse("admin:complaints_complaint_changelist"),
        {"action": "export_csv", "_selected_action": [c.pk for c in cases.values()]},
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert cases["retail"].reference in body and cases["cards"].reference not in body
    assert "13812345678" not in body and "138****5678" in body
    assert body.splitlines()[0] == ",".join(HEADER)  # the case file's columns, as every export


def test_supervisor_filters_cases_escalated_to_supervisors(client, world, cases):
    Complaint.objects.filter(pk=cases["cards"].pk).update(escalation_level=3)
    client.force_login(world.supervisor)
    url = reverse("admin:complaints_complaint_changelist")
    response = client.get(url, {"escalation": "3"})
    assert response.status_code == 200
    assert {c.reference for c in response.context["cl"].result_list} == {cases["cards"].reference}
