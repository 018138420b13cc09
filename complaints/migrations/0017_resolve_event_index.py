"""The report's reopen rate counts a period's resolutions from the case history: a partial index
of the resolve events alone, built CONCURRENTLY on PostgreSQL so that a live history keeps taking
writes."""
from importlib import import_module

from django.db import migrations, models

AddIndex = import_module("complaints.migrations.0008_text_and_customer_search").AddIndex


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("complaints", "0016_imported_cases_index")]

    operations = [
        AddIndex(
            model_name="complaintevent",
            index=models.Index(
                condition=models.Q(("kind", "resolve")),
                fields=["created_at"],
                include=("complaint",),
                name="event_resolved",
            ),
        ),
    ]
