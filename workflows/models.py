"""How a case moves, as data: service-level policies, escalation claims and the notification log."""
from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, router
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.states import Kind, Severity

from .policies import DEFAULT_SLA, Sla


class SlaPolicy(models.Model):
    """The clocks for one kind and severity; an admin can change them (PRODUCT section 3)."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    first_response_hours = models.PositiveSmallIntegerField(
        _("first response (hours)"), default=DEFAULT_SLA.first_response_hours, validators=[MinValueValidator(1)]
    )
    resolution_days = models.PositiveSmallIntegerField(
        _("resolution (days after the day of receipt)"),
        default=DEFAULT_SLA.resolution_days,
        validators=[MinValueValidator(1)],
    )
    owner_extension_max_days = models.PositiveSmallIntegerField(
        _("longest window a department owner may approve (days)"), default=DEFAULT_SLA.owner_extension_max_days
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("longest window a supervisor may approve (days)"), default=DEFAULT_SLA.max_extension_days
    )
    review_days = models.PositiveSmallIntegerField(
        _("review call-back (days after resolution)"), default=DEFAULT_SLA.review_days, validators=[MinValueValidator(1)]
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warn when this percentage of a window has gone"),
        default=DEFAULT_SLA.warning_percent,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )

    class Meta:
        ordering = ["kind", "severity"]
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        constraints = [models.UniqueConstraint(fields=["kind", "severity"], name="slapolicy_unique_kind_severity")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} / {self.get_severity_display()}"

    def clean(self) -> None:
        if not self.resolution_days <= self.owner_extension_max_days <= self.max_extension_days:
            raise ValidationError(
                {
                    "owner_extension_max_days": _(
                        "The windows must grow: resolution days <= owner maximum <= supervisor maximum."
                    )
                }
            )

    def as_sla(self) -> Sla:
        return Sla(**{name: getattr(self, name) for name in SLA_NUMBERS})

    @classmethod
    def sla_for(cls, *, kind: str, severity: str) -> Sla:
        """The policy for a kind and severity; the built-in defaults when no row exists.

        Read afresh on every call (one indexed row), so an edited policy applies to the next
        case. Hand-written SQL because every intake and transition runs it, and compiling the
        equivalent queryset costs several times the query.
        """
        sql, alias = _sla_statement(router.db_for_read(cls))
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [kind, severity])
            row = cursor.fetchone()
        return Sla(**dict(zip(SLA_NUMBERS, row, strict=True))) if row else DEFAULT_SLA


# The columns of SlaPolicy that make an Sla, in Sla's field order.
SLA_NUMBERS = tuple(Sla.__dataclass_fields__)


def _sla_column(name: str) -> str:
    """The database column of SlaPolicy's field ``name``; a field without one is a bug in the statement."""
    field = SlaPolicy._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"SlaPolicy.{name} has no database column")
    return field.column


@cache
def _sla_statement(alias: str) -> tuple[str, str]:
    quote = connections[alias].ops.quote_name
    opts = SlaPolicy._meta
    columns = ", ".join(quote(_sla_column(name)) for name in SLA_NUMBERS)
    sql = (
        f"SELECT {columns} FROM {quote(opts.db_table)} "
        f"WHERE {quote(_sla_column('kind'))} = %s AND {quote(_sla_column('severity'))} = %s"
    )
    return sql, alias


class Clock(models.TextChoices):
    """The clocks that have an escalation ladder (PRODUCT section 3)."""

    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    REVIEW = "review", _("Review call-back")


class EscalationLevel(models.IntegerChoices):
    WARNING = 1, _("Warning")
    OVERDUE = 2, _("Overdue")
    SUPERVISORS = 3, _("Escalated to supervisors")


class Escalation(models.Model):
    """The claim for one step of a ladder: at most one row per case, clock, deadline and level.

    The sweep inserts these with "on conflict do nothing" in the same transaction as the
    step's ``ComplaintEvent``; the unique constraint is what makes a step happen exactly
    once however many workers sweep at the same time. A moved deadline has another
    ``due`` and so a fresh ladder.
    """

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="escalations", verbose_name=_("case")
    )
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices)
    due = models.DateTimeField(_("deadline"))
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    created_at = models.DateTimeField(_("escalated at"), default=timezone.now)
    # The sweep run that claimed the step; its notifications are grouped per recipient.
    sweep = models.CharField(_("sweep"), max_length=32, db_index=True, editable=False)
    # The notification task (Celery task id) that took this step over for e-mailing; empty
    # until then. A sweep killed before it enqueued its notifications leaves it empty, and a
    # later sweep enqueues them.
    notify_batch = models.CharField(_("notification batch"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "clock", "due", "level"], name="escalation_unique_step"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(notify_batch=""), name="escalation_not_notified"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} / {self.get_level_display()}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationLog(models.Model):
    """One e-mail to one recipient; ``key`` makes sending idempotent (a retry never sends twice)."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recipient"),
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    escalation_ids = models.JSONField(_("escalations"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The error class only: messages from mail servers may quote addresses.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.key
