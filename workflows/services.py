"""Every write to a case: intake and one service per transition.

A transition service: ``atomic`` -> ``select_for_update`` -> version check -> permission ->
``can_proceed`` -> validate -> transition -> ``save`` -> event row, all in one transaction.
Errors are typed so that interfaces can map them: ``TransitionForbidden`` (403),
``TransitionNotPossible`` and ``CaseChanged`` (409), ``django.core.exceptions.ValidationError``
with a message per field (400).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Field, Model, signals
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransitionMixin

from complaints import conditions, customers, roles
from complaints.models import (
    Category,
    Cause,
    Complaint,
    ComplaintEvent,
    Department,
    ReferenceCounter,
    normalize_phone,
    transition_label,
)
from complaints.states import OPEN_STATES, Channel, ContactMethod, EventKind, Kind, Outcome, PauseReason

from . import clocks, escalation, policies, surges, targets
from .models import SlaPolicy

logger = logging.getLogger(__name__)
T = TypeVar("T")

# A channel's clock may run slightly ahead of ours; within this, "future" means "now".
RECEIVED_AT_CLOCK_SKEW = timedelta(seconds=60)


class WorkflowError(Exception):
    """A transition that cannot happen; ``message`` is safe to show to the user."""

    def __init__(self, message: str, *, state: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.state = state


class TransitionForbidden(WorkflowError):
    """This user's role may not take this transition on this case (403)."""


class TransitionNotPossible(WorkflowError):
    """Not possible from the case's current state, or its conditions are not met (409)."""


class CaseChanged(WorkflowError):
    """Someone else changed the case since the caller looked at it (409)."""


def _label(user) -> str:
    return user.get_username() if user is not None else ComplaintEvent.SYSTEM


def _write_event(
    complaint: Complaint,
    *,
    actor,
    kind: str,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict | None = None,
    at: datetime,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        created_at=at,
        actor=actor,
        actor_label=_label(actor),
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )


def _sla(complaint: Complaint) -> policies.Sla:
    return SlaPolicy.sla_for(kind=complaint.kind, severity=complaint.severity)


# --- intake --------------------------------------------------------------------------
@cache
def _logged_before_statement(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    opts = Complaint._meta
    return (
        f"SELECT {quote(opts.pk.column)} FROM {quote(opts.db_table)} "
        f"WHERE {quote(opts.get_field('channel').column)} = %s AND {quote(opts.get_field('external_id').column)} = %s"
    )


def _logged_before(*, channel: str, external_id: str) -> Complaint | None:
    """The case this channel logged with this ``external_id``, if any.

    Nearly every intake finds none, so the probe is one hand-written indexed statement
    (compiling the queryset would cost more than running it); the case itself is loaded
    only when there is one.
    """
    alias = router.db_for_write(Complaint)
    with connections[alias].cursor() as cursor:
        cursor.execute(_logged_before_statement(alias), [channel, external_id])
        row = cursor.fetchone()
    return Complaint.objects.using(alias).filter(pk=row[0]).first() if row else None


def _column(field: Field) -> str:
    """A concrete field's database column; a field without one is a bug in the statement."""
    if field.column is None:
        raise TypeError(f"{field!r} has no database column")
    return field.column


@cache
def _insert_statement(model: type[Model], alias: str, rows: int) -> tuple[str, tuple[Field, ...], bool]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    opts = model._meta
    fields = tuple(field for field in opts.local_concrete_fields if field is not opts.auto_field and not field.generated)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = connection.features.can_return_rows_from_bulk_insert
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(_column(field)) for field in fields)}) "
        f"VALUES {', '.join([row] * rows)}" + (f" RETURNING {quote(_column(opts.pk))}" if returning else "")
    )
    return sql, fields, returning


def _insert(instances: Sequence[Model], *, alias: str) -> None:
    """Insert new instances of one model in one statement, as ``save(force_insert=True)`` would.

    Intake writes a case and its first events on every request; compiling those two inserts
    cost about 2 ms of CPU per request, more than sending and running them. The fields prepare the values
    themselves (``pre_save``, ``get_db_prep_save``), the save signals are sent, and the
    instances come back saved, with primary keys. Values that are SQL expressions (a
    ``db_default``, say) go through ``save()``.
    """
    model, connection = type(instances[0]), connections[alias]
    sql, fields, returning = _insert_statement(model, alias, len(instances))
    if any(hasattr(getattr(instance, field.attname), "resolve_expression") for instance in instances for field in fields):
        for instance in instances:
            instance.save(force_insert=True, using=alias)
        return
    if len(instances) > 1 and not returning:  # no keys back from a multi-row insert: one row at a time
        for instance in instances:
            _insert([instance], alias=alias)
        return
    for instance in instances:
        signals.pre_save.send(sender=model, instance=instance, raw=False, using=alias, update_fields=None)
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for instance in instances for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()] if returning else [cursor.lastrowid]
    for instance, key in zip(instances, keys, strict=True):
        instance.pk = key
        instance._state.adding = False
        instance._state.db = alias
        if isinstance(instance, ConcurrentTransitionMixin):
            instance._update_initial_state()  # as its save() does: the state as stored
        signals.post_save.send(sender=model, instance=instance, created=True, update_fields=None, raw=False, using=alias)


