"""What reports keep is kept: improvement-action events refuse change in the database, stored reports refuse deletion in admin."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from reports import services
from reports.models import ImprovementActionEvent, Report

TZ = ZoneInfo("Asia/Shanghai")
TABLE = ImprovementActionEvent._meta.db_table


@pytest.fixture
def event(world):
    action = services.improvement_action_create(
        actor=world.supervisor,
        title="Fix the fee batch job",
        owner_department=world.retail,
        due_date=date(2026, 2, 1),
        target_category=world.routed,
        now=datetime(2026, 1, 5, 9, tzinfo=TZ),
    )
    return action.events.get()


def _still_there(event: ImprovementActionEvent) -> bool:
    return ImprovementActionEvent.objects.filter(pk=event.pk, note=event.note, kind=event.kind).exists()


# --- improvement-action events, in the database ---------------------------------------------
def test_action_events_refuse_update_and_delete_through_the_base_manager(event):
    """Django's internal manager is a plain one, so the database itself must refuse."""
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
        ImprovementActionEvent._base_manager.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
        ImprovementActionEvent._base_manager.filter(pk=event.pk).delete()
    assert _still_there(event)


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        (f"UPDATE {TABLE} SET note = 'x' WHERE id = %s", "UPDATE"),
        (f"UPDATE {TABLE} SET note = 'x'", "UPDATE"),
        (f"DELETE FROM {TABLE} WHERE id = %s", "DELETE"),
        (f"DELETE FROM {TABLE}", "DELETE"),
    ],
)
def test_action_events_refuse_raw_update_and_delete(event, sql, operation):
    with pytest.raises(DatabaseError, match=f"append-only: {operation} refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk] if "%s" in sql else None)
    assert _still_there(event)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed rows, as in production: no deferred checks pending
@pytest.mark.parametrize(
    "sql",
    [
        f"TRUNCATE {TABLE}",
        f"TRUNCATE {TABLE} RESTART IDENTITY CASCADE",
        "TRUNCATE reports_improvementaction CASCADE",  # reaches the events by cascade
    ],
)
def test_action_events_refuse_truncate(event, sql):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert _still_there(event)


# --- stored reports, in the admin -------------------------------------------------------------
@pytest.fixture
def report(db):
    return Report.objects.create(
        period_start=date(2026, 1, 5),
        period_end=date(2026, 1, 18),
        language="en",
        sha256="0" * 64,
        file="reports/x.pdf",
    )


@pytest.mark.parametrize("who", ["supervisor", "superuser"])
def test_report_admin_offers_no_delete(world, report, client, admin_user, who):
    client.force_login(admin_user if who == "superuser" else world.supervisor)
    changelist = client.get(reverse("admin:reports_report_changelist"))
    assert changelist.status_code == 200
    offered = [name for name, _label in changelist.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in offered and "regenerate" in offered
    assert b'value="delete_selected"' not in changelist.content


def test_posting_delete_selected_deletes_nothing(report, admin_client):
    response = admin_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "delete_selected", "_selected_action": [report.pk], "post": "yes", "index": 0},
    )
    assert response.status_code in (200, 302)
    assert Report.objects.filter(pk=report.pk).exists()


def test_report_delete_page_is_forbidden(report, admin_client):
    url = reverse("admin:reports_report_delete", args=[report.pk])
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Report.objects.filter(pk=report.pk).exists()
