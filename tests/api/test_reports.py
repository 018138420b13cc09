"""GET /api/v1/reports/ and /api/v1/reports/{id}/pdf/: supervisors read every report, department
owners their departments' only (another's, and the whole bank's, look missing); nobody else."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.core.files.base import ContentFile

from reports.models import Report
from tests import factories

PDF = b"%PDF-1.7\n% a stand-in body\n%%EOF\n"


def store(*, department=None, language="en", start=date(2026, 1, 5), end=date(2026, 1, 18), generated_by=None) -> Report:
    content = PDF + f"% {department.code if department else 'bank'} {language} {start}\n".encode()
    stored = Report(
        period_start=start,
        period_end=end,
        language=language,
        department=department,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        page_count=1,
        generated_by=generated_by,
    )
    stored.file.save(stored.filename, ContentFile(content), save=False)
    stored.save()
    return stored


@pytest.fixture
def report(world, settings, tmp_path):
    """The whole bank's report."""
    settings.MEDIA_ROOT = tmp_path
    return store(generated_by=world.supervisor)


@pytest.fixture
def department_reports(world, report):
    """Retail's in both languages, cards' in English, and the bank's of an older period."""
    return {
        "retail": store(department=world.retail),
        "retail-zh": store(department=world.retail, language="zh-hans"),
        "cards": store(department=world.cards),
        "older": store(start=date(2025, 12, 22), end=date(2026, 1, 4)),
    }


def test_supervisor_lists_reports_with_a_pdf_link(world, client_for, report):
    response = client_for(world.supervisor).get("/api/v1/reports/")
    assert response.status_code == 200
    [item] = response.json()
    assert item["id"] == report.pk and item["period_start"] == "2026-01-05" and item["generated_by"] == "supervisor"
    assert item["department"] is None
    assert item["sha256"] == report.sha256
    assert item["pdf"].endswith(f"/api/v1/reports/{report.pk}/pdf/")


def test_supervisor_lists_every_report_newest_period_first_with_its_department(
    world, client_for, report, department_reports
):
    items = client_for(world.supervisor).get("/api/v1/reports/").json()
    by_id = {item["id"]: item for item in items}
    assert set(by_id) == {report.pk, *(stored.pk for stored in department_reports.values())}
    assert {pk: item["department"] for pk, item in by_id.items()} == {
        report.pk: None,
        department_reports["retail"].pk: "retail",
        department_reports["retail-zh"].pk: "retail",
        department_reports["cards"].pk: "cards",
        department_reports["older"].pk: None,
    }
    assert [item["period_start"] for item in items] == ["2026-01-05"] * 4 + ["2025-12-22"]
    departments = [item for item in items if item["department"]]
    assert [(item["department"], item["language"]) for item in departments] == [
        ("cards", "en"),
        ("retail", "en"),
        ("retail", "zh-hans"),
    ]
    for stored in department_reports.values():
        response = client_for(world.supervisor).get(f"/api/v1/reports/{stored.pk}/pdf/")
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == stored.sha256


def test_supervisor_downloads_the_pdf(world, client_for, report):
    response = client_for(world.supervisor).get(f"/api/v1/reports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == report.sha256
    assert report.filename in response["Content-Disposition"]


def test_pdf_download_honours_accept_pdf(world, client_for, report):
    response = client_for(world.supervisor).get(f"/api/v1/reports/{report.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200


def test_missing_report_is_404_json(world, client_for, report):
    response = client_for(world.supervisor).get(f"/api/v1/reports/{report.pk + 100}/pdf/")
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize("who, department, mine", [("owner", "retail", ["retail", "retail-zh"]), ("other_owner", "cards", ["cards"])])
def test_an_owner_lists_only_their_departments_reports(world, client_for, report, department_reports, who, department, mine):
    response = client_for(getattr(world, who)).get("/api/v1/reports/")
    assert response.status_code == 200
    items = response.json()
    assert sorted(item["id"] for item in items) == sorted(department_reports[key].pk for key in mine)
    assert {item["department"] for item in items} == {department}
    for key in mine:
        item = next(item for item in items if item["id"] == department_reports[key].pk)
        assert item["pdf"].endswith(f"/api/v1/reports/{item['id']}/pdf/")
        pdf = client_for(getattr(world, who)).get(f"/api/v1/reports/{item['id']}/pdf/")
        assert pdf.status_code == 200
        assert b"".join(pdf.streaming_content) == department_reports[key].file.open("rb").read()


@pytest.mark.parametrize("whose", ["cards", "bank", "older"])
def test_another_departments_report_and_the_banks_look_missing_to_an_owner(
    world, client_for, report, department_reports, whose
):
    stored = report if whose == "bank" else department_reports[whose]
    response = client_for(world.owner).get(f"/api/v1/reports/{stored.pk}/pdf/")
    assert response.status_code == 404 and response.json()["detail"]
    # Exactly what a report that does not exist gives.
    missing = client_for(world.owner).get(f"/api/v1/reports/{stored.pk + 1000}/pdf/")
    assert missing.status_code == 404 and missing.json() == response.json()


def test_an_owner_of_two_departments_reads_both(world, client_for, report, department_reports):
    world.cards.owners.add(world.owner)
    items = client_for(world.owner).get("/api/v1/reports/").json()
    assert sorted(item["department"] for item in items) == ["cards", "retail", "retail"]


def test_an_owner_without_reports_gets_an_empty_list(world, client_for, report):
    response = client_for(world.owner).get("/api/v1/reports/")
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize("role", ["cs", "member", "other_member", "outsider", "channel_system"])
@pytest.mark.parametrize("path", ["/api/v1/reports/", "/api/v1/reports/{pk}/pdf/", "/api/v1/reports/{retail}/pdf/"])
def test_reports_are_for_supervisors_and_department_owners_only(world, client_for, report, department_reports, role, path):
    user = factories.UserFactory(username="channel", roles=["channel_system"]) if role == "channel_system" else getattr(world, role)
    response = client_for(user).get(path.format(pk=report.pk, retail=department_reports["retail"].pk))
    assert response.status_code == 403 and response.json()["detail"]


def test_reports_need_authentication(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/reports/").status_code == 401
    assert APIClient().get("/api/v1/reports/1/pdf/").status_code == 401
