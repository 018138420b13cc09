"""Fixtures shared by the whole suite: database selection, throwaway servers, users per role."""
from __future__ import annotations

import dj_database_url
import pytest

from tests import factories


@pytest.fixture(scope="session")
def postgres_server(request):
    server = getattr(request.config, "_postgres_server", None)
    if server is None:
        raise RuntimeError("This test needs PostgreSQL: run pytest with --postgres.")
    return server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    """With --postgres, point the default database at the throwaway server before any connection."""
    server = getattr(request.config, "_postgres_server", None)
    if server is None:
        return
    from django.conf import settings

    config = dj_database_url.parse(server.url)
    default = settings.DATABASES["default"]
    default.update(config)
    default["OPTIONS"] = {}
    default.setdefault("TEST", {})["NAME"] = "test_complaints"
    # A connection object made before this point still speaks SQLite: drop it.
    from django.db import connections

    try:
        connections["default"].close()
        del connections["default"]
    except AttributeError:
        pass
    assert connections["default"].vendor == "postgresql"


@pytest.fixture(scope="session")
def redis_server():
    from tests.servers import start_redis

    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
def world(db):
    """Two departments with their people, categories routed to them, and every role's user."""
    return factories.make_world()
