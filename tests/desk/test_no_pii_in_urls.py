"""No customer identifier in any URL the product generates or accepts: the desk and the API
crawled as each role.

The world has cases in every state whose customers have known names, phones, e-mails, ID numbers
and accounts. As each role the test signs in and follows every same-site link and form action
from /admin/ (GET only, bounded), then visits the case list under each of its filters, a case
page per state, the intake page, the customer search's result page and the intake's customer
history; through the API it follows every ``next``/``previous`` link and every URL in the JSON of
the case list, a case's detail and its events. No URL met on the way (requested, linked, posted
to or redirected to; URL-decoded, and with a phone's spaces, dashes and brackets removed) may
contain any customer's identifier. The server refuses identifiers in URLs too: customer fields in
the case list's query string are an ``?e=1`` refusal, an identifier in ``?q=`` finds nothing, and
the API's list answers an unknown parameter such as ``customer_phone`` with a 400.
"""
from __future__ import annotations

import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import unquote_plus, urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from complaints import roles
from complaints.models import Complaint
from complaints.states import ComplaintState
from tests import factories
from workflows import services

ROLES = ["cs", "owner", "member", "other_owner", "supervisor"]
CHANGELIST = "admin:complaints_complaint_changelist"
S = ComplaintState
STATES = [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED, S.REJECTED, S.MERGED, S.WITHDRAWN]

# The factories' customer (every case_in_state case) and two more with other shapes of identifier.
FACTORY_CUSTOMER = {
    "name": "张三",
    "phone": "13812345678",
    "email": "zhang@example.com",
    "id_number": "110101199001011234",
    "account": "6222021234567890",
}
CUSTOMERS = [
    FACTORY_CUSTOMER,
    {
        "name": "Margery Quistwood",
        "phone": "+86 (139) 0011-2233",
        "email": "M.Quistwood@Example.org",
        "id_number": "44030419851231002X",
        "account": "6217 0012 3456 7890 123",
    },
    {
        "name": "欧阳娜娜",
        "phone": "137-0000-9876",
        "email": "ouyang.nana@example.cn",
        "id_number": "110105199212121219",
        "account": "6228480402564890018",
    },
]

MAX_PAGES = 80  # per role, for the crawl from /admin/
MAX_DEPTH = 3
PER_SHAPE = 1  # pages visited per path and set of query parameter names
URL_ATTRIBUTES = {"href", "action", "src", "formaction"}


def _squeeze(text: str) -> str:
    """Without the characters a phone or an account is written with: spaces, dashes, dots, brackets, plus."""
    return re.sub(r"[\s\-().+]", "", text)


def _identifiers() -> list[tuple[str, str]]:
    """(what, lower-case text) for every customer identifier and its normalised forms."""
    found: set[tuple[str, str]] = set()
    for customer in CUSTOMERS:
        for field, value in customer.items():
            found.add((field, value.lower()))
            if field in ("phone", "account", "id_number"):
                digits = _squeeze(value.lower())
                found.add((field, digits))
                if field == "phone":
                    found.add((field, re.sub(r"\D", "", value)[-11:]))  # without a country code
            if field == "name":
                found.add((field, _squeeze(value.lower())))
    return sorted(found)


IDENTIFIERS = _identifiers()


def pii_in(url: str) -> list[str]:
    """The identifiers a URL carries, URL-decoded (repeatedly) and with separators removed."""
    decoded = url
    for _ in range(3):
        decoded = unquote_plus(decoded)
    text = decoded.lower()
    squeezed = _squeeze(text)
    return [f"{field}={value}" for field, value in IDENTIFIERS if value in text or value in squeezed]


