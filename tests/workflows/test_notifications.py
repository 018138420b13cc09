"""Escalation e-mails: recipients per level, grouping, language, masking, idempotent retries."""
from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.locmem import EmailBackend

from complaints.models import Complaint
from tests import factories
from workflows import escalation, notifications, services, tasks
from workflows.models import Escalation, NotificationLog

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
PII = ["13812345678", "张三", "zhang@example.com", "110101199001011234", "6222021234567890", "Card fee"]


def routed_case(world, *, received=RECEIVED, department=None, **kwargs):
    department = department or world.retail
    assignee = world.member if department == world.retail else world.other_member
    with time_machine.travel(received, tick=False):
        case = factories.create_case(world, now=received, **kwargs)
        return services.complaint_assign(
            complaint=case, actor=world.cs, department=department, assignee=assignee, now=received
        )


def sweep_and_send(moment, **kwargs) -> escalation.SweepResult:
    """A sweep at ``moment``; its notification task runs eagerly (as a worker would run it)."""
    with time_machine.travel(moment, tick=False):
        result = escalation.escalation_sweep(notify=False, **kwargs)
        if result.total:
            tasks.send_escalation_notifications.apply(args=[result.sweep]).get()
    return result


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def more_people(world):
    second_member = factories.UserFactory(username="member2", roles=["dept_member"])
    world.retail.members.add(second_member)
    factories.UserFactory(username="supervisor2", roles=["supervisor"])
    return world


def test_level_1_goes_to_the_assignee_and_department_members(more_people):
    case = routed_case(more_people)
    sweep_and_send(case.first_response_due - timedelta(hours=1))
    assert recipients() == ["member2@bank.example", "member@bank.example"]


def test_level_2_goes_to_department_owners(more_people):
    case = routed_case(more_people)
    sweep_and_send(case.first_response_due - timedelta(hours=1))
    mail.outbox.clear()
    sweep_and_send(case.first_response_due + timedelta(hours=1))
    assert recipients() == ["owner@bank.example"]


def test_level_3_and_review_go_to_supervisors(more_people):
    case = routed_case(more_people)
    sweep_and_send(case.first_response_due + timedelta(hours=25))
    assert recipients() == ["supervisor2@bank.example", "supervisor@bank.example"]
    mail.outbox.clear()
    resolved = factories.case_in_state(more_people, "resolved", now=RECEIVED)
    sweep_and_send(resolved.review_due + timedelta(minutes=1))
    assert recipients() == ["supervisor2@bank.example", "supervisor@bank.example"]
    assert "review call-back" in mail.outbox[0].body.lower()


def test_unrouted_cases_go_to_customer_service(world):
    with time_machine.travel(RECEIVED, tick=False):
        factories.create_case(world, now=RECEIVED)
    sweep_and_send(RECEIVED + timedelta(hours=25))
    assert recipients() == ["cs@bank.example"]


def test_department_address_gets_levels_1_and_2(world):
    world.retail.notification_email = "retail-desk@bank.example"
    world.retail.save()
    case = routed_case(world)
    sweep_and_send(case.first_response_due + timedelta(hours=1))
    assert recipients() == ["owner@bank.example", "retail-desk@bank.example"]


def test_one_message_per_recipient_per_sweep_lists_every_case(world):
    cases = [routed_case(world) for _ in range(5)]
    sweep_and_send(RECEIVED + timedelta(hours=25), batch_size=2)
    assert recipients() == ["owner@bank.example"]
    message = mail.outbox[0]
    for case in cases:
        assert case.reference in message.body
        assert f"/admin/complaints/complaint/{case.pk}/change/" in message.body
    assert "5 cases need attention" in message.subject


def test_messages_show_only_the_reference_masked_phone_and_link(world, settings):
    settings.SITE_URL = "https://complaints.bank.example/"
    case = routed_case(world)
    sweep_and_send(case.first_response_due + timedelta(hours=25))
    assert mail.outbox
    for message in mail.outbox:
        text = message.subject + message.body
        assert case.reference in text
        assert "138****5678" in text
        assert f"https://complaints.bank.example/admin/complaints/complaint/{case.pk}/change/" in text
        for value in PII:
            assert value not in text


def test_the_customer_is_never_emailed(world):
    routed_case(world)
    for hours in (20, 25, 49):
        sweep_and_send(RECEIVED + timedelta(hours=hours))
    assert len(mail.outbox) == 3
    assert "zhang@example.com" not in recipients()


@pytest.mark.parametrize(
    ("language", "deadline"),
    [("en", "March 3, 2026, 9 a.m."), ("zh-hans", "2026年3月3日 09:00")],
)
def test_messages_are_rendered_in_the_recipients_language(world, settings, language, deadline):
    settings.LANGUAGE_CODE = language
    case = routed_case(world)
    sweep_and_send(case.first_response_due + timedelta(hours=1))
    message = mail.outbox[0]
    assert message.extra_headers["Content-Language"] == language
    # The deadline in the language's format and the bank's time zone (09:00 local is 01:00 UTC).
    assert f"{deadline}\n" in message.body
    assert NotificationLog.objects.get().language == language


