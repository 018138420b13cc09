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
