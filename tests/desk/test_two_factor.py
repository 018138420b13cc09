"""Two-factor sign-in for the admin (desk/two_factor.py): enrolment, codes at login, the gate meanwhile."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.states import ComplaintState as S
from tests import factories

START = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
ADMIN = "/admin/"
ENROL = "/admin/two-factor/"
VERIFY = "/admin/two-factor/verify/"


@pytest.fixture
def required(settings):
    settings.ADMIN_REQUIRE_2FA = True


@pytest.fixture
def clock(time_machine):
    """A clock that moves only when told, so a code's 30-second step is known."""
    time_machine.move_to(START, tick=False)
    return time_machine


def code(device: TOTPDevice) -> str:
    """What the user's authenticator app shows now (django-otp reads time.time(), time-machine's here)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong(token: str) -> str:
    return f"{(int(token) + 1) % 1_000_000:06d}"


def password_login(client, user, next_url: str = ADMIN):
    """Django's admin login form, as a person fills it in; the response to the POST."""
    response = client.post(reverse("admin:login") + f"?next={next_url}", {"username": user.username, "password": "pw", "next": next_url})
    assert response.status_code == 302, response.content[:500]
    return response


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_supervisor_without_a_device_is_sent_to_enrolment_and_blocked_elsewhere(client, world, required, clock):
    case = factories.case_in_state(world, S.IN_PROGRESS, department=world.retail)
    password_login(client, world.supervisor)

    for path in (
        ADMIN,
        reverse("admin:complaints_complaint_changelist"),
        reverse("admin:complaints_complaint_change", args=[case.pk]),
        reverse("admin:complaints_complaint_add"),
        reverse("admin:password_change"),
        reverse("admin:login"),
        "/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(ENROL + "?next="), (path, response["Location"])
    # The session cannot reach the REST API either: a JSON 403, not a redirect.
    api = client.get("/api/v1/complaints/")
    assert api.status_code == 403
    assert api.json()["detail"] == "Finish two-factor sign-in in the admin first."

    page = client.get(ENROL + "?next=/admin/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'src="data:image/svg+xml' in body  # the QR code, drawn here: no outside service
    device = TOTPDevice.objects.get(user=world.supervisor)
    assert not device.confirmed
    assert device.config_url.startswith("otpauth://totp/") and "issuer=" in device.config_url
    assert page.context["secret"].replace(" ", "") in device.config_url
    assert page.context["secret"] in body
    # Reloading the page keeps the same secret (the app may already have scanned it).
    assert client.get(ENROL).context["secret"] == page.context["secret"]
    assert TOTPDevice.objects.filter(user=world.supervisor).count() == 1


def test_enrolment_with_a_valid_code_confirms_the_device_and_opens_the_admin(client, world, required, clock):
    password_login(client, world.supervisor)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=world.supervisor)
    session_key = client.session.session_key

    response = client.post(ENROL, {"token": code(device), "next": "/admin/complaints/complaint/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/complaints/complaint/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session.session_key != session_key  # a fresh session key after the second factor
    assert client.get(ADMIN).status_code == 200
    assert client.get(reverse("admin:complaints_complaint_changelist")).status_code == 200
    assert client.get("/api/v1/complaints/").status_code == 200


def test_a_wrong_code_at_enrolment_is_refused(client, world, required, clock):
    password_login(client, world.supervisor)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=world.supervisor)

    response = client.post(ENROL, {"token": wrong(code(device))})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "token": ["That code is not right, or was already used. Enter the code your app shows now."]
    }
    not_digits = client.post(ENROL, {"token": "12ab56"})
    assert not_digits.context["form"].errors == {"token": ["Enter the 6-digit code your authenticator app shows."]}
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(ADMIN)["Location"].startswith(ENROL)


def test_login_with_a_device_asks_for_the_code_and_refuses_a_wrong_one(client, world, required, clock):
    device = confirmed_device(world.supervisor)
    password_login(client, world.supervisor, next_url="/admin/complaints/complaint/")
    response = client.get("/admin/complaints/complaint/")
    assert response.status_code == 302
    assert response["Location"] == VERIFY + "?next=/admin/complaints/complaint/"
    # The enrolment page does not let an unverified session replace the authenticator.
    assert client.get(ENROL)["Location"].startswith(VERIFY + "?next=")

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'name="token"' in page.content and b"data:image" not in page.content  # no secret shown here

    refused = client.post(VERIFY, {"token": wrong(code(device)), "next": "/admin/complaints/complaint/"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["token"] == [
        "That code is not right, or was already used. Enter the code your app shows now."
    ]
    assert client.get(ADMIN)["Location"].startswith(VERIFY)
    # Right after a wrong code django-otp's throttle holds even the right one back (1 s, then 2, 4...).
    throttled = client.post(VERIFY, {"token": code(device)})
    assert throttled.context["form"].errors["token"] == [
        "Too many wrong codes in a row: wait a few seconds, then enter the current code."
    ]

    clock.shift(timedelta(seconds=3))
    accepted = client.post(VERIFY, {"token": code(device), "next": "/admin/complaints/complaint/"})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/admin/complaints/complaint/"
    assert client.get("/admin/complaints/complaint/").status_code == 200


def test_a_code_is_accepted_once_only(client, world, required, clock):
    device = confirmed_device(world.supervisor)
    token = code(device)
    password_login(client, world.supervisor)
    assert client.post(VERIFY, {"token": token}).status_code == 302

    other = client.__class__()
    password_login(other, world.supervisor)
    replay = other.post(VERIFY, {"token": token})
    assert replay.status_code == 200 and replay.context["form"].errors
    clock.shift(timedelta(seconds=30))
    assert other.post(VERIFY, {"token": code(device)}).status_code == 302


@pytest.mark.parametrize("role", ["cs", "owner", "member", "supervisor", "outsider", "superuser"])
def test_everyone_with_admin_access_must_enrol(client, world, required, role):
    user = factories.UserFactory(username="root", is_superuser=True) if role == "superuser" else getattr(world, role)
    password_login(client, user)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"] == ENROL + "?next=/admin/"


def test_pending_session_can_log_out_and_switch_language(client, world, required):
    password_login(client, world.cs)
    assert client.post("/i18n/setlang/", {"language": "zh-hans", "next": ENROL}).status_code == 302
    assert client.post(reverse("admin:two_factor_logout")).status_code == 302
    assert client.get(ADMIN)["Location"].startswith(reverse("admin:login"))


def test_api_token_endpoint_stays_password_only(client, world, required):
    response = client.post(
        "/api/v1/auth/token/", {"username": world.supervisor.username, "password": "pw"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    listed = client.get("/api/v1/complaints/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listed.status_code == 200


def test_enrolled_user_may_move_to_a_new_authenticator(client, world, required, clock):
    old = confirmed_device(world.owner)
    password_login(client, world.owner)
    assert client.post(VERIFY, {"token": code(old)}).status_code == 302
    status = client.get(ENROL)
    assert status.status_code == 200 and b"?replace=1" in status.content

    client.get(ENROL + "?replace=1")
    new = TOTPDevice.objects.get(user=world.owner, confirmed=False)
    clock.shift(timedelta(seconds=30))
    assert client.post(ENROL + "?replace=1", {"token": code(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=world.owner).values_list("pk", "confirmed")) == [(new.pk, True)]


def test_with_the_setting_off_nothing_changes(client, world, settings):
    settings.ADMIN_REQUIRE_2FA = False
    password_login(client, world.supervisor)
    assert client.get(ADMIN).status_code == 200
    assert client.get(reverse("admin:complaints_complaint_changelist")).status_code == 200
    assert client.get("/api/v1/complaints/").status_code == 200
    assert not TOTPDevice.objects.exists()
    # The header offers enrolment to whoever wants it.
    assert re.search(rb'href="/admin/two-factor/"', client.get(ADMIN).content)


def test_with_the_setting_off_a_user_who_enrolled_is_still_asked_for_the_code(client, world, settings, clock):
    settings.ADMIN_REQUIRE_2FA = False
    device = confirmed_device(world.member)
    password_login(client, world.member)
    assert client.get(ADMIN)["Location"] == VERIFY + "?next=/admin/"
    assert client.post(VERIFY, {"token": code(device)}).status_code == 302
    assert client.get(ADMIN).status_code == 200
