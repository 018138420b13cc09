"""A bank's own targets beside the regulator's clocks: each with its deadline, ladder and badge (issue 12)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from complaints.states import ComplaintState as S
from tests import factories
from workflows import escalation, services
from workflows.calendars import Unit
from workflows.models import CaseTarget, ClockTarget, Escalation, TargetMeasures
from workflows.rule_sets import rule_set_apply

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2 November 2026, 10:00.
START = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def targets(db, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    calendar = rule_set_apply("cn")
    return {
        "five_days": ClockTarget.objects.create(
            code="res5bd", name_en="Resolve in 5 business days", name_zh="5个工作日内办结",
            measures=TargetMeasures.RESOLUTION, window=5, unit=Unit.BUSINESS_DAYS, calendar=calendar, warning_percent=60,
        ),
        "four_hours": ClockTarget.objects.create(
            code="fr4h", name_en="First response in 4 hours (high)", name_zh="高严重度4小时内首次响应",
            measures=TargetMeasures.FIRST_RESPONSE, severity="high", window=4, unit=Unit.HOURS, warning_percent=50,
        ),
        "off": ClockTarget.objects.create(
            code="off", name_en="Switched off", name_zh="已停用", measures=TargetMeasures.RESOLUTION,
            window=1, unit=Unit.CALENDAR_DAYS, is_active=False,
        ),
    }


def test_intake_starts_the_targets_for_the_cases_kind_and_severity(world, targets):
    high = factories.create_case(world, severity="high", received_at=START, now=START)
    medium = factories.create_case(world, severity="medium", received_at=START, now=START)
    assert {t.target.code for t in high.targets.all()} == {"res5bd", "fr4h"}
    assert {t.target.code for t in medium.targets.all()} == {"res5bd"}
    five = high.targets.get(target__code="res5bd")
    # Five business days after Monday 2 November: Monday 9 November, end of day.
    assert five.due == datetime(2026, 11, 9, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    four = high.targets.get(target__code="fr4h")
    assert (four.due, four.warn_at) == (START + timedelta(hours=4), START + timedelta(hours=2))


def test_each_target_has_its_own_two_step_ladder_and_the_regulators_level_is_untouched(world, targets):
    high = factories.create_case(world, severity="high", received_at=START, now=START)
    services.complaint_assign(complaint=high, actor=world.cs, department=world.retail, now=START)
    escalation.escalation_sweep(now=START + timedelta(hours=2, minutes=1), notify=False)
    assert set(Escalation.objects.filter(complaint=high).values_list("clock", "level")) == {("target:fr4h", 1)}
    escalation.escalation_sweep(now=START + timedelta(hours=4, minutes=1), notify=False)
    assert set(Escalation.objects.filter(complaint=high).values_list("clock", "level")) == {
        ("target:fr4h", 1),
        ("target:fr4h", 2),
    }
    high.refresh_from_db()
    assert high.escalation_level == 0  # 24 hours for the regulator's first response are not up
    event = high.events.filter(kind="escalation").latest("id")
    assert event.data["clock"] == "target:fr4h" and event.data["level"] == 2
    # A second sweep claims nothing more.
    again = escalation.escalation_sweep(now=START + timedelta(hours=4, minutes=2), notify=False)
    assert not any(clock.startswith("target:") for clock, _level in again.steps)


def test_respond_stops_first_response_targets_and_resolve_stops_the_rest(world, targets):
    case = factories.create_case(world, severity="high", received_at=START, now=START)
    case = services.complaint_assign(complaint=case, actor=world.cs, department=world.retail, now=START)
    responded = START + timedelta(hours=3)
    case = services.complaint_respond(complaint=case, actor=world.owner, method="phone", message="On it", now=responded)
    four = case.targets.get(target__code="fr4h")
    assert four.stopped_at == responded and four.met is True
    resolved = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)  # after the 5-business-day target
    services.complaint_resolve(
        complaint=case, actor=world.owner, outcome="upheld", summary="Refunded", cause=factories.cause(), compensation=None,
        now=resolved,
    )
    five = CaseTarget.objects.get(complaint=case, target__code="res5bd")
    assert five.stopped_at == resolved and five.met is False


def test_reopen_starts_resolution_targets_afresh_and_resume_moves_them(world, targets):
    case = factories.case_in_state(world, S.RESOLVED, now=START)
    reopened = START + timedelta(days=3)
    case = services.complaint_reopen(complaint=case, actor=world.cs, reason="Not accepted", now=reopened)
    fresh = case.targets.get(target__code="res5bd", stopped_at__isnull=True)
    assert fresh.started_at == reopened
    case = services.complaint_pause(
        complaint=case, actor=world.owner, reason="mediation", customer_notified_by="phone", now=reopened + timedelta(hours=1)
    )
    # While paused the target does not escalate, whatever the time.
    escalation.escalation_sweep(now=fresh.due + timedelta(days=3), notify=False)
    assert not Escalation.objects.filter(complaint=case, clock="target:res5bd", due=fresh.due).exists()
    paused = timedelta(days=2)
    services.complaint_resume(complaint=case, actor=world.owner, now=reopened + timedelta(hours=1) + paused)
    moved = CaseTarget.objects.get(pk=fresh.pk)
    # Reopened Thursday 5 November 10:00, paused 1 hour later for 2 days: counted as if started on
    # Saturday 7 November 11:00, five business days later is Friday 13 November (not the raw +2 days,
    # which from Thursday 12 November would have been Saturday 14 November).
    assert moved.due == datetime(2026, 11, 13, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert fresh.due == datetime(2026, 11, 12, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert moved.due.weekday() < 5


def test_the_case_page_shows_each_target_as_a_badge(client, world, targets):
    case = factories.create_case(world, severity="high", received_at=START, now=START)
    client.force_login(world.supervisor)
    response = client.get(reverse("admin:complaints_complaint_change", args=[case.pk]))
    labels = [clock.label for clock in response.context["clocks"]]
    assert "Resolve in 5 business days" in labels and "First response in 4 hours (high)" in labels
    assert "Switched off" not in labels


def test_the_digest_names_the_target(world, targets, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mail.outbox.clear()
    high = factories.create_case(world, severity="high", received_at=START, now=START)
    services.complaint_assign(complaint=high, actor=world.cs, department=world.retail, now=START)
    with django_capture_on_commit_callbacks(execute=True):
        escalation.escalation_sweep(now=START + timedelta(hours=4, minutes=1))
    bodies = "\n".join(message.body for message in mail.outbox)
    assert "First response in 4 hours (high)" in bodies, bodies[:500]


def test_a_target_on_a_category_applies_to_that_category_only(world, targets):
    ClockTarget.objects.create(
        code="psd15", name_en="Payment services: 15 business days", name_zh="支付服务：15个工作日",
        measures=TargetMeasures.RESOLUTION, category=world.cards_category, window=15, unit=Unit.BUSINESS_DAYS,
    )
    cards = factories.create_case(world, category=world.cards_category, received_at=START, now=START)
    savings = factories.create_case(world, received_at=START, now=START)
    assert "psd15" in {t.target.code for t in cards.targets.all()}
    assert "psd15" not in {t.target.code for t in savings.targets.all()}