def test_pii_in_finds_identifiers_however_the_url_spells_them():
    """The checker itself: encoded, plus-separated, reformatted or upper-cased identifiers are caught."""
    assert pii_in("/admin/complaints/complaint/?customer_phone=138%201234%205678")
    assert pii_in("/admin/complaints/complaint/?q=%2B86+139-0011-2233")
    assert pii_in("/api/v1/complaints/?email=m.quistwood%40example.org")
    assert pii_in("/x/?n=%E6%AC%A7%E9%98%B3%E5%A8%9C%E5%A8%9C")  # 欧阳娜娜
    assert pii_in("/x/?id=44030419851231002x")
    assert pii_in("/x/?name=Margery%2BQuistwood")
    assert not pii_in("/admin/complaints/complaint/?state__exact=new&o=-3")
    assert not pii_in("/admin/complaints/complaint/42/change/")


class _Links(HTMLParser):
    """Every URL-valued attribute of a page: href, action, src, formaction, and data-*url*."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.forms: list[tuple[str, str]] = []  # (method, action)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES or (name.startswith("data-") and "url" in name):
                self.urls.append(value)
        if tag == "form":
            self.forms.append(((values.get("method") or "get").lower(), values.get("action") or ""))


def _links(base: str, html: str) -> tuple[list[str], list[str]]:
    """(every URL on the page, the same-site GET targets among them), resolved against ``base``."""
    parser = _Links()
    parser.feed(html)
    everything, targets = [], []
    get_actions = {action for method, action in parser.forms if method == "get"}
    post_actions = {action for method, action in parser.forms if method != "get"}
    for raw in parser.urls:
        url = urljoin(base, raw.strip())
        everything.append(url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "testserver"):
            continue
        if raw in post_actions and raw not in get_actions:
            continue  # a POST form's action: checked, not followed
        targets.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return everything, targets


def _followable(path: str) -> bool:
    lowered = path.lower()
    return (
        lowered.startswith(("/admin/", "/api/"))
        and "logout" not in lowered
        and "/i18n/" not in lowered
        and "setlang" not in lowered
        and "/download/" not in lowered
        and not lowered.endswith((".pdf", ".csv", ".js", ".css", ".png", ".svg"))
        and "/pdf/" not in lowered
    )


class Crawl:
    """Every URL one signed-in client meets, and the pages it read."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.seen: set[str] = set()  # every URL met anywhere
        self.visited: list[str] = []

    def note(self, *urls: str) -> None:
        self.seen.update(urls)

    def get(self, path: str, data=None):
        response = self.client.get(path, data)
        requested = response.request["PATH_INFO"] + (
            f"?{response.request['QUERY_STRING']}" if response.request.get("QUERY_STRING") else ""
        )
        self.note(requested)
        self.visited.append(requested)
        return response, self.read(requested, response)

    def post(self, path: str, data):
        self.note(path)
        response = self.client.post(path, data)
        return response, self.read(path, response)

    def read(self, url: str, response) -> list[str]:
        """Note the response's Location and links; return the same-site GET targets."""
        assert response.status_code < 500, (url, response.status_code)
        targets: list[str] = []
        if response.has_header("Location"):
            location = response["Location"]
            self.note(location)
            targets.append(location)
        if "html" in response.get("Content-Type", "") and not response.streaming:
            everything, found = _links(url, response.content.decode())
            self.note(*everything)
            targets += found
        return targets

    def from_admin_index(self) -> None:
        shapes: dict[tuple[str, frozenset[str]], int] = {}
        queue: deque[tuple[str, int]] = deque([("/admin/", 0)])
        queued = {"/admin/"}
        while queue and len(self.visited) < MAX_PAGES:
            path, depth = queue.popleft()
            parts = urlsplit(path)
            shape = (parts.path, frozenset(re.findall(r"(?:^|&)([^=&]+)", parts.query)))
            if shapes.get(shape, 0) >= PER_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            _, targets = self.get(path)
            if depth >= MAX_DEPTH:
                continue
            for target in targets:
                if target not in queued and _followable(target):
                    queued.add(target)
                    queue.append((target, depth + 1))


