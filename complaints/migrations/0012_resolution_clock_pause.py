"""pause/resume of the resolution clock: its columns, and the clock's partial indexes without paused cases."""

import datetime
from django.conf import settings
from importlib import import_module

from django.db import migrations, models

# SQLite rebuilds the table to add a NOT NULL column, dropping its triggers (see 0010).
restore_sqlite_text_search = import_module("complaints.migrations.0010_calendars_and_counting_rules").restore_sqlite_text_search


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0011_clock_warning_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='complaint',
            name='complaint_resolution_open',
        ),
        migrations.RemoveIndex(
            model_name='complaint',
            name='complaint_resolution_warn',
        ),
        migrations.AddField(
            model_name='complaint',
            name='pause_reason',
            field=models.CharField(blank=True, choices=[('appraisal', 'External appraisal, testing or valuation'), ('mediation', 'Mediation'), ('awaiting_documents', "Awaiting the customer's documents")], max_length=20, verbose_name='pause reason'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolution_paused_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='resolution clock paused at'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolution_paused_total',
            field=models.DurationField(default=datetime.timedelta(0), verbose_name='resolution clock paused in all'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('resolution_paused_at__isnull', True), ('state__in', ['new', 'assigned', 'in_progress'])), fields=['resolution_due'], name='complaint_resolution_open'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('resolution_paused_at__isnull', True), ('state__in', ['new', 'assigned', 'in_progress'])), fields=['resolution_warn_at'], name='complaint_resolution_warn'),
        ),
        migrations.RunPython(restore_sqlite_text_search, migrations.RunPython.noop),
    ]
