"""E-mails about escalations: who is told at each level, one bounded digest per recipient per sweep.

Recipients (PRODUCT section 3): level 1 the assignee and the department's members, level 2
the department's owners, level 3 and the review step the supervisors. A department's
notification address, when set, gets levels 1 and 2 as well. A case that has no department
yet (not routed) is reported to customer service staff at levels 1 and 2, since they route
it. The customer is never e-mailed: recipients are staff users and department addresses only.

A recipient's message for a sweep is a digest: how many cases, how many at each level and in
each department, then at most ``ESCALATION_DIGEST_MAX_CASES`` cases, the most urgent first,
and for the rest a link to the filtered case list in the admin. A case is listed once, with
each of its clocks that stepped in this sweep (a backlog case is past both its first-response
and its resolution deadline). Per case the message shows the reference, the masked phone, the
clocks, levels and deadlines and a link to the case; nothing else about the customer. Links
are absolute (``SITE_URL``) and carry no customer identifier.
"""
from __future__ import annotations

import hashlib
import heapq
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from access.preferences import language_of, languages_of
from complaints import roles
from complaints.masking import mask_phone
from complaints.models import Complaint, Department

from .models import Clock, ClockTarget, Escalation, EscalationLevel, NotificationLog, NotificationStatus

logger = logging.getLogger(__name__)

DEFAULT_DIGEST_MAX_CASES = 50


@dataclass
class CaseSteps:
    """One case in a recipient's digest and the steps of the sweep that concern it (one per clock)."""

    complaint: Complaint
    department: Department | None
    escalations: list[Escalation] = field(default_factory=list)

    @property
    def level(self) -> int:
        return max(escalation.level for escalation in self.escalations)

    @property
    def due(self) -> datetime:
        return min(escalation.due for escalation in self.escalations)


@dataclass
class Recipient:
    email: str
    user_id: int | None
    name: str
    language: str
    # The cases this recipient hears about, by case id, in the order they were met.
    cases: dict[int, CaseSteps] = field(default_factory=dict)

    @property
    def key(self) -> str:
        if self.user_id is not None:
            return f"user-{self.user_id}"
        return "address-" + hashlib.sha256(self.email.lower().encode()).hexdigest()[:24]

    @property
    def escalations(self) -> list[Escalation]:
        return [escalation for case in self.cases.values() for escalation in case.escalations]

    def add(self, escalation: Escalation, department: Department | None) -> None:
        """Add ``escalation`` under its case; adding the same step again changes nothing (constant time)."""
        case = self.cases.get(escalation.complaint_id)
        if case is None:
            self.cases[escalation.complaint_id] = CaseSteps(escalation.complaint, department, [escalation])
        elif all(known.pk != escalation.pk for known in case.escalations):  # at most one step per clock
            case.escalations.append(escalation)


def recipient_language(user=None) -> str:
    """The language a recipient reads: the user's preference, else (and for an address) the site's."""
    return language_of(user)


