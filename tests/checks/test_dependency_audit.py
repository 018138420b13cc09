"""tests/checks/dependency_audit.sh in its three outcomes: clean, vulnerable, did not run.

The vulnerability service is a stand-in on 127.0.0.1 that speaks OSV's query API (pip-audit's
``--osv-url``) and answers with a recorded advisory: Django's CVE-2023-31047 (4.2 before 4.2.1).
The requirements files pin exact versions, so nothing is resolved from the index.
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "checks" / "dependency_audit.sh"
DJANGO_4_2_0 = {
    "id": "CVE-2023-31047",
    "schema_version": "1.4.0",
    "summary": "Potential bypass of validation when uploading multiple files using one form field",
    "published": "2023-05-07T02:15:00Z",
    "aliases": [],
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "4.2"}, {"fixed": "4.2.1"}]}],
        }
    ],
}


class OsvStandIn(BaseHTTPRequestHandler):
    """POST /v1/query {"package": {"name", "ecosystem"}, "version"} -> {"vulns": [...]} or {}."""

    def do_POST(self) -> None:  # noqa: N802
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.queries.append(query)  # type: ignore[attr-defined]
        affected = query["package"]["name"] == "django" and query["version"] == "4.2.0"
        body = json.dumps({"vulns": [DJANGO_4_2_0]} if affected else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def osv():
    server = ThreadingHTTPServer(("127.0.0.1", 0), OsvStandIn)
    server.queries = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def audit(tmp_path: Path, pins: str, **env: str) -> subprocess.CompletedProcess:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pins)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEPENDENCY_AUDIT_")}
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={**clean, "DEPENDENCY_AUDIT_REQUIREMENTS": str(requirements), "DEPENDENCY_AUDIT_NO_DEPS": "true", **env},
        capture_output=True, text=True, timeout=120,
    )


def osv_env(server) -> dict[str, str]:
    return {"DEPENDENCY_AUDIT_SERVICE": "osv", "DEPENDENCY_AUDIT_OSV_URL": f"http://127.0.0.1:{server.server_port}/v1/query"}


def test_a_known_vulnerability_fails_with_the_list(tmp_path, osv):
    done = audit(tmp_path, "Django==4.2.0\nsegno==1.6.6\n", **osv_env(osv))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "VULNERABLE: 1 known vulnerability in 1 package(s):" in done.stderr
    assert "django 4.2.0: CVE-2023-31047; fixed in 4.2.1" in done.stderr
    assert {q["package"]["name"]: q["version"] for q in osv.queries} == {"django": "4.2.0", "segno": "1.6.6"}


def test_clean_requirements_pass(tmp_path, osv):
    done = audit(tmp_path, "Django==4.2.1\nsegno==1.6.6\n", **osv_env(osv))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no known vulnerabilities in 2 packages (osv)" in done.stdout


@pytest.mark.parametrize(
    ("env", "service"),
    [
        ({"DEPENDENCY_AUDIT_SERVICE": "osv", "DEPENDENCY_AUDIT_OSV_URL": "http://127.0.0.1:9/v1/query"},
         "service: OSV (http://127.0.0.1:9/v1/query)"),
        ({"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"},
         "service: PyPI's vulnerability data (its JSON API, /pypi/<name>/<version>/json)"),
    ],
    ids=["osv-refused", "pypi-behind-a-dead-proxy"],
)
def test_an_unreachable_service_says_the_audit_did_not_run(tmp_path, env, service):
    done = audit(tmp_path, "Django==4.2.0\n", DEPENDENCY_AUDIT_MUST_RUN="true", **env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "THE DEPENDENCY AUDIT DID NOT RUN" in done.stderr
    assert service in done.stderr
    assert "reason:  the service could not be reached" in done.stderr
    assert "Connection refused" in done.stderr
    assert "no known vulnerabilities" not in (done.stdout + done.stderr).lower()


def test_an_unreachable_service_is_loud_but_not_fatal_unless_the_audit_must_run(tmp_path):
    done = audit(tmp_path, "Django==4.2.0\n", DEPENDENCY_AUDIT_SERVICE="osv", DEPENDENCY_AUDIT_OSV_URL="http://127.0.0.1:9/v1/query")
    assert done.returncode == 0
    assert "THE DEPENDENCY AUDIT DID NOT RUN" in done.stderr
    assert "set DEPENDENCY_AUDIT_MUST_RUN=true to fail on this" in done.stderr
    assert "no known vulnerabilities" not in (done.stdout + done.stderr).lower()


def test_an_unreachable_index_says_the_requirements_could_not_be_resolved(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django>=4.2,<4.3\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DEPENDENCY_AUDIT_", "PIP_"))}
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        env={
            **clean,
            "DEPENDENCY_AUDIT_REQUIREMENTS": str(requirements),
            "DEPENDENCY_AUDIT_INDEX_URL": "http://127.0.0.1:9/simple",
            "DEPENDENCY_AUDIT_MUST_RUN": "true",
            "PIP_CONFIG_FILE": os.devnull,
        },
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "THE DEPENDENCY AUDIT DID NOT RUN" in done.stderr
    assert "the requirements could not be resolved: the package index could not be reached" in done.stderr
