"""The report's paused time (figures.paused_time) is read from the resolved-at covering index: it holds resolution_paused_total too."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0012_resolution_clock_pause'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='complaint',
            name='complaint_rep_resolved',
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('state', 'merged'), _negated=True), fields=['resolved_at'], include=('received_at', 'cause', 'resolution_paused_total'), name='complaint_rep_resolved'),
        ),
    ]