@dataclass(frozen=True)
class CustomerData:
    name: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""
    account: str = ""


@dataclass(frozen=True)
class CaseFacts:
    """What a case carries beyond the intake form: the source's own classification, the company or
    branch, the customer's region and tags, and for a regulator referral how the customer reached
    the regulator and when the regulator sent the case on (which starts the bank's clocks)."""

    product: str = ""
    sub_product: str = ""
    issue: str = ""
    sub_issue: str = ""
    company: str = ""
    customer_region: str = ""
    customer_tags: tuple[str, ...] = ()
    narrative_consent: str = ""
    submitted_via: str = ""
    sent_to_bank_at: datetime | None = None

    TEXT_FIELDS = ("product", "sub_product", "issue", "sub_issue", "company", "customer_region", "narrative_consent", "submitted_via")

    def as_fields(self) -> dict[str, Any]:
        """The case's fields, texts stripped, tags without blanks or repeats in their order."""
        fields: dict[str, Any] = {name: (getattr(self, name) or "").strip() for name in self.TEXT_FIELDS}
        fields["customer_tags"] = list(dict.fromkeys(tag.strip() for tag in self.customer_tags if tag.strip()))
        fields["sent_to_bank_at"] = self.sent_to_bank_at
        return fields


NO_FACTS = CaseFacts()


def needs_contact(*, kind: str, channel: str) -> bool:
    """Whether intake must have a phone or an e-mail: a complaint, unless a regulator referred it
    (the regulator keeps the customer's details; such a case closes without call-back)."""
    return kind == Kind.COMPLAINT and channel != Channel.REGULATOR


def clock_start(*, received_at: datetime, sent_to_bank_at: datetime | None) -> datetime:
    """When the bank's clocks start: when the regulator sent a referral on, else at receipt."""
    return sent_to_bank_at if sent_to_bank_at is not None else received_at


def intake_errors(
    *,
    kind: str,
    category: Category | None,
    subject: str,
    description: str,
    customer: CustomerData,
    received_at: datetime | None,
    now: datetime,
    channel: str = "",
    sent_to_bank_at: datetime | None = None,
) -> dict[str, list[str]]:
    """The rules of intake that look beyond one field, as messages per field; empty when all hold.

    ``complaint_create`` applies them; forms call them too, so that a person sees every
    problem of an intake at once rather than in two rounds. ``received_at`` may lie at most
    ``settings.INTAKE_RECEIVED_AT_HORIZON_DAYS`` days before ``now`` (exactly that far is
    accepted): this is live intake; imported history, older on purpose, does not come here.
    """
    errors: dict[str, list[str]] = {}
    if received_at is not None:
        horizon_days = settings.INTAKE_RECEIVED_AT_HORIZON_DAYS
        if timezone.is_naive(received_at):
            errors.setdefault("received_at", []).append(_("Give a time zone (for example +08:00)."))
        elif received_at > now + RECEIVED_AT_CLOCK_SKEW:
            errors.setdefault("received_at", []).append(_("The time of receipt cannot be in the future."))
        elif received_at < now - timedelta(days=horizon_days):
            errors.setdefault("received_at", []).append(
                _("The time of receipt cannot be more than %(days)d days ago (not before %(earliest)s).")
                % {"days": horizon_days, "earliest": f"{timezone.localtime(now - timedelta(days=horizon_days)):%Y-%m-%d %H:%M}"}
            )
    if category is not None and not category.is_active:
        errors.setdefault("category", []).append(_("This category is no longer in use."))
    if not (description or "").strip():
        errors.setdefault("description", []).append(_("Describe what the customer is complaining about."))
    if not (subject or "").strip():
        errors.setdefault("subject", []).append(_("Give the case a subject."))
    if needs_contact(kind=kind, channel=channel) and not (customer.phone.strip() or customer.email.strip()):
        errors.setdefault("customer_phone", []).append(
            _("A complaint needs a phone number or an e-mail address for the call-back.")
        )
    if channel != Channel.REGULATOR and not customer.name.strip():
        errors.setdefault("customer_name", []).append(_("Give the customer's name."))
    if sent_to_bank_at is not None:
        if channel != Channel.REGULATOR:
            errors.setdefault("sent_to_bank_at", []).append(_("Only a regulator referral is sent to the bank."))
        elif timezone.is_naive(sent_to_bank_at):
            errors.setdefault("sent_to_bank_at", []).append(_("Give a time zone (for example +08:00)."))
        elif sent_to_bank_at > now + RECEIVED_AT_CLOCK_SKEW:
            errors.setdefault("sent_to_bank_at", []).append(_("The time the case was sent to the bank cannot be in the future."))
        elif received_at is not None and timezone.is_aware(received_at) and sent_to_bank_at < received_at:
            errors.setdefault("sent_to_bank_at", []).append(
                _("The regulator cannot have sent the case on before it received it (the time of receipt).")
            )
    return errors


