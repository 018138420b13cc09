"""Shared start-up for benchmarks: Django on a throwaway PostgreSQL database, migrated."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def django_on_throwaway_postgres() -> Iterator[None]:
    """Start a PostgreSQL server (tests/servers.py), create database ``bench``, set Django up
    on it with the test settings and migrate; stop the server on the way out."""
    from tests.servers import start_postgres

    server = start_postgres()
    try:
        os.environ["DATABASE_URL"] = server.url.rsplit("/", 1)[0] + "/bench"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        import psycopg

        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield
    finally:
        server.stop()