def _case(world, customer: dict[str, str], *, department=None, subject="Card fee charged twice"):
    case, _ = services.complaint_create(
        actor=world.cs, kind="complaint", channel="phone", severity="medium", category=world.unrouted,
        subject=subject, description="The annual fee was charged twice.", received_at=None,
        customer=services.CustomerData(**customer),
    )
    if department is not None:
        case = services.complaint_assign(complaint=case, actor=world.cs, department=department)
    return case


@pytest.fixture
def pii_world(world):
    """A case per state (the factories' customer), retail's and cards' cases of two other customers."""
    by_state = {state: factories.case_in_state(world, state) for state in STATES}
    others = [
        _case(world, CUSTOMERS[1], department=world.retail, subject="ATM kept the card"),
        _case(world, CUSTOMERS[2], department=world.cards, subject="信用卡年费"),
        _case(world, CUSTOMERS[1]),
        factories.case_in_state(world, "in_progress", department=world.cards),
    ]
    return {"by_state": by_state, "others": others}


def _assert_clean(crawl: Crawl, who: str) -> None:
    offending = {url: pii_in(url) for url in crawl.seen if pii_in(url)}
    assert not offending, (who, offending)


@pytest.mark.parametrize("role", ROLES)
def test_no_customer_identifier_in_any_desk_url(world, pii_world, role):
    user = getattr(world, role)
    client = Client()
    client.force_login(user)
    crawl = Crawl(client)
    crawl.from_admin_index()
    crawled = len(crawl.visited)
    assert crawled > 10, crawl.visited  # the crawl really walked the desk

    # The case list under each of its filters (every link of the list page back to the list).
    changelist = reverse(CHANGELIST)
    response, targets = crawl.get(changelist)
    if response.status_code == 200:
        assert response.context["cl"].result_count > 0  # the refusals below are not vacuous
        by_filter: dict[frozenset[str], str] = {}
        for target in sorted(t for t in targets if urlsplit(t).path == changelist and urlsplit(t).query):
            by_filter.setdefault(frozenset(re.findall(r"(?:^|&)([^=&]+)", urlsplit(target).query)), target)
        for target in by_filter.values():
            crawl.get(target)
    # A case page per state, and the other customers' cases (visible or not to this role).
    for case in [*pii_world["by_state"].values(), *pii_world["others"]]:
        crawl.get(reverse("admin:complaints_complaint_change", args=[case.pk]))
    # The intake page.
    crawl.get(reverse("admin:complaints_complaint_add"))
    # The customer search, by each identifier of each customer: its redirect and the result page.
    for customer in CUSTOMERS:
        for field, value in customer.items():
            response, targets = crawl.post(reverse("admin:complaints_complaint_customer_search"), {field: value})
            if response.status_code == 302:
                crawl.get(response["Location"])
        # The intake's and case page's customer history fragment (POSTed identifiers).
        crawl.post(reverse("admin:complaints_complaint_customer_history"), {"phone": customer["phone"]})
    _assert_clean(crawl, role)
    print(f"{role}: {crawled} pages crawled from /admin/, {len(crawl.visited)} in all, {len(crawl.seen)} URLs checked")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "params",
    [
        {"customer_phone": "13812345678"},
        {"customer_id_number__regex": "^28"},
        {"customer_id_number__regex": "^11"},
        {"customer_email": "zhang@example.com"},
        {"q": "13812345678"},
        {"q": "+86 (139) 0011-2233"},
        {"q": "6222021234567890"},
        {"q": "zhang@example.com"},
    ],
)
def test_desk_case_list_refuses_customer_identifiers_in_its_url(world, pii_world, role, params):
    client = Client()
    client.force_login(getattr(world, role))
    plain = client.get(reverse(CHANGELIST))
    assert plain.status_code == 200
    assert plain.context["cl"].result_count > 0
    response = client.get(reverse(CHANGELIST), params)
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1"), response["Location"]
    else:
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []


