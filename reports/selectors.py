"""What a user may see of the reports app: stored reports and improvement actions.

Missing and forbidden look the same: an action outside a user's scope is simply not in
their queryset.
"""
from __future__ import annotations

from django.db.models import QuerySet

from complaints import roles

from .models import ImprovementAction, ImprovementActionEvent, Report, ReportGeneration


def improvement_action_list_for_user(user) -> QuerySet[ImprovementAction]:
    """Supervisors (and superusers) see every action; a department's owners and members see the
    actions their departments own (``owner_department``); everybody else, customer service
    included, sees none: actions are the supervisors' plan and the owning department's work.
    """
    queryset = ImprovementAction.objects.select_related(
        "owner_department", "target_cause", "target_category", "raised_from"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if roles.is_supervisor(user):
        return queryset
    department_ids = roles.member_department_ids(user)
    if not department_ids:
        return queryset.none()
    return queryset.filter(owner_department_id__in=department_ids)


def improvement_action_events_for_user(user) -> QuerySet[ImprovementActionEvent]:
    """The history lines of the actions ``improvement_action_list_for_user`` shows."""
    visible = improvement_action_list_for_user(user).values("pk")
    return ImprovementActionEvent.objects.filter(action__in=visible).select_related("actor")


def report_list_for_user(user) -> QuerySet[Report]:
    """Supervisors (and superusers) see every report; a department's owners see that department's
    reports only (not the whole bank's, nor another department's); everybody else sees none."""
    queryset = Report.objects.select_related("generated_by", "department")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if roles.is_supervisor(user):
        return queryset
    department_ids = roles.owned_department_ids(user)
    if not department_ids:
        return queryset.none()
    return queryset.filter(department_id__in=department_ids)


def may_read_reports(user) -> bool:
    """Whether the user has any report to read: supervisors and department owners."""
    return roles.is_supervisor(user) or bool(roles.owned_department_ids(user))


def report_generation_list_for_user(user) -> QuerySet[ReportGeneration]:
    """The generations of the reports the user may see, and those the user asked for."""
    queryset = ReportGeneration.objects.select_related("report", "department")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if roles.is_supervisor(user):
        return queryset
    return queryset.filter(requested_by=user)
