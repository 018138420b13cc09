"""Celery tasks for how cases move: thin wrappers that call one service each."""
from __future__ import annotations

import smtplib
import uuid
from datetime import timedelta

from celery import shared_task

from . import escalation, notifications, surges

# The options of a task that sends e-mail. Only errors that can heal are retried: SMTP and
# network (ConnectionError is an OSError).
MAIL_TASK = {
    "acks_late": True,
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 10,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 8,
    "soft_time_limit": 120,
    "time_limit": 150,
}


@shared_task(name="workflows.tasks.escalation_sweep", acks_late=True, soft_time_limit=240, time_limit=280)
def escalation_sweep(batch_size: int | None = None, renotify_after_seconds: int | None = None) -> dict:
    """One escalation sweep (beat runs it every ``ESCALATION_SWEEP_SECONDS``); returns what it did."""
    result = escalation.escalation_sweep(
        batch_size=batch_size or escalation.DEFAULT_BATCH_SIZE,
        renotify_after=(
            timedelta(seconds=renotify_after_seconds)
            if renotify_after_seconds is not None
            else escalation.renotify_after_setting()
        ),
    )
    return result.as_dict()


@shared_task(
    bind=True,
    name="workflows.tasks.send_escalation_notifications",
    **MAIL_TASK,
)
def send_escalation_notifications(self, sweep: str) -> int:
    """E-mail one sweep's escalations; safe to run twice (see ``notifications.escalation_notify``)."""
    batch = self.request.id or f"local-{uuid.uuid4().hex}"
    return notifications.escalation_notify(sweep=sweep, batch=batch)


@shared_task(name="workflows.tasks.check_surges_for_case", acks_late=True, soft_time_limit=60, time_limit=90)
def check_surges_for_case(complaint_id: int) -> list[int]:
    """Check the keys of a case just logged for a surge (``surges.check_after_intake``); the alerts' ids."""
    return [alert.pk for alert in surges.check_after_intake(complaint_id=complaint_id)]


@shared_task(name="workflows.tasks.surge_sweep", acks_late=True, soft_time_limit=240, time_limit=280)
def surge_sweep() -> dict:
    """Check every key for a surge (beat runs it every ``SURGE_SWEEP_SECONDS``); returns what it did."""
    return surges.surge_sweep()


@shared_task(
    name="workflows.tasks.send_surge_alert",
    **MAIL_TASK,
)
def send_surge_alert(alert_id: int) -> int:
    """E-mail the supervisors about a new surge alert; safe to run twice (``surges.surge_alert_notify``)."""
    return surges.surge_alert_notify(alert_id=alert_id)
