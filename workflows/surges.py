"""Surge alerts: a category, root cause or product whose cases come in far above their usual number.

**The rule**, at an instant *t*, for one key of one dimension (a category, a root cause, a
product), with N = ``SURGE_WINDOW_HOURS``, W = ``SURGE_BASELINE_WEEKS``, σ = ``SURGE_SIGMA`` and
M = ``SURGE_MIN_COUNT``:

* *Cases counted.* Merged cases never count (their case is counted once, under the case they
  were merged into). Every dimension counts a case at its ``received_at``: a category its cases,
  a product the cases that carry that product text (cases without one are not counted by
  product), a root cause the cases received in the window whose cause, recorded at resolution,
  is that cause. A cause therefore surges only as its cases are resolved; the periodic sweep is
  what finds it. Imported history (``import_complaints``) counts in the baseline but never in
  the current window: it tells what is usual and never raises an alert by itself.
* *Windows.* The current window is [t − N h, t). Baseline sample k (k = 1..W) is the N hours
  ending at the same local time (``TIME_ZONE``) k weeks earlier, so a Monday morning is compared
  with Monday mornings, also across a daylight-saving change. N is 1 to 168 (longer windows
  would overlap their own baseline); W is 2 to 52.
* *Baseline.* The mean and the **sample** standard deviation (divisor W − 1) of the W counts.
  The sample rather than the population deviation because the samples are few: with four, the
  population figure understates the spread by 13 % and lowers the threshold, i.e. more false
  alarms.
* *Surge.* current ≥ M **and** current > mean + σ × sd (``is_surge``). A flat baseline has
  sd 0, so any count above its mean is a surge once it reaches M: the minimum is what keeps a
  quiet key's handful of cases from alerting. Until W weeks of history exist the baseline is
  mostly zeros and the minimum alone decides; importing history fills it.

**One alert per surge.** At most one alert per key is open (a partial unique constraint):
the first check to find the surge creates it, and every later detection while it is open, by
any check or sweep, only raises its ``peak_count``, moves its ``last_seen_at`` and links the
cases of its window; the numbers of the first detection stay as recorded. Only the check that
created an alert enqueues its e-mail. An open alert stays open after its surge ends, until a
supervisor closes it with a note (``surge_alert_close``); a later surge of the same key while it
is open is added to it.

**Quiet rule.** After a close, the same key alerts again only for a window that no longer
overlaps the closed alert: a new alert needs ``t − N h ≥ last_seen_at`` of the last closed alert
of the key, i.e. a window made only of cases received after the closed surge was last seen.
Closing an alert while its surge still runs therefore silences the key for at most N hours after
its last detection; a surge that is still there after that is a new alert with new cases. (A
rise past the closed alert's peak is deliberately not a reason: counts wander around a peak,
and each step past it would mail the supervisors again.) A closed alert is never changed.

**When it is checked.** After intake (``enqueue_check_after_intake``), and every
``SURGE_SWEEP_SECONDS`` over every key (``surge_sweep``: causes set at resolution, and whatever
an intake's check missed). The request itself only registers an ``on_commit`` callback; the
callback enqueues a check of the case's keys at most once per ``INTAKE_CHECK_DELAY_SECONDS``
per category and product in each web process, and delays it by as much, so that the one
check counts every case its process logged meanwhile (the cost of a broker message, about
0.2 ms, is paid once per burst, not per intake). The sweep is the backstop for the rest.

**Cost.** Counting is one grouped aggregate per dimension over the union of the 1 + W windows,
with a conditional count per window and only the keys whose current count reaches M returned;
three queries per check whatever the number of keys (a check after intake filters them to the
case's keys). A surging key costs a few more statements to record.

**E-mail.** When an alert is created, each active supervisor with an e-mail address gets one
message about it, in their own language (``access.preferences``), claimed per recipient in the
``NotificationLog`` (key ``surge:<alert>:user-<id>``) so that a retry or a second delivery never
sends it twice; ``emailed_at`` is set when every message has gone. The message names the
dimension, the key, the count against the baseline and the window, lists the cases by
reference only, and links to the alert and to the case list filtered to its cases. No customer
detail is in it. A sweep re-enqueues the e-mail of an open alert whose task never started.
"""
from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial, reduce
from operator import or_
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from access.preferences import languages_of
from complaints import roles
from complaints.models import Category, Cause, Complaint
from complaints.states import ComplaintState

