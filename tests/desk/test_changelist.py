"""The case list: its columns, the sortable next deadline, and the filters the work queues link to."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import selectors
from complaints.models import Complaint
from complaints.states import ComplaintState as S
from desk.admin.changelist import with_next_due
from tests import factories
from workflows import services

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
URL = "admin:complaints_complaint_changelist"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _set(case, **fields):
    Complaint.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def _in_progress(world, department=None, **assign):
    department = department or world.retail
    owner = world.owner if department == world.retail else world.other_owner
    case = services.complaint_assign(complaint=factories.create_case(world), actor=world.cs, department=department, **assign)
    return services.complaint_respond(complaint=case, actor=owner, method="phone", message="On it")


def _listed(client, **params) -> set[str]:
    response = client.get(reverse(URL), params)
    assert response.status_code == 200, response.get("Location")
    return {c.reference for c in response.context["cl"].queryset}


@pytest.fixture
def cases(world, frozen):
    new = factories.create_case(world)
    stale = factories.create_case(world, received_at=NOW - timedelta(hours=2))
    assigned = services.complaint_assign(
        complaint=factories.create_case(world), actor=world.cs, department=world.retail, assignee=world.member
    )
    in_progress = _in_progress(world, assignee=world.owner)
    owner_tier = _in_progress(world)
    services.complaint_request_extension(complaint=owner_tier, actor=world.owner, days=10, reason="Card scheme")
    supervisor_tier = _in_progress(world)
    services.complaint_request_extension(complaint=supervisor_tier, actor=world.owner, days=40, reason="Appraisal")
    cards_owner_tier = _in_progress(world, world.cards)
    services.complaint_request_extension(complaint=cards_owner_tier, actor=world.other_owner, days=10, reason="Scheme")
    resolved = factories.case_in_state(world, S.RESOLVED)
    closed = factories.case_in_state(world, S.CLOSED)
    due_today = _set(_in_progress(world), resolution_due=NOW.replace(hour=20))
    return {
        name: Complaint.objects.get(pk=case.pk)
        for name, case in {
            "new": new, "stale": stale, "assigned": assigned, "in_progress": in_progress, "owner_tier": owner_tier,
            "supervisor_tier": supervisor_tier, "cards_owner_tier": cards_owner_tier, "resolved": resolved,
            "closed": closed, "due_today": due_today,
        }.items()
    }


def _refs(cases, *names) -> set[str]:
    return {cases[name].reference for name in names}


def test_the_annotated_next_deadline_is_the_one_selectors_pick(cases):
    _set(cases["assigned"], resolution_due=cases["assigned"].first_response_due - timedelta(hours=1))  # resolution first
    for case in with_next_due(Complaint.objects.all()):
        clock = selectors.next_deadline(case)
        assert case.next_due == (clock[1] if clock else None), (case.reference, case.state)


def test_the_list_sorts_by_next_deadline_with_cases_without_a_clock_last(client, world, cases):
    client.force_login(world.supervisor)
    response = client.get(reverse(URL))
    column = response.context["cl"].list_display.index("next_deadline")
    ordered = list(client.get(reverse(URL), {"o": str(column)}).context["cl"].result_list)
    dues = [c.next_due for c in ordered]
    with_clock = [d for d in dues if d is not None]
    assert with_clock == sorted(with_clock)
    assert dues[len(with_clock):] == [None] * (len(dues) - len(with_clock))
    assert ordered[0].reference == cases["due_today"].reference
    descending = list(client.get(reverse(URL), {"o": f"-{column}"}).context["cl"].result_list)
    assert [d for d in (c.next_due for c in descending) if d is not None] == sorted(with_clock, reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"extension": "any"}, ("owner_tier", "supervisor_tier", "cards_owner_tier")),
        ({"extension": "owner"}, ("owner_tier", "cards_owner_tier")),
        ({"extension": "supervisor"}, ("supervisor_tier",)),
        ({"assignee": "unassigned"}, ("new", "stale", "owner_tier", "supervisor_tier", "cards_owner_tier", "resolved", "closed", "due_today")),
        ({"unrouted": "yes"}, ("new", "stale")),
        ({"unrouted": "over_1h"}, ("stale",)),
        ({"due": "today"}, ("due_today",)),
        ({"open": "no"}, ("closed",)),
        ({"awaiting": "first_response"}, ("new", "stale", "assigned")),
        ({"awaiting": "callback"}, ("resolved",)),
    ],
)
def test_each_filter_lists_its_cases(client, world, cases, params, expected):
    client.force_login(world.supervisor)
    assert _listed(client, **params) == _refs(cases, *expected)


def test_mine_and_extensions_for_me_depend_on_who_asks(client, world, cases):
    client.force_login(world.owner)
    assert _listed(client, assignee="mine") == _refs(cases, "in_progress")
    assert _listed(client, extension="mine") == _refs(cases, "owner_tier")  # not the supervisor tier, not cards
    client.force_login(world.member)
    assert _listed(client, assignee="mine") == _refs(cases, "assigned")
    assert _listed(client, extension="mine") == set()
    client.force_login(world.supervisor)
    assert _listed(client, extension="mine") == _refs(cases, "owner_tier", "supervisor_tier", "cards_owner_tier")


def test_filters_stay_inside_the_users_scope(client, world, cases):
    client.force_login(world.other_owner)
    assert _listed(client, extension="any") == _refs(cases, "cards_owner_tier")
    assert _listed(client, unrouted="yes") == set()


def test_an_unknown_parameter_is_refused(client, world, cases):
    client.force_login(world.supervisor)
    response = client.get(reverse(URL), {"no_such_filter": "1"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_columns_show_subject_severity_assignee_and_a_pending_extension(client, world, cases):
    long_subject = "The customer was charged the annual card fee twice and then a late fee on top of it"
    _set(cases["owner_tier"], subject=long_subject)
    world.owner.first_name, world.owner.last_name = "Li", "Wei"
    world.owner.save()
    client.force_login(world.supervisor)
    response = client.get(reverse(URL))
    html = response.content.decode()
    assert f'title="{long_subject}"' in html  # full text on hover
    assert f">{long_subject}<" not in html  # truncated in the cell
    assert "Li Wei" in html  # full name
    assert ">member<" in html  # no full name: the username
    assert 'class="extension-badge extension-owner"' in html
    assert 'class="extension-badge extension-supervisor"' in html
    assert "Medium" in html
    assert "desk/changelist.css" in html


def test_the_reference_stays_on_one_line(client, world, cases):
    client.force_login(world.cs)
    html = client.get(reverse(URL)).content.decode()
    assert '<th class="field-reference">' in html
    css = open(finders.find("desk/changelist.css"), encoding="utf-8").read()
    assert ".field-reference" in css and "white-space: nowrap" in css


def test_escalated_cases_carry_their_step(client, world, cases):
    _set(cases["in_progress"], escalation_level=3)
    client.force_login(world.supervisor)
    html = client.get(reverse(URL)).content.decode()
    assert html.count('class="escalation-badge escalation-3"') == 1


def test_the_masked_csv_export_is_offered_and_exports_the_selection(client, world, cases):
    client.force_login(world.cs)
    response = client.get(reverse(URL))
    assert "export_csv" in dict(response.context["action_form"].fields["action"].choices)
    exported = client.post(
        reverse(URL), {"action": "export_csv", "_selected_action": [cases["new"].pk, cases["resolved"].pk]}
    )
    assert exported["Content-Type"].startswith("text/csv")
    body = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert cases["new"].reference in body and cases["resolved"].reference in body
    assert "13812345678" not in body


def test_the_list_costs_the_same_queries_for_more_rows(client, world, cases):
    client.force_login(world.supervisor)
    client.get(reverse(URL))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(URL))
    for _ in range(5):
        _in_progress(world)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse(URL))
    assert len(more) == len(few)
