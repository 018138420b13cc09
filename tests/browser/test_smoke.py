"""Every role logs in and sees the admin index and the case list, in English and in Chinese."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from desk.site import DeskSite
from tests.factories import create_case

pytestmark = pytest.mark.browser

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", ["cs", "owner", "supervisor", "other_owner"])
def test_role_sees_index_and_case_list(desk, role, language):
    with translation.override(language):
        header = str(DeskSite.site_header)

    page = desk.login(role, language=language)
    desk.goto(page, reverse("admin:index"))
    expect(page.locator("body")).to_contain_text(header)
    if language == "zh-hans":
        expect(page).to_have_title(CHINESE)
    desk.screenshot(page, f"{role}-index-smoke")

    desk.goto(page, reverse("admin:complaints_complaint_changelist"))
    expect(page.locator("body")).to_contain_text(header)
    if language == "zh-hans":
        expect(page).to_have_title(CHINESE)
    desk.screenshot(page, f"{role}-cases-smoke")
    desk.assert_no_server_errors()


def test_server_sees_what_the_test_created(desk):
    """The live server thread reads the test's database: a case made here is on its pages."""
    case = create_case(desk.world)
    page = desk.login("cs")
    desk.goto(page, reverse("admin:complaints_complaint_change", args=[case.pk]))
    expect(page.locator("body")).to_contain_text(case.reference)
    desk.goto(page, reverse("admin:complaints_complaint_changelist"))
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    desk.assert_no_server_errors()
