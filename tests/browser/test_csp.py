"""The Content-Security-Policy in a real browser: the pages the desk uses load and work with zero
violations (no inline script or style, nothing from another origin), the API docs included."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from complaints.states import ComplaintState
from tests.factories import case_in_state, create_case

pytestmark = pytest.mark.browser


class Violations:
    """Console errors and page errors that mention the Content Security Policy, per page."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._note(f"pageerror on {page.url}: {error}"))
        return page

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self._note(f"console {message.type} on {message.location.get('url', '')}: {message.text}")

    def _note(self, text: str) -> None:
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.seen.append(text)

    def assert_none(self) -> None:
        assert not self.seen, "\n".join(self.seen)


@pytest.fixture
def violations() -> Violations:
    return Violations()


def test_login_page_has_no_csp_violation(desk, violations):
    context = desk.browser.new_context(base_url=desk.base_url)
    try:
        page = violations.watch(context.new_page())
        response = page.goto(desk.url(reverse("admin:login")))
        assert response is not None and "default-src 'self'" in response.headers["content-security-policy"]
        expect(page.locator("#login-form")).to_be_visible()
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    violations.assert_none()


def test_the_desks_pages_work_under_the_policy(desk, violations):
    world = desk.world
    case = case_in_state(world, ComplaintState.IN_PROGRESS, department=world.retail)
    create_case(world, phone="13900002222")
    page = violations.watch(desk.login("supervisor"))

    desk.goto(page, reverse("admin:index"))
    expect(page.locator("#content")).to_be_visible()

    desk.goto(page, reverse("admin:complaints_complaint_changelist"))
    expect(page.locator("#result_list")).to_be_visible()
    # The admin's own scripts still run: the "select all" box ticks every row.
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()

    desk.goto(page, reverse("admin:complaints_complaint_change", args=[case.pk]))
    # case.js: an action button opens its panel.
    button = page.locator(".case-actions a.action-button").first
    button.click()
    expect(page.locator(".action-panel.open")).to_have_count(1)

    # A new case of a customer with another open case in the category: the merge form shows.
    create_case(world)
    duplicate = create_case(world)
    desk.goto(page, reverse("admin:complaints_complaint_change", args=[duplicate.pk]))
    expect(page.get_by_role("button", name=re.compile(r"^Merge into ")).first).to_be_visible()

    desk.goto(page, reverse("admin:complaints_complaint_add"))
    # case.js: typing a known phone number looks up the customer's other cases.
    phone = page.locator("[name=customer_phone]")
    phone.fill("13900002222")
    with page.expect_response(lambda r: r.request.method == "POST" and r.status == 200):
        phone.press("Tab")
    expect(page.get_by_text("This customer's other cases")).to_be_visible()

    desk.goto(page, reverse("admin:reports_report_changelist"))
    desk.goto(page, reverse("admin:reports_report_generate"))
    desk.goto(page, reverse("admin:two_factor_enrol"))
    expect(page.locator(".two-factor-qr img")).to_have_js_property("complete", True)
    assert page.locator(".two-factor-qr img").evaluate("img => img.naturalWidth") > 0  # the data: QR code drew
    page.wait_for_load_state("networkidle")

    desk.assert_no_server_errors()
    violations.assert_none()


def test_api_docs_render_under_the_policy(desk, violations):
    page = violations.watch(desk.login("cs"))
    desk.goto(page, "/api/v1/docs/")
    # Swagger UI (served locally) ran its init script and drew the operations of the schema.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Complaint engine API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/complaints/$")).count() >= 1
    page.wait_for_load_state("networkidle")
    desk.assert_no_server_errors()
    violations.assert_none()
