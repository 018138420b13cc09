"""A day at the work desk for each role, in English, through the pages staff use.

Each test walks one role through what that role does on a case: customer service logs and
routes it and makes the call-back; the department owner responds, asks for more time and
resolves; the supervisor approves an extension beyond the owner's limit; another department's
owner never sees the case; and a change refused because someone else changed the case first
keeps what the user typed. Steps by other roles are taken through ``workflows.services``.
"""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from complaints.models import Complaint
from complaints.states import ComplaintState, ExtensionStatus
from desk.timeline import local_moment
from tests.factories import cause, create_case
from workflows import services

pytestmark = pytest.mark.browser

MAX_WIDTH = 1366  # the desk's narrowest supported screen (conftest's VIEWPORT)


# --- helpers --------------------------------------------------------------------------
def case_url(case: Complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[case.pk])


def assert_fits_width(page: Page) -> None:
    """No horizontal scroll at 1366 px."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= MAX_WIDTH, f"{page.url} is {width}px wide: it scrolls sideways at {MAX_WIDTH}px"


def open_panel(page: Page, label: str, name: str):
    """Click the action button ``label`` and return its open panel ``section#action-<name>``."""
    page.locator(".case-actions a.action-button", has_text=label).click()
    panel = page.locator(f"section#action-{name}")
    expect(panel).to_be_visible()
    return panel


def submit_panel(panel, label: str) -> None:
    panel.locator("button[type=submit]", has_text=label).click()


def expect_done(page: Page, label: str, case: Complaint) -> None:
    expect(page.locator(".messagelist .success")).to_have_text(f"{label}: done for {case.reference}.")


def newest_entry(page: Page):
    return page.locator("#timeline .timeline-entry").first


def routed(world, case: Complaint) -> Complaint:
    """A case routed to Retail by customer service."""
    return services.complaint_assign(complaint=case, actor=world.cs, department=world.retail)


def in_progress(world, case: Complaint) -> Complaint:
    """A case Retail has given its first response on."""
    case = routed(world, case)
    return services.complaint_respond(complaint=case, actor=world.owner, method="phone", message="Looking into it")


