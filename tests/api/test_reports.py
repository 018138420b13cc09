"""GET /api/v1/reports/ and /api/v1/reports/{id}/pdf/: supervisors only."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.core.files.base import ContentFile

from reports.models import Report

PDF = b"%PDF-1.7\n% a stand-in body\n%%EOF\n"


@pytest.fixture
def report(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    stored = Report(
        period_start=date(2026, 1, 5),
        period_end=date(2026, 1, 18),
        language="en",
        sha256=hashlib.sha256(PDF).hexdigest(),
        size=len(PDF),
        page_count=1,
        generated_by=world.supervisor,
    )
    stored.file.save(stored.filename, ContentFile(PDF), save=False)
    stored.save()
    return stored


def test_supervisor_lists_reports_with_a_pdf_link(world, client_for, report):
    response = client_for(world.supervisor).get("/api/v1/reports/")
    assert response.status_code == 200
    [item] = response.json()
    assert item["id"] == report.pk and item["period_start"] == "2026-01-05" and item["generated_by"] == "supervisor"
    assert item["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert item["pdf"].endswith(f"/api/v1/reports/{report.pk}/pdf/")


def test_supervisor_downloads_the_pdf(world, client_for, report):
    response = client_for(world.supervisor).get(f"/api/v1/reports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert report.filename in response["Content-Disposition"]


def test_pdf_download_honours_accept_pdf(world, client_for, report):
    response = client_for(world.supervisor).get(f"/api/v1/reports/{report.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200


def test_missing_report_is_404_json(world, client_for, report):
    response = client_for(world.supervisor).get(f"/api/v1/reports/{report.pk + 1}/pdf/")
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize("role", ["cs", "owner", "member", "other_owner", "outsider"])
@pytest.mark.parametrize("path", ["/api/v1/reports/", "/api/v1/reports/{pk}/pdf/"])
def test_reports_are_for_supervisors_only(world, client_for, report, role, path):
    response = client_for(getattr(world, role)).get(path.format(pk=report.pk))
    assert response.status_code == 403 and response.json()["detail"]


def test_reports_need_authentication(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/reports/").status_code == 401
    assert APIClient().get("/api/v1/reports/1/pdf/").status_code == 401
