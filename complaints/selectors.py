"""What a user may see. Every interface (admin, API, exports, reports) asks here, once.

Missing and forbidden look the same: a case outside a user's scope is simply not in
their queryset.
"""
from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django_fsm import can_proceed, has_transition_perm

from . import clocks, roles
from .models import Complaint, ComplaintEvent, Department


def complaint_list_for_user(user) -> QuerySet[Complaint]:
    """Supervisors and customer service see every case; department people see their departments';
    a channel system sees the cases it logged itself."""
    queryset = Complaint.objects.select_related("category", "department", "assignee", "cause")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if roles.is_channel_system(user):
        return queryset.filter(created_by=user)
    if roles.sees_all_cases(user):
        return queryset
    department_ids = roles.member_department_ids(user)
    if not department_ids:
        return queryset.none()
    return queryset.filter(department_id__in=department_ids)


def complaint_get_for_user(user, *, reference: str) -> Complaint:
    """The case with this reference if the user may see it; ``Complaint.DoesNotExist`` otherwise."""
    return complaint_list_for_user(user).get(reference=reference)


def complaint_events_for_user(user, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    if not complaint_list_for_user(user).filter(pk=complaint.pk).exists():
        return ComplaintEvent.objects.none()
    return ComplaintEvent.objects.filter(complaint=complaint).select_related("actor")


def user_may_see_pii(user, complaint: Complaint) -> bool:
    """Unmasked customer details on the case's own page: the people who may handle it."""
    if roles.sees_all_cases(user):
        return True
    return complaint.department_id is not None and complaint.department_id in roles.member_department_ids(user)


def available_transitions(complaint: Complaint, user) -> list[str]:
    """Names of the transitions this user may take on this case now (state, conditions, role)."""
    names = []
    # django-fsm adds get_available_<field>_transitions in FSMField.contribute_to_class; no stub declares it.
    for transition in complaint.get_available_state_transitions():  # type: ignore[attr-defined]
        method = getattr(complaint, transition.name)
        if can_proceed(method) and has_transition_perm(method, user):
            names.append(transition.name)
    return names


def departments_for_user(user) -> QuerySet[Department]:
    """Departments a user may route to: all for routing staff, their own for department owners."""
    queryset = Department.objects.filter(is_active=True)
    if roles.sees_all_cases(user):
        return queryset
    return queryset.filter(pk__in=roles.owned_department_ids(user))


def overdue_q(now) -> Q:
    """Cases with a running clock past its deadline: first response, resolution or review."""
    return clocks.overdue_q(now)


def running_deadlines(complaint: Complaint) -> list[tuple[str, datetime, datetime]]:
    """Every clock running on the case as ``(clock, due, started_at)``, soonest due first."""
    return clocks.running_deadlines(complaint)


def next_deadline(complaint: Complaint) -> tuple[str, datetime, datetime] | None:
    """The running clock that falls due first: ``(clock, due, started_at)``, or None when none runs."""
    running = clocks.running_deadlines(complaint)
    return running[0] if running else None
