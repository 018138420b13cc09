"""The write pass on PostgreSQL outside a transaction: batches written by two threads, each on its own
connection, committed independently, with the checkpoint over those committed in file order.

These tests commit for real (``transaction=True``), as the command does; inside a test's own
transaction the importer writes on one connection (every other test of the package).
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Complaint, ComplaintEvent
from complaints.states import EventKind
from tests import factories
from tests.workflows.imports import files
from workflows.imports import loader
from workflows.imports.loader import Importer
from workflows.models import ImportRun, ImportStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ROWS = 30
BATCH = 4


@pytest.fixture
def reference_data():
    factories.ensure_reference_data()
    factories.CategoryFactory(code="bank-cards")


def written(tmp_path):
    rows = []
    for index in range(ROWS):
        if index % 3 == 0:  # open, received long ago: its passed steps are claimed at import
            rows.append(files.case_row(
                f"P-{index:03d}", state="new", first_responded_at="", first_response_method="", resolved_at="",
                outcome="", cause="", closed_at="", satisfaction="", received_at="2025-05-01T10:00:00+08:00",
            ))  # fmt: skip
        else:
            rows.append(files.case_row(f"P-{index:03d}", description=f"Case {index}\nsecond line"))
    return files.write_case_file(tmp_path, rows)


def spy_parallel(monkeypatch) -> list[int]:
    """Counts the runs that went through the two writer threads."""
    calls: list[int] = []
    original = Importer._write_in_parallel

    def spy(self, *args, **kwargs):
        calls.append(self.writers)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Importer, "_write_in_parallel", spy)
    return calls


def test_two_writers_write_every_row_once_and_the_checkpoint_reaches_the_last_line(reference_data, tmp_path, monkeypatch):
    file = written(tmp_path)
    calls = spy_parallel(monkeypatch)
    outcome = Importer(file.path, format="csv", batch_size=BATCH, now=NOW).run()
    assert calls == [2]
    assert outcome.written == ROWS and outcome.batches == -(-ROWS // BATCH)
    ids = Counter(Complaint.objects.values_list("external_id", flat=True))
    assert len(ids) == ROWS and set(ids.values()) == {1}
    assert len(set(Complaint.objects.values_list("reference", flat=True))) == ROWS
    run = ImportRun.objects.get()
    assert (run.status, run.committed_line, run.rows_read, run.rows_imported) == (
        ImportStatus.DONE, file.lines[-1], ROWS, ROWS
    )
    assert ComplaintEvent.objects.filter(kind=EventKind.IMPORTED).count() == ROWS
    # the same statements for every batch of the same shape, on either thread
    assert len({count for count in outcome.statements_per_batch}) <= 2

    again = Importer(file.path, format="csv", batch_size=BATCH, now=NOW).run()
    assert (again.new, again.unchanged, again.written) == (0, ROWS, 0)
    assert Complaint.objects.count() == ROWS


def test_a_writer_that_fails_stops_the_run_with_whole_batches_only_and_the_next_run_finishes(
    reference_data, tmp_path, monkeypatch
):
    file = written(tmp_path)
    original = Importer._insert_cases
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the database went away")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Importer, "_insert_cases", failing)
    with pytest.raises(RuntimeError):
        Importer(file.path, format="csv", batch_size=BATCH, now=NOW).run()
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.INTERRUPTED
    stored = Complaint.objects.count()
    assert stored % BATCH == 0 and stored < ROWS  # whole batches, and not the failed one
    assert run.rows_imported == stored
    assert run.committed_line in [0, *file.lines]

    monkeypatch.setattr(Importer, "_insert_cases", original)
    outcome = Importer(file.path, format="csv", batch_size=BATCH, now=NOW).run()
    assert outcome.resumed_after == run.committed_line
    assert outcome.written + outcome.unchanged >= ROWS - stored
    ids = Counter(Complaint.objects.values_list("external_id", flat=True))
    assert len(ids) == ROWS and set(ids.values()) == {1}
    assert ImportRun.objects.get().status == ImportStatus.DONE


def test_inside_a_transaction_one_connection_writes(reference_data, tmp_path, monkeypatch):
    from django.db import transaction

    file = written(tmp_path)
    calls = spy_parallel(monkeypatch)
    with transaction.atomic():
        Importer(file.path, format="csv", batch_size=BATCH, now=NOW).run()
    assert calls == [] and Complaint.objects.count() == ROWS
    assert loader.WRITERS == 2


def test_a_finished_import_settles_the_tables_it_wrote_so_the_report_reads_its_indexes_alone(reference_data, tmp_path):
    from django.db import connection

    def vacuums() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname = ANY(%s)", [list(loader.SETTLED_TABLES)]
            )
            return dict(cursor.fetchall())

    before = vacuums()
    Importer(written(tmp_path).path, format="csv", batch_size=BATCH, now=NOW).run()
    after = vacuums()
    # Each table the import wrote was vacuumed (its pages marked all-visible, as the report's
    # index-only counts need) and analyzed (the planner knows its rows).
    assert sorted(after) == sorted(loader.SETTLED_TABLES)
    assert all(after[table] == before.get(table, 0) + 1 for table in loader.SETTLED_TABLES), (before, after)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'complaints_complaint'")
        assert cursor.fetchone()[0] == ROWS


def test_settling_is_skipped_inside_a_transaction(reference_data):
    from django.db import transaction

    with transaction.atomic():
        assert loader.settle() is False