# --- 1. customer service ------------------------------------------------------------
def test_customer_service_logs_routes_and_closes_a_case(desk):
    world = desk.world
    assert world.unrouted.default_department is None
    page = desk.login("cs")

    # Intake: a Chinese name, a mobile number, a category nobody is routed by.
    desk.goto(page, reverse("admin:complaints_complaint_add"))
    page.locator("#id_channel").select_option("phone")
    page.locator("#id_category").select_option(str(world.unrouted.pk))
    page.locator("#id_customer_name").fill("王小明")
    page.locator("#id_customer_phone").fill("13912345678")
    page.locator("#id_subject").fill("ATM kept the card")
    page.locator("#id_description").fill("The ATM at the Nanjing Road branch swallowed the customer's debit card.")
    page.locator(".submit-row input[type=submit]").click()

    expect(page.locator(".messagelist .success")).to_contain_text("logged")
    case = Complaint.objects.get(customer_name="王小明")
    expect(page).to_have_url(re.compile(re.escape(case_url(case)) + "$"))
    expect(page.locator(".case-header .case-reference")).to_have_text(case.reference)
    expect(page.locator(".case-header .state")).to_have_text("New")
    expect(page.locator(".case-facts")).to_contain_text("not routed yet")
    assert case.department is None

    # The index counts it as new and unrouted; the card opens a list with it.
    desk.goto(page, reverse("admin:index"))
    card = page.locator(".queue-card.queue-new_unrouted")
    expect(card.locator(".queue-count")).to_have_text("1")
    card.locator("a").click()
    expect(page).to_have_url(re.compile(r"unrouted=yes"))
    assert_fits_width(page)
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.locator("#result_list").get_by_role("link", name=case.reference).click()
    expect(page.locator(".case-header .case-reference")).to_have_text(case.reference)

    # Route it to Retail; the assignee list shows only Retail's people once Retail is chosen.
    panel = open_panel(page, "Assign", "assign")
    panel.locator("#id_assign-department").select_option(str(world.retail.pk))
    assignee = panel.locator("#id_assign-assignee")
    for outsider in (world.other_owner, world.other_member):
        option = assignee.locator(f'option[value="{outsider.pk}"]')
        expect(option).to_be_disabled()
        expect(option).to_have_js_property("hidden", True)
    for insider in (world.owner, world.member):
        option = assignee.locator(f'option[value="{insider.pk}"]')
        expect(option).to_be_enabled()
        expect(option).to_have_js_property("hidden", False)
    assignee.select_option(str(world.member.pk))
    submit_panel(panel, "Assign")

    expect_done(page, "Assign", case)
    expect(page.locator(".case-header .state")).to_have_text("Assigned")
    expect(page.locator(".case-facts")).to_contain_text(world.retail.name_en)
    expect(newest_entry(page)).to_contain_text(
        f"Routed to {world.retail.name_en}, assigned to {world.member.username}."
    )
    case.refresh_from_db()
    assert (case.department, case.assignee) == (world.retail, world.member)

    # Retail responds and resolves (through the services), then customer service calls back.
    case = services.complaint_respond(complaint=case, actor=world.member, method="phone", message="We are on it")
    case = services.complaint_resolve(
        complaint=case, actor=world.owner, outcome="upheld", summary="Card returned", cause=cause(), compensation=None
    )
    desk.goto(page, case_url(case))
    expect(page.locator(".case-header .state")).to_have_text("Resolved")
    panel = open_panel(page, "Close (customer accepts)", "close")
    panel.locator('input[name="close-satisfaction"][value="5"]').check()
    panel.locator("#id_close-notes").fill("Customer has the card back and is happy.")
    submit_panel(panel, "Close (customer accepts)")

    expect_done(page, "Close (customer accepts)", case)
    expect(page.locator(".case-header .state")).to_have_text("Closed")
    expect(page.locator(".case-aside")).to_contain_text("5 / 5")
    assert_fits_width(page)
    case.refresh_from_db()
    assert (case.state, case.satisfaction) == (ComplaintState.CLOSED, 5)
    desk.assert_no_server_errors()


