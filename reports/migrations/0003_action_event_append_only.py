"""Improvement-action events are append-only in the database, as case events are (complaints 0002, 0009).

- PostgreSQL: a row trigger refuses UPDATE and DELETE, a statement trigger TRUNCATE (also one
  that reaches this table by CASCADE).
- SQLite: BEFORE UPDATE and BEFORE DELETE triggers that RAISE(ABORT).

The test suite's flush switches them off for its own transaction only (tests/conftest.py). On
SQLite a migration that remade reports_improvementactionevent would drop these triggers
(tests/reports/test_immutability.py checks that they refuse).
"""
from django.db import migrations

TABLE = "reports_improvementactionevent"
MESSAGE = "improvement action events are append-only"

POSTGRES_FORWARDS = f"""
CREATE OR REPLACE FUNCTION reports_action_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_action_event_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION reports_action_event_append_only();
CREATE TRIGGER reports_action_event_no_truncate
    BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION reports_action_event_append_only();
"""

POSTGRES_BACKWARDS = f"""
DROP TRIGGER IF EXISTS reports_action_event_no_truncate ON {TABLE};
DROP TRIGGER IF EXISTS reports_action_event_append_only ON {TABLE};
DROP FUNCTION IF EXISTS reports_action_event_append_only();
"""

SQLITE_FORWARDS = [
    f"""CREATE TRIGGER reports_action_event_append_only_{operation.lower()} BEFORE {operation} ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} refused'); END"""
    for operation in ("UPDATE", "DELETE")
]

SQLITE_BACKWARDS = [f"DROP TRIGGER IF EXISTS reports_action_event_append_only_{op}" for op in ("update", "delete")]


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
    dependencies = [("reports", "0002_role_permissions")]

    operations = [migrations.RunPython(forwards, backwards)]
