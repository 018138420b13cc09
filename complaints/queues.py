"""Each role's work queues: which of the cases a user may see wait on them, counted in one query.

A queue is a named condition on ``Complaint``; its count is taken over
``selectors.complaint_list_for_user(user)``, so a department's people never count
another department's cases. The running clocks follow ``selectors.next_deadline``
and ``selectors.overdue_q``: first response in ``new``/``assigned`` until it is
given, resolution in ``new``/``assigned``/``in_progress``, review in ``resolved``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import clocks, roles, selectors
from .states import OPEN_STATES, ComplaintState, ExtensionStatus

# How long a case may wait for routing before supervisors are shown it.
UNROUTED_GRACE = timedelta(hours=1)

# The sections of the index page, one per role.
CUSTOMER_SERVICE = "customer_service"
DEPARTMENT = "department"
SUPERVISION = "supervision"

SECTION_LABELS: dict[str, Promise] = {
    CUSTOMER_SERVICE: _("Customer service"),
    DEPARTMENT: _("My department"),
    SUPERVISION: _("Supervision"),
}


@dataclass(frozen=True)
class Queue:
    """One work queue: a stable ``key``, what staff read, and the condition a case must meet."""

    key: str
    label: Promise
    hint: Promise
    condition: Q


@dataclass(frozen=True)
class QueueCount:
    queue: Queue
    count: int


@dataclass(frozen=True)
class QueueSection:
    """The queues of one role, in the order they are shown."""

    key: str
    label: Promise
    counts: list[QueueCount]


# --- conditions, each a pure function of the time --------------------------------------
def open_q() -> Q:
    """Cases in which the bank still owes the customer something (``OPEN_STATES``)."""
    return Q(state__in=OPEN_STATES)


def first_response_running_q() -> Q:
    """Cases whose first-response clock runs: ``new`` or ``assigned`` and not yet responded to."""
    return clocks.FIRST_RESPONSE.running


def unrouted_q() -> Q:
    """Cases with no department."""
    return Q(department__isnull=True)


def unrouted_since_q(before: datetime) -> Q:
    """Open cases with no department that the bank received before ``before``."""
    return open_q() & unrouted_q() & Q(received_at__lt=before)


def due_on_day_q(start: datetime, end: datetime) -> Q:
    """Cases with a running clock whose deadline falls in ``[start, end)``, passed or not."""
    condition = Q()
    for clock in clocks.COLUMNS.values():
        condition |= clock.running & Q(**{f"{clock.due_field}__gte": start, f"{clock.due_field}__lt": end})
    return condition


def local_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The local midnights (``settings.TIME_ZONE``) that start the day of ``now`` and the next day."""
    day = timezone.localdate(now)
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def due_today_q(now: datetime) -> Q:
    """Cases with a running clock whose deadline falls on the local date of ``now``."""
    return due_on_day_q(*local_day_bounds(now))


def escalated_q() -> Q:
    """Open cases at escalation level 1 (warning) or above."""
    return open_q() & Q(escalation_level__gte=1)


def escalated_to_supervisors_q() -> Q:
    """Open cases at escalation level 3: escalated to supervisors."""
    return open_q() & Q(escalation_level=3)


def extension_pending_q() -> Q:
    """Cases with an extension request nobody has decided yet."""
    return Q(extension_status=ExtensionStatus.PENDING)


def extension_for_owner_q() -> Q:
    """Pending extensions within the owner tier: a department owner decides them."""
    return extension_pending_q() & Q(extension_requires_supervisor=False)


def extension_for_supervisor_q() -> Q:
    """Pending extensions beyond the owner tier: only a supervisor decides them."""
    return extension_pending_q() & Q(extension_requires_supervisor=True)


def extension_for_user_q(user) -> Q:
    """Pending extensions this user may decide: all for supervisors, owner-tier ones in departments they own."""
    if roles.is_supervisor(user):
        return extension_pending_q()
    owned = roles.owned_department_ids(user)
    if not owned:
        return Q(pk__in=[])
    return extension_for_owner_q() & Q(department_id__in=owned)


def assigned_to_q(user) -> Q:
    """Open cases assigned to ``user``."""
    return open_q() & Q(assignee_id=user.pk)


