"""Two report indexes, built CONCURRENTLY on PostgreSQL so that a live case table keeps taking
writes: the cases counted (not merged) by key, for the internal targets' compliance, and the
imported cases alone, for the count of a period's imported cases (reports.figures)."""
from importlib import import_module

from django.db import migrations, models

AddIndex = import_module("complaints.migrations.0008_text_and_customer_search").AddIndex


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("complaints", "0015_business_categories")]

    operations = [
        AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("state", "merged"), _negated=True),
                fields=["id"],
                include=("department",),
                name="complaint_rep_counted",
            ),
        ),
        AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(models.Q(("state", "merged"), _negated=True), ("imported_at__isnull", False)),
                fields=["received_at"],
                name="complaint_rep_imported",
            ),
        ),
    ]
