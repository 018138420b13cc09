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

from access.preferences import languages_of
from complaints import roles
from complaints.models import Department

from . import services
from .data import bank_name, collect
from .live import refresh_dashboard  # noqa: F401  (registers the dashboard's task with the worker)
from .models import GenerationState, Report, ReportGeneration
from .periods import Period, is_period_boundary, period_ending_before

logger = logging.getLogger(__name__)


def mail_language() -> str:
    """The site's default language: of a PDF nobody chose a language for."""
    codes = [code for code, _name in settings.LANGUAGES]
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in codes else codes[0]


def readers(department: Department | None):
    """Who reads a report: the active supervisors for the whole bank's, the department's active
    owners for a department's; only those with an e-mail address."""
    User = get_user_model()
    if department is None:
        users = User.objects.filter(is_active=True, groups__name=roles.SUPERVISOR)
    else:
        # Owners count while they are in the owner group (complaints.roles), as for reading reports.
        users = User.objects.filter(is_active=True, owned_departments=department, groups__name=roles.DEPT_OWNER)
    return users.exclude(email="").distinct()


def reader_addresses(department: Department | None) -> dict[str, list[str]]:
    """The readers' addresses by the language each reads (``access.preferences``), one query each."""
    users = list(readers(department).only("pk", "email"))
    languages = languages_of(users)
    by_language: dict[str, set[str]] = {}
    for user in users:
        by_language.setdefault(languages[user.pk], set()).add(user.email)
    return {language: sorted(addresses) for language, addresses in by_language.items()}


def _generate_scope(period: Period, department: Department | None, languages: list[str]) -> list[int]:
    """The system's reports of ``period`` for one scope in ``languages``, the figures collected once;
    each mailed on commit to the readers of its language. A report the system already made stays."""
    ids, data = [], None
    for language in languages:
        existing = Report.objects.filter(
            period_start=period.start, period_end=period.end, language=language, department=department, generated_by__isnull=True
        ).first()
        if existing is not None:
            ids.append(existing.pk)
            continue
        if data is None:
            data = collect(period, department=department)
        try:
            report = services.report_generate(
                period=period, language=language, department=department, actor=None, notify=True, data=data
            )
        except IntegrityError:
            # Another worker generated it at the same moment; its row stands.
            logger.info("report %s %s (%s) was generated concurrently", period, department, language)
            continue
        ids.append(report.pk)
    return ids


@shared_task
def generate_biweekly_report() -> list[int]:
    """Run by beat every Monday at 07:00 local; acts only on period boundaries.

    On a boundary it generates the 14 days just ended: the whole bank's report in every
    language, and each department's report (the cases it holds) for its owners, in each
    language its owners read. Each report is mailed, on commit, to its readers who read its
    language. Returns the ids of the period's reports (empty when today is not a boundary).
    """
    today = timezone.localdate()
    if not is_period_boundary(today):
        return []
    period = period_ending_before(today)
    ids = _generate_scope(period, None, [code for code, _name in settings.LANGUAGES])
    owned = Department.objects.filter(owners__is_active=True, owners__groups__name=roles.DEPT_OWNER)
    for department in owned.distinct().order_by("code"):
        languages = sorted(reader_addresses(department)) or [mail_language()]
        ids += _generate_scope(period, department, languages)
    return ids


def _generation_update(generation_id: int | None, **fields) -> None:
    if generation_id is not None:
        ReportGeneration.objects.filter(pk=generation_id).update(**fields)


@shared_task
def generate_report(
    start: str,
    end: str,
    language: str,
    user_id: int | None = None,
    department_id: int | None = None,
    generation_id: int | None = None,
) -> int:
    """Generate (or regenerate) the report of a chosen period on demand; no mail is sent.

    ``generation_id`` is the admin's ``ReportGeneration`` row, moved to running, then done
    (with the report) or failed (with the error's type), so the admin can show it.
    """
    user = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    department = Department.objects.filter(pk=department_id).first() if department_id is not None else None
    period = Period(date.fromisoformat(start), date.fromisoformat(end))
    _generation_update(generation_id, state=GenerationState.RUNNING, started_at=timezone.now())
    try:
        report = services.report_generate(period=period, language=language, department=department, actor=user)
    except Exception as error:
        _generation_update(generation_id, state=GenerationState.FAILED, finished_at=timezone.now(), error=type(error).__name__[:200])
        raise
    _generation_update(generation_id, state=GenerationState.DONE, finished_at=timezone.now(), report=report)
    return report.pk


def supervisor_addresses() -> list[str]:
    return sorted(set(readers(None).values_list("email", flat=True)))


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=60,
    max_retries=8,
)
def email_report(self, report_id: int) -> bool:
    """Mail a report's PDF to its readers who read its language, at most once (claimed by ``emailed_at``)."""
    report = Report.objects.select_related("department").filter(pk=report_id).first()
    if report is None:
        return False
    claimed = Report.objects.filter(pk=report_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    recipients = reader_addresses(report.department).get(report.language, [])
    if not recipients:
        logger.info("report %s: no reader of %s has an e-mail address", report, report.language)
        return False
    try:
        with translation.override(report.language):
            bank = str(bank_name())
            values = {"bank": bank, "start": f"{report.period_start:%Y-%m-%d}", "end": f"{report.period_end:%Y-%m-%d}"}
            if report.department is not None:
                subject = _("%(bank)s biweekly improvement report for %(department)s %(start)s – %(end)s") % {
                    **values,
                    "department": report.department.name,
                }
            else:
                subject = _("%(bank)s biweekly improvement report %(start)s – %(end)s") % values
            body = _("The biweekly improvement report is attached (SHA-256 %(sha)s).") % {"sha": report.sha256}
        message = EmailMessage(subject=subject, body=body, to=recipients, headers={"Content-Language": report.language})
        with report.file.open("rb") as handle:
            message.attach(report.filename, handle.read(), "application/pdf")
        message.send()
    except Exception:
        # Release the claim so that the retry (or the next run) can send it.
        Report.objects.filter(pk=report_id).update(emailed_at=None)
        raise
    logger.info("report %s mailed to %d readers", report, len(recipients))
    return True
