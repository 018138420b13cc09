"""Security headers and deployment settings: the CSP on every response, the API docs behind login,
and production's HTTPS settings (``check --deploy`` clean)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    # The two style attributes of the desk's templates, by their exact text (config/settings/base.py).
    "style-src": [
        "'self'",
        "'unsafe-hashes'",
        "'sha256-HpR511Z/LUbaJ98rfXNPT+sEWBYx/+/LoBcdRRyBzhs='",
        "'sha256-a4tj1WXEmGqOxBANAF3uzawGDJwaj6X3GnmrjTUzhuc='",
    ],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/admin/login/", 200),
        ("/admin/", 302),
        ("/api/v1/schema/", 200),
        ("/api/v1/docs/", 200),
        ("/api/v1/complaints/", 401),
        ("/api/v1/no-such-path/", 404),
    ],
)
def test_every_response_carries_the_content_security_policy(client, db, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert policy(response) == POLICY


def test_signed_in_admin_pages_carry_the_policy(client, world):
    client.force_login(world.supervisor)
    for name in ("admin:index", "admin:complaints_complaint_changelist", "admin:complaints_complaint_add"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert policy(response) == POLICY


def test_the_api_docs_page_has_no_inline_script_or_style(client, db):
    page = client.get("/api/v1/docs/")
    html = page.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts), scripts
    assert "<style" not in html and " style=" not in html
    # The init script comes from the same view, as a file, and reads the schema from here.
    init_url = re.findall(r'<script src="([^"]*script=[^"]*)"', html)
    assert init_url == ["/api/v1/docs/?script="]
    script = client.get(init_url[0])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema/"' in script.content.decode()
    # Every asset is served here (drf-spectacular-sidecar): nothing from a CDN.
    assert not re.search(r'(src|href)="(https?:)?//', html)


@pytest.fixture
def docs_private(settings):
    settings.API_DOCS_PUBLIC = False


def test_private_schema_is_a_json_401_without_credentials(client, db, docs_private):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_private_schema_answers_a_token_or_a_session(client, world, docs_private):
    issued = client.post("/api/v1/auth/token/", {"username": "cs", "password": "pw"}, content_type="application/json")
    assert issued.status_code == 200, issued.content
    by_token = client.get("/api/v1/schema/", HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    assert by_token.status_code == 200
    assert b"openapi: 3" in by_token.content
    client.force_login(world.owner)
    assert client.get("/api/v1/schema/").status_code == 200


def test_private_docs_send_a_browser_to_the_admin_login_and_back(client, world, docs_private):
    for path in ("/api/v1/docs/", "/api/v1/docs/?script="):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login") + "?next=/api/v1/docs/")
    client.force_login(world.cs)
    assert client.get("/api/v1/docs/").status_code == 200
    assert client.get("/api/v1/docs/?script=").status_code == 200


def test_public_docs_answer_anyone(client, db, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200


# --- production settings, in a fresh interpreter with the environment production needs --------

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k3Yv9QpL2mXr7TzW4nB8cD1fG6hJ0sA5eU-uI_oP+qZ*xC%vN!m@lK#jH$gF^dS&",
    "DATABASE_URL": "postgres://app:app@127.0.0.1:5432/app",
    "CELERY_BROKER_URL": "redis://localhost:6379/0",
    "ALLOWED_HOSTS": "bank.example",
}
SHOWN = [
    "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "ADMIN_REQUIRE_2FA", "API_DOCS_PUBLIC",
]


def run_production(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "ADMIN_", "API_DOCS"))}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **PRODUCTION_ENV, **env}, capture_output=True, text=True,
        timeout=120,
    )


def production_settings(**env: str) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {SHOWN!r}}}))"
    )
    done = run_production(["-c", code], **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_check_deploy_is_clean():
    done = run_production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_defaults_are_https_only_with_two_factor_and_private_docs():
    assert production_settings() == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": [],
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "ADMIN_REQUIRE_2FA": True,
        "API_DOCS_PUBLIC": False,
    }


def test_production_https_settings_come_from_the_environment():
    assert production_settings(
        SECURE_SSL_REDIRECT="false",
        SECURE_REDIRECT_EXEMPT=r"^healthz/$,^ready/$",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="true",
        ADMIN_REQUIRE_2FA="false",
        API_DOCS_PUBLIC="true",
    ) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_REDIRECT_EXEMPT": ["^healthz/$", "^ready/$"],
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": True,
        "ADMIN_REQUIRE_2FA": False,
        "API_DOCS_PUBLIC": True,
    }


def test_a_bad_boolean_names_the_variable():
    done = run_production(["-c", "import django; django.setup()"], SECURE_SSL_REDIRECT="sometimes")
    assert done.returncode != 0
    assert "SECURE_SSL_REDIRECT must be true or false, not 'sometimes'." in done.stderr


def test_ssl_redirect_spares_the_exempt_health_path(client, db, settings):
    """What SECURE_REDIRECT_EXEMPT buys a bank whose balancer checks health over plain HTTP."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^api/v1/schema/$"]
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    redirected = client.get("/admin/login/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/admin/login/"
    assert client.get("/api/v1/schema/").status_code == 200
    over_https = client.get("/admin/login/", secure=True)
    assert over_https.status_code == 200
    assert over_https["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
