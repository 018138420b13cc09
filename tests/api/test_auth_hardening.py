"""Login hardening and expiring tokens (issue 11): the client address is not the client's to choose,
failures lock accounts and addresses, tokens expire, rotate, revoke and die with the password,
and a channel system may log and read its own cases and nothing else."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from access import services as access_services
from access.client_address import client_address
from access.models import ApiToken
from api.throttling import TokenLoginRateThrottle
from complaints.models import Complaint
from complaints.states import ComplaintState as S
from tests import factories

TOKEN = "/api/v1/auth/token/"
ROTATE = "/api/v1/auth/token/rotate/"
REVOKE = "/api/v1/auth/token/revoke/"
INTAKE = "/api/v1/complaints/"
ADMIN_LOGIN = "/admin/login/"
LIMIT = 5  # LOGIN_FAILURE_LIMIT's default


@pytest.fixture(autouse=True)
def _lockout_defaults(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    settings.TRUSTED_PROXY_COUNT = 0


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"detail", "errors"} and isinstance(body["detail"], str) and body["detail"]
    return body


def _login(client: APIClient, username: str, password: str, **headers):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **headers)


def _token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- the client address ---------------------------------------------------------------------
def test_rotating_x_forwarded_for_does_not_escape_the_address_throttle(world, monkeypatch, settings):
    settings.AXES_FAILURE_LIMIT = 1000  # this test is about the rate limit alone
    monkeypatch.setattr(TokenLoginRateThrottle, "rate", "3/minute", raising=False)
    client = APIClient()
    for number in range(3):
        response = _login(client, f"nobody{number}", "nope", HTTP_X_FORWARDED_FOR=f"1.2.3.{number}")
        assert response.status_code == 400
    response = _login(client, "cs", "pw", HTTP_X_FORWARDED_FOR="1.2.3.99")
    assert_error_shape(response, 429)
    assert not ApiToken.objects.exists()


def test_rotating_x_forwarded_for_still_locks_the_address_out(world):
    client = APIClient()
    for number in range(LIMIT):
        assert _login(client, f"guess{number}", "nope", HTTP_X_FORWARDED_FOR=f"9.9.9.{number}").status_code in (400, 429)
    response = _login(client, "cs", "pw", HTTP_X_FORWARDED_FOR="4.4.4.4")
    body = assert_error_shape(response, 429)
    assert "locked" in body["detail"] and body["errors"] == {}
    assert int(response["Retry-After"]) == 30 * 60
    assert not ApiToken.objects.exists()
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_with_one_trusted_proxy_the_rightmost_forwarded_address_counts(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    for number in range(LIMIT):
        # What the client wrote (left) changes; what the proxy appended (right) does not.
        _login(client, f"guess{number}", "nope", HTTP_X_FORWARDED_FOR=f"7.7.7.{number}, 10.0.0.1")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
    assert_error_shape(_login(client, "cs", "pw", HTTP_X_FORWARDED_FOR="8.8.8.8, 10.0.0.1"), 429)
    assert _login(client, "cs", "pw", HTTP_X_FORWARDED_FOR="7.7.7.0, 10.0.0.2").status_code == 200


def test_client_address_trusts_only_the_named_number_of_proxies(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2, 3.3.3.3", REMOTE_ADDR="10.0.0.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "3.3.3.3"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "2.2.2.2"
    garbage = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.0.0.9")
    assert client_address(garbage) == "10.0.0.9"


# --- lockout per account --------------------------------------------------------------------
def test_account_lockout_holds_across_addresses_and_lifts_after_the_cool_off(world):
    client = APIClient()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for number in range(LIMIT):
            assert _login(client, "cs", "wrong", REMOTE_ADDR=f"10.1.0.{number}").status_code in (400, 429)
        response = _login(client, "cs", "pw", REMOTE_ADDR="10.2.0.1")
        assert_error_shape(response, 429)
        assert not ApiToken.objects.exists()
        # Another account from a fresh address is not concerned.
        assert _login(client, "supervisor", "pw", REMOTE_ADDR="10.3.0.1").status_code == 200
        # The audit rows: every failure, the right password during the lockout included.
        failures = AccessFailureLog.objects.filter(username="cs")
        assert failures.count() == LIMIT + 1 and failures.filter(locked_out=True).exists()
        clock.shift(timedelta(minutes=31))
        assert _login(client, "cs", "pw", REMOTE_ADDR="10.2.0.1").status_code == 200


# --- admin login ----------------------------------------------------------------------------
def _admin_login(client: Client, username: str, password: str):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_admin_login_locks_out_after_failures_and_a_supervisor_unlocks(world):
    browser = Client()
    for _ in range(LIMIT - 1):
        assert _admin_login(browser, "cs", "wrong").status_code == 200  # the form again, with its error
    locked = _admin_login(browser, "cs", "wrong")
    assert locked.status_code == 429 and b"Sign-in locked" in locked.content
    right = _admin_login(browser, "cs", "pw")
    assert right.status_code == 429 and b"Sign-in locked" in right.content
    assert "_auth_user_id" not in browser.session

    supervisor = Client()
    supervisor.force_login(world.supervisor)
    changelist = supervisor.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200 and b"cs" in changelist.content
    attempts = list(AccessAttempt.objects.filter(username="cs").values_list("pk", flat=True))
    response = supervisor.post(
        "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": attempts}, follow=True
    )
    assert response.status_code == 200
    assert not AccessAttempt.objects.filter(username="cs").exists()
    assert LogEntry.objects.filter(user=world.supervisor, action_flag=DELETION).count() == len(attempts)
    assert _admin_login(Client(), "cs", "pw").status_code == 302


def test_people_without_the_supervisor_role_cannot_unlock(world):
    owner = Client()
    owner.force_login(world.owner)
    assert owner.get("/admin/axes/accessattempt/").status_code == 403
    assert Permission.objects.filter(group__name="supervisor", codename="delete_accessattempt").exists()


# --- expiring tokens ------------------------------------------------------------------------
def test_a_token_works_until_it_expires(world, intake_body):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        response = _login(APIClient(), "cs", "pw")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"token", "expires_at"}
        stored = ApiToken.objects.get(user=world.cs)
        assert stored.expires_at == timezone.now() + timedelta(hours=24)
        assert body["token"] not in {stored.key_digest, stored.key_prefix}  # only a digest is kept
        client = _token_client(body["token"])
        clock.shift(timedelta(hours=24) - timedelta(seconds=1))
        assert client.get(INTAKE).status_code == 200
        clock.shift(timedelta(seconds=2))
        assert assert_error_shape(client.get(INTAKE), 401)["detail"].startswith("The token has expired")


def test_every_login_issues_its_own_token(world):
    first = _login(APIClient(), "cs", "pw").json()["token"]
    second = _login(APIClient(), "cs", "pw").json()["token"]
    assert first != second and ApiToken.objects.filter(user=world.cs).count() == 2


def test_rotation_returns_a_new_token_and_the_old_one_stops_after_its_grace(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        old_key = access_services.api_token_issue(user=world.cs).key
        old = _token_client(old_key)
        clock.shift(timedelta(hours=20))
        response = old.post(ROTATE)
        assert response.status_code == 200, response.content
        new_key = response.json()["token"]
        assert new_key != old_key
        assert ApiToken.objects.get(key_prefix=new_key[:8]).expires_at == timezone.now() + timedelta(hours=24)
        new = _token_client(new_key)
        assert new.get(INTAKE).status_code == 200
        clock.shift(timedelta(seconds=30))
        assert old.get(INTAKE).status_code == 200  # requests under way still finish
        assert_error_shape(old.post(ROTATE), 409)  # rotated once only
        clock.shift(timedelta(seconds=31))
        assert_error_shape(old.get(INTAKE), 401)
        assert new.get(INTAKE).status_code == 200


def test_rotations_never_outlive_the_maximum_age_after_the_password_login(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        key = access_services.api_token_issue(user=world.cs).key
        for _ in range(8):
            clock.shift(timedelta(hours=23))
            response = _token_client(key).post(ROTATE)
            if response.status_code != 200:
                break
            key = response.json()["token"]
        assert_error_shape(response, 401)
        assert timezone.now() > ApiToken.objects.order_by("created_at").first().created_at + timedelta(days=7)


def test_revoke_ends_the_token_at_once(world):
    key = access_services.api_token_issue(user=world.cs).key
    other = access_services.api_token_issue(user=world.cs).key
    client = _token_client(key)
    assert client.post(REVOKE).status_code == 204
    assert assert_error_shape(client.get(INTAKE), 401)["detail"] == "The token has been revoked."
    assert _token_client(other).get(INTAKE).status_code == 200  # only the token used


def test_rotate_and_revoke_need_a_token(world):
    browser = APIClient()
    browser.force_login(world.cs)
    assert_error_shape(browser.post(ROTATE), 401)
    assert_error_shape(APIClient().post(REVOKE), 401)


def test_set_password_and_save_ends_the_users_tokens(world):
    client = _token_client(access_services.api_token_issue(user=world.cs).key)
    assert client.get(INTAKE).status_code == 200
    world.cs.set_password("a-new-long-password")
    world.cs.save()
    assert assert_error_shape(client.get(INTAKE), 401)["detail"].startswith("The password has changed")
    assert _login(APIClient(), "cs", "a-new-long-password").status_code == 200


def test_a_password_change_in_the_admin_ends_the_users_tokens(world):
    admin_user = factories.UserFactory(username="root", is_superuser=True)
    client = _token_client(access_services.api_token_issue(user=world.cs).key)
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        f"/admin/auth/user/{world.cs.pk}/password/",
        {"password1": "Another-long-pw-1", "password2": "Another-long-pw-1", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert_error_shape(client.get(INTAKE), 401)


def test_admin_actions_revoke_a_users_tokens(world):
    admin_user = factories.UserFactory(username="root", is_superuser=True)
    keys = [access_services.api_token_issue(user=world.cs).key for _ in range(2)]
    kept = access_services.api_token_issue(user=world.supervisor).key
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/auth/user/", {"action": "revoke_api_tokens", "_selected_action": [world.cs.pk]}, follow=True
    )
    assert response.status_code == 200 and b"2 tokens revoked" in response.content
    assert all(_token_client(key).get(INTAKE).status_code == 401 for key in keys)
    assert _token_client(kept).get(INTAKE).status_code == 200
    assert browser.get("/admin/access/apitoken/").status_code == 200


# --- the channel_system role ----------------------------------------------------------------
@pytest.fixture
def channel(world):
    group, _ = Group.objects.get_or_create(name="channel_system")
    user = factories.UserFactory(username="channel-app", is_staff=False)
    user.groups.add(group)
    return user


def test_a_channel_system_logs_and_reads_its_own_cases_only(world, channel, intake_body):
    others = factories.case_in_state(world, S.ASSIGNED)  # logged by customer service
    system = _token_client(_login(APIClient(), "channel-app", "pw").json()["token"])
    created = system.post(INTAKE, intake_body(external_id="app-1"), format="json")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert Complaint.objects.get(reference=reference).created_by == channel
    listed = system.get(INTAKE).json()["results"]
    assert [case["reference"] for case in listed] == [reference]
    assert system.get(f"{INTAKE}{reference}/").status_code == 200
    assert system.get(f"{INTAKE}{reference}/events/").status_code == 200
    assert_error_shape(system.get(f"{INTAKE}{others.reference}/"), 404)
    for path in ("departments", "categories", "causes"):
        assert system.get(f"/api/v1/{path}/").status_code == 200


def test_a_channel_system_may_not_move_cases_or_read_reports(world, channel, intake_body):
    system = _token_client(access_services.api_token_issue(user=channel).key)
    reference = system.post(INTAKE, intake_body(), format="json").json()["reference"]
    response = system.post(f"{INTAKE}{reference}/transitions/withdraw/", {"reason": "Customer withdrew"}, format="json")
    assert_error_shape(response, 403)
    assert_error_shape(system.get("/api/v1/reports/"), 403)


def test_other_groups_give_a_channel_system_nothing_more(world, channel, intake_body):
    channel.groups.add(Group.objects.get(name="supervisor"))
    factories.case_in_state(world, S.ASSIGNED)
    system = _token_client(access_services.api_token_issue(user=channel).key)
    assert system.get(INTAKE).json()["results"] == []
    assert_error_shape(system.get("/api/v1/reports/"), 403)


def test_a_channel_system_cannot_sign_in_to_the_admin_even_as_staff(world, channel):
    channel.is_staff = True
    channel.save()
    response = _admin_login(Client(), "channel-app", "pw")
    assert response.status_code == 200
    assert b"channel system" in response.content and b"cannot sign in to the desk" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_replayed_external_id_of_a_case_the_channel_cannot_see_reveals_nothing_of_it(world, channel, intake_body):
    """Another system (or the desk) used this channel + external_id: a 409 without that case's reference or state."""
    theirs = APIClient()
    theirs.force_authenticate(world.cs)
    first = theirs.post(INTAKE, intake_body(external_id="shared-7"), format="json")
    assert first.status_code == 201
    system = _token_client(access_services.api_token_issue(user=channel).key)
    for body in (intake_body(external_id="shared-7"), intake_body(external_id="shared-7", subject="Something else")):
        response = system.post(INTAKE, body, format="json")
        error = assert_error_shape(response, 409)
        assert first.json()["reference"] not in response.content.decode()
        assert "state" not in error and "external_id" in error["errors"]
    # The one who logged it still gets its receipt back.
    assert theirs.post(INTAKE, intake_body(external_id="shared-7"), format="json").status_code == 200
