"""The report's index of cases open at a moment also holds each clock's deadline and stop, so that
"overdue at period end, per clock" is read from it alone. The wider index is built first and the
old one dropped after, both CONCURRENTLY on PostgreSQL, so that the report never lacks one and the
case table keeps taking writes."""
from importlib import import_module

import datetime

import django.db.models.functions.comparison
from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations, models

_concurrently = import_module("complaints.migrations.0008_text_and_customer_search")
AddIndex = _concurrently.AddIndex


class RemoveIndex(_concurrently._Concurrently, RemoveIndexConcurrently):
    _concurrent = RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("complaints", "0017_resolve_event_index")]

    operations = [
        AddIndex(
            model_name="complaint",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    models.F("closed_at"),
                    models.Value(datetime.datetime(9999, 12, 31, 0, 0, tzinfo=datetime.timezone.utc)),
                    output_field=models.DateTimeField(),
                ),
                condition=models.Q(("state", "merged"), _negated=True),
                include=(
                    "closed_at", "received_at", "resolution_due", "resolved_at", "department", "escalation_level", "id",
                    "first_response_due", "first_responded_at", "review_due",
                ),
                name="complaint_rep_open",
            ),
        ),
        RemoveIndex(model_name="complaint", name="complaint_rep_open_until"),
    ]
