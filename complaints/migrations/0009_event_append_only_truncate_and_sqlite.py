"""Case events are append-only in the database on every backend, TRUNCATE included.

- PostgreSQL: 0002's row trigger refuses UPDATE and DELETE; a row trigger does not fire on
  TRUNCATE, so a statement trigger refuses that too (also when another table's TRUNCATE ...
  CASCADE reaches this one). The function now names the refused operation.
- SQLite: BEFORE UPDATE and BEFORE DELETE triggers that RAISE(ABORT). SQLite has no TRUNCATE;
  its ``DELETE FROM`` without WHERE skips the triggers only on a table that has none.

Nothing in the application may bypass these, nor ``manage.py flush``; the test suite's flush
switches them off for its own transaction only (tests/conftest.py says how). Only the event
table is touched: on SQLite a migration that remade complaints_complaint would drop 0008's FTS
triggers, and one that remade complaints_complaintevent would drop these (test_events checks).
"""
from django.db import migrations

TABLE = "complaints_complaintevent"
MESSAGE = "complaint events are append-only"

POSTGRES_FORWARDS = f"""
CREATE OR REPLACE FUNCTION complaints_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaints_event_no_truncate
    BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION complaints_event_append_only();
"""

POSTGRES_BACKWARDS = f"""
DROP TRIGGER IF EXISTS complaints_event_no_truncate ON {TABLE};
CREATE OR REPLACE FUNCTION complaints_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_FORWARDS = [
    f"""CREATE TRIGGER complaints_event_append_only_{operation.lower()} BEFORE {operation} ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} refused'); END"""
    for operation in ("UPDATE", "DELETE")
]

SQLITE_BACKWARDS = [f"DROP TRIGGER IF EXISTS complaints_event_append_only_{op}" for op in ("update", "delete")]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARDS, params=None)  # the functions hold a literal %
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARDS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARDS, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0008_text_and_customer_search")]

    operations = [migrations.RunPython(forwards, backwards)]
