"""How a case moves, as data: service-level policies per kind and severity."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
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
        _("warn when this % of a window has gone"),
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
        return Sla(
            first_response_hours=self.first_response_hours,
            resolution_days=self.resolution_days,
            owner_extension_max_days=self.owner_extension_max_days,
            max_extension_days=self.max_extension_days,
            review_days=self.review_days,
            warning_percent=self.warning_percent,
        )

    @classmethod
    def sla_for(cls, *, kind: str, severity: str) -> Sla:
        """The policy for a kind and severity; the built-in defaults when no row exists."""
        policy = cls.objects.filter(kind=kind, severity=severity).first()
        return policy.as_sla() if policy else DEFAULT_SLA
