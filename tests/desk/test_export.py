"""The case list's "Export CSV" and "Export XLSX": every case the list shows, in the importer's columns."""
from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import selectors
from complaints.models import Complaint
from complaints.states import ComplaintState as S
from tests import factories
from workflows.imports import export
from workflows.imports.columns import HEADER

LIST = "admin:complaints_complaint_changelist"
EXPORT = "admin:complaints_complaint_export"
LINK = re.compile(r'<a href="([^"]*)" class="export-link"[^>]*>([^<]*)</a>')


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get("Location")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(HEADER)
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def xlsx_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get("Location")
    assert response["Content-Type"] == export.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))["cases"]
    return [dict(zip(HEADER, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]


def export_links(response) -> dict[str, str]:
    """The list page's export links: label -> URL."""
    assert response.status_code == 200
    return {label.strip(): html.unescape(url) for url, label in LINK.findall(response.content.decode())}


@pytest.fixture
def cases(world):
    return {
        "new": factories.case_in_state(world, S.NEW),
        "assigned": factories.case_in_state(world, S.ASSIGNED),
        "in_progress": factories.case_in_state(world, S.IN_PROGRESS),
        "closed": factories.case_in_state(world, S.CLOSED),
        "cards": factories.case_in_state(world, S.IN_PROGRESS, department=world.cards),
    }


def test_the_list_offers_both_exports_with_its_own_query_string(client, world, cases):
    client.force_login(world.cs)
    links = export_links(client.get(reverse(LIST), {"state__exact": "in_progress", "q": "fee", "p": "2"}))
    assert set(links) == {"Export CSV", "Export XLSX"}
    csv_link = links["Export CSV"]
    assert csv_link.startswith(reverse(EXPORT, args=["csv"]) + "?")
    assert "state__exact=in_progress" in csv_link and "q=fee" in csv_link and "p=" not in csv_link


def test_the_csv_button_exports_what_the_filter_shows_on_every_page(client, world, cases, monkeypatch):
    from desk.admin.changelist import CaseListMixin

    monkeypatch.setattr(CaseListMixin, "list_per_page", 1)  # the list pages; the export does not
    client.force_login(world.supervisor)
    links = export_links(client.get(reverse(LIST), {"state__exact": "in_progress"}))
    rows = csv_rows(client.get(links["Export CSV"]))
    assert {row["reference"] for row in rows} == {cases["in_progress"].reference, cases["cards"].reference}
    assert {row["state"] for row in rows} == {"in_progress"}
    unfiltered = csv_rows(client.get(reverse(EXPORT, args=["csv"])))
    assert {row["reference"] for row in unfiltered} == {case.reference for case in cases.values()}


def test_the_xlsx_button_exports_what_the_filter_and_search_show(client, world, cases):
    Complaint.objects.filter(pk=cases["assigned"].pk).update(subject="ATM swallowed the card 吞卡")
    client.force_login(world.cs)
    rows = xlsx_rows(client.get(reverse(EXPORT, args=["xlsx"]), {"state__exact": "assigned"}))
    assert [row["reference"] for row in rows] == [cases["assigned"].reference]
    assert rows[0]["subject"] == "ATM swallowed the card 吞卡"
    rows = csv_rows(client.get(reverse(EXPORT, args=["csv"]), {"department__id__exact": str(world.cards.pk)}))
    assert [row["reference"] for row in rows] == [cases["cards"].reference]


def test_the_export_follows_the_lists_ordering(client, world, cases):
    client.force_login(world.cs)
    listed = client.get(reverse(LIST), {"o": "1"}).context["cl"].queryset  # by reference
    rows = csv_rows(client.get(reverse(EXPORT, args=["csv"]), {"o": "1"}))
    assert [row["reference"] for row in rows] == [case.reference for case in listed]


def test_department_people_export_only_their_departments_cases_unmasked(client, world, cases):
    client.force_login(world.owner)
    rows = csv_rows(client.get(reverse(EXPORT, args=["csv"])))
    assert {row["reference"] for row in rows} == {cases[name].reference for name in ("assigned", "in_progress", "closed")}
    assert {row["customer_phone"] for row in rows} == {"13812345678"}
    assert {row["customer_name"] for row in rows} == {"张三"}


def test_rows_of_cases_the_user_may_not_handle_are_masked(client, world, cases, monkeypatch):
    """The export asks ``user_may_see_pii`` for each case (today it grants every case a user sees)."""
    monkeypatch.setattr(selectors, "user_may_see_pii", lambda user, case: case.department_id == world.cards.pk)
    client.force_login(world.cs)
    for file_format, reader in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = reader(client.get(reverse(EXPORT, args=[file_format])))
        phones = {row["reference"]: row["customer_phone"] for row in rows}
        assert phones.pop(cases["cards"].reference) == "13812345678"
        assert set(phones.values()) == {"138****5678"}
        assert {row["customer_id_number"] for row in rows if row["reference"] != cases["cards"].reference} == {
            "11**************34"
        }


def test_a_bad_filter_goes_back_to_the_list_with_its_error(client, world, cases):
    client.force_login(world.cs)
    response = client.get(reverse(EXPORT, args=["csv"]), {"received_at__gte": "not a date"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_no_identifier_lookup_through_the_export(client, world, cases):
    client.force_login(world.cs)
    response = client.get(reverse(EXPORT, args=["csv"]), {"customer_phone": "13812345678"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_an_unknown_format_is_a_404_and_people_without_the_list_get_nothing(client, world, cases):
    client.force_login(world.cs)
    assert client.get(reverse(LIST).rstrip("/") + "/export/pdf/").status_code == 404
    client.force_login(world.outsider)  # staff, no role: no view permission on cases
    assert client.get(reverse(EXPORT, args=["csv"])).status_code == 403
    assert "export-link" not in client.get(reverse("admin:index")).content.decode()
    client.logout()
    response = client.get(reverse(EXPORT, args=["csv"]))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_an_xlsx_over_the_limit_goes_back_to_the_list_with_a_message(client, world, cases, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 2)
    client.force_login(world.cs)
    response = client.get(reverse(EXPORT, args=["xlsx"]), {"state__exact": "in_progress"})
    assert response.status_code == 200  # two cases: within the limit
    response = client.get(reverse(EXPORT, args=["xlsx"]), {"kind__exact": "complaint"})
    assert response.status_code == 302
    assert response["Location"] == reverse(LIST) + "?kind__exact=complaint"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "5" in message and "CSV" in message


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_queries_do_not_grow_with_the_cases(client, world, file_format):
    client.force_login(world.owner)

    def queries_with(count: int) -> int:
        for _ in range(count - Complaint.objects.count()):
            factories.case_in_state(world, S.ASSIGNED)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(EXPORT, args=[file_format]), {"state__exact": "assigned"})
            content = b"".join(response.streaming_content)
        assert response.status_code == 200 and content
        return len(queries)

    assert queries_with(10) == queries_with(200)
