"""What a case is: departments, categories, causes, the complaint with its lifecycle, and its events.

The lifecycle is declared here because django-fsm binds transitions to model methods; the
methods only change fields. Locking, deadlines, events and side effects live in
``workflows.services``, which is the only caller of these methods.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from . import clocks, conditions
from .customers import EMAIL_MATCHED, ID_NUMBER_MATCHED, normalize_phone, validate_phone  # noqa: F401  (re-exported; migrations name complaints.models.validate_phone)
from .states import (
    OPEN_STATES,
    Channel,
    Closure,
    ComplaintState,
    ContactMethod,
    ExtensionStatus,
    Kind,
    NarrativeConsent,
    Outcome,
    PauseReason,
    Severity,
)

S = ComplaintState

# When a case stops being open: its closed_at, or never while it is still open. A case is open
# at a moment when it was received before it and OPEN_UNTIL is at or after it; written this way
# the test is one index range (the report's complaint_rep_open index).
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
OPEN_UNTIL = Coalesce(F("closed_at"), Value(NEVER), output_field=DateTimeField())

code_validator = models.SlugField().validators[0]


class BilingualNameMixin(models.Model):
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Simplified Chinese)"), max_length=120)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        language = (get_language() or "en").lower()
        return self.name_zh if language.startswith("zh") and self.name_zh else self.name_en


class Department(BilingualNameMixin):
    """A unit that must fix what a case is about; its people see only its cases."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="owned_departments", verbose_name=_("owners")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="member_departments", verbose_name=_("members")
    )
    notification_email = models.EmailField(_("notification e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class Category(BilingualNameMixin):
    """What a case is about (JR/T 0169 business axis); may route new cases to a department."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    default_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routed_categories",
        verbose_name=_("default department"),
        help_text=_("New cases in this category are assigned here automatically."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class Cause(BilingualNameMixin):
    """Root cause recorded at resolution (JR/T 0169-2018 cause axis); the reports' Pareto."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("cause")
        verbose_name_plural = _("causes")


class ReferenceCounter(models.Model):
    """The last reference number handed out on one local day."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"

    @classmethod
    def next_reference(cls, day: date) -> str:
        """Allocate ``C-YYYYMMDD-NNNNNN`` for ``day`` in one statement.

        The upsert takes the day's row lock until the caller's transaction ends, so two
        intakes never get the same number (PostgreSQL row lock; SQLite's write lock).
        """
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
                f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
                [day],
            )
            number = cursor.fetchone()[0]
        return f"C-{day:%Y%m%d}-{number:06d}"


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def open(self) -> ComplaintQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Complaint(ConcurrentTransitionMixin, models.Model):
    """One complaint, suggestion, praise or inquiry, from intake to the customer's acceptance."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPLAINT)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("category")
    )
    cause = models.ForeignKey(
        Cause, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("root cause")
    )
    subject = models.CharField(_("subject"), max_length=200)
    # Long enough for a regulator's published narrative (the longest CFPB one seen: 21,928 characters).
    description = models.TextField(_("description"), max_length=100000, blank=True)
    # What the case is about as the source classified it (the CFPB's Product / Sub-product /
    # Issue / Sub-issue, or the bank's own product line): kept verbatim beside our category,
    # which the import mapping derives from them.
    product = models.CharField(_("product"), max_length=200, blank=True, default="")
    sub_product = models.CharField(_("sub-product"), max_length=200, blank=True, default="")
    issue = models.CharField(_("issue"), max_length=200, blank=True, default="")
    sub_issue = models.CharField(_("sub-issue"), max_length=200, blank=True, default="")
    company = models.CharField(
        _("company or branch"), max_length=200, blank=True, default="",
        help_text=_("The legal entity or branch the complaint is about."),
    )

    # A regulator referral or imported history may come without a name or any contact detail
    # (intake_errors says when one is needed); such a case closes without a call-back.
    customer_name = models.CharField(_("customer name"), max_length=100, blank=True)
    customer_phone = models.CharField(
        _("customer phone"), max_length=32, blank=True, validators=[validate_phone], db_index=True
    )
    customer_email = models.EmailField(_("customer e-mail"), max_length=254, blank=True)
    customer_id_number = models.CharField(_("customer ID number"), max_length=32, blank=True)
    customer_account = models.CharField(_("customer account"), max_length=34, blank=True)
    customer_region = models.CharField(
        _("customer's region"), max_length=60, blank=True, default="", help_text=_("State or province.")
    )
    customer_tags = models.JSONField(
        _("customer tags"), default=list, blank=True, help_text=_('Such as "Older American" or "Servicemember".')
    )
    narrative_consent = models.CharField(
        _("consent to publish the narrative"), max_length=20, choices=NarrativeConsent.choices, blank=True, default=""
    )

    external_id = models.CharField(
        _("external ID"), max_length=64, blank=True, default="", help_text=_("The channel system's own id.")
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    # A regulator referral: how the customer reached the regulator, and when the regulator sent
    # the case on to the bank. The bank's clocks start then (CN 2020 Order No. 3 Art. 33; the
    # CFPB's "Date sent to company"); received_at stays the regulator's own date of receipt.
    submitted_via = models.CharField(
        _("submitted to the regulator via"), max_length=20, choices=Channel.choices, blank=True, default=""
    )
    sent_to_bank_at = models.DateTimeField(_("sent to the bank at"), null=True, blank=True)
    created_at = models.DateTimeField(_("logged at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("logged by"),
    )

    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("department"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
        verbose_name=_("assignee"),
    )
    state = FSMField(_("state"), default=S.NEW, choices=ComplaintState.choices, protected=True, db_index=True)
    # Incremented by every write; a form that saw another version gets a conflict.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    # When the clock's warning step is due (its policy's warning band); written with the deadline.
    first_response_warn_at = models.DateTimeField(_("first response warning at"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    first_response_method = models.CharField(
        _("first response method"), max_length=20, choices=ContactMethod.choices, blank=True
    )
    # The resolution clock starts at receipt and restarts when a case is reopened (new facts).
    resolution_clock_started_at = models.DateTimeField(_("resolution clock started at"), null=True, blank=True)
    resolution_window_days = models.PositiveSmallIntegerField(
        _("resolution window (in the policy's unit)"), default=15
    )
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(_("resolution warning at"), null=True, blank=True)
    # pause/resume: while paused_at is set the resolution clock stands still; resume moves the
    # deadline by the time paused and adds it to resolution_paused_total.
    resolution_paused_at = models.DateTimeField(_("resolution clock paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=20, choices=PauseReason.choices, blank=True)
    resolution_paused_total = models.DurationField(_("resolution clock paused in all"), default=timedelta(0))
    # Years the resolution deadline was counted through without their business calendar
    # (weekends only), e.g. "2027"; empty when the calendar covered every day counted.
    calendar_gaps = models.CharField(_("calendar not loaded for"), max_length=40, blank=True, default="")
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    review_due = models.DateTimeField(_("review due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Written by the escalation sweep (workflows.escalation); reset when a deadline moves.
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)

    extension_status = models.CharField(
        _("extension"), max_length=10, choices=ExtensionStatus.choices, blank=True, default=ExtensionStatus.NONE
    )
    extension_requested_days = models.PositiveSmallIntegerField(_("extension days requested"), null=True, blank=True)
    extension_reason = models.TextField(_("extension reason"), blank=True)
    extension_requested_at = models.DateTimeField(_("extension requested at"), null=True, blank=True)
    extension_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("extension requested by"),
    )
    extension_requires_supervisor = models.BooleanField(_("extension needs a supervisor"), default=False)

    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    resolution_summary = models.TextField(_("resolution summary"), blank=True, max_length=10000)
    compensation = models.DecimalField(
        _("compensation"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    review_notes = models.TextField(_("review notes"), blank=True)
    closure = models.CharField(_("closure"), max_length=20, choices=Closure.choices, blank=True)
    # What the bank reported to the regulator, as the regulator publishes it (CFPB).
    company_response = models.CharField(_("response reported to the regulator"), max_length=60, blank=True, default="")
    public_response = models.TextField(_("public response"), blank=True, default="")
    timely_response = models.BooleanField(_("timely response (the regulator's judgement)"), null=True, blank=True)
    consumer_disputed = models.BooleanField(_("customer disputed the response"), null=True, blank=True)
    # Set on cases brought in by import_complaints (their "imported" event says from which file
    # and line); such a case keeps its own dates, and steps already past never notify.
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True, editable=False)
    callback_attempts = models.PositiveSmallIntegerField(_("call-back attempts"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        verbose_name=_("merged into"),
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="complaint_unique_channel_external_id",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="complaint_satisfaction_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "state"], name="complaint_dept_state"),
            models.Index(fields=["category", "received_at"], name="complaint_category_received"),
            # The report's figures (reports.figures) each count the cases whose clock column
            # falls in a period. One covering index per clock column, holding every column those
            # figures read, lets PostgreSQL answer each figure from the index alone instead of
            # visiting ~100,000 scattered table rows (25 ms instead of 150-300 ms per figure at
            # 1,000,000 cases; benchmarks/report.py). Merged cases are never counted, so they are
            # left out. SQLite ignores INCLUDE and builds plain partial indexes.
            *[
                models.Index(fields=[key], include=include, condition=~Q(state=S.MERGED), name=f"complaint_rep_{name}")
                for key, name, include in (
                    ("received_at", "received", ["category", "cause", "channel", "department"]),
                    ("first_response_due", "first_resp_due", ["first_responded_at", "closed_at", "channel", "department"]),
                    ("resolution_due", "resolution_due", ["resolved_at", "closed_at", "department"]),
                    ("first_responded_at", "first_responded", ["received_at", "department"]),
                    ("resolved_at", "resolved", ["received_at", "cause", "resolution_paused_total", "department"]),
                    ("review_due", "review_due", ["closure", "department"]),
                    ("closed_at", "closed", ["satisfaction", "closure", "reopen_count", "channel", "department"]),
                )
            ],
            # How many of a period's cases were imported (the report's headline): a partial index of the
            # imported cases alone, so that counting them costs nothing in a period without any, and the
            # received figure's covering index stays as narrow as before imports existed.
            models.Index(
                fields=["received_at"], condition=~Q(state=S.MERGED) & Q(imported_at__isnull=False), name="complaint_rep_imported"
            ),
            # The cases a figure counts (not merged) by key, for figures over rows of other tables that
            # point at cases (the internal targets' compliance): a semi-join that reads this index
            # alone, also for one department's report.
            # Also whether such a case is open at a moment (the reopen rate's "still open").
            models.Index(
                fields=["id"], include=["department", "closed_at", "received_at"], condition=~Q(state=S.MERGED),
                name="complaint_rep_counted",
            ),
            # "Open at a moment" is one range over closed_at-or-never (see OPEN_UNTIL); closed_at itself
            # is included because PostgreSQL only scans an expression index alone when it holds
            # the expression's columns too; id lets the report list the oldest open cases from it,
            # and each clock's deadline and stop say which were overdue then, on which clock.
            models.Index(
                OPEN_UNTIL,
                include=[
                    "closed_at", "received_at", "resolution_due", "resolved_at", "department", "escalation_level", "id",
                    "first_response_due", "first_responded_at", "review_due",
                ],
                condition=~Q(state=S.MERGED),
                name="complaint_rep_open",
            ),
            # The escalation sweep's reads (workflows.escalation): each clock's deadline and its
            # warning instant, over the cases whose clock runs only (complaints.clocks).
            *[
                models.Index(fields=[field], condition=clock.running, name=name)
                for clock, field, name in (
                    (clocks.FIRST_RESPONSE, "first_response_due", "complaint_first_resp_open"),
                    (clocks.FIRST_RESPONSE, "first_response_warn_at", "complaint_first_resp_warn"),
                    (clocks.RESOLUTION, "resolution_due", "complaint_resolution_open"),
                    (clocks.RESOLUTION, "resolution_warn_at", "complaint_resolution_warn"),
                    (clocks.REVIEW, "review_due", "complaint_review_open"),
                )
            ],
            # The admin's escalation filter; only escalated cases are indexed, so the sweep's
            # level updates on fresh escalations stay cheap.
            models.Index(
                fields=["escalation_level"], condition=Q(escalation_level__gte=1), name="complaint_escalated"
            ),
            # A customer's other cases and the customer search (complaints.customers) match e-mail
            # and ID number on their normalised form, computed by these same expressions, so that
            # rows stored before intake normalised them still match; the account as stored.
            models.Index(EMAIL_MATCHED, name="complaint_email_norm"),
            models.Index(ID_NUMBER_MATCHED, name="complaint_id_number_norm"),
            models.Index(fields=["customer_account"], name="complaint_account"),
        ]

    def __str__(self) -> str:
        return self.reference or "(new case)"

    # --- the lifecycle: field changes only -------------------------------------------
    @transition(
        field=state,
        source=S.NEW,
        target=S.ASSIGNED,
        permission=conditions.may_route,
        custom={"label": _("Assign")},
    )
    def assign(self, *, department: Department, assignee=None) -> None:
        self.department = department
        self.assignee = assignee

    @transition(
        field=state, source=[S.ASSIGNED, S.IN_PROGRESS], target=S.ASSIGNED, permission=conditions.may_reassign,
        custom={"label": _("Reassign")},
    )
    def reassign(self, *, department: Department, assignee=None) -> None:
        self.department = department
        self.assignee = assignee

    @transition(
        field=state,
        source=S.ASSIGNED,
        target=S.IN_PROGRESS,
        permission=conditions.may_respond,
        custom={"label": _("Record first response")},
    )
    def respond(self, *, contact_method: str, at) -> None:
        if self.first_responded_at is None:
            self.first_responded_at = at
            self.first_response_method = contact_method

    @transition(
        field=state,
        source=[S.ASSIGNED, S.IN_PROGRESS],
        target=None,
        conditions=[
            conditions.extension_not_pending,
            conditions.resolution_deadline_not_passed,
            conditions.resolution_clock_running,
        ],
        permission=conditions.may_work_case,
        custom={"label": _("Request extension")},
    )
    def request_extension(self, *, days: int, reason: str, at, by, requires_supervisor: bool) -> None:
        self.extension_status = ExtensionStatus.PENDING
        self.extension_requested_days = days
        self.extension_reason = reason
        self.extension_requested_at = at
        self.extension_requested_by = by
        self.extension_requires_supervisor = requires_supervisor

    @transition(
        field=state,
        source=[S.ASSIGNED, S.IN_PROGRESS],
        target=None,
        conditions=[conditions.extension_pending, conditions.resolution_deadline_not_passed],
        permission=conditions.may_decide_extension,
        custom={"label": _("Approve extension")},
    )
    def approve_extension(self, *, resolution_due, resolution_warn_at, calendar_gaps: str) -> None:
        self.resolution_window_days += self.extension_requested_days or 0
        self.resolution_due = resolution_due
        self.resolution_warn_at = resolution_warn_at
        self.calendar_gaps = calendar_gaps
        self.extension_status = ExtensionStatus.APPROVED

    @transition(
        field=state,
        source=[S.ASSIGNED, S.IN_PROGRESS],
        target=None,
        conditions=[conditions.extension_pending],
        permission=conditions.may_decide_extension,
        custom={"label": _("Deny extension")},
    )
    def deny_extension(self) -> None:
        self.extension_status = ExtensionStatus.DENIED

    @transition(
        field=state,
        source=S.IN_PROGRESS,
        target=S.RESOLVED,
        conditions=[conditions.resolution_clock_running],
        permission=conditions.may_work_case,
        custom={"label": _("Resolve")},
    )
    def resolve(self, *, outcome: str, summary: str, cause: Cause, compensation, at, review_due) -> None:
        self.outcome = outcome
        self.resolution_summary = summary
        self.cause = cause
        self.compensation = compensation
        self.resolved_at = at
        self.review_due = review_due
        self.callback_attempts = 0
        if self.extension_status == ExtensionStatus.PENDING:
            self.extension_status = ExtensionStatus.NONE

    @transition(
        field=state,
        source=[S.ASSIGNED, S.IN_PROGRESS],
        target=None,
        conditions=[conditions.resolution_clock_running],
        permission=conditions.may_work_case,
        custom={"label": _("Pause the resolution clock")},
    )
    def pause(self, *, reason: str, at) -> None:
        self.resolution_paused_at = at
        self.pause_reason = reason

    @transition(
        field=state,
        source=[S.ASSIGNED, S.IN_PROGRESS],
        target=None,
        conditions=[conditions.resolution_clock_paused],
        permission=conditions.may_work_case,
        custom={"label": _("Resume the resolution clock")},
    )
    def resume(self, *, at) -> None:
        paused = at - self.resolution_paused_at
        self.resolution_paused_total += paused
        if self.resolution_due is not None:
            self.resolution_due += paused
        if self.resolution_warn_at is not None:
            self.resolution_warn_at += paused
        self.resolution_paused_at = None
        self.pause_reason = ""

    @transition(
        field=state,
        source=[S.ASSIGNED, S.IN_PROGRESS],
        target=None,
        permission=conditions.may_work_case,
        custom={"label": _("New facts: restart the resolution clock")},
    )
    def new_facts(self, *, at, resolution_window_days: int, resolution_due, resolution_warn_at, calendar_gaps: str) -> None:
        if self.resolution_paused_at is not None:  # the material the pause waited for
            self.resolution_paused_total += at - self.resolution_paused_at
            self.resolution_paused_at = None
            self.pause_reason = ""
        self.extension_status = ExtensionStatus.NONE if self.extension_status == ExtensionStatus.PENDING else self.extension_status
        self.resolution_clock_started_at = at
        self.resolution_window_days = resolution_window_days
        self.resolution_due = resolution_due
        self.resolution_warn_at = resolution_warn_at
        self.calendar_gaps = calendar_gaps

    @transition(
        field=state,
        source=S.RESOLVED,
        target=None,
        conditions=[conditions.has_contact],
        permission=conditions.may_review,
        custom={"label": _("Record failed call-back")},
    )
    def record_callback_attempt(self) -> None:
        self.callback_attempts += 1

    @transition(
        field=state,
        source=S.RESOLVED,
        target=S.CLOSED,
        conditions=[conditions.has_contact],
        permission=conditions.may_review,
        custom={"label": _("Close (customer accepts)")},
    )
    def close(self, *, satisfaction: int, notes: str, at) -> None:
        self.satisfaction = satisfaction
        self.review_notes = notes
        self.closure = Closure.ACCEPTED
        self.closed_at = at

    @transition(
        field=state,
        source=S.RESOLVED,
        target=S.CLOSED,
        conditions=[conditions.has_contact, conditions.may_close_unreachable],
        permission=conditions.may_review,
        custom={"label": _("Close as unreachable")},
    )
    def close_unreachable(self, *, notes: str, at) -> None:
        self.review_notes = notes
        self.closure = Closure.UNREACHABLE
        self.closed_at = at

    @transition(
        field=state,
        source=S.RESOLVED,
        target=S.CLOSED,
        conditions=[conditions.has_no_contact],
        permission=conditions.may_review,
        custom={"label": _("Close without call-back")},
    )
    def close_without_callback(self, *, reason: str, at) -> None:
        self.review_notes = reason
        self.closure = Closure.NO_CONTACT
        self.closed_at = at

    @transition(
        field=state,
        source=S.RESOLVED,
        target=S.IN_PROGRESS,
        permission=conditions.may_review,
        custom={"label": _("Reopen (customer does not accept)")},
    )
    def reopen(self, *, at, resolution_window_days: int, resolution_due, resolution_warn_at, calendar_gaps: str) -> None:
        self.reopen_count += 1
        self.outcome = ""
        self.resolved_at = None
        self.review_due = None
        self.callback_attempts = 0
        self.extension_status = ExtensionStatus.NONE
        self.resolution_clock_started_at = at
        self.resolution_window_days = resolution_window_days
        self.resolution_due = resolution_due
        self.resolution_warn_at = resolution_warn_at
        self.calendar_gaps = calendar_gaps

    @transition(
        field=state,
        source=[S.NEW, S.ASSIGNED],
        target=S.REJECTED,
        permission=conditions.may_route,
        custom={"label": _("Reject")},
    )
    def reject(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[S.NEW, S.ASSIGNED],
        target=S.MERGED,
        permission=conditions.may_route,
        custom={"label": _("Merge into another case")},
    )
    def merge(self, *, into: Complaint, at) -> None:
        self.duplicate_of = into
        self.closed_at = at

    @transition(
        field=state,
        source=list(OPEN_STATES),
        target=S.WITHDRAWN,
        permission=conditions.may_route,
        custom={"label": _("Withdraw")},
    )
    def withdraw(self, *, at) -> None:
        self.closed_at = at


def transition_label(name: str) -> str:
    """A lifecycle transition's name as staff read it (buttons, messages): its ``custom["label"]``."""
    meta = getattr(Complaint, name)._django_fsm
    return next(iter(meta.transitions.values())).custom["label"]


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes: history rows are written once."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are append-only; they cannot be updated.")

    def delete(self):
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are append-only; they cannot be deleted.")

    def _raw_delete(self, using=None):  # the collector's fast path
        raise PermissionError(f"{self.model._meta.verbose_name_plural} are append-only; they cannot be deleted.")


class AppendOnlyModel(models.Model):
    """A history row: saved once, never changed or deleted (cases' and improvement actions' events)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError(f"{self._meta.verbose_name_plural} are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.verbose_name_plural} are append-only; they cannot be deleted.")


class EventRecord(AppendOnlyModel):
    """Who did what to a record's lifecycle, and when: the fields every history row shares."""

    SYSTEM = "system"

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    # The actor's username at the time, or "system"; kept even if the user is renamed.
    actor_label = models.CharField(_("by"), max_length=150)
    kind = models.CharField(_("event"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind} {self.from_state}->{self.to_state}"


class ComplaintEvent(EventRecord):
    """An immutable line in a case's history: a transition, a call-back attempt, an escalation."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events", verbose_name=_("case"))
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="event_complaint_created"),
            # The report's reopen rate reads a period's resolutions and, for each, whether the case
            # was reopened later (reports.figures.reopens).
            models.Index(
                fields=["created_at"], include=["complaint"], condition=Q(kind="resolve"), name="event_resolved"
            ),
            models.Index(fields=["complaint", "created_at"], condition=Q(kind="reopen"), name="event_reopened"),
        ]
