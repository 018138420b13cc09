"""Case events are append-only: nobody changes or deletes them, in code, in admin or in the database."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from complaints.models import ComplaintEvent
from tests import factories


def test_event_cannot_be_saved_again(world):
    event = factories.create_case(world).events.first()
    event.note = "rewritten"
    with pytest.raises(PermissionError):
        event.save()


def test_event_cannot_be_deleted(world):
    event = factories.create_case(world).events.first()
    with pytest.raises(PermissionError):
        event.delete()


def test_event_queryset_cannot_update_or_delete(world):
    factories.create_case(world)
    with pytest.raises(PermissionError):
        ComplaintEvent.objects.all().update(note="x")
    with pytest.raises(PermissionError):
        ComplaintEvent.objects.all().delete()
    assert ComplaintEvent.objects.filter(note="x").count() == 0


def test_admin_offers_no_change_or_delete_even_to_superusers(world, admin_client):
    event = factories.create_case(world).events.first()
    change = admin_client.get(f"/admin/complaints/complaintevent/{event.pk}/change/")
    assert change.status_code == 200 and b'name="_save"' not in change.content
    post = admin_client.post(f"/admin/complaints/complaintevent/{event.pk}/change/", {"note": "rewritten"})
    assert post.status_code == 403
    delete = admin_client.post(f"/admin/complaints/complaintevent/{event.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert ComplaintEvent.objects.get(pk=event.pk).note == event.note


@pytest.mark.postgres
def test_database_refuses_raw_update_and_delete(world):
    event = factories.create_case(world).events.first()
    for sql in (
        "UPDATE complaints_complaintevent SET note = 'x' WHERE id = %s",
        "DELETE FROM complaints_complaintevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert ComplaintEvent.objects.filter(pk=event.pk, note=event.note).exists()


def test_base_manager_cannot_update_or_delete(world):
    """The manager Django uses internally is a plain one: the database itself must refuse (SQLite too)."""
    event = factories.create_case(world).events.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ComplaintEvent._base_manager.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ComplaintEvent._base_manager.filter(pk=event.pk).delete()
    assert ComplaintEvent.objects.filter(pk=event.pk, note=event.note).exists()


def test_raw_update_and_delete_are_refused(world):
    event = factories.create_case(world).events.first()
    table = connection.ops.quote_name(ComplaintEvent._meta.db_table)
    for sql in (f"UPDATE {table} SET note = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk] if "%s" in sql else None)
    assert ComplaintEvent.objects.filter(pk=event.pk, note=event.note).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed rows, as in production: no deferred checks pending
@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE complaints_complaintevent",
        "TRUNCATE complaints_complaintevent RESTART IDENTITY CASCADE",
        "TRUNCATE complaints_complaint CASCADE",  # reaches the events by cascade
    ],
)
def test_database_refuses_truncate(world, sql):
    event = factories.create_case(world).events.first()
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert ComplaintEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_flush_command_is_refused(world):
    """``manage.py flush`` would empty the history; only the test suite's own flush may."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    event = factories.create_case(world).events.first()
    with pytest.raises(CommandError) as refused, transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
    assert "append-only" in str(refused.value.__cause__)
    assert ComplaintEvent.objects.filter(pk=event.pk).exists()
