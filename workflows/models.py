"""How a case moves, as data: service-level policies, escalation claims and the notification log."""
from __future__ import annotations

from datetime import time
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, router
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from complaints.states import Channel, Kind, Severity

from .calendars import Unit
from .policies import DEFAULT_SLA, Sla


class Calendar(models.Model):
    """A business calendar: which days are working days (``workflows.calendars`` counts on it).

    The weekend plus dated exceptions: holidays, and weekend days that are working days
    (mainland China's make-up days, 调休). ``first_year``..``last_year`` is what has been
    loaded; a deadline in another year is counted on the weekend alone and says so.
    """

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Python weekday numbers (Monday = 0); Saturday and Sunday unless the bank says otherwise.
    weekend_days = models.JSONField(_("weekend days"), default=list, help_text=_("Weekday numbers: Monday is 0, Sunday 6."))
    first_year = models.PositiveSmallIntegerField(_("first year loaded"), null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(_("last year loaded"), null=True, blank=True)
    # Bumped by every change of the calendar or its days, so caches know when to reload.
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language: a packaged calendar not renamed by the bank has its name translated."""
        from .calendar_sources import SOURCES

        source = next((source for source in SOURCES.values() if source.code == self.code), None)
        if source is not None:
            with translation.override("en"):
                packaged = str(source.name)
            if self.name == packaged:
                return str(source.name)
        return self.name

    def clean(self) -> None:
        days = self.weekend_days
        if not isinstance(days, list) or any(not isinstance(day, int) or not 0 <= day <= 6 for day in days) or len(set(days)) != len(days):
            raise ValidationError({"weekend_days": _("List weekday numbers from 0 (Monday) to 6 (Sunday), each once.")})
        if len(days) == 7:
            raise ValidationError({"weekend_days": _("A week needs at least one working day.")})
        if (self.first_year is None) != (self.last_year is None) or (
            self.first_year is not None and self.last_year is not None and self.first_year > self.last_year
        ):
            raise ValidationError({"last_year": _("Give both years, the first no later than the last.")})


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKING_DAY = "working_day", _("Working day")


class CalendarDay(models.Model):
    """A dated exception to a calendar's weekend rule."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendarday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}"

    @property
    def label(self) -> str:
        """The day's name in the reader's language where it is a packaged holiday's name."""
        from .calendar_sources import HOLIDAY_NAMES

        return translation.gettext(self.name) if self.name in HOLIDAY_NAMES else self.name


class SlaPolicy(models.Model):
    """The clocks for one kind and severity; an admin can change them (PRODUCT section 3)."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    first_response_hours = models.PositiveSmallIntegerField(
        _("first response (hours)"), default=DEFAULT_SLA.first_response_hours, validators=[MinValueValidator(1)]
    )
    resolution_window = models.PositiveSmallIntegerField(
        _("resolution window"),
        default=DEFAULT_SLA.resolution_window,
        validators=[MinValueValidator(1)],
        help_text=_("Counted in the unit below, from receipt."),
    )
    resolution_unit = models.CharField(
        _("resolution unit"),
        max_length=20,
        choices=[(unit.value, unit.label) for unit in Unit if unit != Unit.HOURS],
        default=DEFAULT_SLA.resolution_unit,
    )
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("business calendar"),
        help_text=_("Which days are working days. Empty: Saturday and Sunday are the only days off."),
    )
    count_receipt_day = models.BooleanField(
        _("the day of receipt counts"),
        default=DEFAULT_SLA.count_receipt_day,
        help_text=_("Off: the window starts the day after receipt (Civil Code Art. 201)."),
    )
    cutoff_time = models.TimeField(
        _("close of business"),
        null=True,
        blank=True,
        help_text=_("A case received later in the day counts as received on the next working day. Empty: no cut-off."),
    )
    roll_over = models.BooleanField(
        _("a last day that is not a working day moves to the next working day"),
        default=DEFAULT_SLA.roll_over,
        help_text=_("Civil Code Art. 203. Business-day windows always end on a working day."),
    )
    owner_extension_max_days = models.PositiveSmallIntegerField(
        _("longest window a department owner may approve"),
        default=DEFAULT_SLA.owner_extension_max_days,
        help_text=_("In days of the window's unit: business days for a business-day window, otherwise calendar days (a week is 7)."),
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("longest window a supervisor may approve"),
        default=DEFAULT_SLA.max_extension_days,
        help_text=_("In days of the window's unit, as above."),
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
        if not self.as_sla().window_days <= self.owner_extension_max_days <= self.max_extension_days:
            raise ValidationError(
                {
                    "owner_extension_max_days": _(
                        "The windows must grow: resolution days <= owner maximum <= supervisor maximum."
                    )
                }
            )

    def as_sla(self) -> Sla:
        revision = self.calendar.revision if self.calendar is not None else None
        return Sla(**{name: getattr(self, name) for name in SLA_COLUMNS}, calendar_revision=revision)

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
        if not row:
            return DEFAULT_SLA
        values = dict(zip((*SLA_COLUMNS, "calendar_revision"), row, strict=True))
        if isinstance(values["cutoff_time"], str):  # SQLite keeps a time as text
            values["cutoff_time"] = time.fromisoformat(values["cutoff_time"])
        return Sla(**values)


class PolicyChange(models.Model):
    """One edit of a service-level policy: its numbers before and after (the report prints the ones in force)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="changes", verbose_name=_("policy"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("changed by")
    )
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("policy change")
        verbose_name_plural = _("policy changes")
        indexes = [models.Index(fields=["changed_at"], name="policychange_at")]

    def __str__(self) -> str:
        return f"{self.policy} {self.changed_at.isoformat()}"


def policy_numbers(policy: SlaPolicy) -> dict[str, object]:
    """A policy's numbers as stored in a PolicyChange: JSON values, the calendar by code."""
    numbers: dict[str, object] = {name: getattr(policy, name) for name in SLA_COLUMNS if name != "calendar_id"}
    numbers["cutoff_time"] = policy.cutoff_time.strftime("%H:%M") if policy.cutoff_time else None
    numbers["calendar"] = policy.calendar.code if policy.calendar is not None else None
    return numbers


# The columns of SlaPolicy that make an Sla, in Sla's field order; the calendar's revision comes with them.
SLA_COLUMNS = tuple(name for name in Sla.__dataclass_fields__ if name != "calendar_revision")


def _sla_column(name: str) -> str:
    """The database column of SlaPolicy's field ``name``; a field without one is a bug in the statement."""
    field = SlaPolicy._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"SlaPolicy.{name} has no database column")
    return field.column


