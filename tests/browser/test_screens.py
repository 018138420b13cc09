"""Screenshots of the pages a department owner and a supervisor live on, in English and Chinese.

The world has a few cases so that the pages are not empty: one with some history (routed,
responded to, an extension beyond the owner's limit waiting for a supervisor), one unrouted
and one of another department. Each page must fit 1366 px without scrolling sideways.
Look at var/screenshots/<language>/{owner,supervisor}-{index,cases,case}.png afterwards.
"""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_role_days import assert_fits_width, case_url
from tests.factories import create_case
from workflows import services

pytestmark = pytest.mark.browser

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def cases_with_history(world):
    """A Retail case with some history, plus an unrouted case and a Cards case."""
    case = create_case(
        world,
        category=world.unrouted,
        subject="Annual card fee charged twice after the card was renewed",
        description="The customer renewed her card in March and was charged the annual fee twice.",
    )
    case = services.complaint_assign(complaint=case, actor=world.cs, department=world.retail, assignee=world.member)
    case = services.complaint_respond(
        complaint=case, actor=world.member, method="phone", message="Called back: we are checking with the card centre."
    )
    case = services.complaint_request_extension(
        complaint=case, actor=world.owner, days=20, reason="The card scheme needs three weeks to answer."
    )
    create_case(world, category=world.unrouted, subject="Queue at the branch too long", phone="13912345678")
    create_case(world, category=world.cards_category, subject="Credit card limit cut without notice", phone="13700001111")
    return case


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", ["owner", "supervisor"])
def test_screens(desk, role, language):
    case = cases_with_history(desk.world)
    page = desk.login(role, language=language)

    desk.goto(page, reverse("admin:index"))
    expect(page.locator(".queue-card").first).to_be_visible()
    if language == "zh-hans":
        expect(page).to_have_title(CHINESE)
    assert_fits_width(page)
    desk.screenshot(page, f"{role}-index")

    desk.goto(page, reverse("admin:complaints_complaint_changelist"))
    expect(page.locator("#result_list").get_by_role("link", name=case.reference)).to_be_visible()
    assert_fits_width(page)
    desk.screenshot(page, f"{role}-cases")

    desk.goto(page, case_url(case))
    expect(page.locator("#timeline .timeline-entry")).to_have_count(4)
    expect(page.locator(".case-header .extension")).to_be_visible()
    assert_fits_width(page)
    desk.screenshot(page, f"{role}-case")
    desk.assert_no_server_errors()
