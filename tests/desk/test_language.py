"""The language switcher in the header of every admin page: English / 简体中文, back to the same page."""
from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

SWITCHER = re.compile(r'<form class="desk-language" action="(?P<action>[^"]*)" method="post".*?</form>', re.S)


@pytest.fixture(autouse=True)
def _keep_the_active_language():
    """LocaleMiddleware activates the request's language in this thread; later tests expect theirs."""
    language = translation.get_language()
    yield
    translation.activate(language)


def switcher(response) -> dict:
    """The switcher's action, its ``next`` and its buttons (code -> selected), from a rendered page."""
    assert response.status_code == 200
    form = SWITCHER.search(response.content.decode())
    assert form, "no language switcher on the page"
    text = form.group(0)
    next_value = re.search(r'name="next" value="([^"]*)"', text).group(1)
    buttons = {
        code: 'aria-current="true"' in attributes
        for attributes, code in (
            (match.group(0), match.group(1)) for match in re.finditer(r'<button[^>]*value="([^"]*)"[^>]*>', text)
        )
    }
    return {"action": form.group("action"), "next": html.unescape(next_value), "buttons": buttons, "html": text}


def test_desk_base_site_template_overrides_the_admins():
    origin = get_template("admin/base_site.html").origin.name
    assert origin.endswith("desk/templates/admin/base_site.html"), (
        f"admin/base_site.html comes from {origin}: the desk app must come before django.contrib.admin "
        "in INSTALLED_APPS for its templates to override the admin's."
    )


@pytest.mark.parametrize(
    ("page", "logged_in"),
    [("admin:index", True), ("admin:login", False), ("admin:complaints_complaint_changelist", True)],
)
def test_switcher_is_on_the_page_and_comes_back_to_it(client, world, page, logged_in):
    if logged_in:
        client.force_login(world.cs)
    url = reverse(page)
    found = switcher(client.get(url))
    assert found["action"] == reverse("set_language")
    assert found["next"] == url
    assert set(found["buttons"]) == {code for code, _name in settings.LANGUAGES}
    assert ">English</button>" in found["html"] and ">简体中文</button>" in found["html"]
    assert 'name="csrfmiddlewaretoken"' in found["html"]


def test_switcher_keeps_the_query_string(client, world):
    client.force_login(world.cs)
    url = reverse("admin:complaints_complaint_changelist") + "?state__exact=new&q=%E7%8E%8B&o=2"
    assert switcher(client.get(url))["next"] == url


def test_switcher_on_the_login_page_keeps_where_login_goes_next(client, db):
    url = reverse("admin:login") + "?next=" + reverse("admin:complaints_complaint_changelist")
    assert switcher(client.get(url))["next"] == url


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_switcher_shows_the_current_language_as_selected(client, world, language):
    client.force_login(world.cs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    buttons = switcher(client.get(reverse("admin:index")))["buttons"]
    assert [code for code, selected in buttons.items() if selected] == [language]


def test_posting_the_switcher_changes_the_language_and_returns_to_the_page(client, world):
    client.force_login(world.cs)
    page = reverse("admin:complaints_complaint_changelist") + "?state__exact=new"
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert '<html lang="zh-hans"' in client.get(page).content.decode()

    client.post(reverse("set_language"), {"language": "en", "next": page})
    assert '<html lang="en"' in client.get(page).content.decode()


def test_chinese_index_has_a_chinese_page_title(client, world):
    client.force_login(world.cs)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("admin:index")})
    content = client.get(reverse("admin:index")).content.decode()
    title = html.unescape(re.search(r"<title>(.*?)</title>", content, re.S).group(1))
    with translation.override("zh-hans"):
        site_title, index_title = str(admin.site.site_title), str(admin.site.index_title)
    with translation.override("en"):
        assert site_title != str(admin.site.site_title), "the site title has no Chinese translation"
    assert title == f"{index_title} | {site_title}"
    assert re.search(r"[\u4e00-\u9fff]", title)
