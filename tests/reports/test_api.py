"""GET /api/v1/reports/ and /api/v1/reports/{id}/pdf/ over generated reports: supervisors read
every report, a department's owners that department's only; PDFs as stored."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest

from reports import rendering, services
from reports.periods import Period
from tests import factories

PERIOD = Period(date(2026, 1, 5), date(2026, 1, 18))


@pytest.fixture
def stand_in_pdf(monkeypatch):
    """A stand-in PDF that names its scope and language: the rendering is not what most of these
    tests are about (the first one reads a rendered PDF)."""

    def render(data, *, language):
        return rendering.RenderedPdf(f"%PDF-1.7 {data.scope.code if data.scope else 'bank'} {language}".encode(), 1)

    monkeypatch.setattr(rendering, "render_pdf", render)


@pytest.fixture
def report(world, stand_in_pdf):
    """The whole bank's report."""
    return services.report_generate(period=PERIOD, language="en")


@pytest.fixture
def department_reports(world, report):
    """Retail's and cards' reports of the same period."""
    return {
        code: services.report_generate(period=PERIOD, language="en", department=getattr(world, code))
        for code in ("retail", "cards")
    }


def download(client, row) -> bytes:
    response = client.get(row["pdf"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def test_supervisor_lists_reports_and_downloads_the_pdf(world, client):
    report = services.report_generate(period=PERIOD, language="en")
    client.force_login(world.supervisor)
    response = client.get("/api/v1/reports/")
    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == report.pk
    assert (row["period_start"], row["period_end"], row["language"], row["department"]) == ("2026-01-05", "2026-01-18", "en", None)
    assert row["generated_by"] == "system"
    assert row["sha256"] == report.sha256
    content = download(client, row)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == report.sha256


def test_supervisor_reads_every_departments_report_too(world, client, report, department_reports):
    client.force_login(world.supervisor)
    rows = client.get("/api/v1/reports/").json()
    assert sorted((row["department"] or "", row["id"]) for row in rows) == sorted(
        [("", report.pk)] + [(code, stored.pk) for code, stored in department_reports.items()]
    )
    for row in rows:
        assert download(client, row) == f"%PDF-1.7 {row['department'] or 'bank'} en".encode()


@pytest.mark.parametrize("who, mine, theirs", [("owner", "retail", "cards"), ("other_owner", "cards", "retail")])
def test_an_owner_reads_their_departments_report_only(world, client, report, department_reports, who, mine, theirs):
    client.force_login(getattr(world, who))
    response = client.get("/api/v1/reports/")
    assert response.status_code == 200
    [row] = response.json()
    assert (row["id"], row["department"]) == (department_reports[mine].pk, mine)
    content = download(client, row)
    assert hashlib.sha256(content).hexdigest() == department_reports[mine].sha256
    # Another department's report and the whole bank's look missing.
    for other in (department_reports[theirs], report):
        response = client.get(f"/api/v1/reports/{other.pk}/pdf/")
        assert response.status_code == 404


@pytest.mark.parametrize("who", ["cs", "member", "channel_system"])
def test_other_roles_may_not_read_reports(world, client, report, department_reports, who):
    user = factories.UserFactory(username="channel", roles=["channel_system"]) if who == "channel_system" else getattr(world, who)
    client.force_login(user)
    assert client.get("/api/v1/reports/").status_code == 403
    assert client.get(f"/api/v1/reports/{report.pk}/pdf/").status_code == 403
    assert client.get(f"/api/v1/reports/{department_reports['retail'].pk}/pdf/").status_code == 403


def test_anonymous_gets_401_or_403_and_missing_pdf_is_404(world, client, report):
    assert client.get("/api/v1/reports/").status_code in (401, 403)
    client.force_login(world.supervisor)
    assert client.get(f"/api/v1/reports/{report.pk + 100}/pdf/").status_code == 404
