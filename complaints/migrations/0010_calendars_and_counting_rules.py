"""Business calendars: stored warning instants and the calendar gaps of a case."""

from importlib import import_module

from django.db import migrations, models

# SQLite adds a NOT NULL column by rebuilding the table, which drops the table's triggers:
# the text search's (0008) are made again afterwards.
text_search = import_module("complaints.migrations.0008_text_and_customer_search")


def restore_sqlite_text_search(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in text_search.SQLITE_FORWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0009_event_append_only_truncate_and_sqlite'),
    ]

    operations = [
        migrations.AddField(
            model_name='complaint',
            name='calendar_gaps',
            field=models.CharField(blank=True, default='', max_length=40, verbose_name='calendar not loaded for'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='first_response_warn_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='first response warning at'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolution_warn_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='resolution warning at'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='resolution_window_days',
            field=models.PositiveSmallIntegerField(default=15, verbose_name="resolution window (in the policy's unit)"),
        ),
        migrations.RunPython(restore_sqlite_text_search, migrations.RunPython.noop),
    ]