# --- the queues of each role -----------------------------------------------------------
def customer_service_queues(now: datetime) -> list[Queue]:
    """Routing, first responses and the review call-back: what customer service does."""
    return [
        Queue(
            "new_unrouted",
            _("New, not routed"),
            _("Route each case to the department that will handle it."),
            Q(state=ComplaintState.NEW) & unrouted_q(),
        ),
        Queue(
            "awaiting_first_response",
            _("Awaiting first response"),
            _("Contact the customer and record the first response."),
            first_response_running_q(),
        ),
        Queue(
            "awaiting_callback",
            _("Awaiting call-back"),
            _("Call the customer back: close if they accept, reopen if not."),
            Q(state=ComplaintState.RESOLVED),
        ),
        Queue(
            "callback_overdue",
            _("Call-back overdue"),
            _("The review clock has run out: call now or close as unreachable."),
            clocks.REVIEW.overdue(now),
        ),
    ]


def _handling_queues(user, now: datetime, *, across_departments: bool) -> list[Queue]:
    if across_departments:
        open_queue = Queue("open", _("All open cases"), _("Every case the bank still owes an answer."), open_q())
    else:
        open_queue = Queue(
            "department_open",
            _("Open in my department"),
            _("Cases your department still owes the customer."),
            open_q(),
        )
    return [
        open_queue,
        Queue("mine", _("Assigned to me"), _("Your own open cases: work them in deadline order."), assigned_to_q(user)),
        Queue(
            "due_today",
            _("Due today"),
            _("A deadline falls today: respond or resolve before the end of the day."),
            due_today_q(now),
        ),
        Queue(
            "overdue",
            _("Overdue"),
            _("A deadline has passed: act now, or ask for an extension if the rules allow."),
            selectors.overdue_q(now),
        ),
        Queue(
            "escalated",
            _("Escalated"),
            _("Cases past their policy's warning point or overdue: check who is on them."),
            escalated_q(),
        ),
    ]


def department_queues(user, now: datetime) -> list[Queue]:
    """A department's owner or member: their departments' cases; owners also decide extensions."""
    queues = _handling_queues(user, now, across_departments=False)
    if roles.owned_department_ids(user):
        queues.append(
            Queue(
                "extensions_for_me",
                _("Extensions awaiting my decision"),
                _("Approve or deny before the resolution deadline passes."),
                extension_for_user_q(user),
            )
        )
    return queues


def supervision_queues(user, now: datetime) -> list[Queue]:
    """Supervisors: every department's queues, the extensions only they decide, and what waits on them."""
    return [
        *_handling_queues(user, now, across_departments=True),
        Queue(
            "extensions_for_supervisor",
            _("Extensions awaiting a supervisor"),
            _("Beyond the owner's limit: approve or deny before the deadline passes."),
            extension_for_supervisor_q(),
        ),
        Queue(
            "escalated_to_supervisors",
            _("Escalated to supervisors"),
            _("Well past a deadline: reassign or step in."),
            escalated_to_supervisors_q(),
        ),
        Queue(
            "unrouted_over_1h",
            _("Unrouted for more than an hour"),
            _("Nobody has routed these yet: route them or ask customer service why."),
            unrouted_since_q(now - UNROUTED_GRACE),
        ),
    ]


def queues_for_user(user, *, now: datetime | None = None) -> list[tuple[str, list[Queue]]]:
    """The sections (key, queues) of the user's roles, in display order; empty for no role.

    Supervisors (and superusers) get the supervision section instead of a department
    one; customer service gets its own section besides.
    """
    now = now or timezone.now()
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    sections: list[tuple[str, list[Queue]]] = []
    if roles.is_cs_staff(user):
        sections.append((CUSTOMER_SERVICE, customer_service_queues(now)))
    if roles.is_supervisor(user):
        sections.append((SUPERVISION, supervision_queues(user, now)))
    elif roles.member_department_ids(user):
        sections.append((DEPARTMENT, department_queues(user, now)))
    return sections


def queue_counts_for_user(user, *, now: datetime | None = None) -> list[QueueSection]:
    """Each of the user's queues with the number of visible cases in it, from one aggregate query.

    Counts are over ``selectors.complaint_list_for_user(user)``; the queries do not
    grow with the number of cases or queues (one aggregate, plus the user's cached
    role look-ups).
    """
    now = now or timezone.now()
    sections = queues_for_user(user, now=now)
    if not sections:
        return []
    aggregates = {
        queue.key: Count("pk", filter=queue.condition) for _key, queues in sections for queue in queues
    }
    totals = selectors.complaint_list_for_user(user).aggregate(**aggregates)
    return [
        QueueSection(key, SECTION_LABELS[key], [QueueCount(queue, totals[queue.key] or 0) for queue in queues])
        for key, queues in sections
    ]
