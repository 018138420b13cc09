"""Celery tasks for how cases move: thin wrappers that call one service each."""
from __future__ import annotations

import smtplib
import uuid
from datetime import timedelta

from celery import shared_task

from . import escalation, notifications


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
    acks_late=True,
    # Only errors that can heal are retried: SMTP and network (ConnectionError is an OSError).
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=10,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=150,
)
def send_escalation_notifications(self, sweep: str) -> int:
    """E-mail one sweep's escalations; safe to run twice (see ``notifications.escalation_notify``)."""
    batch = self.request.id or f"local-{uuid.uuid4().hex}"
    return notifications.escalation_notify(sweep=sweep, batch=batch)
