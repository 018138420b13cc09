"""The admin's live dashboard: snapshots of ``collect`` kept in the cache, made by a task, never in a request.

``collect`` of a large period takes a second or two on PostgreSQL; the dashboard must answer
in a fraction of that. So the figures of a period and scope (the whole bank, or one
department) are collected by ``refresh_dashboard`` in a worker and kept in Django's default
cache, which the web and worker processes share (Redis in production, files under VAR_DIR in
the embedded default), with the charts already drawn in every language. The page reads the
snapshot and only formats it, with the same helpers as the PDF (``reports.rendering``), so
the two can never disagree.

Beat runs ``refresh_dashboard`` without arguments every few minutes: the current period of
the whole bank and of every department with an active owner. A page that finds no snapshot,
or one older than ``DASHBOARD_REFRESH_SECONDS``, asks for one (``snapshot_for_page``); one
request per period and scope is under way at a time.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from complaints.models import Department

from . import data as report_data
from . import figures
from .data import ReportData, collect
from .periods import PERIOD_DAYS, Period

logger = logging.getLogger(__name__)

# How long a snapshot is kept at all; the page shows when it was computed, so an old one
# (the worker down) is still shown, marked with its time, while a new one is asked for.
SNAPSHOT_TIMEOUT_SECONDS = 24 * 60 * 60
# How long a requested refresh counts as under way: after that a page asks again, so a lost
# message is redone by the next look.
PENDING_SECONDS = 120
# How long a worker's claim on one period and scope lasts at most (a task's hard time limit).
RUNNING_SECONDS = 600


def _fingerprint() -> str:
    """The shape of what a snapshot holds (every dataclass of the figures and of ReportData, with
    its fields): in the cache key, so a snapshot pickled by older code is never read by newer."""
    shapes = sorted(
        f"{value.__module__}.{value.__qualname__}({','.join(field.name for field in fields(value))})"
        for module in (figures, report_data)
        for value in vars(module).values()
        if isinstance(value, type) and is_dataclass(value) and value.__module__ == module.__name__
    )
    return hashlib.sha256("|".join([*shapes, "Snapshot(data,charts)"]).encode()).hexdigest()[:12]


SHAPE = _fingerprint()


def refresh_seconds() -> int:
    """How old a snapshot may be before a page asks for a new one (setting ``DASHBOARD_REFRESH_SECONDS``,
    also beat's interval for the current period)."""
    return settings.DASHBOARD_REFRESH_SECONDS


def _is_stale(computed_at: datetime, now: datetime | None = None) -> bool:
    return (now or timezone.now()) - computed_at >= timedelta(seconds=refresh_seconds())


@dataclass(frozen=True)
class Snapshot:
    """``collect(period, department=...)`` as of ``computed_at``, with ``rendering.chart_svgs`` of it in
    each language of ``settings.LANGUAGES``."""

    data: ReportData
    charts: dict[str, dict[str, str]]  # language -> chart key -> SVG

    @property
    def computed_at(self) -> datetime:
        return self.data.generated_at

    def charts_in(self, language: str) -> dict[str, str]:
        """The charts drawn in ``language``, else in the first language drawn."""
        if language in self.charts:
            return self.charts[language]
        return next(iter(self.charts.values()), {})

    def is_stale(self, now: datetime | None = None) -> bool:
        return _is_stale(self.computed_at, now)


def current_period(today: date | None = None) -> Period:
    """The biweekly period (counted from ``REPORT_FIRST_PERIOD_START``) that contains ``today``, from its
    first day to ``today``: the current period so far."""
    today = today or timezone.localdate()
    offset = (today - settings.REPORT_FIRST_PERIOD_START).days // PERIOD_DAYS
    return Period(settings.REPORT_FIRST_PERIOD_START + timedelta(days=offset * PERIOD_DAYS), today)


def _key(kind: str, period: Period, department_id: int | None) -> str:
    scope = "bank" if department_id is None else f"department-{department_id}"
    return f"reports.live:{SHAPE}:{kind}:{period.start.isoformat()}:{period.end.isoformat()}:{scope}"


def snapshot_key(period: Period, department_id: int | None) -> str:
    """The cache key of the snapshot of ``period`` for a department (its id) or the whole bank (None)."""
    return _key("snapshot", period, department_id)


def snapshot(period: Period, department_id: int | None) -> Snapshot | None:
    """The stored snapshot of ``period`` and scope, or None. A snapshot that cannot be read back
    (the cache lost it, or it is from other code) is None too."""
    try:
        found = cache.get(snapshot_key(period, department_id))
    except Exception:  # an unpicklable leftover: the same as none
        logger.warning("dashboard snapshot %s could not be read", snapshot_key(period, department_id), exc_info=True)
        return None
    return found if isinstance(found, Snapshot) else None


def is_pending(period: Period, department_id: int | None) -> bool:
    """Whether a refresh of ``period`` and scope has been asked for or is being computed."""
    return bool(cache.get_many([_key("pending", period, department_id), _key("running", period, department_id)]))


def request_refresh(period: Period, department_id: int | None) -> bool:
    """Ask a worker, when the current transaction commits, to refresh the snapshot of ``period`` and
    scope; nothing when a refresh is already asked for or under way. True when one was asked."""
    if cache.get(_key("running", period, department_id)):
        return False
    if not cache.add(_key("pending", period, department_id), timezone.now().isoformat(), PENDING_SECONDS):
        return False
    start, end = period.start.isoformat(), period.end.isoformat()

    def schedule() -> None:  # a function, not a lambda: Django logs a robust callback's __qualname__
        refresh_dashboard.delay(start, end, department_id)

    # robust: a broker that cannot be reached is logged, never an error on the page; the request
    # lapses after PENDING_SECONDS and the next look asks again.
    transaction.on_commit(schedule, robust=True)
    return True


def snapshot_for_page(period: Period, department_id: int | None, *, now: datetime | None = None) -> tuple[Snapshot | None, bool]:
    """What a page shows: the stored snapshot (None if there is none yet) and whether a newer one is
    on its way. A missing or stale snapshot is asked for here (``request_refresh``)."""
    found = snapshot(period, department_id)
    if found is None or found.is_stale(now):
        request_refresh(period, department_id)
    return found, is_pending(period, department_id)


def snapshot_status(period: Period, department_id: int | None, *, now: datetime | None = None) -> tuple[datetime | None, bool]:
    """What a waiting page polls: when the stored snapshot was computed (None if there is none) and
    whether a newer one is on its way; read from a small key beside the snapshot, not the snapshot.
    A missing or stale snapshot is asked for here too, so a lost request is made again."""
    keys = {kind: _key(kind, period, department_id) for kind in ("stamp", "pending", "running")}
    found = cache.get_many(list(keys.values()))
    stamp = found.get(keys["stamp"])
    computed_at = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    pending = keys["pending"] in found or keys["running"] in found
    if not pending and (computed_at is None or _is_stale(computed_at, now)):
        pending = request_refresh(period, department_id) or is_pending(period, department_id)
    return computed_at, pending


def _draw_charts(data: ReportData) -> dict[str, dict[str, str]]:
    from . import rendering

    drawn = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            drawn[language] = rendering.chart_svgs(data)
    return drawn


def snapshot_refresh(*, period: Period, department: Department | None, now: datetime | None = None) -> Snapshot:
    """Collect the figures of ``period`` for ``department`` (None: the whole bank), draw the charts in
    every language, and store the snapshot; the scope's pending request is then done."""
    department_id = department.pk if department is not None else None
    now = now or timezone.now()
    # A period still running is seen as of now: its "end" (open and overdue) is this instant.
    data = collect(period.seen_at(now), department=department, now=now)
    stored = Snapshot(data=data, charts=_draw_charts(data))
    cache.set_many(
        {snapshot_key(period, department_id): stored, _key("stamp", period, department_id): stored.computed_at.isoformat()},
        SNAPSHOT_TIMEOUT_SECONDS,
    )
    cache.delete(_key("pending", period, department_id))
    return stored


def _refresh_claimed(period: Period, department: Department | None) -> bool:
    """Refresh one scope unless another worker is at it (its claim in the cache); True if refreshed."""
    department_id = department.pk if department is not None else None
    running = _key("running", period, department_id)
    if not cache.add(running, timezone.now().isoformat(), RUNNING_SECONDS):
        logger.info("dashboard %s %s is being refreshed by another worker", period, department_id)
        return False
    try:
        snapshot_refresh(period=period, department=department)
    finally:
        cache.delete(running)
    return True


def dashboard_scopes() -> list[Department | None]:
    """What beat keeps fresh: the whole bank (None) and every department with an active owner."""
    departments = Department.objects.filter(owners__is_active=True).distinct().order_by("code")
    return [None, *departments]


@shared_task
def refresh_dashboard(start: str | None = None, end: str | None = None, department_id: int | None = None) -> int:
    """Store the dashboard's snapshot of one period and scope, or (without arguments, as beat runs it)
    of the current period for the whole bank and every department with an active owner.

    ``start`` and ``end`` are ISO dates; ``department_id`` None is the whole bank. A department
    that no longer exists, or a scope another worker is refreshing, is skipped quietly. Returns
    the number of snapshots stored.
    """
    if start is None or end is None:
        period = current_period()
        return sum(_refresh_claimed(period, department) for department in dashboard_scopes())
    period = Period(date.fromisoformat(start), date.fromisoformat(end))
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            cache.delete(_key("pending", period, department_id))
            return 0
    return int(_refresh_claimed(period, department))
