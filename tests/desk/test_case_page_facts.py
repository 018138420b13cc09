"""The case page shows what a referral or imported history carries (and leaves out what is empty);
a referral is logged through the intake form without a name or contact, and closes without call-back."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone

from complaints.models import Complaint
from complaints.states import Closure
from complaints.states import ComplaintState as S
from desk.timeline import local_moment
from tests import factories
from workflows import services

LOCAL = ZoneInfo(settings.TIME_ZONE)


def referral(world, *, now: datetime | None = None, **facts) -> Complaint:
    """A regulator referral with no name and no contact details, carrying ``facts``."""
    now = now or timezone.now()
    case, _created = services.complaint_create(
        actor=world.cs,
        kind="complaint",
        channel="regulator",
        severity="medium",
        category=world.routed,
        subject="Overdraft fee not refunded",
        description="Referred by the regulator.",
        customer=services.CustomerData(),
        received_at=now - timedelta(days=3),
        facts=services.CaseFacts(**facts),
        now=now,
    )
    return case


def page(client, case: Complaint):
    response = client.get(reverse("admin:complaints_complaint_change", args=[case.pk]))
    assert response.status_code == 200
    return response


def test_the_case_page_shows_a_referrals_facts_in_their_groups(client, world):
    sent = timezone.now() - timedelta(days=1)
    case = referral(
        world,
        product="Checking or savings account",
        sub_product="Checking account",
        issue="Managing an account",
        sub_issue="Deposits and withdrawals",
        company="Example Bank, Shanghai branch",
        customer_region="CA",
        customer_tags=("Older American", "Servicemember"),
        narrative_consent="provided",
        submitted_via="web",
        sent_to_bank_at=sent,
    )
    Complaint.objects.filter(pk=case.pk).update(
        company_response="Closed with monetary relief",
        public_response="Company believes it acted appropriately",
        timely_response=True,
        consumer_disputed=False,
    )
    client.force_login(world.cs)
    response = page(client, case)
    assert response.context["classification_rows"] == [
        ("Product", "Checking or savings account"),
        ("Sub-product", "Checking account"),
        ("Issue", "Managing an account"),
        ("Sub-issue", "Deposits and withdrawals"),
        ("Company or branch", "Example Bank, Shanghai branch"),
    ]
    assert response.context["referral_rows"] == [
        ("Submitted to the regulator via", "Web form"),
        ("Sent to the bank", local_moment(sent)),
        ("Response reported to the regulator", "Closed with monetary relief"),
        ("Public response", "Company believes it acted appropriately"),
        ("Timely response", "yes"),
        ("Customer disputed the response", "no"),
        ("Consent to publish the narrative", "Consent provided"),
    ]
    assert response.context["customer_rows"] == [("Region", "CA"), ("Tags", "Older American, Servicemember")]
    body = response.content.decode()
    for heading in ("Classification", "Regulator referral"):
        assert f"<h2>{heading}</h2>" in body
    assert "the customer cannot be called back" in body


def test_a_plain_case_shows_no_empty_groups(client, world):
    case = factories.create_case(world)
    client.force_login(world.cs)
    response = page(client, case)
    assert response.context["classification_rows"] == []
    assert response.context["referral_rows"] == []
    assert [label for label, _value in response.context["customer_rows"]] == ["Name", "Phone", "E-mail", "ID number", "Account"]
    body = response.content.decode()
    assert "<h2>Customer history</h2>" in body
    for absent in ("<h2>Classification</h2>", "<h2>Regulator referral</h2>", "case-imported", "cannot be called back"):
        assert absent not in body


def test_a_referral_without_facts_shows_the_timely_response_as_not_recorded(client, world):
    case = referral(world)
    client.force_login(world.cs)
    response = page(client, case)
    assert response.context["referral_rows"] == [("Timely response", "not recorded")]
    assert response.context["customer_rows"] == []
    assert "<h2>Customer history</h2>" not in response.content.decode()  # nothing to match other cases on


def test_identifiers_stay_masked_for_a_user_who_may_not_see_them_and_region_and_tags_show(client, world, monkeypatch):
    case = factories.create_case(world)
    Complaint.objects.filter(pk=case.pk).update(customer_region="Zhejiang", customer_tags=["Servicemember"])
    monkeypatch.setattr("complaints.selectors.user_may_see_pii", lambda user, complaint: False)
    client.force_login(world.cs)
    response = page(client, case)
    body = response.content.decode()
    for raw in ("13812345678", "zhang@example.com", "110101199001011234", "6222021234567890", "张三"):
        assert raw not in body
    rows = dict(response.context["customer_rows"])
    assert rows["Phone"] == "138****5678"
    assert (rows["Region"], rows["Tags"]) == ("Zhejiang", "Servicemember")


def test_an_imported_case_carries_the_imported_marker_with_its_local_date(client, world):
    case = factories.create_case(world)
    imported_at = datetime(2026, 3, 3, 1, 30, tzinfo=LOCAL)  # still 2 March in UTC
    Complaint.objects.filter(pk=case.pk).update(imported_at=imported_at)
    client.force_login(world.cs)
    response = page(client, case)
    body = response.content.decode()
    marker = body[body.index('class="case-imported"') :].split("</div>", 1)[0]
    assert "<dt>Imported</dt>" in marker
    assert dict(response.context["detail_rows"])["Imported"] == local_moment(imported_at)
    assert formats.date_format(date(2026, 3, 3), "SHORT_DATE_FORMAT") in marker


def test_a_resolved_referral_without_contact_closes_without_call_back_from_its_panel(client, world):
    case = referral(world)
    case = services.complaint_respond(complaint=case, actor=world.owner, method="letter", message="We are looking into it")
    case = services.complaint_resolve(
        complaint=case, actor=world.owner, outcome="not_upheld", summary="Fee was as agreed", cause=factories.cause()
    )
    assert case.state == S.RESOLVED
    client.force_login(world.cs)
    response = page(client, case)
    offered = {name for name, _label in response.context["transitions"]}
    assert "close_without_callback" in offered
    assert not offered & {"close", "record_callback_attempt", "close_unreachable"}
    body = response.content.decode()
    assert 'id="action-close_without_callback"' in body and 'name="close_without_callback-reason"' in body

    url = reverse("admin:complaints_complaint_transition", args=[case.pk, "close_without_callback"])
    refused = client.post(url, {"close_without_callback-version": case.version, "close_without_callback-reason": " "})
    assert refused.status_code == 200
    assert Complaint.objects.get(pk=case.pk).state == S.RESOLVED
    response = client.post(
        url,
        {"close_without_callback-version": case.version, "close_without_callback-reason": "Regulator holds the contact"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.closure, case.review_notes) == (S.CLOSED, Closure.NO_CONTACT, "Regulator holds the contact")
    assert case.events.latest("id").kind == "close_without_callback"
    closed = page(client, case)
    assert closed.context["no_contact"] == "No phone number or e-mail address: the customer cannot be called back."


def test_a_case_with_contact_is_not_offered_close_without_call_back(client, world):
    case = factories.case_in_state(world, S.RESOLVED)
    client.force_login(world.cs)
    offered = {name for name, _label in page(client, case).context["transitions"]}
    assert "close" in offered and "close_without_callback" not in offered


# --- intake through the admin form ------------------------------------------------------
def intake(world, **changes) -> dict:
    data = {
        "channel": "regulator", "kind": "complaint", "severity": "medium", "category": world.routed.pk,
        "received_at": "2026-11-20T09:30", "sent_to_bank_at": "", "customer_name": "", "customer_phone": "",
        "customer_email": "", "subject": "Referred: overdraft fee", "description": "The regulator forwarded it.",
    }  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def late_november(db):
    import time_machine

    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL), tick=False):
        yield


def test_a_referral_is_logged_without_name_or_contact_and_its_clocks_start_when_sent_on(client, world, late_november):
    client.force_login(world.cs)
    response = client.post(reverse("admin:complaints_complaint_add"), intake(world, sent_to_bank_at="2026-11-22T14:00"))
    assert response.status_code == 302
    case = Complaint.objects.get()
    assert (case.channel, case.customer_name, case.customer_phone, case.customer_email) == ("regulator", "", "", "")
    assert case.received_at == datetime(2026, 11, 20, 9, 30, tzinfo=LOCAL)
    assert case.sent_to_bank_at == datetime(2026, 11, 22, 14, 0, tzinfo=LOCAL)
    assert case.resolution_clock_started_at == case.sent_to_bank_at


def test_the_intake_form_does_not_require_a_name_itself(world):
    from desk.forms import IntakeForm

    assert IntakeForm.base_fields["customer_name"].required is False
    assert IntakeForm.base_fields["sent_to_bank_at"].required is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "branch", "customer_phone": "13700001234"}, "customer_name"),
        ({"channel": "branch", "customer_name": "赵六"}, "customer_phone"),
        ({"channel": "branch", "customer_name": "赵六", "customer_phone": "13700001234", "sent_to_bank_at": "2026-11-22T14:00"}, "sent_to_bank_at"),
        ({"sent_to_bank_at": "2026-11-19T14:00"}, "sent_to_bank_at"),
        ({"sent_to_bank_at": "2026-12-01T14:00"}, "sent_to_bank_at"),
    ],
    ids=["no name off a referral", "no contact off a referral", "sent on but not a referral", "sent before received", "sent in the future"],
)
def test_intake_rules_on_names_contact_and_sent_on_land_on_their_field(client, world, late_november, change, field):
    client.force_login(world.cs)
    response = client.post(reverse("admin:complaints_complaint_add"), intake(world, **change))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert Complaint.objects.count() == 0
