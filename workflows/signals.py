"""Keep ``Calendar.revision`` moving: every saved calendar and every saved or deleted day bumps it.

``workflows.calendars`` caches a calendar per (id, revision), so a change that left the
revision alone would leave deadlines counted on the old days. The bump is an SQL increment
(``revision = revision + 1``), never a value computed from a row in memory, so a stale instance
cannot write back a revision that has already been used for other days.

Bulk writes send no signals: ``QuerySet.update()`` and ``bulk_create()`` of days must bump
themselves, as ``workflows.calendar_sources.calendar_load`` does (inside
:func:`calendar_days_in_bulk`, then one ``calendar.save()``).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import F, QuerySet
from django.db.models.expressions import Combinable
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from .models import Calendar, CalendarDay

_days_in_bulk: ContextVar[bool] = ContextVar("calendar_days_in_bulk", default=False)


@contextmanager
def calendar_days_in_bulk() -> Iterator[None]:
    """Inside: saving or deleting a day leaves the revision alone; the caller bumps it once (saving the calendar)."""
    token = _days_in_bulk.set(True)
    try:
        yield
    finally:
        _days_in_bulk.reset(token)


def calendar_bump(calendar_id: int) -> None:
    """Bump the revision of calendar ``calendar_id`` in the database (no-op when it is gone)."""
    Calendar.objects.filter(pk=calendar_id).update(revision=F("revision") + 1, updated_at=timezone.now())


def _calendar_pre_save(sender, instance: Calendar, raw: bool = False, **kwargs) -> None:
    if raw:
        return  # loaddata writes the fixture as it is
    instance.updated_at = timezone.now()
    if not instance._state.adding:
        instance.revision = F("revision") + 1


def _calendar_post_save(sender, instance: Calendar, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or not isinstance(instance.revision, Combinable):
        return
    if update_fields is not None and "revision" not in update_fields:
        calendar_bump(instance.pk)  # save(update_fields=[...]) left the increment out
    instance.refresh_from_db(fields=["revision", "updated_at"])


def _day_changed(sender, instance: CalendarDay, raw: bool = False, origin=None, **kwargs) -> None:
    if raw or _days_in_bulk.get():
        return
    if isinstance(origin, Calendar) or (isinstance(origin, QuerySet) and origin.model is Calendar):
        return  # the calendar itself is being deleted with its days
    calendar_bump(instance.calendar_id)


def connect() -> None:
    """Connect the receivers (``WorkflowsConfig.ready``)."""
    pre_save.connect(_calendar_pre_save, sender=Calendar, dispatch_uid="workflows.calendar_pre_save")
    post_save.connect(_calendar_post_save, sender=Calendar, dispatch_uid="workflows.calendar_post_save")
    post_save.connect(_day_changed, sender=CalendarDay, dispatch_uid="workflows.calendarday_post_save")
    post_delete.connect(_day_changed, sender=CalendarDay, dispatch_uid="workflows.calendarday_post_delete")