def test_notifications_are_enqueued_after_commit(world, django_capture_on_commit_callbacks):
    routed_case(world)
    with time_machine.travel(RECEIVED + timedelta(hours=25), tick=False):
        with django_capture_on_commit_callbacks() as callbacks:
            result = escalation.escalation_sweep()
    assert result.total == 1
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_second_run_of_the_same_task_sends_nothing(world):
    routed_case(world)
    with time_machine.travel(RECEIVED + timedelta(hours=25), tick=False):
        result = escalation.escalation_sweep(notify=False)
        assert notifications.escalation_notify(sweep=result.sweep, batch="task-1") == 1
        assert notifications.escalation_notify(sweep=result.sweep, batch="task-1") == 0
        # Another task for the same sweep finds nothing left to take over.
        assert notifications.escalation_notify(sweep=result.sweep, batch="task-2") == 0
    assert len(mail.outbox) == 1
    log = NotificationLog.objects.get()
    assert log.status == "sent" and log.attempts == 1
    assert log.escalation_ids == list(Escalation.objects.values_list("pk", flat=True))


def test_stale_sweeps_whose_mail_was_never_enqueued_are_picked_up(world, django_capture_on_commit_callbacks):
    routed_case(world)
    moment = RECEIVED + timedelta(hours=25)
    lost = escalation.escalation_sweep(now=moment, notify=False)  # its worker "died" before enqueueing
    with django_capture_on_commit_callbacks() as callbacks:
        later = escalation.escalation_sweep(now=moment + timedelta(minutes=20))
    assert later.total == 0
    assert later.renotified == [lost.sweep]
    assert len(callbacks) == 1


class FlakyBackend(EmailBackend):
    """The locmem backend, but the second message of the run fails once like a dropped SMTP link."""

    failures_left = 0
    error: type[Exception] = smtplib.SMTPServerDisconnected
    calls = 0

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls == 2 and FlakyBackend.failures_left:
            FlakyBackend.failures_left -= 1
            raise FlakyBackend.error("connection lost")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.workflows.test_notifications.FlakyBackend"
    FlakyBackend.calls = 0
    FlakyBackend.failures_left = 1
    FlakyBackend.error = smtplib.SMTPServerDisconnected
    return FlakyBackend


def test_smtp_errors_are_retried_without_sending_twice(world, flaky):
    case = routed_case(world)
    world.retail.members.add(factories.UserFactory(username="member2", roles=["dept_member"]))
    world.retail.members.add(factories.UserFactory(username="member3", roles=["dept_member"]))
    with time_machine.travel(case.first_response_due - timedelta(hours=1), tick=False):
        result = escalation.escalation_sweep(notify=False)
        outcome = tasks.send_escalation_notifications.apply(args=[result.sweep])
    assert outcome.successful()
    assert recipients() == ["member2@bank.example", "member3@bank.example", "member@bank.example"]
    assert sorted(NotificationLog.objects.values_list("status", "attempts")) == [
        ("sent", 1), ("sent", 1), ("sent", 2)
    ]


def test_other_errors_are_not_retried(world, flaky):
    flaky.error = ValueError
    flaky.calls = 1  # the first message fails
    case = routed_case(world)
    with time_machine.travel(case.first_response_due - timedelta(hours=1), tick=False):
        result = escalation.escalation_sweep(notify=False)
        outcome = tasks.send_escalation_notifications.apply(args=[result.sweep])
    assert outcome.failed()
    assert isinstance(outcome.result, ValueError)
    assert mail.outbox == []
    assert list(NotificationLog.objects.values_list("status", "attempts", "last_error")) == [("pending", 1, "ValueError")]
    assert Complaint.objects.get(pk=case.pk).escalation_level == 1


def messages_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_a_case_past_both_clocks_is_listed_once_with_each_clock(world):
    """A backlog case past its first-response and its resolution deadline: one entry, two steps."""
    case = routed_case(world)
    sweep_and_send(RECEIVED + timedelta(days=20))
    assert sorted(Escalation.objects.values_list("clock", "level")) == [("first_response", 3), ("resolution", 3)]
    message = messages_to("supervisor@bank.example")[0]
    assert message.body.count(case.reference) == 1
    assert message.body.count(f"/admin/complaints/complaint/{case.pk}/change/") == 1
    assert "First response: level 3 (Escalated to supervisors)" in message.body
    assert "Resolution: level 3 (Escalated to supervisors)" in message.body
    assert "1 case needs attention" in message.subject
    assert "Level 3 (Escalated to supervisors): 1 case\n" in message.body
    log = NotificationLog.objects.get(email="supervisor@bank.example")
    assert log.escalation_ids == sorted(Escalation.objects.values_list("pk", flat=True))


