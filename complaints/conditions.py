"""Guards for the lifecycle: pure functions of a case, a user and the current time.

Conditions take the case only; permissions take the case and the user. None of them writes.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import timezone

from . import roles
from .states import ExtensionStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# How many recorded call-back attempts allow closing a case as unreachable.
MIN_CALLBACK_ATTEMPTS = 3


# --- conditions (case only) ---------------------------------------------------------
def extension_not_pending(complaint) -> bool:
    return complaint.extension_status != ExtensionStatus.PENDING


def extension_pending(complaint) -> bool:
    return complaint.extension_status == ExtensionStatus.PENDING


def resolution_clock_running(complaint) -> bool:
    return complaint.resolution_paused_at is None


def resolution_clock_paused(complaint) -> bool:
    return complaint.resolution_paused_at is not None


def resolution_deadline_not_passed(complaint) -> bool:
    """An extension must be asked for and approved before the resolution deadline passes."""
    return complaint.resolution_due is None or timezone.now() <= complaint.resolution_due


def has_contact(complaint) -> bool:
    """A phone number or an e-mail address to call the customer back on."""
    return bool(complaint.customer_phone or complaint.customer_email)


def has_no_contact(complaint) -> bool:
    return not has_contact(complaint)


def may_close_unreachable(complaint) -> bool:
    """At least three recorded call-back attempts, or the review clock has run out."""
    if complaint.callback_attempts >= MIN_CALLBACK_ATTEMPTS:
        return True
    return complaint.review_due is not None and timezone.now() > complaint.review_due


# --- permissions (case and user) ----------------------------------------------------
def in_case_department(complaint, user) -> bool:
    return complaint.department_id is not None and complaint.department_id in roles.member_department_ids(user)


def owns_case_department(complaint, user) -> bool:
    return complaint.department_id is not None and complaint.department_id in roles.owned_department_ids(user)


def may_route(complaint, user) -> bool:
    """Log, assign, reject, merge and record a withdrawal: customer service and supervisors."""
    return roles.is_supervisor(user) or roles.is_cs_staff(user)


def may_reassign(complaint, user) -> bool:
    """Routing staff move cases anywhere; a department owner may re-route within the department."""
    return may_route(complaint, user) or owns_case_department(complaint, user)


def may_work_case(complaint, user) -> bool:
    """Resolve and ask for extensions: the case's department, and supervisors."""
    return roles.is_supervisor(user) or in_case_department(complaint, user)


def may_respond(complaint, user) -> bool:
    """The first response may come from the department or from customer service."""
    return may_work_case(complaint, user) or roles.is_cs_staff(user)


def may_decide_extension(complaint, user) -> bool:
    """The department owner decides within the owner tier; beyond it only a supervisor."""
    if roles.is_supervisor(user):
        return True
    return owns_case_department(complaint, user) and not complaint.extension_requires_supervisor


def may_review(complaint, user) -> bool:
    """The call-back is customer service's, never the handling department's own."""
    if roles.is_supervisor(user):
        return True
    return roles.is_cs_staff(user) and not in_case_department(complaint, user)


# What each condition means when it fails; shown to the user with a 409.
def _explanations() -> dict[Callable[..., bool], StrPromise]:
    from django.utils.translation import gettext_lazy as _

    return {
        extension_not_pending: _("An extension request is already waiting for a decision."),
        extension_pending: _("There is no extension request waiting for a decision."),
        resolution_deadline_not_passed: _(
            "The resolution deadline has passed; an extension must be asked for and approved before it."
        ),
        resolution_clock_running: _("The resolution clock is paused; resume it first."),
        resolution_clock_paused: _("The resolution clock is not paused."),
        has_contact: _(
            "The case has no phone number or e-mail address to call the customer back on; close it without call-back."
        ),
        has_no_contact: _("The case has contact details: call the customer back instead."),
        may_close_unreachable: _(
            "A case can be closed as unreachable only after three recorded call-back attempts "
            "or once the review period has run out."
        ),
    }


EXPLANATIONS = _explanations()


def explanation(condition: Callable[..., bool]) -> str:
    """What an unmet condition means, for people; the function's name if it has no explanation."""
    return str(EXPLANATIONS.get(condition, condition.__name__))
