"""The case list's text search and customer search: what they find, within the user's scope, and no identifier in a URL."""
from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from complaints.models import Complaint
from complaints.search import complaint_search
from workflows import services

CHANGELIST = "admin:complaints_complaint_changelist"


def _case(world, *, subject="Card fee charged twice", description="The annual fee was charged twice.",
          phone="13812345678", email="zhang@example.com", id_number="110101199001011234",
          account="6222021234567890", name="张三", department=None, category=None):
    case, _ = services.complaint_create(
        actor=world.cs, kind="complaint", channel="phone", severity="medium",
        category=category or world.unrouted, subject=subject, description=description, received_at=None,
        customer=services.CustomerData(name=name, phone=phone, email=email, id_number=id_number, account=account),
    )
    if department is not None:
        case = services.complaint_assign(complaint=case, actor=world.cs, department=department)
    return case


@pytest.fixture
def cases(world):
    return {
        "fee": _case(world),
        "atm": _case(world, subject="ATM swallowed the card", description="Cash machine at the branch kept my CARD.",
                     phone="13900001111", email="li@example.com", id_number="220101199202022222",
                     account="6222020000001111", name="李四", department=world.retail),
        "chinese": _case(world, subject="信用卡问题", description="客户说信用卡年费被重复收取，要求退款。",
                         phone="13700002222", email="wang@example.com", id_number="33010119930303333X",
                         account="6222029999992222", name="王五", department=world.cards),
    }


def _found(client, **params) -> set[str]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return {case.reference for case in response.context["cl"].result_list}


def _refs(*cases) -> set[str]:
    return {case.reference for case in cases}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("charged", {"fee"}),  # subject and description
        ("cash machine", {"atm"}),  # description only, case-insensitive
        ("card", {"fee", "atm"}),
        ("年费", {"chinese"}),  # a 2-character Chinese word inside a description
        ("信用卡", {"chinese"}),
        ("重复收取", {"chinese"}),
        ("问题", {"chinese"}),  # 2 characters, in the subject
        ("nothing like this", set()),
    ],
)
def test_text_search_finds_subject_and_description_words_chinese_included(client, world, cases, term, expected):
    client.force_login(world.cs)
    assert _found(client, q=term) == {cases[key].reference for key in expected}


def test_text_search_finds_a_reference_or_a_fragment_of_it(client, world, cases):
    client.force_login(world.cs)
    reference = cases["atm"].reference
    assert _found(client, q=reference) == {reference}
    assert _found(client, q=reference.lower()) == {reference}
    assert _found(client, q=reference[-6:]) == {reference}
    assert _found(client, q=reference[2:10]) == _refs(*cases.values())  # the day's part


@pytest.mark.parametrize("term", ["13812345678", "+86 138 1234 5678", "110101199001011234", "6222021234567890",
                                  "zhang@example.com"])
def test_a_customer_identifier_in_q_finds_nothing_and_says_to_use_the_customer_search(client, world, cases, term):
    client.force_login(world.cs)
    response = client.get(reverse(CHANGELIST), {"q": term})
    assert list(response.context["cl"].result_list) == []
    assert "use the customer search" in response.content.decode()


def test_a_search_that_matches_nothing_says_so(client, world, cases):
    client.force_login(world.cs)
    response = client.get(reverse(CHANGELIST), {"q": "zebra crossing"})
    assert "No case matches this search." in response.content.decode()
    assert "No case matches this search." not in client.get(reverse(CHANGELIST)).content.decode()


def test_text_search_stays_within_the_users_scope(client, world, cases):
    client.force_login(world.other_owner)  # cards
    assert _found(client, q="card") == set()
    assert _found(client, q=cases["atm"].reference) == set()
    assert _found(client, q="年费") == {cases["chinese"].reference}


def test_complaint_search_selector_keeps_the_queryset_it_is_given(world, cases):
    scoped = Complaint.objects.filter(department=world.retail)
    assert set(complaint_search(scoped, "card")) == {cases["atm"]}
    assert set(complaint_search(scoped, "  ")) == {cases["atm"]}
    assert set(complaint_search(Complaint.objects.all(), "13812345678")) == set()


def test_text_search_follows_an_edited_subject(world, cases):
    Complaint.objects.filter(pk=cases["fee"].pk).update(subject="Mortgage statement missing")
    assert set(complaint_search(Complaint.objects.all(), "mortgage")) == {cases["fee"]}
    assert set(complaint_search(Complaint.objects.all(), "fee charged twice")) == set()


# --- the customer search ---------------------------------------------------------------------

IDENTIFIERS = {
    "name": ("name", "李", "atm"),
    "phone": ("phone", "139 0000 1111", "atm"),
    "phone_plus_86": ("phone", "+86 139-0000-1111", "atm"),
    "email": ("email", " LI@Example.com", "atm"),
    "id_number": ("id_number", "33010119930303333x", "chinese"),
    "account": ("account", "6222 0200 0000 1111", "atm"),
}


def _customer_search(client, **fields):
    response = client.post(reverse("admin:complaints_complaint_customer_search"), fields)
    assert response.status_code == 302
    return response


@pytest.mark.parametrize("key", list(IDENTIFIERS))
def test_customer_search_finds_by_each_identifier_and_never_puts_it_in_a_url(client, world, cases, key):
    field, value, expected = IDENTIFIERS[key]
    client.force_login(world.cs)
    redirect = _customer_search(client, **{field: value})
    location = redirect["Location"]
    token = re.fullmatch(r"/admin/complaints/complaint/\?customer=([\w-]+)", location.replace("/desk/", "/admin/"))
    assert token is not None, location
    page = client.get(location)
    assert {c.reference for c in page.context["cl"].result_list} == {cases[expected].reference}
    links = re.findall(r'(?:href|action)="([^"]*)"', page.content.decode())
    identifiers = [value.strip(), value.strip().lower(), "".join(ch for ch in value if ch.isalnum())]
    for link in [location, *links]:
        for identifier in identifiers:
            if len(identifier) >= 3:
                assert identifier.lower() not in unquote(link).lower(), (identifier, link)