def test_a_digest_lists_at_most_the_limit_and_links_the_rest(world, settings):
    settings.ESCALATION_DIGEST_MAX_CASES = 3
    settings.SITE_URL = "https://complaints.bank.example/"
    cases = [routed_case(world, received=RECEIVED + timedelta(minutes=minute)) for minute in range(7)]
    sweep_and_send(RECEIVED + timedelta(hours=25))
    assert recipients() == ["owner@bank.example"]
    body = mail.outbox[0].body
    # The three most urgent (earliest deadlines) are listed, the other four only counted.
    assert [case.reference in body for case in cases] == [True] * 3 + [False] * 4
    assert "7 cases need attention" in mail.outbox[0].subject
    assert "Level 2 (Overdue): 7 cases\n" in body
    assert "The 3 most urgent cases:" in body
    assert "4 more cases are not listed here; find them in the case list:\n" in body
    assert "https://complaints.bank.example/admin/complaints/complaint/?escalation=2&open=yes" in body
    for value in PII:
        assert value not in body


def test_a_digest_stays_bounded_however_many_cases(world, settings):
    settings.ESCALATION_DIGEST_MAX_CASES = 2
    for minute in range(3):
        routed_case(world, received=RECEIVED + timedelta(minutes=minute))
    sweep_and_send(RECEIVED + timedelta(hours=25))
    three = len(mail.outbox[0].body.splitlines())
    mail.outbox.clear()
    for minute in range(3, 12):
        routed_case(world, received=RECEIVED + timedelta(minutes=minute))
    sweep_and_send(RECEIVED + timedelta(hours=25))
    assert "9 cases need attention" in mail.outbox[0].subject
    assert len(mail.outbox[0].body.splitlines()) == three


def test_counts_per_level_and_department_in_one_message_per_recipient(world, settings):
    world.retail.notification_email = "retail-desk@bank.example"
    world.retail.save()
    overdue = [routed_case(world, received=RECEIVED + timedelta(minutes=minute)) for minute in range(3)]
    # Received 5 hours later: 20 of the 24 hours gone at the sweep, a warning.
    warned = [routed_case(world, received=RECEIVED + timedelta(hours=5, minutes=minute)) for minute in range(2)]
    sweep_and_send(RECEIVED + timedelta(hours=25))
    assert recipients() == ["member@bank.example", "owner@bank.example", "retail-desk@bank.example"]
    desk = messages_to("retail-desk@bank.example")[0].body
    assert "5 cases that need your attention" in desk
    assert "Level 2 (Overdue): 3 cases\n" in desk
    assert "Level 1 (Warning): 2 cases\n" in desk
    assert f"{settings.SITE_URL.rstrip('/')}/admin/complaints/complaint/?escalation=1&open=yes" in desk
    assert "  Department retail: 5\n" in desk
    for case in overdue + warned:
        assert desk.count(case.reference) == 1
    # The assignee is also a member of the department: told once about each case.
    member = messages_to("member@bank.example")[0]
    assert "2 cases need attention" in member.subject
    for case in warned:
        assert member.body.count(case.reference) == 1
    assert "Level 2" not in member.body
    owner = messages_to("owner@bank.example")[0]
    assert "Level 2 (Overdue): 3 cases\n" in owner.body and "Level 1" not in owner.body


def test_supervisors_digest_counts_cases_per_department(world):
    for _ in range(2):
        routed_case(world)
    cards = routed_case(world, department=world.cards)
    with time_machine.travel(RECEIVED, tick=False):
        unrouted = factories.create_case(world, now=RECEIVED)
    sweep_and_send(RECEIVED + timedelta(hours=49))
    assert recipients() == ["supervisor@bank.example"]
    body = mail.outbox[0].body
    assert "Level 3 (Escalated to supervisors): 4 cases\n" in body
    assert "By department:\n  Department retail: 2\n  Department cards: 1\n  Not routed: 1\n" in body
    assert cards.reference in body and unrouted.reference in body
    assert "more case" not in body


def test_a_digest_limit_of_zero_only_counts_and_links(world, settings):
    settings.ESCALATION_DIGEST_MAX_CASES = 0
    case = routed_case(world)
    sweep_and_send(RECEIVED + timedelta(hours=25))
    body = mail.outbox[0].body
    assert case.reference not in body and "most urgent" not in body
    assert "Level 2 (Overdue): 1 case\n" in body
    assert "1 more case is not listed here; find it in the case list:\n" in body


def test_the_digest_limit_must_be_zero_or_more(settings):
    settings.ESCALATION_DIGEST_MAX_CASES = -1
    with pytest.raises(ImproperlyConfigured, match="ESCALATION_DIGEST_MAX_CASES"):
        notifications.digest_max_cases()
