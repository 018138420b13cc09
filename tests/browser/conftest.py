"""Browser tests: the admin driven in headless Chromium as each role, in English and Chinese.

Run them alone with

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python -m pytest -q -m browser
    .venv/bin/python -m pytest -q -m browser --postgres       # the same on a throwaway PostgreSQL
    .venv/bin/python -m pytest -q -m "not browser"            # everything else

They need Debian's ``chromium`` package (``bin/setup --dev`` installs it; Playwright's own
browser download is never used) and run against pytest-django's ``live_server``.
Full-page screenshots land in ``var/screenshots/<language>/<name>.png`` (``en`` or ``zh-hans``),
overwritten on every run, for a developer to look at afterwards.

In a test::

    @pytest.mark.browser
    def test_something(desk):
        page = desk.login("owner", language="zh-hans")   # a role of tests.factories.World
        desk.goto(page, reverse("admin:complaints_complaint_changelist"))
        expect(page.get_by_role("table")).to_be_visible()
        desk.screenshot(page, "owner-cases")              # var/screenshots/zh-hans/owner-cases.png
        desk.assert_no_server_errors()

``desk.world`` is the same ``World`` as the ``world`` fixture, so cases made with
``tests.factories.create_case(desk.world)`` in the test are what the server shows.
Use Playwright's auto-waiting locators and ``expect``; never ``time.sleep``.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import World

# Playwright's sync API drives its own asyncio event loop from the test's thread, so while the
# browser is open Django sees a running event loop there and refuses ORM calls made by the test
# (SynchronousOnlyOperation: "You cannot call this from an async context"). Nothing in the test
# thread is actually asynchronous: Playwright only runs its loop while one of its calls is in
# progress, and the live server answers in its own thread. So the check is switched off. It is
# set here, when this directory is collected, because Django reads it at every ORM call and the
# browser is session-wide; tests outside tests/browser/ run before the browser starts (pytest-django
# runs live_server tests last) but see the same variable.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PACKAGE = "chromium"
# Every user made by tests.factories.UserFactory gets this password unless told otherwise.
PASSWORD = "pw"
LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}  # Django language code -> browser locale
ROLES = ("cs", "owner", "member", "other_owner", "other_member", "supervisor", "outsider")
VIEWPORT = {"width": 1366, "height": 900}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the admin in headless Chromium (tests/browser/)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in tests/browser/ is a browser test, marked or not."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, one for the session (each login gets its own context)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            f"Browser tests need Debian's {CHROMIUM_PACKAGE!r} package (no 'chromium' on PATH): "
            f"run bin/setup --dev as root, or apt-get install {CHROMIUM_PACKAGE}.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root in CI, and Chromium's sandbox refuses root.
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@dataclass
class Desk:
    """The admin as staff see it: log in as a role, move about, take screenshots."""

    browser: object
    base_url: str
    world: World
    server_errors: list[str] = field(default_factory=list)
    _contexts: list = field(default_factory=list)
    _languages: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def user(self, role: str | User) -> User:
        if isinstance(role, User):
            return role
        if role not in ROLES:
            raise ValueError(f"Unknown role {role!r}; one of {', '.join(ROLES)} (tests.factories.World).")
        return getattr(self.world, role)

    def login(self, role: str | User, language: str = "en"):
        """A new browser context in ``language``, logged in as ``role`` through /admin/login/; its page."""
        from playwright.sync_api import expect

        if language not in LANGUAGES:
            raise ValueError(f"Unknown language {language!r}; one of {', '.join(LANGUAGES)}.")
        user = self.user(role)
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=VIEWPORT,
            locale=LANGUAGES[language],
            timezone_id=settings.TIME_ZONE,
        )
        self._contexts.append(context)
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": self.base_url}])
        page = context.new_page()
        self._languages[page] = language
        page.on("response", self._note_server_error)
        page.on("pageerror", lambda error: self.server_errors.append(f"JavaScript error on {page.url}: {error}"))

        login_url = reverse("admin:login")
        self.goto(page, login_url)
        page.locator('input[name="username"]').fill(user.username)
        page.locator('input[name="password"]').fill(PASSWORD)
        with page.expect_response(lambda r: r.request.method == "POST" and login_url in r.url) as posted:
            page.locator('input[name="password"]').press("Enter")
        if posted.value.status != 302:
            note = page.locator(".errornote, .errorlist")
            detail = note.first.inner_text() if note.count() else f"status {posted.value.status}"
            raise AssertionError(f"Logging in as {user.username!r} failed: {detail}")
        expect(page).not_to_have_url(re.compile(re.escape(login_url)))
        page.wait_for_load_state()
        return page

    def goto(self, page, path: str, *, status: int = 200):
        """Open ``path`` (relative to the live server) and check the HTTP status of the final response."""
        response = page.goto(self.url(path) if path.startswith("/") else path)
        assert response is not None, f"No response for {path}"
        assert response.status == status, f"GET {path} answered {response.status}, expected {status}"
        return response

    def screenshot(self, page, name: str) -> Path:
        """A full-page PNG of ``page`` at var/screenshots/<language>/<name>.png; its path."""
        path = SCREENSHOTS / self._languages.get(page, "en") / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    def assert_no_server_errors(self) -> None:
        assert not self.server_errors, "\n".join(self.server_errors)

    def close(self) -> None:
        for context in self._contexts:
            context.close()

    def _note_server_error(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} from {response.request.method} {response.url}")


@pytest.fixture
def desk(browser, live_server, transactional_db, world):
    """The admin on pytest-django's live server, with the test world's users (password ``pw``)."""
    desk = Desk(browser=browser, base_url=live_server.url, world=world)
    yield desk
    desk.close()
