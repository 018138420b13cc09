"""Fixtures shared by the whole suite: database selection, throwaway servers, users per role."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

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


@contextmanager
def _append_only_guards_off(connection) -> Iterator[None]:
    """Switch the event tables' append-only triggers off for one transaction (complaints 0009, reports 0003).

    PostgreSQL: ``session_replication_role = replica`` for this transaction only, so that no
    ordinary trigger fires; setting it needs a superuser (the throwaway server's ``postgres``),
    the same privilege that could drop the triggers, so it grants nothing an application role
    lacked. SQLite, which has no such switch: the triggers are dropped and created again inside
    the transaction. The triggers themselves have no way around them.
    """
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            yield
            return
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%append_only%'")
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
        yield
        for _name, sql in triggers:
            cursor.execute(sql)


@pytest.fixture(scope="session", autouse=True)
def _test_flush_passes_the_event_guards():
    """Let the flush after each transactional test (``transactional_db``, ``live_server``) empty the event tables.

    Events are append-only in the database: TRUNCATE (PostgreSQL's flush) and DELETE (SQLite's)
    are refused, as ``manage.py flush`` is in production and in a test that calls it. Only
    Django's teardown of a transactional test case runs its flush with the guards off.
    """
    from django.db import connections
    from django.test.testcases import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        with ExitStack() as stack:
            for alias in self._databases_names(include_mirrors=False):
                stack.enter_context(_append_only_guards_off(connections[alias]))
            original(self)

    TransactionTestCase._fixture_teardown = _fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original


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


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Calendars are cached per (id, revision); rolled-back tests reuse both on SQLite."""
    from workflows import calendars

    calendars._load.cache_clear()
    yield
