"""Test-session wiring: --postgres runs the suite on a throwaway PostgreSQL started here."""
from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres",
        action="store_true",
        default=False,
        help="Start a throwaway PostgreSQL server and run the tests against it.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs PostgreSQL; runs only with --postgres")
    if config.getoption("--postgres") and not hasattr(config, "workerinput"):
        from tests.servers import start_postgres

        config._postgres_server = start_postgres()


def pytest_unconfigure(config: pytest.Config) -> None:
    server = getattr(config, "_postgres_server", None)
    if server is not None:
        server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without --postgres, PostgreSQL-only tests are deselected (they run in the PostgreSQL pass)."""
    if config.getoption("--postgres"):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