def test_customer_search_token_is_opaque_and_belongs_to_the_session(client, world, cases):
    client.force_login(world.cs)
    first = _customer_search(client, phone="13900001111")["Location"]
    second = _customer_search(client, phone="13900001111")["Location"]
    assert first != second  # random, not derived from the value
    other = type(client)()
    other.force_login(world.supervisor)
    response = other.get(first)
    assert list(response.context["cl"].result_list) == []
    assert "expired" in response.content.decode()


def test_customer_search_without_criteria_goes_back_to_the_list(client, world, cases):
    client.force_login(world.cs)
    response = _customer_search(client, name="  ")
    assert "?" not in response["Location"]


def test_customer_search_stays_within_the_users_scope(client, world, cases):
    client.force_login(world.other_owner)
    location = _customer_search(client, phone="13900001111")["Location"]  # Retail's customer
    assert list(client.get(location).context["cl"].result_list) == []
    location = _customer_search(client, name="王")
    assert {c.reference for c in client.get(location["Location"]).context["cl"].result_list} == {
        cases["chinese"].reference
    }


@pytest.mark.parametrize(
    "params",
    [
        {"customer_id_number__regex": "^28"},
        {"customer_phone": "13812345678"},
        {"customer_name__startswith": "张"},
        {"customer_email__icontains": "zhang"},
        {"customer_account__endswith": "7890"},
        {"duplicate_of__customer_phone": "13812345678"},
        {"merged_cases__customer_phone__startswith": "138"},
    ],
)
def test_customer_fields_cannot_be_filtered_from_the_query_string(client, world, cases, params):
    client.force_login(world.cs)
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


# --- a customer's history on intake and on the case page -----------------------------------------


def test_intake_history_endpoint_lists_the_customers_cases_and_warns_of_duplicates(client, world, cases):
    client.force_login(world.cs)
    url = reverse("admin:complaints_complaint_customer_history")
    assert url.endswith("/complaints/complaint/customer-history/")
    response = client.post(url, {"phone": "13812345678", "category": world.unrouted.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert cases["fee"].reference in body and cases["atm"].reference not in body
    assert "may be the same complaint" in body
    assert "<form" not in body  # no merge on intake
    assert "13812345678" not in body and "zhang@example.com" not in body
    assert client.get(url, {"phone": "13812345678"}).status_code == 405


def test_intake_history_endpoint_stays_within_the_users_scope(client, world, cases):
    client.force_login(world.other_owner)
    response = client.post(reverse("admin:complaints_complaint_customer_history"), {"email": "li@example.com"})
    assert cases["atm"].reference not in response.content.decode()


def test_history_fragment_offers_a_merge_form_per_duplicate(world, cases):
    duplicate = _case(world)
    request = RequestFactory().get("/")
    request.user = world.cs
    from desk.admin.search import customer_history_context

    context = customer_history_context(request, duplicate)
    assert context["duplicates"] == [cases["fee"]] and context["can_merge"]
    html = render_to_string("admin/complaints/complaint/_customer_history.html", context, request=request)
    action = reverse("admin:complaints_complaint_transition", args=[duplicate.pk, "merge"])
    assert f'action="{action}"' in html
    assert f'name="merge-into" value="{cases["fee"].reference}"' in html
    assert f'name="merge-version" value="{duplicate.version}"' in html
    assert "csrfmiddlewaretoken" in html


def test_one_click_merge_from_the_case_page_merges_the_duplicate(client, world, cases):
    duplicate = _case(world)
    client.force_login(world.cs)
    page = client.get(reverse("admin:complaints_complaint_change", args=[duplicate.pk]))
    assert [c.pk for c in page.context["duplicates"]] == [cases["fee"].pk]
    response = client.post(
        reverse("admin:complaints_complaint_transition", args=[duplicate.pk, "merge"]),
        {"merge-into": cases["fee"].reference, "merge-version": duplicate.version},
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.duplicate_of_id) == ("merged", cases["fee"].pk)


# --- the database's own index -------------------------------------------------------------------


def test_the_databases_own_text_search_structures_are_in_place(db):
    """SQLite: the FTS5 table and the triggers that keep it in step; PostgreSQL: the GIN indexes."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'complaint_text_search%%'")
            names = {row[0] for row in cursor.fetchall()}
            # A migration that remakes complaints_complaint on SQLite drops these triggers: recreate them.
            expected = {"complaint_text_search", "complaint_text_search_insert", "complaint_text_search_delete",
                        "complaint_text_search_update"}
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'complaints_complaint' AND indexdef LIKE '%%USING gin%%'")
            names = {row[0] for row in cursor.fetchall()}
            expected = {"complaint_description_trgm", "complaint_text_cjk_bigrams"}
    assert expected <= names, names


@pytest.mark.postgres
@pytest.mark.parametrize(("term", "index"), [
    ("charged", "complaint_description_trgm"),
    ("年费", "complaint_text_cjk_bigrams"),
])
def test_postgres_text_search_can_use_its_indexes(world, cases, term, index):
    queryset = complaint_search(Complaint.objects.all(), term)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.order_by().explain()  # as the list's count asks
    assert index in plan, plan
    assert set(queryset) == ({cases["fee"]} if term == "charged" else {cases["chinese"]})
