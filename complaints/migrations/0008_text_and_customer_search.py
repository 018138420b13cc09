"""Text search on cases and the indexes of the customer search.

- E-mail and ID number indexed on their normalised form (complaints.customers), the account as stored.
- PostgreSQL: pg_trgm GIN indexes on upper(reference), upper(subject), upper(description) (what
  Django's icontains compares), and for two-character Chinese words, which have no trigram, a GIN
  index on the CJK character pairs of subject and description (complaint_cjk_bigrams).
- SQLite: an FTS5 table with the trigram tokenizer over subject and description, kept in sync by
  triggers. A later migration that remakes complaints_complaint on SQLite drops the triggers;
  tests/desk/test_search.py checks that they are still there.

On PostgreSQL every index is built CONCURRENTLY, so that a live case table keeps taking writes.
"""
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class _Concurrently:
    """CONCURRENTLY on PostgreSQL, as usual elsewhere (as in 0007)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return super(self._concurrent, self).database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return super(self._concurrent, self).database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndex(_Concurrently, AddIndexConcurrently):
    _concurrent = AddIndexConcurrently


# Letters of the CJK Unified Ideographs (with extension A) and their compatibility forms.
CJK = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff"

POSTGRES_FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # The distinct pairs of adjacent CJK characters in a text: the index of two-character Chinese words.
    # COST says what it costs (about 0.1 ms a case, benchmarks/search.py), so that the planner does
    # not count on calling it on many rows.
    f"""CREATE OR REPLACE FUNCTION complaint_cjk_bigrams(body text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 2000 AS $$
            SELECT coalesce(array_agg(DISTINCT substr(run.letters, i, 2)), '{{}}')
            FROM (SELECT m[1] AS letters FROM regexp_matches(body, '[{CJK}]{{2,}}', 'g') AS m) AS run,
                 generate_series(1, length(run.letters) - 1) AS i
        $$""",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS complaint_reference_trgm ON complaints_complaint "
    "USING gin (upper(reference) gin_trgm_ops)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS complaint_subject_trgm ON complaints_complaint "
    "USING gin (upper(subject) gin_trgm_ops)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS complaint_description_trgm ON complaints_complaint "
    "USING gin (upper(description) gin_trgm_ops)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS complaint_text_cjk_bigrams ON complaints_complaint "
    "USING gin (complaint_cjk_bigrams(subject || ' ' || description))",
    # With the default statistics a rare pair was guessed at 0.5 % of the cases, and the planner
    # walked the received_at index calling complaint_cjk_bigrams on each case for the list's page
    # (8-12 s at 1,000,000); with 1,000 the pairs' frequencies are known and it reads this index (ms).
    "ALTER INDEX complaint_text_cjk_bigrams ALTER COLUMN 1 SET STATISTICS 1000",
]
POSTGRES_BACKWARDS = [
    "DROP INDEX CONCURRENTLY IF EXISTS complaint_text_cjk_bigrams",
    "DROP INDEX CONCURRENTLY IF EXISTS complaint_description_trgm",
    "DROP INDEX CONCURRENTLY IF EXISTS complaint_subject_trgm",
    "DROP INDEX CONCURRENTLY IF EXISTS complaint_reference_trgm",
    "DROP FUNCTION IF EXISTS complaint_cjk_bigrams(text)",
    # pg_trgm stays: other objects may use it.
]

SQLITE_FORWARDS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS complaint_text_search USING fts5("
    "subject, description, content='complaints_complaint', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS complaint_text_search_insert AFTER INSERT ON complaints_complaint BEGIN "
    "INSERT INTO complaint_text_search(rowid, subject, description) VALUES (new.id, new.subject, new.description); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS complaint_text_search_delete AFTER DELETE ON complaints_complaint BEGIN "
    "INSERT INTO complaint_text_search(complaint_text_search, rowid, subject, description) "
    "VALUES ('delete', old.id, old.subject, old.description); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS complaint_text_search_update AFTER UPDATE OF subject, description "
    "ON complaints_complaint WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN "
    "INSERT INTO complaint_text_search(complaint_text_search, rowid, subject, description) "
    "VALUES ('delete', old.id, old.subject, old.description); "
    "INSERT INTO complaint_text_search(rowid, subject, description) VALUES (new.id, new.subject, new.description); "
    "END",
    "INSERT INTO complaint_text_search(complaint_text_search) VALUES ('rebuild')",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS complaint_text_search_update",
    "DROP TRIGGER IF EXISTS complaint_text_search_delete",
    "DROP TRIGGER IF EXISTS complaint_text_search_insert",
    "DROP TABLE IF EXISTS complaint_text_search",
]


def _by_vendor(postgres, sqlite):
    def run(apps, schema_editor):
        statements = {"postgresql": postgres, "sqlite": sqlite}.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("complaints", "0007_report_covering_indexes"),
    ]

    operations = [
        AddIndex(
            model_name="complaint",
            index=models.Index(django.db.models.functions.text.Lower("customer_email"), name="complaint_email_norm"),
        ),
        AddIndex(
            model_name="complaint",
            index=models.Index(
                django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Replace(
                        "customer_id_number", models.Value(" "), models.Value("")
                    )
                ),
                name="complaint_id_number_norm",
            ),
        ),
        AddIndex(
            model_name="complaint",
            index=models.Index(fields=["customer_account"], name="complaint_account"),
        ),
        migrations.RunPython(
            _by_vendor(POSTGRES_FORWARDS, SQLITE_FORWARDS),
            _by_vendor(POSTGRES_BACKWARDS, SQLITE_BACKWARDS),
            elidable=False,
        ),
    ]