from .models import (
    NotificationLog,
    NotificationStatus,
    SurgeAlert,
    SurgeAlertCase,
    SurgeAlertState,
    SurgeDimension,
)

logger = logging.getLogger(__name__)

# An intake's check waits this long, and stands for every intake of its category and product
# in the same process meanwhile (module docstring).
INTAKE_CHECK_DELAY_SECONDS = 30
# An open alert still not e-mailed this long after detection, whose task never wrote a log row,
# had its message lost: the sweep enqueues it again.
MAIL_LOST_AFTER = timedelta(minutes=15)
# The e-mail lists at most this many case references; the link lists them all.
MAIL_MAX_REFERENCES = 50

# The column each dimension groups by.
_COLUMNS = {SurgeDimension.CATEGORY: "category_id", SurgeDimension.CAUSE: "cause_id", SurgeDimension.PRODUCT: "product"}


# --- the rule ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurgeRule:
    """The settings of the rule, checked (``surge_rule``)."""

    window_hours: int
    baseline_weeks: int
    sigma: float
    min_count: int


def _whole(name: str, low: int, high: int | None = None) -> int:
    value = getattr(settings, name)
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ImproperlyConfigured(f"{name} must be a whole number {bounds}; got {value!r}")
    return value


def surge_rule() -> SurgeRule:
    """The rule's settings, read now; ``ImproperlyConfigured`` names a setting out of its range."""
    sigma = settings.SURGE_SIGMA
    if not isinstance(sigma, int | float) or isinstance(sigma, bool) or not math.isfinite(sigma) or sigma < 0:
        raise ImproperlyConfigured(f"SURGE_SIGMA must be a number, 0 or more; got {sigma!r}")
    return SurgeRule(
        window_hours=_whole("SURGE_WINDOW_HOURS", 1, 168),
        baseline_weeks=_whole("SURGE_BASELINE_WEEKS", 2, 52),
        sigma=float(sigma),
        min_count=_whole("SURGE_MIN_COUNT", 1),
    )


@dataclass(frozen=True)
class Verdict:
    """The rule applied to one key's counts."""

    current: int
    baseline: tuple[int, ...]
    mean: float
    sd: float
    threshold: float
    surge: bool


def assess(current: int, baseline: Sequence[int], *, sigma: float, min_count: int) -> Verdict:
    """The rule (module docstring) for a current count and its baseline samples (two or more)."""
    if len(baseline) < 2:
        raise ValueError("the baseline needs at least two samples")
    mean = statistics.fmean(baseline)
    sd = statistics.stdev(baseline)  # the sample standard deviation: divisor len(baseline) - 1
    threshold = mean + sigma * sd
    return Verdict(
        current=current,
        baseline=tuple(baseline),
        mean=mean,
        sd=sd,
        threshold=threshold,
        surge=current >= min_count and current > threshold,
    )


def is_surge(current: int, baseline: Sequence[int], *, sigma: float, min_count: int) -> bool:
    """Whether ``current`` is a surge against ``baseline``: at least ``min_count`` and above mean + sigma x sd."""
    return assess(current, baseline, sigma=sigma, min_count=min_count).surge


