"""Improvement actions: open -> in progress -> done -> verified through services, with events; admin pages."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from reports import services
from reports.models import ImprovementAction, ImprovementActionEvent, Report
from tests import factories
from workflows.services import CaseChanged, TransitionForbidden, TransitionNotPossible

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def action(world):
    return services.improvement_action_create(
        actor=world.supervisor,
        title="Fix the fee batch job",
        owner_department=world.retail,
        due_date=date(2026, 2, 1),
        target_category=world.routed,
        now=datetime(2026, 1, 5, 9, tzinfo=TZ),
    )


def test_an_action_goes_open_in_progress_done_verified_with_one_event_each(world, action):
    at = datetime(2026, 1, 6, 9, tzinfo=TZ)
    action = services.improvement_action_start(action=action, actor=world.owner, now=at)
    assert (action.state, action.started_at) == ("in_progress", at)
    action = services.improvement_action_complete(action=action, actor=world.owner, notes="Fixed", now=at)
    assert (action.state, action.done_at, action.outcome_notes) == ("done", at, "Fixed")
    action = services.improvement_action_verify(action=action, actor=world.supervisor, now=at)
    assert action.state == "verified"
    events = list(action.events.values_list("kind", "from_state", "to_state", "actor_label"))
    assert events == [
        ("created", "", "open", "supervisor"),
        ("start", "open", "in_progress", "owner"),
        ("complete", "in_progress", "done", "owner"),
        ("verify", "done", "verified", "supervisor"),
    ]


def test_only_supervisors_raise_actions(world):
    with pytest.raises(TransitionForbidden):
        services.improvement_action_create(
            actor=world.owner, title="x", owner_department=world.retail, due_date=date(2026, 2, 1), target_category=world.routed
        )


def test_an_action_needs_a_target(world):
    with pytest.raises(ValidationError) as error:
        services.improvement_action_create(actor=world.supervisor, title="x", owner_department=world.retail, due_date=date(2026, 2, 1))
    assert "target_cause" in error.value.message_dict


def test_another_departments_owner_may_not_start_it_and_owners_may_not_verify(world, action):
    with pytest.raises(TransitionForbidden):
        services.improvement_action_start(action=action, actor=world.other_owner)
    services.improvement_action_start(action=action, actor=world.owner)
    services.improvement_action_complete(action=action, actor=world.owner, notes="done")
    with pytest.raises(TransitionForbidden):
        services.improvement_action_verify(action=action, actor=world.owner)


def test_transitions_out_of_order_are_refused(world, action):
    with pytest.raises(TransitionNotPossible):
        services.improvement_action_complete(action=action, actor=world.supervisor, notes="x")
    with pytest.raises(TransitionNotPossible):
        services.improvement_action_verify(action=action, actor=world.supervisor)


def test_a_stale_version_is_refused(world, action):
    with pytest.raises(CaseChanged):
        services.improvement_action_start(action=action, actor=world.owner, expected_version=action.version + 1)


def test_completing_needs_notes(world, action):
    services.improvement_action_start(action=action, actor=world.owner)
    with pytest.raises(ValidationError):
        services.improvement_action_complete(action=action, actor=world.owner, notes="  ")


def test_state_cannot_be_assigned_directly(action):
    from django.core.exceptions import FieldError  # noqa: F401

    with pytest.raises(AttributeError):
        action.state = "done"


def test_action_events_are_append_only(action):
    event = action.events.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ImprovementActionEvent.objects.all().update(note="x")
    with pytest.raises(PermissionError):
        ImprovementActionEvent.objects.all().delete()


def test_an_action_can_be_raised_from_a_report(world):
    report = Report.objects.create(
        period_start=date(2026, 1, 5), period_end=date(2026, 1, 18), language="en", sha256="0" * 64, file="reports/x.pdf"
    )
    action = services.improvement_action_create(
        actor=world.supervisor,
        title="From the report",
        owner_department=world.cards,
        due_date=date(2026, 2, 1),
        target_cause=factories.cause("fees-pricing"),
        raised_from=report,
    )
    assert list(report.improvement_actions.all()) == [action]


# --- admin ----------------------------------------------------------------------------------
def test_supervisor_generates_a_period_from_the_admin_in_a_task(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.supervisor)
    assert client.get(reverse("admin:reports_report_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_report_generate")).status_code == 200
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:reports_report_generate"), {"start": "2026-01-05", "end": "2026-01-18", "language": "zh-hans"}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert not Report.objects.exists()  # generated by the task, not in the request


def test_admin_downloads_a_report(world, client):
    report = services.report_generate(
        period=__import__("reports.periods", fromlist=["Period"]).Period(date(2026, 1, 5), date(2026, 1, 18)), language="en"
    )
    client.force_login(world.supervisor)
    response = client.get(reverse("admin:reports_report_download", args=[report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(world.member)
    assert client.get(reverse("admin:reports_report_download", args=[report.pk])).status_code == 403


def test_admin_adds_and_moves_an_action_through_services(world, client):
    client.force_login(world.supervisor)
    response = client.post(
        reverse("admin:reports_improvementaction_add"),
        {
            "title": "Shorter queues",
            "description": "",
            "target_category": world.routed.pk,
            "owner_department": world.retail.pk,
            "due_date": "2026-02-01",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    action = ImprovementAction.objects.get()
    assert action.events.get().kind == "created"
    change = client.get(reverse("admin:reports_improvementaction_change", args=[action.pk]))
    assert reverse("admin:reports_improvementaction_transition", args=[action.pk, "start"]).encode() in change.content
    url = reverse("admin:reports_improvementaction_transition", args=[action.pk, "start"])
    assert client.post(url, {"note": ""}).status_code == 302
    action.refresh_from_db()
    assert action.state == "in_progress"
    url = reverse("admin:reports_improvementaction_transition", args=[action.pk, "complete"])
    assert client.post(url, {"note": ""}).status_code == 200  # notes are required: the form shows the error
    assert client.post(url, {"note": "Done it"}).status_code == 302
    action.refresh_from_db()
    assert action.state == "done"
