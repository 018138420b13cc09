"""The vocabulary of a case: lifecycle states and the choices of its classified fields."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintState(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# States in which the bank still owes the customer something.
OPEN_STATES = (
    ComplaintState.NEW,
    ComplaintState.ASSIGNED,
    ComplaintState.IN_PROGRESS,
    ComplaintState.RESOLVED,
)
# States in which the resolution clock runs.
UNRESOLVED_STATES = (ComplaintState.NEW, ComplaintState.ASSIGNED, ComplaintState.IN_PROGRESS)
FINAL_STATES = (
    ComplaintState.CLOSED,
    ComplaintState.REJECTED,
    ComplaintState.MERGED,
    ComplaintState.WITHDRAWN,
)


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    INQUIRY = "inquiry", _("Inquiry")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Online chat")
    WECHAT = "wechat", _("WeChat")
    APP = "app", _("Mobile app")
    WEB = "web", _("Web form")
    BRANCH = "branch", _("Branch")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    REGULATOR = "regulator", _("Regulator referral")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
    NOT_UPHELD = "not_upheld", _("Not upheld")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in_person", _("In person")
    APP = "app", _("In-app message")


class Closure(models.TextChoices):
    ACCEPTED = "accepted", _("Customer accepted")
    UNREACHABLE = "unreachable", _("Customer unreachable")


class ExtensionStatus(models.TextChoices):
    NONE = "", _("None")
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


# The name of each lifecycle transition as staff read it (buttons, messages).
TRANSITION_LABELS = {
    "assign": _("Assign"),
    "reassign": _("Reassign"),
    "respond": _("Record first response"),
    "request_extension": _("Request extension"),
    "approve_extension": _("Approve extension"),
    "deny_extension": _("Deny extension"),
    "resolve": _("Resolve"),
    "record_callback_attempt": _("Record failed call-back"),
    "close": _("Close (customer accepts)"),
    "close_unreachable": _("Close as unreachable"),
    "reopen": _("Reopen (customer does not accept)"),
    "reject": _("Reject"),
    "merge": _("Merge into another case"),
    "withdraw": _("Withdraw"),
}
