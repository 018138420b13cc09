"""The live dashboard in a real browser: without figures it says they are being computed and shows
them once the worker has stored them; a PDF asked for from it is followed to its download link,
neither with a reload by hand, and all under the Content-Security-Policy.

The worker's part (``reports.live.refresh_dashboard``, ``reports.tasks.generate_report``) is run
by the test itself, in its own thread, while the page waits.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from complaints.states import ComplaintState
from reports import live, tasks
from reports.models import GenerationState, ReportGeneration
from tests.browser.test_csp import Violations
from tests.browser.test_role_days import assert_fits_width
from tests.factories import case_in_state, create_case

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _no_snapshots():
    cache.clear()  # the live server runs in this process: its cache is this one
    yield
    cache.clear()


def test_the_dashboard_shows_figures_and_a_generated_pdf_without_a_reload(desk):
    world = desk.world
    now = timezone.now()
    for days_ago in (0, 1, 2):
        case_in_state(world, ComplaintState.CLOSED, department=world.retail, now=now - timedelta(days=days_ago, hours=1))
    case_in_state(world, ComplaintState.IN_PROGRESS, department=world.cards)
    create_case(world)
    violations = Violations()
    page = violations.watch(desk.login("supervisor"))

    desk.goto(page, reverse("admin:index"))
    page.get_by_role("link", name="Live figures").click()
    expect(page.locator(".dashboard-pending")).to_contain_text("being computed")
    page.evaluate("window.stillThisPage = true")

    period = live.current_period()
    live.refresh_dashboard(period.start.isoformat(), period.end.isoformat(), None)  # the worker
    # live_dashboard.js sees the snapshot and reloads the page: the figures are there.
    expect(page.locator("table.headline-figures")).to_be_visible(timeout=15_000)
    expect(page.locator(".dashboard-as-of")).to_contain_text("Figures as of")
    expect(page.locator(".dashboard-chart img").first).to_have_js_property("complete", True)
    assert page.locator(".dashboard-chart img").first.evaluate("img => img.naturalWidth") > 0  # the data: SVG drew
    assert_fits_width(page)
    desk.screenshot(page, "supervisor-dashboard")

    page.get_by_role("button", name="Generate the PDF of this period").click()
    expect(page.locator(".messagelist li")).to_contain_text("is being generated")
    row = page.locator("#report-generations tbody tr").first
    expect(row.locator(".generation-state")).to_have_text("Queued")
    page.evaluate("window.stillThisPage = true")

    generation = ReportGeneration.objects.get()
    assert generation.state == GenerationState.QUEUED and generation.department is None
    tasks.generate_report(
        generation.period_start.isoformat(), generation.period_end.isoformat(), generation.language, world.supervisor.pk, None, generation.pk
    )  # the worker
    generation.refresh_from_db()
    # report_generations.js rewrites the row in place: done, with its download link.
    expect(row.locator(".generation-state")).to_have_text("Done", timeout=15_000)
    expect(row.get_by_role("link", name="Download")).to_have_attribute(
        "href", reverse("admin:reports_report_download", args=[generation.report_id])
    )
    assert page.evaluate("window.stillThisPage === true"), "the page was reloaded"
    desk.screenshot(page, "supervisor-dashboard-generated")
    desk.assert_no_server_errors()
    violations.assert_none()