def windows(now: datetime, *, hours: int, weeks: int) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` of the current window, then of each baseline sample, the most recent week first.

    Each ends at the local time of ``now`` k weeks earlier and lasts ``hours`` hours.
    """
    local = timezone.localtime(now)
    spans = []
    for week in range(weeks + 1):
        end = (local - timedelta(weeks=week)).astimezone(UTC)  # the same wall-clock time, k weeks before
        spans.append((end - timedelta(hours=hours), end))
    return spans


# --- counting ------------------------------------------------------------------------------
class SurgeKey(NamedTuple):
    """One key of one dimension: a category's or cause's code, or a product's text."""

    dimension: str
    key: str


@dataclass(frozen=True)
class KeyCounts:
    """A key's counts: ``counts[0]`` the current window, then the baseline weeks, the most recent first."""

    dimension: str
    value: int | str  # the grouped column's value: a category's or cause's id, a product's text
    counts: tuple[int, ...]


def _window_q(start: datetime, end: datetime) -> Q:
    return Q(received_at__gte=start, received_at__lt=end)


def counted_cases(dimension: str) -> QuerySet[Complaint]:
    """The cases a dimension counts at all: not merged, and with a cause (a product) for that dimension."""
    cases = Complaint.objects.filter(~Q(state=ComplaintState.MERGED))
    if dimension == SurgeDimension.CAUSE:
        return cases.filter(cause__isnull=False)
    if dimension == SurgeDimension.PRODUCT:
        return cases.exclude(product="")
    return cases


def current_q(spans: Sequence[tuple[datetime, datetime]]) -> Q:
    """The cases of the current window: received in it, and not imported."""
    return _window_q(*spans[0]) & Q(imported_at__isnull=True)


def count_windows(
    dimension: str,
    spans: Sequence[tuple[datetime, datetime]],
    *,
    min_count: int,
    values: Iterable[int | str] | None = None,
) -> list[KeyCounts]:
    """Each key's count in each window, for the keys whose current count reaches ``min_count``.

    One grouped query over the union of the windows, one conditional count per window; ``values``
    (ids, or product texts) limits it to those keys.
    """
    column = _COLUMNS[SurgeDimension(dimension)]
    cases = counted_cases(dimension).filter(reduce(or_, (_window_q(start, end) for start, end in spans)))
    if values is not None:
        cases = cases.filter(**{f"{column}__in": list(values)})
    per_window = {"current": Count("pk", filter=current_q(spans))}
    per_window.update({f"week_{week}": Count("pk", filter=_window_q(*spans[week])) for week in range(1, len(spans))})
    rows = cases.order_by().values(column).annotate(**per_window).filter(current__gte=min_count)
    return [
        KeyCounts(
            dimension=dimension,
            value=row[column],
            counts=(row["current"], *(row[f"week_{week}"] for week in range(1, len(spans)))),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Found:
    """A surging key with its names, ready to record."""

    dimension: str
    value: int | str
    key: str
    label_en: str
    label_zh: str
    verdict: Verdict


def _reference_rows(dimension: str, *, ids: Iterable[int] = (), codes: Iterable[str] = ()) -> dict[int, tuple[str, str, str]]:
    """id -> (code, English name, Chinese name) of the categories or causes with these ids or codes."""
    model: type[Category] | type[Cause] = Category if dimension == SurgeDimension.CATEGORY else Cause
    condition = Q(pk__in=list(ids)) | Q(code__in=list(codes))
    return {pk: (code, en, zh) for pk, code, en, zh in model.objects.filter(condition).values_list("pk", "code", "name_en", "name_zh")}


def find_surges(
    spans: Sequence[tuple[datetime, datetime]], *, rule: SurgeRule, keys: Iterable[SurgeKey] | None = None
) -> list[Found]:
    """The keys surging over ``spans`` (``windows``): every key, or only ``keys``. Three counting queries,
    plus one per dimension to name the categories and causes found (or to look up the codes in ``keys``)."""
    wanted: dict[str, set[str]] | None = None
    if keys is not None:
        wanted = {}
        for dimension, key in keys:
            wanted.setdefault(SurgeDimension(dimension), set()).add(key)
    found: list[Found] = []
    for dimension in SurgeDimension:
        values: list[int | str] | None = None
        names: dict[int, tuple[str, str, str]] = {}
        if wanted is not None:
            if not wanted.get(dimension):
                continue
            if dimension == SurgeDimension.PRODUCT:
                values = list(wanted[dimension])
            else:
                names = _reference_rows(dimension, codes=wanted[dimension])
                values = list(names)
                if not values:
                    continue
        counted = count_windows(dimension, spans, min_count=rule.min_count, values=values)
        surging = [
            (row, verdict)
            for row in counted
            if (verdict := assess(row.counts[0], row.counts[1:], sigma=rule.sigma, min_count=rule.min_count)).surge
        ]
        if surging and dimension != SurgeDimension.PRODUCT and not names:
            names = _reference_rows(dimension, ids=[int(row.value) for row, _verdict in surging])
        for row, verdict in surging:
            if dimension == SurgeDimension.PRODUCT:
                key = label_en = label_zh = str(row.value)
            else:
                key, label_en, label_zh = names[int(row.value)]
            found.append(Found(dimension, row.value, key, label_en, label_zh, verdict))
    return found


# --- recording -----------------------------------------------------------------------------
def is_quiet(*, dimension: str, key: str, window_start: datetime) -> bool:
    """The quiet rule: a closed alert of this key was last seen inside the current window."""
    return SurgeAlert.objects.filter(
        dimension=dimension, key=key, state=SurgeAlertState.CLOSED, last_seen_at__gt=window_start
    ).exists()


def _record(found: Found, *, now: datetime, rule: SurgeRule, spans: Sequence[tuple[datetime, datetime]]) -> SurgeAlert | None:
    """Create the key's open alert, or update it; None when the quiet rule holds. One transaction."""
    verdict = found.verdict
    opened = SurgeAlert.objects.select_for_update().filter(
        dimension=found.dimension, key=found.key, state=SurgeAlertState.OPEN
    )
    with transaction.atomic():
        alert = opened.first()
        created = False
        if alert is None:
            if is_quiet(dimension=found.dimension, key=found.key, window_start=spans[0][0]):
                return None
            try:
                with transaction.atomic():  # a concurrent check may create it first: the constraint decides
                    alert = SurgeAlert.objects.create(
                        dimension=found.dimension,
                        key=found.key,
                        label_en=found.label_en,
                        label_zh=found.label_zh,
                        window_hours=rule.window_hours,
                        detected_at=now,
                        last_seen_at=now,
                        current_count=verdict.current,
                        peak_count=verdict.current,
                        baseline_counts=list(verdict.baseline),
                        baseline_mean=verdict.mean,
                        baseline_sd=verdict.sd,
                        sigma=rule.sigma,
                        min_count=rule.min_count,
                        threshold=verdict.threshold,
                    )
                created = True
            except IntegrityError:
                alert = opened.get()
        if not created and (now > alert.last_seen_at or verdict.current > alert.peak_count):
            # A check that ran late (an older ``now``) never moves the alert back.
            alert.last_seen_at = max(alert.last_seen_at, now)
            alert.peak_count = max(alert.peak_count, verdict.current)
            alert.save(update_fields=["last_seen_at", "peak_count"])
        column = _COLUMNS[SurgeDimension(found.dimension)]
        case_ids = counted_cases(found.dimension).filter(current_q(spans), **{column: found.value}).values_list("pk", flat=True)
        SurgeAlertCase.objects.bulk_create(
            [SurgeAlertCase(alert=alert, complaint_id=case_id, linked_at=now) for case_id in case_ids],
            ignore_conflicts=True,
        )
        if created:
            transaction.on_commit(partial(_enqueue_mail, alert.pk))
    if created:
        logger.info("surge alert %s: %s %s, %d cases (threshold %.1f)", alert.pk, found.dimension, found.key, verdict.current, verdict.threshold)
    return alert


def check_surges(*, now: datetime | None = None, keys: Iterable[SurgeKey] | None = None) -> list[SurgeAlert]:
    """Apply the rule at ``now`` to every key (or to ``keys``) and record what surges.

    Returns the alerts this check created or found open and updated (last seen, peak, cases);
    a key silenced by the quiet rule is left out. Safe to run from several processes at once.
    """
    now = now or timezone.now()
    rule = surge_rule()
    spans = windows(now, hours=rule.window_hours, weeks=rule.baseline_weeks)
    alerts = []
    for found in find_surges(spans, rule=rule, keys=keys):
        alert = _record(found, now=now, rule=rule, spans=spans)
        if alert is not None:
            alerts.append(alert)
    return alerts


def keys_of(case: Complaint) -> list[SurgeKey]:
    """The keys a case counts under: its category, its cause when it has one, its product when it has one."""
    keys = [SurgeKey(SurgeDimension.CATEGORY, case.category.code)]
    if case.cause is not None:
        keys.append(SurgeKey(SurgeDimension.CAUSE, case.cause.code))
    if case.product:
        keys.append(SurgeKey(SurgeDimension.PRODUCT, case.product))
    return keys


def check_after_intake(*, complaint_id: int, now: datetime | None = None) -> list[SurgeAlert]:
    """Check the keys of one case (the intake task); nothing for a case outside the current window."""
    case = Complaint.objects.select_related("category", "cause").filter(pk=complaint_id).first()
    if case is None or case.state == ComplaintState.MERGED or case.imported_at is not None:
        return []
    now = now or timezone.now()
    if case.received_at < now - timedelta(hours=surge_rule().window_hours):
        return []  # back-dated: it is not in the current window, so it cannot have changed a surge
    return check_surges(now=now, keys=keys_of(case))


def surge_sweep(*, now: datetime | None = None) -> dict[str, Any]:
    """Check every key; enqueue again the e-mails of open alerts whose task never started."""
    now = now or timezone.now()
    alerts = check_surges(now=now)
    lost = []
    unmailed = list(
        SurgeAlert.objects.filter(
            state=SurgeAlertState.OPEN, emailed_at__isnull=True, detected_at__lte=now - MAIL_LOST_AFTER
        ).values_list("pk", flat=True)
    )
    if unmailed:
        # A task that started wrote a log row for every supervisor; its retries are Celery's.
        people = [user.pk for user in supervisors()]
        started = {
            int(key.split(":")[1])
            for key in NotificationLog.objects.filter(
                key__in=[_mail_key(alert_id, user_id) for alert_id in unmailed for user_id in people]
            ).values_list("key", flat=True)
        }
        for alert_id in unmailed:
            if alert_id not in started:
                lost.append(alert_id)
                transaction.on_commit(partial(_enqueue_mail, alert_id))
    return {"now": now.isoformat(), "alerts": [alert.pk for alert in alerts], "mail_enqueued_again": lost}


# --- the intake hook -----------------------------------------------------------------------
# (category id, product) -> monotonic time until which this process has a check scheduled.
_intake_checks_due: dict[tuple[int, str], float] = {}


def enqueue_check_after_intake(complaint: Complaint, *, using: str | None = None) -> None:
    """After the intake's transaction commits, enqueue a check of the case's keys (module docstring).

    Costs the request one ``on_commit`` registration; no query. ``robust``: a broker that cannot
    be reached is logged, and never turns the committed intake into an error (the sweep checks
    the key later).
    """
    complaint_id, key = complaint.pk, (complaint.category_id, complaint.product)

    def schedule() -> None:  # a function, not a partial: Django logs a robust callback's __qualname__
        _schedule_intake_check(complaint_id, key)

    transaction.on_commit(schedule, using=using, robust=True)


def _schedule_intake_check(complaint_id: int, key: tuple[int, str]) -> None:
    clock = time.monotonic()
    if _intake_checks_due.get(key, 0.0) > clock:
        return  # a check already scheduled from this process will count this case
    if len(_intake_checks_due) > 10_000:
        _intake_checks_due.clear()
    _intake_checks_due[key] = clock + INTAKE_CHECK_DELAY_SECONDS
    from . import tasks  # tasks imports this module

    tasks.check_surges_for_case.apply_async(args=[complaint_id], countdown=INTAKE_CHECK_DELAY_SECONDS)


# --- closing -------------------------------------------------------------------------------
def surge_alert_close(*, alert: SurgeAlert | int, actor, note: str, now: datetime | None = None) -> SurgeAlert:
    """Close an open alert with a note: supervisors only; the note is required; the alert is locked.

    ``TransitionForbidden`` for anyone but a supervisor, ``ValidationError`` on ``note`` without
    one, ``TransitionNotPossible`` for an alert closed already. A closed alert is never changed.
    """
    from .services import TransitionForbidden, TransitionNotPossible  # services imports this module

    if not roles.is_supervisor(actor):
        raise TransitionForbidden(gettext("Only a supervisor may close a surge alert."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [gettext("Say what was found and what was done about the surge.")]})
    pk = alert.pk if isinstance(alert, SurgeAlert) else alert
    with transaction.atomic():
        locked = SurgeAlert.objects.select_for_update().get(pk=pk)
        if locked.state != SurgeAlertState.OPEN:
            raise TransitionNotPossible(gettext("This surge alert is closed already."), state=locked.state)
        locked.state = SurgeAlertState.CLOSED
        locked.closed_at = now or timezone.now()
        locked.closed_by = actor
        locked.close_note = note
        locked.save(update_fields=["state", "closed_at", "closed_by", "close_note"])
    logger.info("surge alert %s closed by %s", locked.pk, actor.get_username())
    return locked


# --- selectors -----------------------------------------------------------------------------
def alerts_between(start: datetime, end: datetime) -> QuerySet[SurgeAlert]:
    """The alerts detected in ``[start, end)``, the earliest first (the biweekly report's list)."""
    return SurgeAlert.objects.filter(detected_at__gte=start, detected_at__lt=end).order_by("detected_at", "pk")


def open_alerts() -> QuerySet[SurgeAlert]:
    """The open alerts, the most recently detected first (the dashboard's list)."""
    return SurgeAlert.objects.filter(state=SurgeAlertState.OPEN).order_by("-detected_at", "-pk")


# --- e-mail --------------------------------------------------------------------------------
def _enqueue_mail(alert_id: int) -> None:
    from . import tasks  # tasks imports this module

    tasks.send_surge_alert.delay(alert_id)


def _mail_key(alert_id: int, user_id: int) -> str:
    """The notification log's key of one supervisor's message about one alert."""
    return f"surge:{alert_id}:user-{user_id}"


def supervisors() -> list:
    """The active supervisors with an e-mail address, who hear about every alert."""
    User = get_user_model()
    return list(
        User.objects.filter(is_active=True, groups__name=roles.SUPERVISOR).exclude(email="").distinct().order_by("pk")
    )


def alert_link(alert_id: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/admin/workflows/surgealert/{alert_id}/change/"


def cases_link(alert_id: int) -> str:
    """The admin case list filtered to the alert's cases (``desk.admin.changelist.SurgeFilter``)."""
    return f"{settings.SITE_URL.rstrip('/')}/admin/complaints/complaint/?surge={alert_id}"


def bank_name(language: str) -> str:
    """The bank's name for a reader of ``language`` (``BANK_NAME``, or ``BANK_NAME_ZH`` in Chinese)."""
    chinese = getattr(settings, "BANK_NAME_ZH", "")
    return chinese if language.startswith("zh") and chinese else settings.BANK_NAME


def mail_context(alert: SurgeAlert, *, language: str, name: str = "") -> dict[str, Any]:
    """What the alert's message says; call it in the reader's language."""
    linked = alert.cases.order_by("received_at", "pk")
    references = list(linked.values_list("reference", flat=True)[:MAIL_MAX_REFERENCES])
    total = linked.count() if len(references) == MAIL_MAX_REFERENCES else len(references)
    return {
        "bank_name": bank_name(language),
        "name": name,
        "dimension": alert.get_dimension_display(),
        "label": alert.label_in(language),
        "count": alert.current_count,
        "peak": alert.peak_count,
        "hours": alert.window_hours,
        "weeks": len(alert.baseline_counts),
        "baseline_counts": ", ".join(str(count) for count in alert.baseline_counts),
        "mean": f"{alert.baseline_mean:.1f}",
        "sd": f"{alert.baseline_sd:.1f}",
        "sigma": f"{alert.sigma:g}",
        "threshold": f"{alert.threshold:.1f}",
        "min_count": alert.min_count,
        "detected_at": timezone.localtime(alert.detected_at),
        "references": references,
        "more": total - len(references),
        "cases_link": cases_link(alert.pk),
        "alert_link": alert_link(alert.pk),
    }


def render_mail(alert: SurgeAlert, *, language: str, name: str = "") -> tuple[str, str]:
    """Subject and body of the alert's message in ``language``, times in the bank's time zone."""
    with translation.override(language):
        context = mail_context(alert, language=language, name=name)
        subject = " ".join(render_to_string("workflows/email/surge_subject.txt", context).split())
        body = render_to_string("workflows/email/surge_body.txt", context)
    return subject, body


def _send_once(alert: SurgeAlert, user, *, language: str) -> bool:
    """Send ``user`` the alert's message unless its log row says it went; True when this call sent it.

    The log row is locked while sending, so two deliveries of the task cannot both send; an error
    leaves the row unsent and propagates (the task retries).
    """
    key = _mail_key(alert.pk, user.pk)
    with transaction.atomic():
        log = NotificationLog.objects.select_for_update().get(key=key)
        if log.status == NotificationStatus.SENT:
            return False
        subject, body = render_mail(alert, language=language, name=user.get_full_name() or user.get_username())
        EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Content-Language": language},
        ).send()
        log.subject = subject[:200]
        log.status = NotificationStatus.SENT
        log.attempts += 1
        log.sent_at = timezone.now()
        log.last_error = ""
        log.save(update_fields=["subject", "status", "attempts", "sent_at", "last_error"])
    return True


def surge_alert_notify(*, alert_id: int) -> int:
    """E-mail every supervisor about a new alert, once each; returns how many messages this call sent.

    Idempotent: nothing once ``emailed_at`` is set; otherwise each supervisor's message is
    claimed by its log row, so a retry sends only what is missing. A supervisor who joins
    between a failure and its retry is told too.
    """
    alert = SurgeAlert.objects.filter(pk=alert_id).first()
    if alert is None or alert.emailed_at is not None:
        return 0
    people = supervisors()
    languages = languages_of(people)
    NotificationLog.objects.bulk_create(
        [
            NotificationLog(
                key=_mail_key(alert.pk, user.pk), recipient=user, email=user.email, language=languages[user.pk]
            )
            for user in people
        ],
        ignore_conflicts=True,
    )
    sent = 0
    for user in people:
        try:
            sent += _send_once(alert, user, language=languages[user.pk])
        except Exception as error:
            NotificationLog.objects.filter(key=_mail_key(alert.pk, user.pk)).update(
                attempts=F("attempts") + 1, last_error=type(error).__name__[:200]
            )
            logger.warning("surge alert %s: e-mail to user %s failed: %s", alert.pk, user.pk, type(error).__name__)
            raise
    SurgeAlert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not people:
        logger.info("surge alert %s: no supervisor has an e-mail address", alert.pk)
    return sent
