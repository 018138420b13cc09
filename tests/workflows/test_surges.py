"""Surge alerts: the rule on synthetic series, the detector on synthetic cases, one alert per surge,
the quiet rule after a close, the supervisors' e-mail, the intake hook, and the admin."""
from __future__ import annotations

import io
import smtplib
import statistics
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from access.preferences import user_language_set
from complaints.models import Complaint
from tests import factories
from tests.threads import run_at_once
from tests.workflows.imports import files
from workflows import services, surges, tasks
from workflows.models import NotificationLog, SurgeAlert, SurgeAlertCase, SurgeDimension

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday afternoon; the current window is the 24 hours before it.
T = datetime(2026, 3, 2, 15, 0, tzinfo=SHANGHAI)
PII = ["13812345678", "张三", "zhang@example.com", "110101199001011234", "6222021234567890", "Card fee"]


@pytest.fixture(autouse=True)
def _rule(settings):
    settings.SURGE_WINDOW_HOURS = 24
    settings.SURGE_BASELINE_WEEKS = 4
    settings.SURGE_SIGMA = 3.0
    settings.SURGE_MIN_COUNT = 10
    settings.SITE_URL = "https://complaints.bank.example"
    surges._intake_checks_due.clear()
    yield
    surges._intake_checks_due.clear()


@pytest.fixture
def mortgages(db):
    return factories.CategoryFactory(code="mortgage", name_en="Mortgages", name_zh="房贷")


def log(world, count: int, *, at: datetime, category=None, product: str = "", step=timedelta(minutes=5)) -> list[Complaint]:
    """``count`` cases received from ``at`` on, ``step`` apart, each logged when received."""
    cases = []
    for number in range(count):
        received = at + number * step
        cases.append(
            factories.create_case(
                world,
                category=category,
                received_at=received,
                now=received,
                facts=services.CaseFacts(product=product),
            )
        )
    return cases


def baseline(world, per_week, *, category=None, product: str = "") -> None:
    """``per_week[k - 1]`` cases in the window k weeks before ``T`` (two hours before its end)."""
    for week, count in enumerate(per_week, start=1):
        log(world, count, at=T - timedelta(weeks=week, hours=2), category=category, product=product, step=timedelta(minutes=1))


# --- the rule on synthetic series (no database) ---------------------------------------------
def test_a_spike_over_a_flat_baseline_is_a_surge():
    assert surges.is_surge(12, [2, 2, 2, 2], sigma=3.0, min_count=10)
    assert not surges.is_surge(2, [2, 2, 2, 2], sigma=3.0, min_count=10)


def test_a_spike_below_the_minimum_is_not_a_surge():
    assert not surges.is_surge(9, [0, 0, 0, 0], sigma=3.0, min_count=10)
    assert surges.is_surge(10, [0, 0, 0, 0], sigma=3.0, min_count=10)


def test_a_noisy_baseline_needs_more_than_three_standard_deviations():
    noisy = [5, 15, 2, 18]  # mean 10, sample sd 7.7: the threshold is 33.1
    verdict = surges.assess(30, noisy, sigma=3.0, min_count=10)
    assert not verdict.surge
    assert verdict.threshold == pytest.approx(10 + 3 * statistics.stdev(noisy))
    assert surges.is_surge(34, noisy, sigma=3.0, min_count=10)


def test_the_standard_deviation_is_the_sample_one_and_the_threshold_is_strict():
    verdict = surges.assess(12, [1, 3], sigma=1.0, min_count=1)
    assert verdict.mean == 2 and verdict.sd == pytest.approx(2**0.5)  # the population one would be 1
    assert not surges.is_surge(1, [1, 1, 1, 1], sigma=3.0, min_count=1)  # equal to the threshold
    assert surges.is_surge(2, [1, 1, 1, 1], sigma=3.0, min_count=1)


