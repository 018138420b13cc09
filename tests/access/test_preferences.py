"""Each reader's language: the preference, its fallbacks, the admin that sets it, the pages and e-mails that follow it."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AnonymousUser, User
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from access.models import UserPreference
from access.preferences import language_of, languages_of, site_language, user_language_set
from tests import factories
from tests.workflows.test_notifications import routed_case, sweep_and_send
from workflows import escalation, notifications
from workflows.models import Escalation

CHINESE = ("zh-hans", "Simplified Chinese")
ENGLISH = ("en", "English")


@pytest.fixture(autouse=True)
def _keep_the_active_language():
    """The middlewares activate the request's language in this thread; later tests expect theirs."""
    language = translation.get_language()
    yield
    translation.activate(language)


def prefer(user: User, language: str) -> User:
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    return User.objects.get(pk=user.pk)  # without the cached relation


def work_on_cases(language: str) -> str:
    """The admin index's title ("Work on cases") in ``language``."""
    with translation.override(language):
        return str(admin.site.index_title)


# --- language_of, languages_of ---------------------------------------------------------------
def test_nobody_and_anonymous_read_the_sites_language(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    assert language_of(None) == "zh-hans"
    assert language_of(AnonymousUser()) == "zh-hans"


def test_a_user_without_a_choice_reads_the_sites_language(world, settings):
    assert language_of(world.member) == "en"
    settings.LANGUAGE_CODE = "zh-hans"
    assert language_of(User.objects.get(pk=world.member.pk)) == "zh-hans"
    assert language_of(prefer(world.member, "")) == "zh-hans"


def test_a_users_choice_wins_over_the_sites_language(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    assert language_of(prefer(world.member, "en")) == "en"
    assert language_of(prefer(world.owner, "zh-hans")) == "zh-hans"


def test_a_language_the_site_no_longer_offers_falls_back_to_the_sites(world, settings):
    member = prefer(world.member, "zh-hans")
    settings.LANGUAGES = [ENGLISH]
    assert language_of(member) == "en"
    assert languages_of([member]) == {member.pk: "en"}


@pytest.mark.parametrize(
    ("language_code", "languages", "expected"),
    [
        ("en", [ENGLISH, CHINESE], "en"),
        ("zh-Hans", [ENGLISH, CHINESE], "zh-hans"),  # compared without case
        ("fr", [CHINESE, ENGLISH], "zh-hans"),  # not offered: the first of LANGUAGES
    ],
)
def test_the_sites_language_is_one_it_offers(settings, language_code, languages, expected):
    settings.LANGUAGE_CODE = language_code
    settings.LANGUAGES = languages
    assert site_language() == expected


@pytest.mark.parametrize("loading", ["select_related", "prefetch_related"])
def test_language_of_costs_no_query_when_the_preference_is_loaded(world, django_assert_num_queries, loading):
    prefer(world.member, "zh-hans")
    users = {user.username: user for user in getattr(User.objects, loading)("preference")}
    with django_assert_num_queries(0):
        assert language_of(users["member"]) == "zh-hans"
        assert language_of(users["owner"]) == "en"  # no row, and that is known too


def test_languages_of_reads_every_user_in_one_query(world, django_assert_num_queries):
    prefer(world.member, "zh-hans")
    prefer(world.owner, "")
    people = [world.member, world.owner, world.supervisor, world.cs.pk]
    with django_assert_num_queries(1):
        languages = languages_of(people)
    assert languages == {world.member.pk: "zh-hans", world.owner.pk: "en", world.supervisor.pk: "en", world.cs.pk: "en"}
    with django_assert_num_queries(0):
        assert languages_of([]) == {}


def test_setting_ones_language_creates_then_changes_the_row(world):
    user_language_set(user=world.member, language="zh-hans")
    user_language_set(user=world.member, language="en")
    assert UserPreference.objects.get(user=world.member).language == "en"
    assert language_of(world.member) == "en"
    with pytest.raises(ValueError):
        user_language_set(user=world.member, language="fr")


# --- the admin: the user's page, "My language" ------------------------------------------------
def test_the_user_page_saves_a_language_in_its_inline(client, world):
    boss = User.objects.create_superuser("boss", "boss@bank.example", "pw")
    client.force_login(boss)
    member = world.member
    url = reverse("admin:auth_user_change", args=[member.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Language for e-mails and reports" in page.content.decode()
    response = client.post(
        url,
        {
            "username": member.username,
            "email": member.email,
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-03-01",
            "date_joined_1": "09:00:00",
            "preference-TOTAL_FORMS": "1",
            "preference-INITIAL_FORMS": "0",
            "preference-MIN_NUM_FORMS": "0",
            "preference-MAX_NUM_FORMS": "1",
            "preference-0-language": "zh-hans",
            "preference-0-user": str(member.pk),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert UserPreference.objects.get(user=member).language == "zh-hans"


def test_the_user_list_shows_and_filters_by_language(client, world):
    prefer(world.member, "zh-hans")
    client.force_login(User.objects.create_superuser("boss", "boss@bank.example", "pw"))
    changelist = reverse("admin:auth_user_changelist")
    chinese = client.get(changelist, {"language": "zh-hans"}).context["cl"].result_list
    assert [user.username for user in chinese] == ["member"]
    site = {user.username for user in client.get(changelist, {"language": "site"}).context["cl"].result_list}
    assert "member" not in site and {"owner", "boss"} <= site
    assert "Simplified Chinese" in client.get(changelist).content.decode()


def test_my_language_needs_a_signed_in_staff_user(client, world):
    url = reverse("admin:my_language")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    client.post(url, {"language": "zh-hans"})
    assert not UserPreference.objects.exists()


def test_my_language_changes_only_the_requesting_users_language(client, world):
    prefer(world.owner, "en")
    client.force_login(world.member)  # staff with no right to change users
    url = reverse("admin:my_language")
    assert client.get(url).status_code == 200
    response = client.post(url, {"language": "zh-hans", "user": world.owner.pk})
    assert response.status_code == 302 and response["Location"] == url
    assert dict(UserPreference.objects.values_list("user__username", "language")) == {"member": "zh-hans", "owner": "en"}
    entry = LogEntry.objects.get()  # in the member's own history, by the member
    assert int(entry.object_id) == world.member.pk and entry.user_id == world.member.pk
    assert '<html lang="zh-hans"' in client.get(url).content.decode()  # the next page is in the new language


def test_my_language_ends_the_switchers_choice_so_the_new_one_shows(client, world):
    client.force_login(world.member)
    client.post(reverse("set_language"), {"language": "en", "next": reverse("admin:index")})
    response = client.post(reverse("admin:my_language"), {"language": "zh-hans"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    assert work_on_cases("zh-hans") in client.get(reverse("admin:index")).content.decode()


def test_every_admin_page_links_to_my_language(client, world):
    client.force_login(world.cs)
    assert f'href="{reverse("admin:my_language")}"' in client.get(reverse("admin:index")).content.decode()


# --- the admin's pages in the user's language ---------------------------------------------------
def test_the_admin_shows_in_chinese_for_a_user_who_prefers_it(client, world):
    assert work_on_cases("zh-hans") != work_on_cases("en"), "the index title has no Chinese translation"
    client.force_login(prefer(world.cs, "zh-hans"))
    response = client.get(reverse("admin:index"))
    content = response.content.decode()
    assert work_on_cases("zh-hans") in content and "工单处理" in content
    assert '<html lang="zh-hans"' in content
    assert response["Content-Language"] == "zh-hans"


def test_the_admin_shows_in_english_for_a_user_who_prefers_it_on_a_chinese_site(client, world):
    client.force_login(prefer(world.cs, "en"))
    with override_settings(LANGUAGE_CODE="zh-hans"):
        content = client.get(reverse("admin:index")).content.decode()
    assert work_on_cases("en") in content and work_on_cases("zh-hans") not in content


def test_a_user_without_a_choice_sees_the_sites_language(client, world):
    client.force_login(world.cs)
    with override_settings(LANGUAGE_CODE="zh-hans"):
        content = client.get(reverse("admin:index")).content.decode()
    assert work_on_cases("zh-hans") in content


def test_the_switcher_still_wins_in_this_browser(client, world):
    client.force_login(prefer(world.cs, "zh-hans"))
    client.post(reverse("set_language"), {"language": "en", "next": reverse("admin:index")})
    content = client.get(reverse("admin:index")).content.decode()
    assert work_on_cases("en") in content and work_on_cases("zh-hans") not in content
    assert UserPreference.objects.get(user=world.cs).language == "zh-hans"  # the e-mails' language is kept


def test_the_login_page_is_not_concerned(client, world):
    prefer(world.cs, "zh-hans")
    content = client.get(reverse("admin:login")).content.decode()
    assert '<html lang="en"' in content


# --- escalation e-mails ----------------------------------------------------------------------------
@pytest.fixture
def two_members(world):
    """A level-1 step goes to the assignee (``member``, English) and ``member2`` (Chinese)."""
    second_member = factories.UserFactory(username="member2", roles=["dept_member"])
    world.retail.members.add(second_member)
    prefer(second_member, "zh-hans")
    prefer(world.member, "en")
    return world


def test_each_recipient_of_a_sweep_reads_the_escalation_in_their_language(two_members, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the English reader is not following the site
    case = routed_case(two_members)
    sweep_and_send(case.first_response_due - timedelta(hours=1))
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"member@bank.example", "member2@bank.example"}
    chinese, english = by_recipient["member2@bank.example"], by_recipient["member@bank.example"]
    assert "件工单需要关注" in chinese.subject and chinese.extra_headers["Content-Language"] == "zh-hans"
    assert "case needs attention" in english.subject and english.extra_headers["Content-Language"] == "en"


def test_a_department_address_reads_the_sites_language(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    world.retail.notification_email = "retail-desk@bank.example"
    world.retail.save()
    prefer(world.owner, "en")
    case = routed_case(world)
    sweep_and_send(case.first_response_due + timedelta(hours=1))
    languages = {message.to[0]: message.extra_headers["Content-Language"] for message in mail.outbox}
    assert languages == {"owner@bank.example": "en", "retail-desk@bank.example": "zh-hans"}


def _grouping_queries() -> int:
    escalations = list(Escalation.objects.select_related("complaint", "complaint__assignee"))
    with CaptureQueriesContext(connection) as queries:
        recipients = notifications.group_by_recipient(escalations)
    assert recipients
    return len(queries)


def test_grouping_recipients_costs_the_same_queries_however_many_have_a_language(world):
    case = routed_case(world)
    with time_machine.travel(case.first_response_due - timedelta(hours=1), tick=False):
        escalation.escalation_sweep(notify=False)
    few = _grouping_queries()
    for number in range(5):
        member = factories.UserFactory(username=f"reader{number}", roles=["dept_member"])
        world.retail.members.add(member)
        prefer(member, "zh-hans" if number % 2 else "en")
    assert _grouping_queries() == few
