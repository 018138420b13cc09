"""The index page's work queues: counts per role equal independent queries, stay in scope, cost
a constant number of queries, and each links to a case list of exactly the counted cases.

The live dashboard (below): its figures are ``collect``'s for the same period and scope, read
from the snapshot the refresh task stores; a missing snapshot is asked for and the page says so;
owners see only their departments', supervisors every scope, anybody else nothing."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from complaints import queues
from complaints.models import Complaint
from complaints.states import OPEN_STATES, UNRESOLVED_STATES
from complaints.states import ComplaintState as S
from desk import dashboard
from desk.admin import dashboard as dashboard_admin
from reports import live, rendering
from reports.data import collect
from reports.periods import Period
from reports.templatetags.report_format import ratio
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


# --- the live dashboard (desk/admin/dashboard.py, reports/live.py) -------------------------------
# The current period on NOW (2026-03-10), counted from REPORT_FIRST_PERIOD_START 2026-01-05: 2 March
# to today.
CURRENT = Period(date(2026, 3, 2), date(2026, 3, 10))
EARLIER = Period(date(2026, 2, 16), date(2026, 3, 1))
DASHBOARD = "admin:reports_dashboard"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Snapshots live in the cache; every test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def figures_world(world, settings, frozen):
    """A few cases of each department over the current and the earlier period, through the services."""
    settings.REPORT_FIRST_PERIOD_START = date(2026, 1, 5)
    for department in (world.retail, world.cards):
        for days_ago in (1, 3, 9, 12):
            factories.case_in_state(world, S.CLOSED, department=department, now=NOW - timedelta(days=days_ago))
        factories.case_in_state(world, S.IN_PROGRESS, department=department, now=NOW - timedelta(days=5))
    factories.create_case(world, received_at=NOW - timedelta(hours=3))  # unrouted
    return world


def _without_time(data):
    return replace(data, generated_at=None)


def _dashboard(client, user, **params):
    client.force_login(user)
    return client.get(reverse(DASHBOARD), params)


def test_the_current_period_runs_from_its_first_day_to_today(settings):
    settings.REPORT_FIRST_PERIOD_START = date(2026, 1, 5)
    assert live.current_period(date(2026, 3, 10)) == CURRENT
    assert live.current_period(date(2026, 3, 2)) == Period(date(2026, 3, 2), date(2026, 3, 2))  # a boundary
    assert live.current_period(date(2026, 3, 1)) == EARLIER
    assert live.current_period(date(2025, 12, 30)) == Period(date(2025, 12, 22), date(2025, 12, 30))  # before the first


def test_the_refresh_task_stores_what_collect_returns(figures_world):
    world = figures_world
    stored = live.refresh_dashboard(EARLIER.start.isoformat(), EARLIER.end.isoformat(), world.cards.pk)
    assert stored == 1
    snapshot = live.snapshot(EARLIER, world.cards.pk)
    assert snapshot is not None and snapshot.computed_at == NOW
    assert _without_time(snapshot.data) == _without_time(collect(EARLIER, department=world.cards))
    assert live.snapshot(EARLIER, None) is None  # the whole bank's is another snapshot
    # The charts are drawn in every language, each from the same data.
    assert set(snapshot.charts) == {"en", "zh-hans"}
    with translation.override("zh-hans"):
        assert snapshot.charts["zh-hans"] == rendering.chart_svgs(snapshot.data)


def test_beat_refreshes_the_current_period_of_the_bank_and_of_each_department_with_an_owner(figures_world):
    world = figures_world
    nobody = factories.DepartmentFactory(code="audit")  # no owner: not refreshed by beat
    assert live.refresh_dashboard() == 3
    for department in (None, world.retail, world.cards):
        snapshot = live.snapshot(CURRENT, department.pk if department else None)
        assert snapshot is not None
        assert _without_time(snapshot.data) == _without_time(collect(CURRENT.seen_at(NOW), department=department))
    assert live.snapshot(CURRENT, nobody.pk) is None


def test_beat_runs_the_refresh_every_few_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-refresh"]
    assert entry["task"] == live.refresh_dashboard.name == "reports.live.refresh_dashboard"
    assert entry["schedule"] == float(settings.DASHBOARD_REFRESH_SECONDS) == 300.0


def test_a_refresh_for_a_department_gone_stores_nothing(figures_world):
    assert live.refresh_dashboard(CURRENT.start.isoformat(), CURRENT.end.isoformat(), 99999) == 0


def test_the_dashboards_figures_are_collects_figures(client, figures_world):
    world = figures_world
    live.refresh_dashboard(CURRENT.start.isoformat(), CURRENT.end.isoformat(), None)
    response = _dashboard(client, world.supervisor)
    assert response.status_code == 200
    collected = collect(CURRENT.seen_at(NOW))  # a running period is seen as of now
    context = response.context
    assert context["period"] == CURRENT and context["is_current"]
    assert _without_time(context["data"]) == _without_time(collected)
    assert context["headlines"] == rendering.headline_rows(collected)
    assert context["summary"] == rendering.summary_sentences(collected)
    assert context["definitions"] == rendering.definition_texts(collected)
    html = response.content.decode()
    # What the page prints is what the data says: every headline, department and channel row.
    for row in rendering.headline_rows(collected):
        assert f'<th scope="row">{escape(row["label"])}</th>' in html
        assert f'<td class="num">{escape(row["current"])}' in html
        assert f'<td class="num">{escape(row["previous"])}' in html
    assert {row["status"] for row in rendering.headline_rows(collected)} & {"met", "missed"}
    for department in collected.departments:
        assert f'<td class="num">{department.received}</td><td class="num">{escape(ratio(department.first_response))}</td>' in html
    for channel in collected.channels:
        assert f'<th scope="row">{escape(channel.label)}</th><td class="num">{channel.received}</td>' in html
    for clock in collected.overdue.clocks:
        assert "".join(f'<td class="num">{count}</td>' for count in clock.bands) in html
    assert f'<td class="num total">{collected.escalated.total}</td>' in html
    assert len(context["charts"]) >= 3 and all(chart["src"].startswith("data:image/svg+xml;base64,") for chart in context["charts"])
    for sentence in rendering.summary_sentences(collected):
        assert f"<li>{escape(sentence)}</li>" in html
    assert "Figures as of 10:00" in html
    assert 'data-pending="false"' in html


def test_the_dashboard_in_chinese_uses_the_charts_drawn_in_chinese(client, figures_world):
    live.refresh_dashboard(CURRENT.start.isoformat(), CURRENT.end.isoformat(), None)
    client.force_login(figures_world.supervisor)
    response = client.get(reverse(DASHBOARD), HTTP_ACCEPT_LANGUAGE="zh-hans")
    snapshot = live.snapshot(CURRENT, None)
    assert snapshot is not None
    daily = next(chart for chart in response.context["charts"] if chart["key"] == "daily_intake")
    assert daily["src"] == dashboard_admin._data_uri(snapshot.charts["zh-hans"]["daily_intake"])
    with translation.override("zh-hans"):
        assert response.context["headlines"] == rendering.headline_rows(snapshot.data)


def test_a_missing_snapshot_is_asked_for_once_and_the_page_says_so(client, figures_world, django_capture_on_commit_callbacks, monkeypatch):
    asked = []
    monkeypatch.setattr(live.refresh_dashboard, "delay", lambda *args: asked.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = _dashboard(client, figures_world.supervisor)
    assert response.status_code == 200 and response.context["snapshot"] is None
    assert asked == [(CURRENT.start.isoformat(), CURRENT.end.isoformat(), None)]
    html = response.content.decode()
    assert "The figures of this period are being computed" in html
    assert 'data-pending="true"' in html
    assert "desk/live_dashboard.js" in html
    status = client.get(response.context["status_url"]).json()
    assert status == {"computed_at": None, "pending": True}

    # Opening it again while the first request is under way asks for nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        _dashboard(client, figures_world.supervisor)
    assert len(asked) == 1

    # The worker stores it: the status says so, and the page shows the figures.
    live.refresh_dashboard(*asked[0])
    status = client.get(response.context["status_url"]).json()
    assert datetime.fromisoformat(status["computed_at"]) == NOW and status["pending"] is False
    response = _dashboard(client, figures_world.supervisor)
    assert response.context["snapshot"] is not None and not response.context["pending"]
    assert "being computed" not in response.content.decode()


def test_a_stale_snapshot_is_shown_with_its_time_while_a_new_one_is_asked_for(
    client, figures_world, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.DASHBOARD_REFRESH_SECONDS = 300
    asked = []
    monkeypatch.setattr(live.refresh_dashboard, "delay", lambda *args: asked.append(args))
    live.refresh_dashboard(EARLIER.start.isoformat(), EARLIER.end.isoformat(), None)
    with time_machine.travel(NOW + timedelta(minutes=4), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = _dashboard(client, figures_world.supervisor, start="2026-02-16", end="2026-03-01")
    assert response.context["snapshot"] is not None and asked == []  # fresh enough
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = _dashboard(client, figures_world.supervisor, start="2026-02-16", end="2026-03-01")
    assert response.context["snapshot"] is not None and response.context["pending"]
    assert asked == [("2026-02-16", "2026-03-01", None)]
    html = response.content.decode()
    assert "Figures as of 10:00" in html and "Newer figures are being computed" in html


def test_the_refresh_button_asks_for_a_new_snapshot(client, figures_world, monkeypatch, django_capture_on_commit_callbacks):
    world = figures_world
    asked = []
    monkeypatch.setattr(live.refresh_dashboard, "delay", lambda *args: asked.append(args))
    client.force_login(world.owner)
    url = reverse("admin:reports_dashboard_refresh")
    assert client.get(url, {"department": world.retail.pk}).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"department": world.retail.pk, "start": "2026-02-16", "end": "2026-03-01"})
    assert response.status_code == 302
    assert response["Location"] == reverse(DASHBOARD) + f"?department={world.retail.pk}&start=2026-02-16&end=2026-03-01"
    assert asked == [("2026-02-16", "2026-03-01", world.retail.pk)]
    # Another department's refresh looks missing.
    assert client.post(url, {"department": world.cards.pk, "start": "2026-02-16", "end": "2026-03-01"}).status_code == 404


def test_an_owner_sees_their_department_only(client, figures_world):
    world = figures_world
    live.refresh_dashboard(CURRENT.start.isoformat(), CURRENT.end.isoformat(), world.retail.pk)
    response = _dashboard(client, world.owner)
    assert response.status_code == 200
    assert response.context["scope"].department == world.retail
    assert [scope.department for scope in response.context["scopes"]] == [world.retail]
    assert _without_time(response.context["data"]) == _without_time(collect(CURRENT.seen_at(NOW), department=world.retail))
    assert [row.code for row in response.context["data"].departments] == ["retail"]
    assert 'name="department"' in response.content.decode() and "<select" not in response.content.decode()
    for other in ({"department": world.cards.pk}, {"department": ""}, {"department": "x"}):
        assert _dashboard(client, world.owner, **other).status_code == 404
    assert client.get(reverse("admin:reports_dashboard_status"), {"department": world.cards.pk, "start": "2026-03-02", "end": "2026-03-10"}).status_code == 404


def test_an_owner_of_two_departments_chooses_between_them(client, figures_world):
    world = figures_world
    world.cards.owners.add(world.owner)
    response = _dashboard(client, world.owner, department=world.cards.pk)
    assert response.status_code == 200 and response.context["scope"].department == world.cards
    assert [scope.department for scope in response.context["scopes"]] == [world.cards, world.retail]
    assert "<select" in response.content.decode()


def test_a_supervisor_sees_the_whole_bank_and_chooses_any_department(client, figures_world):
    world = figures_world
    live.refresh_dashboard(CURRENT.start.isoformat(), CURRENT.end.isoformat(), None)
    response = _dashboard(client, world.supervisor)
    assert response.context["scope"].department is None
    assert [scope.department for scope in response.context["scopes"]] == [None, world.cards, world.retail]
    html = response.content.decode()
    # The departments table links each department to its own dashboard for the same period.
    assert f'href="{reverse(DASHBOARD)}?department={world.retail.pk}"' in html
    response = _dashboard(client, world.supervisor, department=world.cards.pk)
    assert response.context["scope"].department == world.cards


@pytest.mark.parametrize("role", ["cs", "member", "outsider"])
def test_anybody_else_is_refused(client, figures_world, role):
    assert _dashboard(client, getattr(figures_world, role)).status_code == 403


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-03-05", "end": "2026-03-01"}, "Last day (included)", "The period must end on or after its first day."),
        ({"start": "2026-03-01", "end": "2026-03-11"}, "Last day (included)", "The last day cannot be after today."),
        ({"start": "2025-01-01", "end": "2026-03-01"}, "First day", "A period is at most 366 days long."),
        ({"start": "yesterday", "end": "2026-03-01"}, "First day", "Enter a valid date."),
        ({"end": "2026-03-01"}, "First day", "This field is required."),
    ],
)
def test_a_wrong_period_is_refused_naming_the_field(client, figures_world, params, field, message, monkeypatch):
    monkeypatch.setattr(live.refresh_dashboard, "delay", lambda *args: pytest.fail("nothing to compute"))
    response = _dashboard(client, figures_world.supervisor, **params)
    assert response.status_code == 200
    assert response.context["period"] is None and "snapshot" not in response.context
    assert f"<li>{escape(field)}: {escape(message)}</li>" in response.content.decode()


def test_a_chosen_period_is_shown_with_a_link_back_to_the_current_one(client, figures_world):
    live.refresh_dashboard(EARLIER.start.isoformat(), EARLIER.end.isoformat(), None)
    response = _dashboard(client, figures_world.supervisor, start="2026-02-16", end="2026-03-01", department="")
    assert response.context["period"] == EARLIER and not response.context["is_current"]
    assert _without_time(response.context["data"]) == _without_time(collect(EARLIER))
    html = response.content.decode()
    assert "Period 2026-02-16 – 2026-03-01 (14 days)" in html
    assert f'href="{reverse(DASHBOARD)}?department="' in html  # this period so far


def test_the_dashboard_answers_from_the_cache_without_reading_cases(client, figures_world):
    live.refresh_dashboard(CURRENT.start.isoformat(), CURRENT.end.isoformat(), None)
    client.force_login(figures_world.supervisor)
    client.get(reverse(DASHBOARD))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(DASHBOARD)).status_code == 200
    assert not [q["sql"] for q in queries if "complaints_complaint" in q["sql"] and "surge" not in q["sql"]]


def test_the_index_links_supervisors_and_owners_to_the_live_figures(client, figures_world):
    url = reverse(DASHBOARD)
    for role, linked in (("supervisor", True), ("owner", True), ("cs", False), ("member", False)):
        client.force_login(getattr(figures_world, role))
        html = client.get(reverse("admin:index")).content.decode()
        assert (f'href="{url}"' in html) is linked, role


def test_a_lost_request_is_asked_for_again_by_the_pages_poll(client, figures_world, monkeypatch, django_capture_on_commit_callbacks):
    asked = []
    monkeypatch.setattr(live.refresh_dashboard, "delay", lambda *args: asked.append(args))
    client.force_login(figures_world.supervisor)
    status_url = reverse("admin:reports_dashboard_status") + "?department=&start=2026-03-02&end=2026-03-10"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(status_url).json() == {"computed_at": None, "pending": True}
        assert client.get(status_url).json() == {"computed_at": None, "pending": True}
    assert len(asked) == 1
    # The message was lost: once the request has lapsed, the next poll asks again.
    with time_machine.travel(NOW + timedelta(seconds=live.PENDING_SECONDS + 1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(status_url).json() == {"computed_at": None, "pending": True}
    assert len(asked) == 2


def test_a_broker_that_cannot_be_reached_is_no_error_on_the_page(client, figures_world, monkeypatch, django_capture_on_commit_callbacks, caplog):
    def unreachable(*args):
        raise ConnectionRefusedError("no broker")

    monkeypatch.setattr(live.refresh_dashboard, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        response = _dashboard(client, figures_world.supervisor)
    assert response.status_code == 200 and response.context["pending"]
    assert "ConnectionRefusedError" in caplog.text


def test_the_current_period_is_seen_as_of_now_so_a_deadline_later_today_is_not_overdue_yet(figures_world):
    world = figures_world
    due_later_today = factories.create_case(world, received_at=NOW - timedelta(hours=20), now=NOW - timedelta(hours=20))
    assert NOW < due_later_today.first_response_due < Period(NOW.date(), NOW.date()).ends_before
    live.refresh_dashboard(CURRENT.start.isoformat(), CURRENT.end.isoformat(), None)
    data = live.snapshot(CURRENT, None).data
    assert data.period.ends_before == NOW
    first_response = next(clock for clock in data.overdue.clocks if clock.clock == "first_response")
    listed = {row.reference for row in data.overdue.rows}
    assert due_later_today.reference not in listed
    # The same case, seen at the end of the day, is overdue on its first response.
    at_midnight = collect(CURRENT)
    assert due_later_today.reference in {row.reference for row in at_midnight.overdue.rows if row.clock == "first_response"}
    assert next(c for c in at_midnight.overdue.clocks if c.clock == "first_response").total == first_response.total + 1