def test_baseline_windows_end_at_the_same_local_time_each_week_across_daylight_saving():
    london = ZoneInfo("Europe/London")
    now = datetime(2026, 4, 1, 9, 30, tzinfo=london)  # summer time; four weeks earlier was winter time
    with timezone.override(london):
        spans = surges.windows(now, hours=24, weeks=4)
    assert len(spans) == 5
    assert spans[0] == (now - timedelta(hours=24), now)
    for week, (start, end) in enumerate(spans):
        assert end.astimezone(london).replace(tzinfo=None) == datetime(2026, 4, 1, 9, 30) - timedelta(weeks=week)
        assert end - start == timedelta(hours=24)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SURGE_WINDOW_HOURS", 0),
        ("SURGE_WINDOW_HOURS", 169),
        ("SURGE_BASELINE_WEEKS", 1),
        ("SURGE_MIN_COUNT", 0),
        ("SURGE_MIN_COUNT", True),
        ("SURGE_SIGMA", -1.0),
        ("SURGE_SIGMA", float("nan")),
        ("SURGE_SIGMA", "3"),
    ],
)
def test_settings_out_of_range_are_refused_by_name(settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        surges.surge_rule()


# --- the detector on synthetic cases ---------------------------------------------------------
def test_a_category_surge_is_detected_with_its_numbers_and_cases(world, mortgages):
    baseline(world, [2, 2, 2, 2], category=mortgages)
    spike = log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    log(world, 3, at=T - timedelta(hours=3))  # another category, no surge

    [alert] = surges.check_surges(now=T)

    assert (alert.dimension, alert.key, alert.label_en, alert.label_zh) == ("category", "mortgage", "Mortgages", "房贷")
    assert (alert.current_count, alert.peak_count, alert.baseline_counts) == (12, 12, [2, 2, 2, 2])
    assert (alert.baseline_mean, alert.baseline_sd, alert.threshold) == (2.0, 0.0, 2.0)
    assert (alert.window_hours, alert.sigma, alert.min_count, alert.state) == (24, 3.0, 10, "open")
    assert alert.detected_at == alert.last_seen_at == T
    assert set(alert.cases.values_list("pk", flat=True)) == {case.pk for case in spike}
    assert SurgeAlert.objects.count() == 1


def test_no_alert_without_a_surge(world, mortgages):
    baseline(world, [8, 12, 9, 11], category=mortgages)
    log(world, 12, at=T - timedelta(hours=3), category=mortgages)  # within the usual spread
    log(world, 9, at=T - timedelta(hours=3))  # a quiet category: below the minimum
    assert surges.check_surges(now=T) == []
    assert not SurgeAlert.objects.exists()


def test_cases_outside_the_window_do_not_count(world, mortgages):
    log(world, 6, at=T - timedelta(hours=25), category=mortgages)  # before the window
    log(world, 6, at=T - timedelta(hours=2), category=mortgages)
    assert surges.check_surges(now=T) == []
    assert len(surges.check_surges(now=T + timedelta(hours=1))) == 0
    log(world, 4, at=T + timedelta(minutes=1), category=mortgages)
    assert [alert.key for alert in surges.check_surges(now=T + timedelta(hours=1))] == ["mortgage"]


def test_a_product_surge_across_categories(world, mortgages):
    log(world, 6, at=T - timedelta(hours=5), category=mortgages, product="Credit card")
    log(world, 6, at=T - timedelta(hours=4), category=world.routed, product="Credit card")
    log(world, 12, at=T - timedelta(hours=4), category=world.cards_category)  # no product: not counted by product

    alerts = surges.check_surges(now=T)

    assert sorted((alert.dimension, alert.key) for alert in alerts) == [("category", "cards"), ("product", "Credit card")]
    product = next(alert for alert in alerts if alert.dimension == SurgeDimension.PRODUCT)
    assert (product.label_en, product.label_zh, product.current_count) == ("Credit card", "Credit card", 12)


def test_merged_cases_are_not_counted(world, mortgages):
    cases = log(world, 10, at=T - timedelta(hours=3), category=mortgages)
    other = factories.create_case(world, received_at=T - timedelta(hours=2), now=T - timedelta(hours=2))
    services.complaint_merge(complaint=cases[0], actor=world.cs, into=other, now=T - timedelta(hours=1))
    assert surges.check_surges(now=T) == []  # 9 counted, the minimum is 10
    log(world, 1, at=T - timedelta(minutes=30), category=mortgages)
    [alert] = surges.check_surges(now=T)
    assert alert.current_count == 10 and cases[0].pk not in set(alert.cases.values_list("pk", flat=True))


def test_a_cause_surge_counts_the_cases_resolved_with_it(world, mortgages):
    cases = log(world, 11, at=T - timedelta(hours=6), category=mortgages)
    owner_cause = factories.cause("fees-pricing")
    for case in cases[:10]:
        case = services.complaint_assign(complaint=case, actor=world.cs, department=world.retail, now=T - timedelta(hours=2))
        case = services.complaint_respond(complaint=case, actor=world.owner, method="phone", message="On it", now=T - timedelta(hours=2))
        services.complaint_resolve(
            complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=owner_cause,
            compensation=Decimal("10.00"), now=T - timedelta(hours=1),
        )  # fmt: skip

    found = sorted((alert.dimension, alert.key, alert.current_count) for alert in surges.check_surges(now=T))

    assert found == [("category", "mortgage", 11), ("cause", "fees-pricing", 10)]


def test_imported_cases_count_in_the_baseline_but_never_raise_an_alert(world, tmp_path, mortgages):
    rows = [
        files.case_row(
            f"IMP-{number}",
            category="mortgage",
            received_at=(T - timedelta(hours=5, minutes=number)).isoformat(),
            state="new",
            **{name: "" for name in ("first_responded_at", "first_response_method", "resolved_at", "outcome", "cause",
                                     "resolution_summary", "closed_at", "satisfaction")},
        )  # fmt: skip
        for number in range(12)
    ]
    written = files.write_case_file(tmp_path, rows)
    call_command("import_complaints", str(written.path), format="csv", user="cs", stdout=io.StringIO(), stderr=io.StringIO())
    assert Complaint.objects.filter(category=mortgages, imported_at__isnull=False).count() == 12

    assert surges.check_surges(now=T) == []  # imported into the current window: not an alert
    # A week later the same twelve are the baseline of that week: 12 live cases are no surge.
    log(world, 12, at=T + timedelta(weeks=1, hours=-5), category=mortgages)
    assert surges.check_surges(now=T + timedelta(weeks=1)) == []


# --- one alert per surge ---------------------------------------------------------------------
def test_the_same_surge_in_two_sweeps_is_one_alert_with_its_peak_and_cases_updated(world, mortgages, django_capture_on_commit_callbacks):
    first = log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    with django_capture_on_commit_callbacks() as created:
        [alert] = surges.check_surges(now=T)
    later = log(world, 3, at=T + timedelta(minutes=10), category=mortgages)
    with django_capture_on_commit_callbacks() as updated:
        [again] = surges.check_surges(now=T + timedelta(hours=1))

    assert again.pk == alert.pk and SurgeAlert.objects.count() == 1
    alert.refresh_from_db()
    assert (alert.current_count, alert.peak_count) == (12, 15)
    assert (alert.detected_at, alert.last_seen_at) == (T, T + timedelta(hours=1))
    assert set(alert.cases.values_list("pk", flat=True)) == {case.pk for case in first + later}
    assert len(created) == 1 and updated == []  # the e-mail is enqueued by the check that created the alert only

    # A check that ran late (an older instant, a lower count) moves nothing back.
    surges.check_surges(now=T + timedelta(minutes=30))
    alert.refresh_from_db()
    assert (alert.peak_count, alert.last_seen_at) == (15, T + timedelta(hours=1))
    assert SurgeAlertCase.objects.filter(alert=alert).count() == 15


def test_an_open_alert_is_not_closed_by_the_surge_ending(world, mortgages):
    log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    [alert] = surges.check_surges(now=T)
    assert surges.check_surges(now=T + timedelta(days=2)) == []
    alert.refresh_from_db()
    assert alert.state == "open" and alert.last_seen_at == T
    assert list(surges.open_alerts()) == [alert]


def test_a_check_after_intake_looks_at_the_cases_keys_only(world, mortgages):
    cases = log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    log(world, 12, at=T - timedelta(hours=3), product="Savings account")
    alerts = surges.check_after_intake(complaint_id=cases[-1].pk, now=T)
    assert [(alert.dimension, alert.key) for alert in alerts] == [("category", "mortgage")]
    # A back-dated intake outside the window checks nothing.
    old = factories.create_case(world, category=mortgages, received_at=T - timedelta(days=3), now=T)
    assert surges.check_after_intake(complaint_id=old.pk, now=T) == []
    assert surges.check_after_intake(complaint_id=0, now=T) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_make_one_alert(world, monkeypatch):
    category = factories.CategoryFactory(code="mortgage", name_en="Mortgages", name_zh="房贷")
    log(world, 12, at=T - timedelta(hours=3), category=category)
    mailed = []
    lock = threading.Lock()

    def record(alert_id):
        with lock:
            mailed.append(alert_id)

    monkeypatch.setattr(surges, "_enqueue_mail", record)
    results = run_at_once(*[lambda: surges.check_surges(now=T) for _ in range(4)])

    assert all(isinstance(result, list) for result in results), results
    alert = SurgeAlert.objects.get()
    assert all([found.pk for found in result] == [alert.pk] for result in results)
    assert mailed == [alert.pk]
    assert SurgeAlertCase.objects.filter(alert=alert).count() == 12


# --- closing and the quiet rule --------------------------------------------------------------
def test_closing_needs_a_supervisor_and_a_note(world, mortgages):
    log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    [alert] = surges.check_surges(now=T)
    with pytest.raises(services.TransitionForbidden):
        surges.surge_alert_close(alert=alert, actor=world.owner, note="Looked at it")
    with pytest.raises(ValidationError) as error:
        surges.surge_alert_close(alert=alert, actor=world.supervisor, note="   ")
    assert list(error.value.message_dict) == ["note"]
    alert.refresh_from_db()
    assert alert.state == "open"

    closed = surges.surge_alert_close(
        alert=alert, actor=world.supervisor, note=" Rate change letter; FAQ updated ", now=T + timedelta(minutes=10)
    )
    assert (closed.state, closed.closed_at, closed.closed_by, closed.close_note) == (
        "closed", T + timedelta(minutes=10), world.supervisor, "Rate change letter; FAQ updated"
    )
    with pytest.raises(services.TransitionNotPossible):
        surges.surge_alert_close(alert=alert.pk, actor=world.supervisor, note="Again")


def test_after_a_close_the_key_alerts_again_only_for_a_window_of_later_cases(world, mortgages):
    log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    [closed] = surges.check_surges(now=T)
    surges.surge_alert_close(alert=closed, actor=world.supervisor, note="Known: the rate letter", now=T + timedelta(minutes=10))
    # The surge goes on: more cases after the close.
    log(world, 12, at=T + timedelta(hours=1), category=mortgages, step=timedelta(minutes=30))

    assert surges.check_surges(now=T + timedelta(minutes=15)) == []  # still the surge just closed
    assert surges.check_surges(now=T + timedelta(hours=23, minutes=59)) == []  # its window still reaches back past T
    closed.refresh_from_db()
    assert closed.last_seen_at == T and closed.peak_count == 12  # a closed alert is never changed

    [fresh] = surges.check_surges(now=T + timedelta(hours=24))  # a window of cases received after T only
    assert fresh.pk != closed.pk and fresh.current_count == 12
    assert not set(fresh.cases.values_list("pk", flat=True)) & set(closed.cases.values_list("pk", flat=True))
    assert list(surges.alerts_between(T - timedelta(hours=1), T + timedelta(days=2))) == [closed, fresh]
    assert list(surges.alerts_between(T, T + timedelta(hours=24))) == [closed]
    assert list(surges.open_alerts()) == [fresh]


# --- e-mail ----------------------------------------------------------------------------------
def test_each_supervisor_is_mailed_once_in_their_language_without_customer_details(world, mortgages):
    zh = factories.UserFactory(username="supervisor_zh", first_name="丽", last_name="王", roles=["supervisor"])
    user_language_set(user=zh, language="zh-hans")
    factories.UserFactory(username="no_address", email="", roles=["supervisor"])
    factories.UserFactory(username="gone", is_active=False, roles=["supervisor"])
    baseline(world, [1, 3, 2, 2], category=mortgages)
    cases = log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    [alert] = surges.check_surges(now=T)

    assert tasks.send_surge_alert.apply(args=[alert.pk]).get() == 2
    assert tasks.send_surge_alert.apply(args=[alert.pk]).get() == 0

    assert sorted(message.to[0] for message in mail.outbox) == ["supervisor@bank.example", "supervisor_zh@bank.example"]
    english = next(message for message in mail.outbox if message.to == ["supervisor@bank.example"])
    chinese = next(message for message in mail.outbox if message.to == ["supervisor_zh@bank.example"])
    assert english.extra_headers["Content-Language"] == "en" and chinese.extra_headers["Content-Language"] == "zh-hans"
    assert english.subject == "[Demo Bank] Surge alert (category Mortgages): 12 cases in 24 hours"
    assert "房贷" in chinese.subject and "演示银行" in chinese.subject
    assert "房贷" in chinese.body and "Mortgages" not in chinese.body
    body = english.body
    assert "Cases of one category are coming in far above their usual number: Mortgages." in body
    assert "Cases received in the 24 hours before: 12\n" in body
    assert "The same hours in each of the previous 4 weeks: 1, 3, 2, 2 (mean 2.0, standard deviation 0.8)" in body
    assert "A surge is more than 4.4 cases (the mean plus 3 standard deviations), and at least 10." in body
    assert f"https://complaints.bank.example/admin/workflows/surgealert/{alert.pk}/change/" in body
    assert f"https://complaints.bank.example/admin/complaints/complaint/?surge={alert.pk}" in body
    assert all(case.reference in body for case in cases)
    for message in mail.outbox:
        assert not [text for text in PII if text in message.subject + message.body]
    alert.refresh_from_db()
    assert alert.emailed_at is not None
    assert sorted(NotificationLog.objects.values_list("key", "language", "status")) == [
        (f"surge:{alert.pk}:user-{world.supervisor.pk}", "en", "sent"),
        (f"surge:{alert.pk}:user-{zh.pk}", "zh-hans", "sent"),
    ]


class FlakyBackend(EmailBackend):
    """The locmem backend; the second message of the run fails once like a dropped SMTP link."""

    calls = 0

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls == 2:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return super().send_messages(messages)


def test_a_failed_message_is_retried_without_mailing_anyone_twice(world, mortgages, settings):
    settings.EMAIL_BACKEND = "tests.workflows.test_surges.FlakyBackend"
    FlakyBackend.calls = 0
    factories.UserFactory(username="supervisor2", roles=["supervisor"])
    log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    [alert] = surges.check_surges(now=T)

    outcome = tasks.send_surge_alert.apply(args=[alert.pk])

    assert outcome.successful()
    assert sorted(message.to[0] for message in mail.outbox) == ["supervisor2@bank.example", "supervisor@bank.example"]
    assert sorted(NotificationLog.objects.values_list("status", "attempts")) == [("sent", 1), ("sent", 2)]


def test_a_sweep_enqueues_again_only_the_mail_that_never_started(world, mortgages, django_capture_on_commit_callbacks, monkeypatch):
    log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    [lost] = surges.check_surges(now=T)  # its on_commit never ran: the message was lost
    enqueued = []
    monkeypatch.setattr(surges, "_enqueue_mail", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        surges.surge_sweep(now=T + timedelta(minutes=5))
    assert enqueued == []  # too early to call it lost
    with django_capture_on_commit_callbacks(execute=True):
        result = surges.surge_sweep(now=T + timedelta(minutes=20))
    assert enqueued == [lost.pk] and result["mail_enqueued_again"] == [lost.pk]
    surges.surge_alert_notify(alert_id=lost.pk)
    with django_capture_on_commit_callbacks(execute=True):
        surges.surge_sweep(now=T + timedelta(minutes=40))
    assert enqueued == [lost.pk]


# --- triggering -------------------------------------------------------------------------------
def test_intake_enqueues_one_delayed_check_per_category_and_product(world, mortgages, django_capture_on_commit_callbacks, monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        tasks.check_surges_for_case, "apply_async", lambda args, countdown: enqueued.append((args, countdown))
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = factories.create_case(world, category=mortgages)
    assert len(callbacks) == 1 and enqueued == [([first.pk], surges.INTAKE_CHECK_DELAY_SECONDS)]

    with django_capture_on_commit_callbacks(execute=True):
        factories.create_case(world, category=mortgages)  # the check already scheduled counts it
        other = factories.create_case(world, category=world.routed)
        product = factories.create_case(world, category=mortgages, facts=services.CaseFacts(product="Mortgage"))
    assert [args for args, _countdown in enqueued] == [[first.pk], [other.pk], [product.pk]]


def test_the_intake_task_records_the_surge(world, mortgages):
    cases = log(world, 12, at=timezone.now() - timedelta(hours=3), category=mortgages)
    ids = tasks.check_surges_for_case.apply(args=[cases[-1].pk]).get()
    assert ids == [SurgeAlert.objects.get(key="mortgage").pk]


def test_an_import_of_history_enqueues_no_check_and_raises_no_alert(world, tmp_path, django_capture_on_commit_callbacks, monkeypatch):
    checks = []
    monkeypatch.setattr(surges, "enqueue_check_after_intake", lambda *args, **kwargs: checks.append(args))
    rows = [files.case_row(f"HIST-{number}", received_at=f"2025-03-03T09:{number:02d}:00+08:00") for number in range(12)]
    written = files.write_case_file(tmp_path, rows)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_complaints", str(written.path), format="csv", user="cs", stdout=io.StringIO(), stderr=io.StringIO())
    assert Complaint.objects.count() == 12 and checks == []
    assert surges.check_surges(now=datetime(2025, 3, 3, 18, 0, tzinfo=SHANGHAI)) == []
    assert surges.check_surges() == []


# --- admin -------------------------------------------------------------------------------------
def test_supervisors_read_and_close_alerts_in_the_admin(client, world, mortgages):
    cases = log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    log(world, 2, at=T - timedelta(hours=3))
    [alert] = surges.check_surges(now=T)
    client.force_login(world.supervisor)

    listing = client.get(reverse("admin:workflows_surgealert_changelist"))
    assert listing.status_code == 200 and b"Mortgages" in listing.content
    page = client.get(reverse("admin:workflows_surgealert_change", args=[alert.pk]))
    assert page.status_code == 200
    assert all(case.reference.encode() in page.content for case in cases)
    close_url = reverse("admin:workflows_surgealert_close", args=[alert.pk])
    assert close_url.encode() in page.content
    filtered = client.get(reverse("admin:complaints_complaint_changelist"), {"surge": alert.pk})
    assert {case.reference for case in filtered.context["cl"].result_list} == {case.reference for case in cases}
    assert client.get(reverse("admin:complaints_complaint_changelist"), {"surge": "x"}).context["cl"].result_count == 0

    refused = client.post(close_url, {"note": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["note"]
    done = client.post(close_url, {"note": "Rate change letter; FAQ updated"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.closed_by, alert.close_note) == ("closed", world.supervisor, "Rate change letter; FAQ updated")
    assert close_url.encode() not in client.get(reverse("admin:workflows_surgealert_change", args=[alert.pk])).content
    assert client.post(close_url, {"note": "Again"}).status_code == 302
    alert.refresh_from_db()
    assert alert.close_note == "Rate change letter; FAQ updated"


@pytest.mark.parametrize("role", ["cs", "owner", "member", "outsider"])
def test_other_roles_see_no_surge_alerts(client, world, mortgages, role):
    log(world, 12, at=T - timedelta(hours=3), category=mortgages)
    [alert] = surges.check_surges(now=T)
    client.force_login(getattr(world, role))
    assert client.get(reverse("admin:workflows_surgealert_changelist")).status_code == 403
    assert client.post(reverse("admin:workflows_surgealert_close", args=[alert.pk]), {"note": "x"}).status_code == 403
    alert.refresh_from_db()
    assert alert.state == "open"


def test_a_broker_that_cannot_be_reached_does_not_fail_the_committed_intake(
    world, mortgages, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.check_surges_for_case, "apply_async", unreachable)
    # Callbacks run as a commit runs them: a robust one's error is logged, not raised.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = factories.create_case(world, category=mortgages)
    assert callbacks
    assert Complaint.objects.filter(pk=case.pk).exists()
    assert "broker down" in caplog.text
