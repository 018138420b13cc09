"""A department's report reads its figures from the covering indexes too: the indexes of first
responses, resolutions, review deadlines and closures also hold the department (each is rebuilt:
dropped, then built again with it). And the reopen rate finds a resolution's later reopening in a
partial index of the reopen events alone, and whether that case is still open in the index of the
counted cases, which now holds closed_at and received_at. Every index CONCURRENTLY on PostgreSQL, so that a live
case table keeps taking writes (benchmarks/report.py: a department's figures 2.5 s -> 1.0 s at
1,000,000 cases)."""
from importlib import import_module

from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations, models

_concurrently = import_module("complaints.migrations.0008_text_and_customer_search")
AddIndex = _concurrently.AddIndex


class RemoveIndex(_concurrently._Concurrently, RemoveIndexConcurrently):
    _concurrent = RemoveIndexConcurrently


NOT_MERGED = models.Q(("state", "merged"), _negated=True)
WIDER = (
    ("first_responded_at", "complaint_rep_first_responded", ("received_at", "department")),
    ("resolved_at", "complaint_rep_resolved", ("received_at", "cause", "resolution_paused_total", "department")),
    ("review_due", "complaint_rep_review_due", ("closure", "department")),
    ("closed_at", "complaint_rep_closed", ("satisfaction", "closure", "reopen_count", "channel", "department")),
    ("id", "complaint_rep_counted", ("department", "closed_at", "received_at")),
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("complaints", "0018_open_cases_index_holds_every_clock")]

    operations = [
        *(
            operation
            for field, name, include in WIDER
            for operation in (
                RemoveIndex(model_name="complaint", name=name),
                AddIndex(
                    model_name="complaint",
                    index=models.Index(condition=NOT_MERGED, fields=[field], include=include, name=name),
                ),
            )
        ),
        AddIndex(
            model_name="complaintevent",
            index=models.Index(
                condition=models.Q(("kind", "reopen")), fields=["complaint", "created_at"], name="event_reopened"
            ),
        ),
    ]
