"""Escalation with a real broker and a real database: Celery worker processes on Redis and PostgreSQL.

Three worker subprocesses sweep 2,000 overdue cases at once; every step happens exactly once
(claim rows, events, e-mails counted from the notification log, since the e-mails are sent in
the workers' own processes). A worker killed with SIGKILL in the middle of a sweep loses
nothing and doubles nothing once the next sweep has run.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection, transaction
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from complaints.states import ComplaintState as S
from workflows.models import Escalation, NotificationLog

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SWEEP = "workflows.tasks.escalation_sweep"
CASES_PER_GROUP = 500
WAIT_SECONDS = 180


def wait_until(condition, *, timeout: float = WAIT_SECONDS, interval: float = 0.1, what: str = "condition"):
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        pause.wait(interval)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")


class Workers:
    """Celery worker subprocesses on the test database and the throwaway Redis."""

    def __init__(self, broker_url: str, log_dir: Path) -> None:
        self.broker_url = broker_url
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.app = Celery("escalation-tests", broker=broker_url)
        self.redis = redis.Redis.from_url(broker_url)

    def database_url(self, name: str) -> str:
        db = connection.settings_dict
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}?application_name={name}"

    def start(self, *names: str) -> None:
        """Start the workers at once and wait until each answers a ping."""
        for name in names:
            self._spawn(name)
        for name in names:
            node = f"{name}@{socket.gethostname()}"
            wait_until(
                lambda node=node: self.app.control.ping(destination=[node], timeout=0.5),
                timeout=60,
                what=f"worker {name}",
            )

    def _spawn(self, name: str) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": self.database_url(name),
            "CELERY_BROKER_URL": self.broker_url,
        }
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-n", f"{name}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        self.processes.clear()

    def sweep(self, **kwargs) -> None:
        self.app.send_task(SWEEP, kwargs=kwargs)

    def idle(self) -> bool:
        if self.redis.llen("celery"):
            return False
        active = self.app.control.inspect(timeout=1).active() or {}
        return len(active) == len(self.processes) and not any(active.values())


@pytest.fixture
def workers(redis_server, tmp_path):
    redis.Redis.from_url(redis_server.url).flushdb()
    pool = Workers(redis_server.url, tmp_path)
    yield pool
    pool.stop_all()


def seed(world) -> dict[int, tuple[str, int, set[str]]]:
    """2,000 cases, 500 due for each of four steps; returns case id -> (clock, level, recipients)."""
    now = timezone.now()
    hour = timedelta(hours=1)
    groups = [
        # (clock, level, state, department, received hours ago, first response due from now)
        ("first_response", 1, S.ASSIGNED, world.retail, 20, 4 * hour, {"member@bank.example"}),
        ("first_response", 2, S.ASSIGNED, world.retail, 30, -6 * hour, {"owner@bank.example"}),
        ("first_response", 3, S.NEW, None, 50, -26 * hour, {"supervisor@bank.example"}),
        ("review", 3, S.RESOLVED, world.retail, 50, -26 * hour, {"supervisor@bank.example"}),
    ]
    rows = []
    plan = []
    for clock, level, state, department, hours_ago, due_in, recipients in groups:
        for _ in range(CASES_PER_GROUP):
            received = now - hours_ago * hour
            resolved = state == S.RESOLVED
            rows.append(
                Complaint(
                    reference=f"W-{len(rows):06d}",
                    kind="complaint",
                    channel="phone",
                    severity="medium",
                    category=world.unrouted,
                    subject="Fee",
                    description="Charged twice",
                    customer_name="张三",
                    customer_phone="13812345678",
                    received_at=received,
                    created_at=received,
                    department=department,
                    assignee=world.member if department else None,
                    state=state,  # seeded in bulk: the services are too slow for thousands of rows
                    first_response_due=now + due_in,
                    # The warning instants intake writes: 75 % of each window.
                    first_response_warn_at=received + (now + due_in - received) * 0.75,
                    first_responded_at=received + hour if resolved else None,
                    resolution_clock_started_at=received,
                    resolution_window_days=15,
                    resolution_due=received + timedelta(days=16),
                    resolution_warn_at=received + timedelta(days=12),
                    resolved_at=now - 8 * 24 * hour if resolved else None,
                    review_due=now - hour if resolved else None,
                )
            )
            plan.append((clock, level, recipients))
    created = Complaint.objects.bulk_create(rows)
    return {case.pk: expected for case, expected in zip(created, plan, strict=True)}


def assert_each_step_exactly_once(plan) -> None:
    claims = list(Escalation.objects.values_list("pk", "complaint_id", "clock", "level"))
    assert len(claims) == len(plan)
    assert {complaint_id: (clock, level) for _, complaint_id, clock, level in claims} == {
        pk: (clock, level) for pk, (clock, level, _) in plan.items()
    }
    events = Counter(ComplaintEvent.objects.filter(kind="escalation").values_list("complaint_id", flat=True))
    assert events == Counter(plan.keys())
    levels = dict(Complaint.objects.values_list("pk", "escalation_level"))
    assert all(levels[pk] == level for pk, (_, level, _) in plan.items())

    claim_of = {pk: complaint_id for pk, complaint_id, _, _ in claims}
    sent = Counter()
    for email, escalation_ids in NotificationLog.objects.filter(status="sent").values_list("email", "escalation_ids"):
        for escalation_id in escalation_ids:
            sent[(email, claim_of[escalation_id])] += 1
    expected = Counter({(email, pk): 1 for pk, (_, _, emails) in plan.items() for email in emails})
    assert sent == expected
    assert not NotificationLog.objects.exclude(status="sent").exists()


def everything_notified(plan) -> bool:
    if Escalation.objects.count() < len(plan) or Escalation.objects.filter(notify_batch="").exists():
        return False
    pairs = sum(len(ids) for ids in NotificationLog.objects.filter(status="sent").values_list("escalation_ids", flat=True))
    return pairs >= len(plan)


def test_three_workers_and_concurrent_sweeps_do_every_step_exactly_once(world, workers):
    plan = seed(world)
    workers.start("worker-1", "worker-2", "worker-3")
    for _ in range(6):
        workers.sweep(batch_size=50, renotify_after_seconds=0)
    wait_until(lambda: everything_notified(plan), what="every step claimed and e-mailed")
    wait_until(workers.idle, what="the workers to finish")
    assert_each_step_exactly_once(plan)
    assert len(set(Escalation.objects.values_list("sweep", flat=True))) > 1  # the work was shared


def test_worker_killed_mid_sweep_loses_nothing_and_doubles_nothing(world, workers):
    plan = seed(world)
    workers.start("worker-1")
    workers.sweep(batch_size=10, renotify_after_seconds=0)
    wait_until(lambda: Escalation.objects.count() >= 100, interval=0.01, what="the first batches")

    with transaction.atomic():
        # Hold the claim table: the sweep blocks on its next insert, in the middle of a batch.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE workflows_escalation IN SHARE ROW EXCLUSIVE MODE")
            wait_until(
                lambda: _waiting_on_lock(cursor, "worker-1"), what="worker-1 to block in the middle of its sweep"
            )
        claimed_before_kill = Escalation.objects.count()
        workers.kill("worker-1")
    assert 100 <= claimed_before_kill < len(plan)

    # The dead worker's session ends once it notices its client is gone; its batch rolls back.
    with connection.cursor() as cursor:
        wait_until(lambda: not _session_exists(cursor, "worker-1"), what="the killed worker's session to end")
    assert Escalation.objects.count() == claimed_before_kill
    assert not Escalation.objects.exclude(notify_batch="").exists()  # its e-mails were never enqueued

    workers.start("worker-1", "worker-2", "worker-3")
    workers.sweep(batch_size=50, renotify_after_seconds=0)  # the next tick
    wait_until(lambda: everything_notified(plan), what="every step claimed and e-mailed after the restart")
    wait_until(workers.idle, what="the workers to finish")
    assert_each_step_exactly_once(plan)


def _waiting_on_lock(cursor, application_name: str) -> bool:
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
        [application_name],
    )
    return cursor.fetchone()[0] > 0


def _session_exists(cursor, application_name: str) -> bool:
    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
    return cursor.fetchone()[0] > 0
