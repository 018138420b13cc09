"""Indexes on the case table for the report's figures.

Every figure selects the cases whose clock column falls in a 14-day period (or, for "open
at period end", whose closed_at is empty or later). Without these, each figure scans the
whole case table: 16 s for the figures of a 1,000,000-case table instead of under 2 s
(benchmarks/report.py). received_at is indexed by the complaints app already. They are
plain SQL because the table belongs to the complaints app; the model state is unchanged.
"""
from django.db import migrations

COLUMNS = ["first_response_due", "first_responded_at", "resolution_due", "resolved_at", "review_due", "closed_at"]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_role_permissions"),
        ("complaints", "0004_escalation_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS report_case_{column} ON complaints_complaint ({column});",
            reverse_sql=f"DROP INDEX IF EXISTS report_case_{column};",
        )
        for column in COLUMNS
    ]
