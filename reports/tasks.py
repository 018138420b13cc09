"""Celery tasks of the reports app: the biweekly report, on-demand generation, mailing a report.

Tasks take ids and dates, re-read what they need, and return quietly when there is
nothing left to do; only mail errors (which can heal) are retried.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import date

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import roles

from . import services
from .models import Report
from .periods import Period, is_period_boundary, period_ending_before

logger = logging.getLogger(__name__)


def mail_language() -> str:
    """The language of the PDF mailed to supervisors: the site's default language."""
    codes = [code for code, _name in settings.LANGUAGES]
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in codes else codes[0]


@shared_task
def generate_biweekly_report() -> list[int]:
    """Run by beat every Monday at 07:00 local; acts only on period boundaries.

    On a boundary it generates the 14 days just ended in every language (unless the system
    already did), and the report in the mail language is mailed to supervisors on commit.
    Returns the ids of the period's reports (empty when today is not a boundary).
    """
    today = timezone.localdate()
    if not is_period_boundary(today):
        return []
    period = period_ending_before(today)
    ids = []
    for language, _name in settings.LANGUAGES:
        existing = Report.objects.filter(
            period_start=period.start, period_end=period.end, language=language, generated_by__isnull=True
        ).first()
        if existing is not None:
            ids.append(existing.pk)
            continue
        try:
            report = services.report_generate(
                period=period, language=language, actor=None, notify=language == mail_language()
            )
        except IntegrityError:
            # Another worker generated it at the same moment; its row stands.
            logger.info("report %s (%s) was generated concurrently", period, language)
            continue
        ids.append(report.pk)
    return ids


@shared_task
def generate_report(start: str, end: str, language: str, user_id: int | None = None) -> int:
    """Generate (or regenerate) the report of a chosen period on demand; no mail is sent."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    period = Period(date.fromisoformat(start), date.fromisoformat(end))
    return services.report_generate(period=period, language=language, actor=user).pk


def supervisor_addresses() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=roles.SUPERVISOR).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=60,
    max_retries=8,
)
def email_report(self, report_id: int) -> bool:
    """Mail a report's PDF to every active supervisor, at most once (claimed by ``emailed_at``)."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return False
    claimed = Report.objects.filter(pk=report_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    recipients = supervisor_addresses()
    if not recipients:
        logger.info("report %s: no supervisor has an e-mail address", report)
        return False
    try:
        with translation.override(report.language):
            subject = _("%(bank)s biweekly improvement report %(start)s – %(end)s") % {
                "bank": settings.BANK_NAME,
                "start": f"{report.period_start:%Y-%m-%d}",
                "end": f"{report.period_end:%Y-%m-%d}",
            }
            body = _("The biweekly improvement report is attached (SHA-256 %(sha)s).") % {"sha": report.sha256}
        message = EmailMessage(subject=subject, body=body, to=recipients)
        with report.file.open("rb") as handle:
            message.attach(report.filename, handle.read(), "application/pdf")
        message.send()
    except Exception:
        # Release the claim so that the retry (or the next run) can send it.
        Report.objects.filter(pk=report_id).update(emailed_at=None)
        raise
    logger.info("report %s mailed to %d supervisors", report, len(recipients))
    return True
