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
    FAX = "fax", _("Fax")
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
    # The case carries no phone or e-mail (a regulator referral, imported history): nobody to call.
    NO_CONTACT = "no_contact", _("Closed without call-back (no contact details)")


class NarrativeConsent(models.TextChoices):
    """Whether the customer agreed that the regulator publishes their narrative (CFPB "Consumer consent provided?")."""

    PROVIDED = "provided", _("Consent provided")
    NOT_PROVIDED = "not_provided", _("Consent not provided")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    OTHER = "other", _("Other")


class ExtensionStatus(models.TextChoices):
    NONE = "", _("None")
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class PauseReason(models.TextChoices):
    """Why the resolution clock may stop (PRODUCT section 2): time the bank does not control."""

    APPRAISAL = "appraisal", _("External appraisal, testing or valuation")
    MEDIATION = "mediation", _("Mediation")
    AWAITING_DOCUMENTS = "awaiting_documents", _("Awaiting the customer's documents")


class EventKind(models.TextChoices):
    """What a line of a case's history records: intake, each transition, an escalation step."""

    CREATED = "created", _("Logged")
    ASSIGN = "assign", _("Routed")
    REASSIGN = "reassign", _("Reassigned")
    RESPOND = "respond", _("First response")
    REQUEST_EXTENSION = "request_extension", _("Extension requested")
    APPROVE_EXTENSION = "approve_extension", _("Extension approved")
    DENY_EXTENSION = "deny_extension", _("Extension denied")
    RESOLVE = "resolve", _("Resolved")
    RECORD_CALLBACK_ATTEMPT = "record_callback_attempt", _("Call-back attempt failed")
    CLOSE = "close", _("Closed, customer accepts")
    CLOSE_UNREACHABLE = "close_unreachable", _("Closed, customer unreachable")
    CLOSE_WITHOUT_CALLBACK = "close_without_callback", _("Closed without call-back")
    REOPEN = "reopen", _("Reopened")
    REJECT = "reject", _("Rejected")
    MERGE = "merge", _("Merged")
    WITHDRAW = "withdraw", _("Withdrawn")
    PAUSE = "pause", _("Resolution clock paused")
    RESUME = "resume", _("Resolution clock resumed")
    NEW_FACTS = "new_facts", _("New facts; resolution clock restarted")
    ESCALATION = "escalation", _("Escalation")
    IMPORTED = "imported", _("Imported")
