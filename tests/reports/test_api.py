"""GET /api/v1/reports/ and /api/v1/reports/{id}/pdf/: supervisors only, PDFs as stored."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest

from reports import services
from reports.periods import Period


@pytest.fixture
def report(world):
    return services.report_generate(period=Period(date(2026, 1, 5), date(2026, 1, 18)), language="en")


def test_supervisor_lists_reports_and_downloads_the_pdf(world, client, report):
    client.force_login(world.supervisor)
    response = client.get("/api/v1/reports/")
    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == report.pk
    assert (row["period_start"], row["period_end"], row["language"]) == ("2026-01-05", "2026-01-18", "en")
    assert row["generated_by"] == "system"
    assert row["sha256"] == report.sha256
    pdf = client.get(row["pdf"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)
    assert hashlib.sha256(content).hexdigest() == report.sha256


@pytest.mark.parametrize("who", ["cs", "owner", "member"])
def test_other_roles_may_not_read_reports(world, client, report, who):
    client.force_login(getattr(world, who))
    assert client.get("/api/v1/reports/").status_code == 403
    assert client.get(f"/api/v1/reports/{report.pk}/pdf/").status_code == 403


def test_anonymous_gets_401_or_403_and_missing_pdf_is_404(world, client, report):
    assert client.get("/api/v1/reports/").status_code in (401, 403)
    client.force_login(world.supervisor)
    assert client.get(f"/api/v1/reports/{report.pk + 100}/pdf/").status_code == 404