# --- 2. department owner ------------------------------------------------------------
def test_department_owner_responds_asks_for_time_and_resolves(desk):
    world = desk.world
    case = routed(world, create_case(world, category=world.unrouted))
    page = desk.login("owner")
    desk.goto(page, case_url(case))
    expect(page.locator(".case-header .state")).to_have_text("Assigned")

    # First response.
    panel = open_panel(page, "Record first response", "respond")
    panel.locator("#id_respond-method").select_option("phone")
    panel.locator("#id_respond-message").fill("Called the customer: we are checking the double charge.")
    submit_panel(panel, "Record first response")
    expect_done(page, "Record first response", case)
    expect(page.locator(".case-header .state")).to_have_text("In progress")
    expect(newest_entry(page)).to_contain_text("First response given to the customer by phone call.")

    # 20 more days: 15 + 20 = 35 is past the owner's 30, so a supervisor must decide.
    panel = open_panel(page, "Request extension", "request_extension")
    panel.locator("#id_request_extension-days").fill("20")
    panel.locator("#id_request_extension-reason").fill("The card scheme needs three weeks to answer.")
    submit_panel(panel, "Request extension")
    expect_done(page, "Request extension", case)
    expect(page.locator(".case-header .extension")).to_have_text("Extension of 20 days waiting for a supervisor.")
    expect(newest_entry(page)).to_contain_text("Extension of 20 days requested; a supervisor decides.")
    # The owner may not decide it.
    expect(page.locator(".case-actions a.action-button", has_text="Approve extension")).to_have_count(0)

    # Resolve submitted empty: every required field says so at once, and nothing changes.
    case.refresh_from_db()
    version, entries = case.version, page.locator("#timeline .timeline-entry").count()
    panel = open_panel(page, "Resolve", "resolve")
    submit_panel(panel, "Resolve")
    panel = page.locator("section#action-resolve")
    expect(panel).to_be_visible()
    for field in ("outcome", "cause", "summary"):
        expect(panel.locator(f".form-row.field-{field} .errorlist")).to_be_visible()
        expect(panel.locator(f".form-row.field-{field} .errorlist")).to_contain_text("required")
    expect(panel.locator(".form-row.field-compensation .errorlist")).to_have_count(0)
    expect(page.locator(".messagelist .success")).to_have_count(0)
    expect(page.locator(".case-header .state")).to_have_text("In progress")
    expect(page.locator("#timeline .timeline-entry")).to_have_count(entries)
    assert_fits_width(page)
    case.refresh_from_db()
    assert (case.state, case.version) == (ComplaintState.IN_PROGRESS, version)

    # Resolve filled in.
    panel.locator("#id_resolve-outcome").select_option("upheld")
    panel.locator("#id_resolve-cause").select_option(label=cause("fees-pricing").name_en)
    panel.locator("#id_resolve-summary").fill("Refunded the second annual fee.")
    panel.locator("#id_resolve-compensation").fill("120.00")
    submit_panel(panel, "Resolve")
    expect_done(page, "Resolve", case)
    expect(page.locator(".case-header .state")).to_have_text("Resolved")
    expect(newest_entry(page)).to_contain_text("Resolved: upheld; root cause: Fees and pricing.")
    case.refresh_from_db()
    assert case.state == ComplaintState.RESOLVED
    assert case.compensation == Decimal("120.00")
    desk.assert_no_server_errors()


# --- 3. supervisor ------------------------------------------------------------------
def test_supervisor_approves_an_extension_beyond_the_owner(desk):
    world = desk.world
    case = in_progress(world, create_case(world, category=world.unrouted))
    case = services.complaint_request_extension(
        complaint=case, actor=world.owner, days=20, reason="The card scheme needs three weeks."
    )
    assert case.extension_requires_supervisor
    old_due = case.resolution_due
    page = desk.login("supervisor")

    desk.goto(page, reverse("admin:index"))
    card = page.locator(".queue-card.queue-extensions_for_supervisor")
    expect(card.locator(".queue-count")).to_have_text("1")
    card.locator("a").click()
    expect(page).to_have_url(re.compile(r"extension=supervisor"))
    assert_fits_width(page)
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.locator("#result_list").get_by_role("link", name=case.reference).click()
    expect(page.locator(".case-header .extension")).to_have_text("Extension of 20 days waiting for a supervisor.")

    panel = open_panel(page, "Approve extension", "approve_extension")
    panel.locator("#id_approve_extension-customer_notified_by").select_option("sms")
    panel.locator("#id_approve_extension-note").fill("Fine: the scheme is slow.")
    submit_panel(panel, "Approve extension")

    expect_done(page, "Approve extension", case)
    case.refresh_from_db()
    assert case.extension_status == ExtensionStatus.APPROVED
    assert case.resolution_due > old_due + timedelta(days=19)
    with translation.override("en"):
        new_due = local_moment(case.resolution_due)
    # One full stop after a time that ends in one ("11:59 p.m."); SMS stays in capitals.
    sentence = f"Extension approved: 20 days, customer told by SMS, new deadline {new_due}."
    expect(newest_entry(page)).to_contain_text(sentence.replace("..", "."))
    expect(page.locator(".case-header .extension")).to_have_text("Extension of 20 days approved.")
    assert_fits_width(page)
    desk.assert_no_server_errors()