def case_link(complaint_id: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/admin/complaints/complaint/{complaint_id}/change/"


def case_list_link(*, escalation: int | str) -> str:
    """The admin case list of open cases at escalation level ``escalation`` (1, 2, 3 or "any")."""
    query = urlencode({"escalation": escalation, "open": "yes"})
    return f"{settings.SITE_URL.rstrip('/')}/admin/complaints/complaint/?{query}"


def digest_max_cases() -> int:
    """``ESCALATION_DIGEST_MAX_CASES``: how many cases one message lists at most."""
    limit = getattr(settings, "ESCALATION_DIGEST_MAX_CASES", DEFAULT_DIGEST_MAX_CASES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ImproperlyConfigured(f"ESCALATION_DIGEST_MAX_CASES must be a whole number, 0 or more; got {limit!r}")
    return limit


def _people(users) -> list:
    return [user for user in users if user.is_active and user.email]


def group_by_recipient(escalations: list[Escalation]) -> list[Recipient]:
    """Who must hear about each escalation, grouped per e-mail address and, within it, per case.

    A constant number of queries, and time linear in the number of escalations (times the
    handful of people each one goes to).
    """
    User = get_user_model()
    department_ids = {e.complaint.department_id for e in escalations if e.complaint.department_id}
    departments = {
        department.pk: department
        for department in Department.objects.filter(pk__in=department_ids).prefetch_related("owners", "members")
    }
    members = {pk: _people(department.members.all()) for pk, department in departments.items()}
    owners = {pk: _people(department.owners.all()) for pk, department in departments.items()}
    needs_supervisors = any(e.level >= 3 for e in escalations)
    needs_routers = any(e.level < 3 and not e.complaint.department_id for e in escalations)
    supervisors = (
        _people(User.objects.filter(groups__name=roles.SUPERVISOR).distinct()) if needs_supervisors else []
    )
    routers = _people(User.objects.filter(groups__name=roles.CS_STAFF).distinct()) if needs_routers else []

    by_address: dict[str, Recipient] = {}

    def add(escalation: Escalation, department: Department | None, *, user=None, email: str = "") -> None:
        address = (user.email if user is not None else email).strip()
        if not address:
            return
        recipient = by_address.get(address.lower())
        if recipient is None:
            recipient = Recipient(
                email=address,
                user_id=user.pk if user is not None else None,
                name=(user.get_full_name() or user.get_username()) if user is not None else "",
                language="",  # set below, for every recipient with one query
            )
            by_address[address.lower()] = recipient
        recipient.add(escalation, department)

    for escalation in escalations:
        case = escalation.complaint
        department = departments.get(case.department_id) if case.department_id is not None else None
        if escalation.level >= 3:
            for user in supervisors:
                add(escalation, department, user=user)
            continue
        if department is None:
            for user in routers:
                add(escalation, department, user=user)
            continue
        if escalation.level == 1:
            if case.assignee is not None and case.assignee.is_active:
                add(escalation, department, user=case.assignee)
            for user in members[department.pk]:
                add(escalation, department, user=user)
        else:
            for user in owners[department.pk]:
                add(escalation, department, user=user)
        if department.notification_email:
            add(escalation, department, email=department.notification_email)
    languages = languages_of(r.user_id for r in by_address.values() if r.user_id is not None)
    for recipient in by_address.values():
        recipient.language = languages[recipient.user_id] if recipient.user_id is not None else recipient_language()
    return sorted(by_address.values(), key=lambda r: r.email.lower())


def clock_label(clock: str) -> str:
    """A claim's clock in words: a registry clock's label, or an internal target's name."""
    if clock in Clock.values:
        return str(Clock(clock).label)
    code = clock.removeprefix(ClockTarget.CLOCK_PREFIX)
    target = ClockTarget.objects.filter(code=code).first()
    return target.label if target else code


def _item(case: CaseSteps) -> dict:
    steps = sorted(case.escalations, key=lambda e: (e.due, e.clock))
    return {
        "reference": case.complaint.reference,
        "phone": mask_phone(case.complaint.customer_phone),
        "steps": [
            {
                "clock": clock_label(step.clock),
                "level": step.level,
                "level_label": step.get_level_display(),
                "review": step.clock == Clock.REVIEW,
                "due": timezone.localtime(step.due),
            }
            for step in steps
        ],
        "link": case_link(case.complaint.pk),
    }


def digest_context(recipient: Recipient) -> dict:
    """What the digest says: counts per level and department, the listed cases, the rest's link.

    A case counts once, at the highest level it reached in this sweep. Call it in the
    recipient's language (department names and labels are translated).
    """
    cases = list(recipient.cases.values())
    limit = digest_max_cases()
    listed = heapq.nsmallest(limit, cases, key=lambda case: (-case.level, case.due, case.complaint.reference))
    per_level = Counter(case.level for case in cases)
    per_department: Counter[int | None] = Counter()
    names: dict[int | None, str] = {None: gettext("Not routed")}
    for case in cases:
        key = case.department.pk if case.department is not None else None
        per_department[key] += 1
        if key not in names and case.department is not None:
            names[key] = case.department.name
    levels = sorted(per_level)
    return {
        "recipient": recipient,
        "count": len(cases),
        "levels": [
            {
                "level": level,
                "label": EscalationLevel(level).label,
                "count": per_level[level],
                "link": case_list_link(escalation=level),
            }
            for level in reversed(levels)
        ],
        "departments": sorted(
            ({"name": names[key], "count": count} for key, count in per_department.items()),
            key=lambda row: (-row["count"], row["name"]),
        ),
        "items": [_item(case) for case in listed],
        "more": len(cases) - len(listed),
        "more_link": case_list_link(escalation=levels[0] if len(levels) == 1 else "any"),
        "bank_name": settings.BANK_NAME,
    }


def render_message(recipient: Recipient) -> tuple[str, str]:
    """Subject and body for ``recipient``, in the recipient's language and the bank's time zone."""
    with translation.override(recipient.language):
        context = digest_context(recipient)
        subject = " ".join(render_to_string("workflows/email/escalation_subject.txt", context).split())
        body = render_to_string("workflows/email/escalation_body.txt", context)
    return subject, body


def _send_one(recipient: Recipient, *, key: str) -> bool:
    """Send one message unless its log row says it was sent; True when this call sent it.

    The log row is locked while sending, so two deliveries of the same task cannot both
    send; an error rolls the row back to unsent and propagates (the task retries).
    """
    subject, body = render_message(recipient)
    NotificationLog.objects.bulk_create(
        [
            NotificationLog(
                key=key,
                recipient_id=recipient.user_id,
                email=recipient.email,
                language=recipient.language,
                subject=subject[:200],
                escalation_ids=sorted(e.pk for e in recipient.escalations),
            )
        ],
        ignore_conflicts=True,
    )
    with transaction.atomic():
        log = NotificationLog.objects.select_for_update().get(key=key)
        if log.status == NotificationStatus.SENT:
            return False
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
            headers={"Content-Language": recipient.language},
        )
        message.send()
        log.status = NotificationStatus.SENT
        log.attempts += 1
        log.sent_at = timezone.now()
        log.last_error = ""
        log.save(update_fields=["status", "attempts", "sent_at", "last_error"])
    return True


def escalation_notify(*, sweep: str, batch: str) -> int:
    """E-mail the steps claimed by ``sweep``; returns how many messages this call sent.

    Idempotent: the sweep's steps not yet taken by a notification run are taken over by
    ``batch`` (the task id, the same on every retry and redelivery), and each recipient's
    message has the log key ``batch:recipient``, so a retry sends only what is missing.
    """
    Escalation.objects.filter(sweep=sweep, notify_batch="").update(notify_batch=batch)
    escalations = list(
        Escalation.objects.filter(notify_batch=batch).select_related("complaint", "complaint__assignee")
    )
    if not escalations:
        return 0
    sent = 0
    for recipient in group_by_recipient(escalations):
        key = f"escalation:{batch}:{recipient.key}"
        try:
            sent += _send_one(recipient, key=key)
        except Exception as error:
            NotificationLog.objects.filter(key=key).update(
                attempts=F("attempts") + 1, last_error=type(error).__name__[:200]
            )
            logger.warning("escalation e-mail %s failed: %s", key, type(error).__name__)
            raise
    logger.info("escalation e-mails for sweep %s (%s): %d sent", sweep, batch, sent)
    return sent
