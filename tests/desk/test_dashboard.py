"""The index page's work queues: counts per role equal independent queries, stay in scope, cost
a constant number of queries, and each links to a case list of exactly the counted cases."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import queues
from complaints.models import Complaint
from complaints.states import OPEN_STATES, UNRESOLVED_STATES
from complaints.states import ComplaintState as S
from desk import dashboard
from tests import factories
from workflows import services

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)  # a Tuesday, mid-morning in the bank's zone


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _in_progress(world, department, *, assignee=None):
    owner = world.owner if department == world.retail else world.other_owner
    case = factories.create_case(world)
    case = services.complaint_assign(complaint=case, actor=world.cs, department=department, assignee=assignee)
    return services.complaint_respond(complaint=case, actor=owner, method="phone", message="On it")


def _set(case, **fields):
    """Deadline and escalation columns are written by the services and the sweep; tests set them directly."""
    Complaint.objects.filter(pk=case.pk).update(**fields)


def _department_workload(world, department, member):
    owner = world.owner if department == world.retail else world.other_owner
    assigned = services.complaint_assign(
        complaint=factories.create_case(world), actor=world.cs, department=department, assignee=member
    )
    mine_owner = _in_progress(world, department, assignee=owner)
    factories.case_in_state(world, S.RESOLVED, department=department)
    factories.case_in_state(world, S.RESOLVED, department=department, now=NOW - timedelta(days=8))  # call-back overdue
    factories.case_in_state(world, S.CLOSED, department=department)
    owner_tier = _in_progress(world, department)
    services.complaint_request_extension(complaint=owner_tier, actor=owner, days=10, reason="Waiting for the card scheme")
    supervisor_tier = _in_progress(world, department)
    services.complaint_request_extension(complaint=supervisor_tier, actor=owner, days=40, reason="Court appraisal")
    warned = _in_progress(world, department)
    _set(warned, escalation_level=1)
    escalated = _in_progress(world, department)
    _set(escalated, escalation_level=3, resolution_due=NOW - timedelta(days=3))
    due_later_today = services.complaint_assign(complaint=factories.create_case(world), actor=world.cs, department=department)
    _set(due_later_today, first_response_due=NOW.replace(hour=18))
    due_earlier_today = _in_progress(world, department)
    _set(due_earlier_today, resolution_due=NOW.replace(hour=8))
    due_tomorrow = _in_progress(world, department)
    _set(due_tomorrow, resolution_due=NOW.replace(hour=0) + timedelta(days=1))  # local midnight: not today
    return {"assigned": assigned, "mine_owner": mine_owner}


@pytest.fixture
def workload(world, frozen):
    factories.create_case(world)  # new, unrouted, just received
    factories.create_case(world, received_at=NOW - timedelta(hours=2))  # unrouted for over an hour
    withdrawn = factories.create_case(world, received_at=NOW - timedelta(hours=3))
    services.complaint_withdraw(complaint=withdrawn, actor=world.cs, reason="Customer withdrew")  # unrouted, not open
    _department_workload(world, world.retail, world.member)
    _department_workload(world, world.cards, world.other_member)
    _set(_in_progress(world, world.cards), assignee=world.supervisor)  # a supervisor stepped in
    return world


# --- the independent answer: plain Python over the rows each role may see ----------------
def _visible(world, role: str) -> list[Complaint]:
    cases = list(Complaint.objects.all())
    if role in ("cs", "supervisor"):
        return cases
    department = {"owner": world.retail, "member": world.retail, "other_owner": world.cards}[role]
    return [c for c in cases if c.department_id == department.pk]


def _running_dues(c: Complaint) -> list[datetime]:
    dues = []
    if c.state in (S.NEW, S.ASSIGNED) and c.first_responded_at is None and c.first_response_due:
        dues.append(c.first_response_due)
    if c.state in UNRESOLVED_STATES and c.resolution_due:
        dues.append(c.resolution_due)
    if c.state == S.RESOLVED and c.review_due:
        dues.append(c.review_due)
    return dues


def _expected(world, role: str, key: str) -> set[str]:
    user = getattr(world, role)
    owned = set(user.owned_departments.values_list("pk", flat=True)) if role in ("owner", "other_owner") else set()
    now, today = NOW, NOW.date()

    def is_open(c):
        return c.state in OPEN_STATES

    predicates = {
        "new_unrouted": lambda c: c.state == S.NEW and c.department_id is None,
        "awaiting_first_response": lambda c: c.state in (S.NEW, S.ASSIGNED) and c.first_responded_at is None,
        "awaiting_callback": lambda c: c.state == S.RESOLVED,
        "callback_overdue": lambda c: c.state == S.RESOLVED and c.review_due < now,
        "department_open": is_open,
        "open": is_open,
        "mine": lambda c: is_open(c) and c.assignee_id == user.pk,
        "due_today": lambda c: any(due.astimezone(TZ).date() == today for due in _running_dues(c)),
        "overdue": lambda c: any(due < now for due in _running_dues(c)),
        "escalated": lambda c: is_open(c) and c.escalation_level >= 1,
        "extensions_for_me": lambda c: c.extension_status == "pending"
        and not c.extension_requires_supervisor
        and c.department_id in owned,
        "extensions_for_supervisor": lambda c: c.extension_status == "pending" and c.extension_requires_supervisor,
        "escalated_to_supervisors": lambda c: is_open(c) and c.escalation_level == 3,
        "unrouted_over_1h": lambda c: is_open(c) and c.department_id is None and c.received_at < now - timedelta(hours=1),
    }
    return {c.reference for c in _visible(world, role) if predicates[key](c)}


EXPECTED_QUEUES = {
    "cs": ["new_unrouted", "awaiting_first_response", "awaiting_callback", "callback_overdue"],
    "owner": ["department_open", "mine", "due_today", "overdue", "escalated", "extensions_for_me"],
    "other_owner": ["department_open", "mine", "due_today", "overdue", "escalated", "extensions_for_me"],
    "member": ["department_open", "mine", "due_today", "overdue", "escalated"],
    "supervisor": [
        "open", "mine", "due_today", "overdue", "escalated",
        "extensions_for_supervisor", "escalated_to_supervisors", "unrouted_over_1h",
    ],
}


def _counts(user) -> dict[str, int]:
    return {item.queue.key: item.count for section in queues.queue_counts_for_user(user) for item in section.counts}


@pytest.mark.parametrize("role", list(EXPECTED_QUEUES))
def test_queue_counts_match_independent_queries_per_role(workload, role):
    counts = _counts(getattr(workload, role))
    assert list(counts) == EXPECTED_QUEUES[role]
    assert counts == {key: len(_expected(workload, role, key)) for key in counts}
    assert all(counts.values()), counts  # the workload puts at least one case in every queue


def test_expected_counts_of_a_department_owner(workload):
    # The fixture by hand, so the independent answer is itself checked once.
    assert _counts(workload.owner) == {
        "department_open": 11,  # 12 retail cases, one closed
        "mine": 1,
        "due_today": 2,
        "overdue": 3,  # escalated, due earlier today, call-back overdue
        "escalated": 2,
        "extensions_for_me": 1,
    }


def test_another_departments_cases_never_count(workload):
    # Cards gets two more cases in every queue; retail's people count the same as before.
    roles = ("owner", "member", "other_owner")
    before = {role: _counts(User.objects.get(pk=getattr(workload, role).pk)) for role in roles}
    _department_workload(workload, workload.cards, workload.other_member)
    after = {role: _counts(User.objects.get(pk=getattr(workload, role).pk)) for role in roles}
    assert after["owner"] == before["owner"] and after["member"] == before["member"]
    grown = {key: after["other_owner"][key] - before["other_owner"][key] for key in before["other_owner"]}
    assert grown == {"department_open": 11, "mine": 1, "due_today": 2, "overdue": 3, "escalated": 2, "extensions_for_me": 1}


def test_a_member_is_offered_no_extension_decisions_and_a_user_without_a_role_no_queues(workload):
    assert "extensions_for_me" not in _counts(workload.member)
    assert queues.queue_counts_for_user(workload.outsider) == []


@pytest.mark.parametrize("role", ["cs", "owner", "member", "supervisor"])
def test_queue_counts_take_a_constant_number_of_queries(workload, role, django_assert_max_num_queries):
    user = User.objects.get(pk=getattr(workload, role).pk)  # no cached roles
    # Group names, owned and member departments (each read once per user), then one aggregate.
    with django_assert_max_num_queries(4):
        queues.queue_counts_for_user(user)


def test_the_index_page_costs_the_same_queries_for_more_cases(client, workload):
    client.force_login(workload.owner)
    url = reverse("admin:index")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _department_workload(workload, workload.retail, workload.member)
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more) == len(few)


@pytest.mark.parametrize("role", list(EXPECTED_QUEUES))
def test_each_queue_link_lists_exactly_the_counted_cases(client, workload, role):
    user = getattr(workload, role)
    client.force_login(user)
    cards = [card for section in dashboard.work_queue_cards(user) for card in section.cards]
    assert cards
    for card in cards:
        assert card.url.startswith(reverse("admin:complaints_complaint_changelist") + "?")
        response = client.get(card.url)
        assert response.status_code == 200, (card.key, response.get("Location"))  # not ?e=1
        listed = {c.reference for c in response.context["cl"].queryset}
        assert listed == _expected(workload, role, card.key), card.key
        assert response.context["cl"].result_count == card.count, card.key


def test_index_shows_each_roles_cards_with_links_and_zero_counts_muted(client, world, frozen):
    client.force_login(world.owner)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Recent actions" not in html
    for key in EXPECTED_QUEUES["owner"]:
        assert f"queue-{key} is-zero" in html  # nothing in the queues yet: shown, muted
        assert dashboard.queue_url(key).replace("&", "&amp;") in html
    assert "Complaints and feedback" in html  # the compact list of models is still there
    assert reverse("admin:complaints_complaint_changelist") in html


def test_each_queue_has_a_label_and_a_hint(workload):
    for role in EXPECTED_QUEUES:
        for _key, section_queues in queues.queues_for_user(getattr(workload, role)):
            for queue in section_queues:
                assert str(queue.label) and str(queue.hint), queue.key
                assert queue.key in dashboard.QUEUE_FILTERS


def test_due_today_follows_the_banks_local_date(world):
    # 23:30 UTC on 9 March is 07:30 on 10 March in Shanghai: today there, not yesterday.
    with time_machine.travel(datetime(2026, 3, 10, 1, 0, tzinfo=TZ), tick=False):
        case = services.complaint_assign(complaint=factories.create_case(world), actor=world.cs, department=world.retail)
        _set(case, first_response_due=datetime(2026, 3, 9, 23, 30, tzinfo=ZoneInfo("UTC")))
        assert _counts(world.owner)["due_today"] == 1
        _set(case, first_response_due=datetime(2026, 3, 9, 15, 59, tzinfo=ZoneInfo("UTC")))  # 23:59 on the 9th
        assert _counts(User.objects.get(pk=world.owner.pk))["due_today"] == 0
    assert timezone.is_aware(queues.local_day_bounds(NOW)[0])