# --- 4. another department's owner --------------------------------------------------
def test_other_departments_owner_sees_none_of_it(desk):
    world = desk.world
    retail_case = in_progress(world, create_case(world, category=world.unrouted, subject="Retail secret"))
    services.complaint_request_extension(complaint=retail_case, actor=world.member, days=5, reason="Need a week")
    cards_case = create_case(world, category=world.cards_category, subject="Cards case")  # routed to cards
    assert cards_case.department == world.cards
    page = desk.login("other_owner")

    # Their queues count their own case only.
    desk.goto(page, reverse("admin:index"))
    expect(page.locator(".queue-card.queue-department_open .queue-count")).to_have_text("1")
    expect(page.locator(".queue-card.queue-extensions_for_me .queue-count")).to_have_text("0")
    expect(page.locator("#content-main")).not_to_contain_text(retail_case.reference)

    # Their list has the Cards case, not the Retail one, with or without filters.
    for query in ("", "?open=yes", "?extension=any", f"?q={retail_case.reference}"):
        desk.goto(page, reverse("admin:complaints_complaint_changelist") + query)
        expect(page.locator("#changelist")).not_to_contain_text(retail_case.reference)
    desk.goto(page, reverse("admin:complaints_complaint_changelist"))
    expect(page.locator("#result_list").get_by_role("link", name=cards_case.reference)).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)

    # Its address leads away with "doesn't exist"; its actions and history are 404.
    desk.goto(page, case_url(retail_case))
    expect(page).to_have_url(desk.url(reverse("admin:index")))
    expect(page.locator(".messagelist .warning")).to_contain_text(re.compile(r"doesn.t exist"))
    expect(page.locator("body")).not_to_contain_text("Retail secret")
    transition = reverse("admin:complaints_complaint_transition", args=[retail_case.pk, "approve_extension"])
    desk.goto(page, transition, status=404)
    desk.goto(page, reverse("admin:complaints_complaint_history", args=[retail_case.pk]), status=404)
    desk.assert_no_server_errors()


# --- 5. a refused concurrent change -------------------------------------------------
def test_refused_concurrent_change_keeps_what_was_typed(desk):
    world = desk.world
    case = in_progress(world, create_case(world, category=world.unrouted))
    page = desk.login("owner")
    desk.goto(page, case_url(case))

    summary = "Refunded the fee; the branch manager apologised in person."
    panel = open_panel(page, "Resolve", "resolve")
    panel.locator("#id_resolve-outcome").select_option("partly_upheld")
    panel.locator("#id_resolve-cause").select_option(label=cause("service-attitude").name_en)
    panel.locator("#id_resolve-summary").fill(summary)

    # Meanwhile a member of the department asks for more time.
    services.complaint_request_extension(complaint=case, actor=world.member, days=5, reason="Waiting for the branch")

    with page.expect_response(lambda r: r.request.method == "POST" and "/transition/resolve/" in r.url) as posted:
        submit_panel(panel, "Resolve")
    assert posted.value.status == 409
    panel = page.locator("section#action-resolve")
    expect(panel).to_be_visible()
    expect(panel.locator(".errorlist.nonfield")).to_contain_text("changed by someone else")
    expect(panel.locator(".errorlist.nonfield")).to_contain_text("What you typed is kept below")
    expect(panel.locator("#id_resolve-summary")).to_have_value(summary)
    expect(panel.locator("#id_resolve-outcome")).to_have_value("partly_upheld")
    expect(panel.locator("#id_resolve-cause")).to_have_value(str(cause("service-attitude").pk))
    # The page shows the case as it is now: the member's request is on it.
    expect(page.locator(".case-header .extension")).to_have_text("Extension of 5 days waiting for the department owner.")
    expect(newest_entry(page)).to_contain_text("Extension of 5 days requested")
    case.refresh_from_db()
    assert case.state == ComplaintState.IN_PROGRESS

    submit_panel(panel, "Resolve")
    expect_done(page, "Resolve", case)
    expect(page.locator(".case-header .state")).to_have_text("Resolved")
    case.refresh_from_db()
    assert (case.state, case.resolution_summary) == (ComplaintState.RESOLVED, summary)
    desk.assert_no_server_errors()