# --- the API -----------------------------------------------------------------------------------


def _json_urls(body) -> list[str]:
    """Every string in a JSON body that is a URL or a path."""
    if isinstance(body, dict):
        return [url for value in body.values() for url in _json_urls(value)]
    if isinstance(body, list):
        return [url for value in body for url in _json_urls(value)]
    if isinstance(body, str) and (body.startswith(("http://", "https://", "/"))):
        return [body]
    return []


def _api_client(user) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": user.username, "password": "pw"}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def _api_users(world) -> list[tuple[str, object]]:
    users = [(role, getattr(world, role)) for role in ROLES]
    channel_role = getattr(roles, "CHANNEL_SYSTEM", None)
    if channel_role:
        users.append(("channel_system", factories.UserFactory(username="channel-app", roles=[channel_role])))
    return users


def test_no_customer_identifier_in_any_api_url(world, pii_world):
    cache.clear()  # a fresh count for the token logins' throttles
    counts = {}
    for role, user in _api_users(world):
        client = _api_client(user)
        seen: set[str] = set()
        if role == "channel_system":
            # A channel sees what it logged: log a case for it, with a customer of the world.
            logged = client.post("/api/v1/complaints/", {
                "kind": "complaint", "channel": "app", "severity": "medium", "category": world.routed.code,
                "subject": "Card fee charged twice", "description": "Charged twice.", "external_id": "crawl-1",
                "customer": {key: CUSTOMERS[1][key] for key in ("name", "phone", "email", "id_number", "account")},
            }, format="json")
            assert logged.status_code == 201, logged.content
            seen.update(_json_urls(logged.json()))
        references: list[str] = []
        queue = deque(["/api/v1/complaints/?page_size=2"])
        pages = set()
        while queue:
            url = queue.popleft()
            if url in pages:
                continue
            pages.add(url)
            seen.add(url)
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.content)
            body = response.json()
            seen.update(_json_urls(body))
            references += [item["reference"] for item in body["results"]]
            for link in (body["next"], body["previous"]):
                if link:
                    queue.append(link)
        visible = set(references)
        assert visible, role
        for reference in sorted(visible):
            for path in (f"/api/v1/complaints/{reference}/", f"/api/v1/complaints/{reference}/events/"):
                seen.add(path)
                response = client.get(path)
                assert response.status_code == 200, (role, path)
                seen.update(_json_urls(response.json()))
        for path in ("/api/v1/departments/", "/api/v1/categories/", "/api/v1/causes/", "/api/v1/reports/"):
            seen.add(path)
            response = client.get(path)
            if response.status_code == 200:
                seen.update(_json_urls(response.json()))
        offending = {url: pii_in(url) for url in seen if pii_in(url)}
        assert not offending, (role, offending)
        counts[role] = (len(pages), len(visible), len(seen))
    print("API crawl (list pages, cases read, URLs checked):", json.dumps(counts))


@pytest.mark.parametrize(
    "params",
    [
        {"customer_phone": "13812345678"},
        {"customer_id_number__regex": "^28"},
        {"phone": "13812345678"},
        {"email": "zhang@example.com"},
        {"customer": "13812345678"},
        {"q": "13812345678"},
        {"search": "13812345678"},
    ],
)
def test_api_case_list_refuses_customer_parameters(world, pii_world, params):
    for role, user in _api_users(world):
        client = APIClient()
        client.force_authenticate(user)
        response = client.get("/api/v1/complaints/", params)
        assert response.status_code == 400, (role, params, response.status_code)
        body = response.json()
        assert set(params) <= set(body["errors"]), body
        assert not pii_in(json.dumps(body, ensure_ascii=False)), body  # the refusal does not echo the value


def test_every_state_has_a_case_page_in_the_crawl(pii_world):
    """The world behind the crawl really has a case in each state it claims."""
    states = set(Complaint.objects.values_list("state", flat=True))
    assert set(STATES) <= states