class IntakeReplayDiffers(WorkflowError):
    """The channel logged this ``external_id`` before with other values (409); ``fields`` names them.

    ``fields`` are the case's field names (``subject``, ``customer_phone``), never values:
    the customer's details must not reach a message or a log.
    """

    def __init__(self, message: str, *, complaint: Complaint, fields: list[str]) -> None:
        super().__init__(message, state=complaint.state)
        self.complaint = complaint
        self.fields = fields


def _replay_differences(
    existing: Complaint,
    *,
    kind: str,
    severity: str,
    category: Category,
    subject: str,
    description: str,
    customer: CustomerData,
    received_at: datetime | None,
    facts: CaseFacts = NO_FACTS,
) -> list[str]:
    """The fields in which a replayed intake differs from the case it logged before, in form order.

    Compared as intake stores them: texts stripped; the customer's identifiers in their
    matched forms (``complaints.customers``: a phone's digits, a Chinese mobile the same with
    or without +86 / 0086, an e-mail in lower case, an ID number without spaces and
    uppercased, an account's letters and digits, a name NFKC with whitespace collapsed).
    ``received_at`` is compared as an instant (any offset), and only when the replay gives one: an omitted ``received_at`` means "now" at the first call, so
    a retry that omits it again, or omits it where the first call gave one, claims nothing
    new. A time within the clock skew ahead of the first call's own time is stored as that
    time, and compared so.
    """
    stored_received_at = existing.received_at
    if received_at is not None and existing.created_at < received_at <= existing.created_at + RECEIVED_AT_CLOCK_SKEW:
        received_at = existing.created_at
    pairs = [
        ("kind", existing.kind, kind),
        ("severity", existing.severity, severity),
        ("category", existing.category_id, category.pk),
        ("subject", existing.subject, (subject or "").strip()),
        ("description", existing.description, (description or "").strip()),
        ("received_at", stored_received_at, received_at if received_at is not None else stored_received_at),
        ("customer_name", customers.normalize_name(existing.customer_name), customers.normalize_name(customer.name)),
        ("customer_phone", _phone_matched(existing.customer_phone), _phone_matched(customer.phone)),
        ("customer_email", customers.normalize_email(existing.customer_email), customers.normalize_email(customer.email)),
        (
            "customer_id_number",
            customers.normalize_id_number(existing.customer_id_number),
            customers.normalize_id_number(customer.id_number),
        ),
        (
            "customer_account",
            customers.normalize_account(existing.customer_account),
            customers.normalize_account(customer.account),
        ),
    ]
    given_facts = facts.as_fields()
    pairs += [(name, getattr(existing, name), value) for name, value in given_facts.items()]
    return [field for field, stored, given in pairs if stored != given]


def _phone_matched(phone: str) -> str:
    """One form per number: a Chinese mobile's national form (``phone_variants`` lists it first), else the digits."""
    variants = customers.phone_variants(phone)
    return variants[0] if variants else ""


def _replayed(existing: Complaint, **payload: Any) -> Complaint:
    """The case an identical replay returns; a replay with other values raises ``IntakeReplayDiffers``."""
    differing = _replay_differences(existing, **payload)
    if differing:
        raise IntakeReplayDiffers(
            _("This channel and external_id were logged before as %(reference)s, with other values.")
            % {"reference": existing.reference},
            complaint=existing,
            fields=differing,
        )
    return existing