@cache
def _sla_statement(alias: str) -> tuple[str, str]:
    quote = connections[alias].ops.quote_name
    policy, calendar = quote(SlaPolicy._meta.db_table), quote(Calendar._meta.db_table)
    columns = ", ".join(f"{policy}.{quote(_sla_column(name))}" for name in SLA_COLUMNS)
    sql = (
        f"SELECT {columns}, {calendar}.{quote('revision')} FROM {policy} "
        f"LEFT JOIN {calendar} ON {calendar}.{quote('id')} = {policy}.{quote(_sla_column('calendar'))} "
        f"WHERE {policy}.{quote(_sla_column('kind'))} = %s AND {policy}.{quote(_sla_column('severity'))} = %s"
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


class TargetMeasures(models.TextChoices):
    """Which of the regulator's clocks a bank's own target shadows: its start and stop."""

    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class ClockTarget(models.Model):
    """A bank's own target beside the regulator's clock, e.g. "resolve in 5 business days".

    It starts and stops with the clock it ``measures`` (first response: receipt to response;
    resolution: receipt, or reopening and new facts, to resolution; a pause stops it too) and has
    its own deadline, warning and a two-step ladder: the warning to the department's people, the
    deadline passed to its owners. Only cases logged while it is active get it.
    """

    #: Escalation claims of a target use this prefix and the code as their clock.
    CLOCK_PREFIX = "target:"

    code = models.SlugField(_("code"), max_length=12, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Simplified Chinese)"), max_length=100)
    measures = models.CharField(_("clock measured"), max_length=20, choices=TargetMeasures.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True, help_text=_("Empty: every kind."))
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, blank=True, help_text=_("Empty: every severity.")
    )
    category = models.ForeignKey(
        "complaints.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("Empty: every category. For example payment services (FCA DISP 1.6.2A: 15 business days)."),
    )
    window = models.PositiveSmallIntegerField(_("window"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    calendar = models.ForeignKey(
        Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("business calendar")
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warn when this percentage of the window has gone"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Empty: no warning step."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("internal target")
        verbose_name_plural = _("internal targets")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") and self.name_zh else self.name_en

    @property
    def clock(self) -> str:
        return f"{self.CLOCK_PREFIX}{self.code}"


class CaseTarget(models.Model):
    """One internal target running (or stopped) on one case."""

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="targets", verbose_name=_("case")
    )
    target = models.ForeignKey(ClockTarget, on_delete=models.PROTECT, related_name="cases", verbose_name=_("target"))
    started_at = models.DateTimeField(_("started at"))
    due = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        verbose_name = _("case target")
        verbose_name_plural = _("case targets")
        indexes = [
            models.Index(fields=["due"], condition=Q(stopped_at__isnull=True), name="casetarget_open_due"),
            models.Index(fields=["warn_at"], condition=Q(stopped_at__isnull=True), name="casetarget_open_warn"),
            models.Index(fields=["complaint", "stopped_at"], name="casetarget_case"),
        ]

    def __str__(self) -> str:
        return f"{self.target} / {self.due.isoformat()}"

    @property
    def met(self) -> bool | None:
        """Stopped at or before its deadline; None while it runs."""
        return None if self.stopped_at is None else self.stopped_at <= self.due


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


# --- importing history (workflows.imports) -------------------------------------------------
class ImportSource(models.TextChoices):
    CFPB = "cfpb", _("CFPB public complaint database")


class MappedColumn(models.TextChoices):
    PRODUCT = "product", _("Product / Sub-product")
    SUBMITTED_VIA = "submitted_via", _("Submitted via")


class ImportMapping(models.Model):
    """How one value of a source's column becomes ours: a Product (and Sub-product) a category,
    a "Submitted via" a channel. A value with no row here makes its row bad: never guessed.

    A Product's row with an empty sub-product applies to every sub-product that has no row of
    its own.
    """

    source = models.CharField(_("source"), max_length=10, choices=ImportSource.choices, default=ImportSource.CFPB)
    column = models.CharField(_("column"), max_length=20, choices=MappedColumn.choices)
    value = models.CharField(_("value in the file"), max_length=200, help_text=_("Exactly as the file writes it."))
    sub_value = models.CharField(
        _("sub-product in the file"), max_length=200, blank=True, default="", help_text=_("Empty: any sub-product.")
    )
    category = models.ForeignKey(
        "complaints.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True, default="")

    class Meta:
        ordering = ["source", "column", "value", "sub_value"]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(fields=["source", "column", "value", "sub_value"], name="import_mapping_unique_value"),
        ]

    def __str__(self) -> str:
        return f"{self.value} / {self.sub_value}" if self.sub_value else self.value

    def clean(self) -> None:
        if self.column == MappedColumn.PRODUCT:
            if self.category_id is None:
                raise ValidationError({"category": _("A product maps to a category.")})
            self.channel = ""
        elif self.column == MappedColumn.SUBMITTED_VIA:
            if not self.channel:
                raise ValidationError({"channel": _("A “Submitted via” value maps to a channel.")})
            if self.sub_value:
                raise ValidationError({"sub_value": _("Only a product has sub-products.")})
            self.category = None


class ImportStatus(models.TextChoices):
    # A run with bad rows writes nothing and records no run, unless --skip-bad: then it is done,
    # and rows_bad says how many rows it left out.
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    INTERRUPTED = "interrupted", _("Interrupted; run it again to resume")


class ImportRun(models.Model):
    """One run of ``import_complaints`` over one file: what it read and wrote, and its checkpoint.

    Rows are committed in batches; ``committed_line`` is the last line of the last committed
    batch, so a run over the same file (same checksum) that was interrupted resumes after it.
    """

    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    format = models.CharField(_("format"), max_length=10)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    os_user = models.CharField(_("operating-system user"), max_length=150, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_imported = models.PositiveIntegerField(_("cases imported"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("rows imported before, unchanged"), default=0)
    rows_bad = models.PositiveIntegerField(_("bad rows"), default=0)
    committed_line = models.PositiveIntegerField(_("last line committed"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.file_name} ({timezone.localtime(self.started_at):%Y-%m-%d %H:%M})"


# --- surge alerts (workflows.surges) -------------------------------------------------------
class SurgeDimension(models.TextChoices):
    CATEGORY = "category", _("Category")
    CAUSE = "cause", _("Root cause")
    PRODUCT = "product", _("Product")


class SurgeAlertState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SurgeAlert(models.Model):
    """One surge of one category, cause or product: detected once, grown while it lasts, closed by a supervisor.

    ``workflows.surges`` states the rule and writes every row. At most one alert per key is
    open (the partial unique constraint), so checks racing on the same surge make one alert.
    The numbers of the first detection stay as they were (``current_count``, the baseline and
    the threshold); later detections raise ``peak_count``, move ``last_seen_at`` and link the
    cases of their window. A closed alert is never changed again.
    """

    dimension = models.CharField(_("dimension"), max_length=10, choices=SurgeDimension.choices)
    # A category's or cause's code; a product's text as the cases carry it.
    key = models.CharField(_("key"), max_length=200)
    label_en = models.CharField(_("name (English)"), max_length=200)
    label_zh = models.CharField(_("name (Simplified Chinese)"), max_length=200)
    window_hours = models.PositiveSmallIntegerField(_("window (hours)"))
    detected_at = models.DateTimeField(_("detected at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    current_count = models.PositiveIntegerField(_("cases when detected"))
    peak_count = models.PositiveIntegerField(_("most cases in a window"))
    # The same hours of each earlier week, the most recent week first.
    baseline_counts = models.JSONField(_("baseline counts"), default=list)
    baseline_mean = models.FloatField(_("baseline mean"))
    baseline_sd = models.FloatField(_("baseline standard deviation"))
    sigma = models.FloatField(_("standard deviations above the mean"))
    min_count = models.PositiveIntegerField(_("minimum cases"))
    threshold = models.FloatField(_("threshold"))
    state = models.CharField(_("state"), max_length=10, choices=SurgeAlertState.choices, default=SurgeAlertState.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("closed by")
    )
    close_note = models.TextField(_("closing note"), blank=True)
    # Set once every supervisor's e-mail about the alert has gone (each one is claimed in the notification log).
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    cases = models.ManyToManyField(
        "complaints.Complaint", through="SurgeAlertCase", related_name="surge_alerts", verbose_name=_("cases")
    )

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("surge alert")
        verbose_name_plural = _("surge alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "key"], condition=Q(state="open"), name="surgealert_one_open_per_key"
            ),
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True) | Q(state="closed", closed_at__isnull=False),
                name="surgealert_closed_at_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["detected_at"], name="surgealert_detected"),
            # The quiet rule: the last closed alert of a key.
            models.Index(
                fields=["dimension", "key", "last_seen_at"], condition=Q(state="closed"), name="surgealert_closed_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()}: {self.label}"

    @property
    def label(self) -> str:
        """The key's name in the active language."""
        return self.label_in(translation.get_language() or "")

    def label_in(self, language: str) -> str:
        """The key's name in ``language``."""
        return self.label_zh if language.startswith("zh") and self.label_zh else self.label_en


class SurgeAlertCase(models.Model):
    """One case linked to a surge alert: a case in the window of a detection, linked once."""

    alert = models.ForeignKey(SurgeAlert, on_delete=models.PROTECT, related_name="links", verbose_name=_("surge alert"))
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, related_name="+", verbose_name=_("case")
    )
    linked_at = models.DateTimeField(_("linked at"))

    class Meta:
        ordering = ["alert", "complaint"]
        verbose_name = _("case of a surge alert")
        verbose_name_plural = _("cases of surge alerts")
        constraints = [models.UniqueConstraint(fields=["alert", "complaint"], name="surgealertcase_unique_case")]

    def __str__(self) -> str:
        return f"{self.alert_id} / {self.complaint_id}"
