"""E-mails about escalations: who is told at each level, one message per recipient per sweep.

Recipients (PRODUCT section 3): level 1 the assignee and the department's members, level 2
the department's owners, level 3 and the review step the supervisors. A department's
notification address, when set, gets levels 1 and 2 as well. A case that has no department
yet (not routed) is reported to customer service staff at levels 1 and 2, since they route
it. The customer is never e-mailed: recipients are staff users and department addresses only.

A message shows, per case, the reference, the masked phone, the clock, the level, the
deadline and a link to the case in the admin; nothing else about the customer.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints import roles
from complaints.masking import mask_phone
from complaints.models import Department

from .models import Clock, Escalation, NotificationLog, NotificationStatus

logger = logging.getLogger(__name__)


@dataclass
class Recipient:
    email: str
    user_id: int | None
    name: str
    language: str
    escalations: list[Escalation] = field(default_factory=list)

    @property
    def key(self) -> str:
        if self.user_id is not None:
            return f"user-{self.user_id}"
        return "address-" + hashlib.sha256(self.email.lower().encode()).hexdigest()[:24]


def recipient_language(user=None) -> str:
    """The language a recipient reads; the site's language until users have a preference."""
    return settings.LANGUAGE_CODE


def case_link(complaint_id: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/admin/complaints/complaint/{complaint_id}/change/"


def _people(users) -> list:
    return [user for user in users if user.is_active and user.email]


def group_by_recipient(escalations: list[Escalation]) -> list[Recipient]:
    """Who must hear about each escalation, grouped per e-mail address (a constant number of queries)."""
    User = get_user_model()
    department_ids = {e.complaint.department_id for e in escalations if e.complaint.department_id}
    departments = {
        department.pk: department
        for department in Department.objects.filter(pk__in=department_ids).prefetch_related("owners", "members")
    }
    needs_supervisors = any(e.level >= 3 for e in escalations)
    needs_routers = any(e.level < 3 and not e.complaint.department_id for e in escalations)
    supervisors = (
        _people(User.objects.filter(groups__name=roles.SUPERVISOR).distinct()) if needs_supervisors else []
    )
    routers = _people(User.objects.filter(groups__name=roles.CS_STAFF).distinct()) if needs_routers else []

    by_address: dict[str, Recipient] = {}

    def add(escalation: Escalation, *, user=None, email: str = "") -> None:
        address = (user.email if user is not None else email).strip()
        if not address:
            return
        recipient = by_address.get(address.lower())
        if recipient is None:
            recipient = Recipient(
                email=address,
                user_id=user.pk if user is not None else None,
                name=(user.get_full_name() or user.get_username()) if user is not None else "",
                language=recipient_language(user),
            )
            by_address[address.lower()] = recipient
        if escalation not in recipient.escalations:
            recipient.escalations.append(escalation)

    for escalation in escalations:
        case = escalation.complaint
        department = departments.get(case.department_id) if case.department_id is not None else None
        if escalation.level >= 3:
            for user in supervisors:
                add(escalation, user=user)
            continue
        if department is None:
            for user in routers:
                add(escalation, user=user)
            continue
        if escalation.level == 1:
            if case.assignee is not None and case.assignee.is_active:
                add(escalation, user=case.assignee)
            for user in _people(department.members.all()):
                add(escalation, user=user)
        else:
            for user in _people(department.owners.all()):
                add(escalation, user=user)
        if department.notification_email:
            add(escalation, email=department.notification_email)
    return sorted(by_address.values(), key=lambda r: r.email.lower())


def render_message(recipient: Recipient) -> tuple[str, str]:
    """Subject and body for ``recipient``, in the recipient's language and the bank's time zone."""
    items = []
    for escalation in sorted(recipient.escalations, key=lambda e: (-e.level, e.due, e.complaint.reference)):
        case = escalation.complaint
        items.append(
            {
                "reference": case.reference,
                "phone": mask_phone(case.customer_phone),
                "clock": Clock(escalation.clock).label,
                "level": escalation.level,
                "level_label": escalation.get_level_display(),
                "review": escalation.clock == Clock.REVIEW,
                "due": timezone.localtime(escalation.due),
                "link": case_link(case.pk),
            }
        )
    context = {"recipient": recipient, "items": items, "count": len(items), "bank_name": settings.BANK_NAME}
    with translation.override(recipient.language):
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
