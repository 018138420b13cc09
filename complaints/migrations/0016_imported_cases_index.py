"""The report's count of imported cases: a partial index of them alone (reports.figures.intake),
built CONCURRENTLY on PostgreSQL so that a live case table keeps taking writes."""
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
                condition=models.Q(models.Q(("state", "merged"), _negated=True), ("imported_at__isnull", False)),
                fields=["received_at"],
                name="complaint_rep_imported",
            ),
        ),
    ]