def complaint_create(
    *,
    actor,
    kind: str,
    channel: str,
    severity: str,
    category: Category,
    subject: str,
    description: str,
    customer: CustomerData,
    received_at: datetime | None = None,
    external_id: str = "",
    facts: CaseFacts = NO_FACTS,
    now: datetime | None = None,
) -> tuple[Complaint, bool]:
    """Log a case and start its clocks; route it when its category has a default department.

    Returns ``(case, created)``. The same ``channel`` + ``external_id`` again with the same
    values returns the existing case with ``created=False``, also when two requests race
    (the unique constraint decides; the loser gets the winner's case); with other values it
    raises ``IntakeReplayDiffers`` naming the fields (``_replay_differences`` says what "the
    same" means).
    """
    now = now or timezone.now()
    external_id = (external_id or "").strip()
    replay = dict(
        kind=kind, severity=severity, category=category, subject=subject, description=description,
        customer=customer, received_at=received_at, facts=facts,
    )  # fmt: skip
    if external_id:
        existing = _logged_before(channel=channel, external_id=external_id)
        if existing is not None:
            return _replayed(existing, **replay), False

    errors = intake_errors(
        kind=kind, category=category, subject=subject, description=description, customer=customer,
        received_at=received_at, now=now, channel=channel, sent_to_bank_at=facts.sent_to_bank_at,
    )
    if received_at is None or "received_at" in errors or received_at > now:
        received_at = now  # none given, refused above, or ahead of us within the channel's clock skew
    complaint = Complaint(
        kind=kind,
        channel=channel,
        severity=severity,
        category=category,
        subject=(subject or "").strip(),
        description=(description or "").strip(),
        customer_name=customer.name.strip(),
        customer_phone=customer.phone.strip(),
        customer_email=customer.email.strip(),
        customer_id_number=customer.id_number.strip(),
        customer_account=customers.normalize_account(customer.account),
        external_id=external_id,
        received_at=received_at,
        created_at=now,
        created_by=actor,
        **facts.as_fields(),
    )
    try:
        # The category and the actor are objects already; no need to look them up again.
        complaint.full_clean(
            exclude=["reference", "state", "category", "created_by"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    complaint.customer_phone = normalize_phone(complaint.customer_phone) if complaint.customer_phone else ""

    sla = SlaPolicy.sla_for(kind=kind, severity=severity)
    started = clock_start(received_at=received_at, sent_to_bank_at=complaint.sent_to_bank_at)
    clocks.start_first_response(complaint, sla, started)
    complaint.resolution_clock_started_at = started
    complaint.resolution_window_days = sla.window_days
    for name, value in clocks.resolution_deadline(sla, started).as_fields().items():
        setattr(complaint, name, value)

    # Route by the category before the insert, so that the case is written once.
    department = category.default_department
    routed_to = department if department is not None and department.is_active else None
    if routed_to is not None:
        complaint.assign(department=routed_to, assignee=None)
        complaint.version += 1
    created_event = ComplaintEvent(
        created_at=now,
        actor=actor,
        actor_label=_label(actor),
        kind=EventKind.CREATED,
        to_state="new",
        data={"channel": channel, "kind": kind, "category": category.code},
    )
    events = [created_event]
    if routed_to is not None:
        events.append(
            ComplaintEvent(
                created_at=now,
                actor=None,
                actor_label=ComplaintEvent.SYSTEM,
                kind=EventKind.ASSIGN,
                from_state="new",
                to_state=complaint.state,
                data={"department": routed_to.code, "routed_by": "category"},
            )
        )
    try:
        alias = router.db_for_write(Complaint)
        with transaction.atomic(using=alias):
            complaint.reference = ReferenceCounter.next_reference(timezone.localdate(now))
            _insert([complaint], alias=alias)
            for event in events:
                event.complaint = complaint
            _insert(events, alias=alias)
            targets.start_at_intake(complaint)
            surges.enqueue_check_after_intake(complaint, using=alias)
    except IntegrityError:
        if external_id:
            existing = _logged_before(channel=channel, external_id=external_id)
            if existing is not None:
                return _replayed(existing, **replay), False
        raise
    logger.info("case %s logged via %s", complaint.reference, channel)
    return complaint, True


# --- the transition runner ------------------------------------------------------------
def _run(
    *,
    complaint: Complaint | int,
    actor,
    name: str,
    prepare: Callable[[Complaint, datetime], dict[str, Any]] = lambda case, at: {},
    note: str = "",
    data: Callable[[Complaint], dict] | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    """Lock the case, check, transition, save and write the event, in one transaction.

    ``prepare(case, at)`` validates the caller's input against the locked case and returns the
    transition method's arguments; it raises ``ValidationError`` for bad input.
    ``actor=None`` means the system, which needs no role.

    ``at``, the transition's instant, is taken once the case is locked, so that a case's
    events are in the order their transitions held the lock; the event, and every time the
    transition stores on the case (``prepare`` passes ``at`` on), carry that one instant.
    An explicit ``now`` (tests, back-dated seeding) is used instead.
    """
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    with transaction.atomic():
        case = Complaint.objects.select_for_update().get(pk=pk)
        if expected_version is not None and case.version != expected_version:
            raise CaseChanged(
                _("Case %(reference)s was changed by someone else meanwhile; reload it and try again.")
                % {"reference": case.reference},
                state=case.state,
            )
        at = now or timezone.now()  # under the lock: a transition that waited for it comes later
        method = getattr(case, name)
        meta = method._django_fsm
        if actor is not None:
            # The role alone: from this state if the transition exists here, else from any state,
            # so that a role that may never do this gets 403 and a wrong state gets 409.
            current = meta.get_transition(case.state)
            allowed = (
                current.has_perm(case, actor)
                if current is not None
                else any(t.has_perm(case, actor) for t in meta.transitions.values())
            )
            if not allowed:
                raise TransitionForbidden(
                    _("Your role may not do this on this case: %(action)s.") % {"action": transition_label(name)},
                    state=case.state,
                )
        if not meta.has_transition(case.state):
            raise TransitionNotPossible(
                _("“%(action)s” is not possible for a case that is %(state)s.")
                % {"action": transition_label(name), "state": case.get_state_display().lower()},
                state=case.state,
            )
        unmet = [c for c in meta.get_transition(case.state).conditions if not c(case)]
        if unmet:
            raise TransitionNotPossible(
                " ".join(conditions.explanation(c) for c in unmet), state=case.state
            )
        kwargs = prepare(case, at)
        from_state = case.state
        running = escalation.running_deadlines(case)
        paused_at = case.resolution_paused_at
        method(**kwargs)
        if escalation.running_deadlines(case) != running:  # a clock stopped or a deadline moved
            case.escalation_level, case.escalated_at = escalation.level_after_clock_change(case)
        case.version += 1
        case.save()
        _write_event(
            case,
            actor=actor,
            kind=EventKind(name),
            from_state=from_state,
            to_state=case.state,
            note=note,
            data=data(case) if data else {},
            at=at,
        )
        targets.after_transition(case, name, at, paused=at - paused_at if paused_at and name == "resume" else None)
    logger.info("case %s: %s by %s (%s -> %s)", case.reference, name, _label(actor), from_state, case.state)
    return case


def _set(value: T | None, what: str) -> T:
    """A case field that intake or the transition has set; None here is a bug, not a user error."""
    if value is None:
        raise RuntimeError(f"the case's {what} is not set")
    return value


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


def _check_assignee(department: Department, assignee) -> None:
    if assignee is None:
        return
    if not (
        department.owners.filter(pk=assignee.pk).exists() or department.members.filter(pk=assignee.pk).exists()
    ):
        raise ValidationError({"assignee": [_("The assignee must belong to the department.")]})


# --- one service per transition -------------------------------------------------------
def complaint_assign(
    *, complaint, actor, department: Department, assignee=None, expected_version=None, now=None
) -> Complaint:
    """Route a new case to the department that must fix it."""

    def prepare(case: Complaint, at: datetime) -> dict:
        if not department.is_active:
            raise ValidationError({"department": [_("This department is no longer active.")]})
        _check_assignee(department, assignee)
        return {"department": department, "assignee": assignee}

    return _run(
        complaint=complaint,
        actor=actor,
        name="assign",
        prepare=prepare,
        data=lambda c: {"department": department.code, "assignee": assignee.get_username() if assignee else None},
        expected_version=expected_version,
        now=now,
    )


def complaint_reassign(
    *, complaint, actor, department: Department, assignee=None, note: str = "", expected_version=None, now=None
) -> Complaint:
    """Move a case to another department or person; it waits for the new owner's response."""

    def prepare(case: Complaint, at: datetime) -> dict:
        if not department.is_active:
            raise ValidationError({"department": [_("This department is no longer active.")]})
        if (
            actor is not None
            and not (roles.is_supervisor(actor) or roles.is_cs_staff(actor))
            and department.pk != case.department_id
        ):
            raise ValidationError(
                {"department": [_("A department owner may only reassign within the department; ask customer service to re-route.")]}
            )
        _check_assignee(department, assignee)
        return {"department": department, "assignee": assignee}

    return _run(
        complaint=complaint,
        actor=actor,
        name="reassign",
        prepare=prepare,
        note=note,
        data=lambda c: {"department": department.code, "assignee": assignee.get_username() if assignee else None},
        expected_version=expected_version,
        now=now,
    )


def complaint_respond(
    *, complaint, actor, method: str, message: str, expected_version=None, now=None
) -> Complaint:
    """The first response to the customer; stops the first-response clock."""

    def prepare(case: Complaint, at: datetime) -> dict:
        if method not in ContactMethod.values:
            raise ValidationError({"method": [_("Choose how the customer was contacted.")]})
        _require_text(message, "message", _("Say what the customer was told."))
        return {"contact_method": method, "at": at}

    return _run(
        complaint=complaint,
        actor=actor,
        name="respond",
        prepare=prepare,
        note=message.strip(),
        data=lambda c: {"method": method},
        expected_version=expected_version,
        now=now,
    )


def complaint_request_extension(
    *, complaint, actor, days: int, reason: str, expected_version=None, now=None
) -> Complaint:
    """Ask to move the resolution deadline by ``days``; who must approve depends on the new window."""

    def prepare(case: Complaint, at: datetime) -> dict:
        _require_text(reason, "reason", _("Say why the case needs more time."))
        try:
            tier = policies.extension_tier(case.resolution_window_days, int(days), _sla(case))
        except (TypeError, ValueError):
            sla = _sla(case)
            raise ValidationError(
                {
                    "days": [
                        _("Ask for 1 to %(max)d more days; the window may be at most %(limit)d days.")
                        % {
                            "max": max(sla.max_extension_days - case.resolution_window_days, 0),
                            "limit": sla.max_extension_days,
                        }
                    ]
                }
            ) from None
        return {
            "days": int(days),
            "reason": reason.strip(),
            "at": at,
            "by": actor,
            "requires_supervisor": tier == "supervisor",
        }

    return _run(
        complaint=complaint,
        actor=actor,
        name="request_extension",
        prepare=prepare,
        note=(reason or "").strip(),
        data=lambda c: {"days": int(days), "requires_supervisor": c.extension_requires_supervisor},
        expected_version=expected_version,
        now=now,
    )


def complaint_approve_extension(
    *, complaint, actor, customer_notified_by: str, note: str = "", expected_version=None, now=None
) -> Complaint:
    """Approve the pending extension; records how the customer was told of the new deadline."""
    previous: dict[str, str] = {}

    def prepare(case: Complaint, at: datetime) -> dict:
        if customer_notified_by not in ContactMethod.values:
            raise ValidationError(
                {"customer_notified_by": [_("Say how the customer was told of the new deadline.")]}
            )
        previous["resolution_due"] = case.resolution_due.isoformat() if case.resolution_due else ""
        window = case.resolution_window_days + (case.extension_requested_days or 0)
        started_at = _set(case.resolution_clock_started_at, "resolution clock start")  # set at intake
        return clocks.resolution_deadline(_sla(case), started_at, window).as_fields()

    return _run(
        complaint=complaint,
        actor=actor,
        name="approve_extension",
        prepare=prepare,
        note=note,
        data=lambda c: {
            "customer_notified_by": customer_notified_by,
            "days": c.extension_requested_days,
            "previous_resolution_due": previous["resolution_due"],
            "resolution_due": _set(c.resolution_due, "resolution deadline").isoformat(),
        },
        expected_version=expected_version,
        now=now,
    )


def complaint_deny_extension(*, complaint, actor, reason: str, expected_version=None, now=None) -> Complaint:
    """Refuse the pending extension; the deadline stays."""

    def prepare(case: Complaint, at: datetime) -> dict:
        _require_text(reason, "reason", _("Say why the extension is refused."))
        return {}

    return _run(
        complaint=complaint,
        actor=actor,
        name="deny_extension",
        prepare=prepare,
        note=(reason or "").strip(),
        expected_version=expected_version,
        now=now,
    )


def complaint_resolve(
    *,
    complaint,
    actor,
    outcome: str,
    summary: str,
    cause: Cause | None,
    compensation: Decimal | None = None,
    expected_version=None,
    now=None,
) -> Complaint:
    """Record the decision, its root cause and any compensation; starts the review clock."""

    def prepare(case: Complaint, at: datetime) -> dict:
        errors: dict[str, list[str]] = {}
        if outcome not in Outcome.values:
            errors["outcome"] = [_("Choose upheld, partly upheld or not upheld.")]
        if not (summary or "").strip():
            errors["summary"] = [_("Summarise the decision and what was done.")]
        if cause is None:
            errors["cause"] = [_("Choose the root cause.")]
        if compensation is not None and compensation < 0:
            errors["compensation"] = [_("Compensation cannot be negative.")]
        if errors:
            raise ValidationError(errors)
        return {
            "outcome": outcome,
            "summary": summary.strip(),
            "cause": cause,
            "compensation": compensation,
            "at": at,
            "review_due": clocks.review_due(_sla(case), at),
        }

    return _run(
        complaint=complaint,
        actor=actor,
        name="resolve",
        prepare=prepare,
        note=(summary or "").strip(),
        data=lambda c: {
            "outcome": outcome,
            "cause": cause.code if cause else None,
            "compensation": str(compensation) if compensation is not None else None,
        },
        expected_version=expected_version,
        now=now,
    )


def complaint_record_callback_attempt(
    *, complaint, actor, note: str = "", expected_version=None, now=None
) -> Complaint:
    """A call-back that did not reach the customer."""
    return _run(
        complaint=complaint,
        actor=actor,
        name="record_callback_attempt",
        note=note,
        data=lambda c: {"attempt": c.callback_attempts},
        expected_version=expected_version,
        now=now,
    )


def complaint_close(
    *, complaint, actor, satisfaction: int, notes: str = "", expected_version=None, now=None
) -> Complaint:
    """The customer accepts the outcome on the review call-back; closes the loop."""

    def prepare(case: Complaint, at: datetime) -> dict:
        try:
            score = int(satisfaction)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            raise ValidationError({"satisfaction": [_("Satisfaction is a whole number from 1 to 5.")]})
        return {"satisfaction": score, "notes": (notes or "").strip(), "at": at}

    return _run(
        complaint=complaint,
        actor=actor,
        name="close",
        prepare=prepare,
        note=notes,
        data=lambda c: {"satisfaction": c.satisfaction},
        expected_version=expected_version,
        now=now,
    )


def complaint_close_unreachable(
    *, complaint, actor, notes: str = "", expected_version=None, now=None
) -> Complaint:
    """Close after three failed call-backs or when the review clock has run out."""
    return _run(
        complaint=complaint,
        actor=actor,
        name="close_unreachable",
        prepare=lambda case, at: {"notes": (notes or "").strip(), "at": at},
        note=notes,
        data=lambda c: {"attempts": c.callback_attempts},
        expected_version=expected_version,
        now=now,
    )


def complaint_close_without_callback(*, complaint, actor, reason: str, expected_version=None, now=None) -> Complaint:
    """Close a resolved case that has no phone or e-mail to call back on (a regulator referral, imported history)."""

    def prepare(case: Complaint, at: datetime) -> dict:
        return {
            "reason": _require_text(reason, "reason", _("Say why the case closes without a call-back.")),
            "at": at,
        }

    return _run(
        complaint=complaint,
        actor=actor,
        name="close_without_callback",
        prepare=prepare,
        note=reason,
        expected_version=expected_version,
        now=now,
    )


def complaint_reopen(*, complaint, actor, reason: str, expected_version=None, now=None) -> Complaint:
    """The customer does not accept: back to the department with a fresh resolution clock."""
    previous: dict[str, str] = {}

    def prepare(case: Complaint, at: datetime) -> dict:
        _require_text(reason, "reason", _("Say why the customer does not accept the outcome."))
        sla = _sla(case)
        previous["outcome"] = case.outcome
        return {"at": at, "resolution_window_days": sla.window_days, **clocks.resolution_deadline(sla, at).as_fields()}

    return _run(
        complaint=complaint,
        actor=actor,
        name="reopen",
        prepare=prepare,
        note=(reason or "").strip(),
        data=lambda c: {
            "reopen_count": c.reopen_count,
            "previous_outcome": previous["outcome"],
            "resolution_due": _set(c.resolution_due, "resolution deadline").isoformat(),
        },
        expected_version=expected_version,
        now=now,
    )


def _end_with_reason(
    *, name: str, complaint, actor, reason: str, missing: str, expected_version, now
) -> Complaint:
    """Reject or withdraw: a final state reached with a reason, which the event keeps."""

    def prepare(case: Complaint, at: datetime) -> dict:
        _require_text(reason, "reason", missing)
        return {"at": at}

    return _run(
        complaint=complaint,
        actor=actor,
        name=name,
        prepare=prepare,
        note=(reason or "").strip(),
        expected_version=expected_version,
        now=now,
    )


def complaint_reject(*, complaint, actor, reason: str, expected_version=None, now=None) -> Complaint:
    """Not a case the bank handles (for example not a complaint about the bank)."""
    return _end_with_reason(
        name="reject",
        complaint=complaint,
        actor=actor,
        reason=reason,
        missing=_("Say why the case is rejected."),
        expected_version=expected_version,
        now=now,
    )


def complaint_merge(*, complaint, actor, into: Complaint, expected_version=None, now=None) -> Complaint:
    """A repeat of another open case: fold it in; the other case carries on."""

    def prepare(case: Complaint, at: datetime) -> dict:
        target = Complaint.objects.filter(pk=into.pk).first()
        if target is None or target.pk == case.pk:
            raise ValidationError({"into": [_("Choose another case to merge into.")]})
        if target.state not in OPEN_STATES:
            raise ValidationError({"into": [_("The case to merge into must still be open.")]})
        return {"into": target, "at": at}

    return _run(
        complaint=complaint,
        actor=actor,
        name="merge",
        prepare=prepare,
        data=lambda c: {"into": into.reference},
        expected_version=expected_version,
        now=now,
    )


def complaint_withdraw(*, complaint, actor, reason: str, expected_version=None, now=None) -> Complaint:
    """The customer withdraws; handling ends the day the withdrawal is received."""
    return _end_with_reason(
        name="withdraw",
        complaint=complaint,
        actor=actor,
        reason=reason,
        missing=_("Record what the customer said."),
        expected_version=expected_version,
        now=now,
    )


# --- pausing and restarting the resolution clock (PRODUCT section 2) -----------------------
def complaint_pause(
    *, complaint, actor, reason: str, customer_notified_by: str, note: str = "", expected_version=None, now=None
) -> Complaint:
    """Stop the resolution clock while the bank waits on something it does not control; the customer is told."""

    def prepare(case: Complaint, at: datetime) -> dict:
        errors: dict[str, list[str]] = {}
        if reason not in PauseReason.values:
            errors["reason"] = [_("Choose why the clock stops: an appraisal, mediation or the customer's documents.")]
        if customer_notified_by not in ContactMethod.values:
            errors["customer_notified_by"] = [_("Say how the customer was told that the clock is paused.")]
        if errors:
            raise ValidationError(errors)
        return {"reason": reason, "at": at}

    return _run(
        complaint=complaint,
        actor=actor,
        name="pause",
        prepare=prepare,
        note=(note or "").strip(),
        data=lambda c: {"reason": reason, "customer_notified_by": customer_notified_by},
        expected_version=expected_version,
        now=now,
    )


def complaint_resume(*, complaint, actor, note: str = "", expected_version=None, now=None) -> Complaint:
    """Restart the paused resolution clock; the deadline moves by the time it was paused."""
    previous: dict[str, Any] = {}

    def prepare(case: Complaint, at: datetime) -> dict:
        previous["due"] = case.resolution_due
        previous["paused"] = at - case.resolution_paused_at if case.resolution_paused_at else timedelta(0)
        return {"at": at}

    return _run(
        complaint=complaint,
        actor=actor,
        name="resume",
        prepare=prepare,
        note=(note or "").strip(),
        data=lambda c: {
            "paused_seconds": round(previous["paused"].total_seconds()),
            "previous_resolution_due": previous["due"].isoformat() if previous["due"] else "",
            "resolution_due": _set(c.resolution_due, "resolution deadline").isoformat(),
        },
        expected_version=expected_version,
        now=now,
    )


def complaint_new_facts(*, complaint, actor, note: str, expected_version=None, now=None) -> Complaint:
    """The customer brings new facts or reasons: the resolution clock restarts from that day."""

    def prepare(case: Complaint, at: datetime) -> dict:
        _require_text(note, "note", _("Say what the customer brought."))
        sla = _sla(case)
        return {"at": at, "resolution_window_days": sla.window_days, **clocks.resolution_deadline(sla, at).as_fields()}

    return _run(
        complaint=complaint,
        actor=actor,
        name="new_facts",
        prepare=prepare,
        note=(note or "").strip(),
        data=lambda c: {"resolution_due": _set(c.resolution_due, "resolution deadline").isoformat()},
        expected_version=expected_version,
        now=now,
    )
