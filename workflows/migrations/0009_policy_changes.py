"""PolicyChange: every edit of a service-level policy, its numbers before and after (the report prints the ones in force)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0008_rule_set_targets'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PolicyChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed at')),
                ('before', models.JSONField(verbose_name='before')),
                ('after', models.JSONField(verbose_name='after')),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
                ('policy', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='workflows.slapolicy', verbose_name='policy')),
            ],
            options={
                'verbose_name': 'policy change',
                'verbose_name_plural': 'policy changes',
                'ordering': ['changed_at', 'id'],
                'indexes': [models.Index(fields=['changed_at'], name='policychange_at')],
            },
        ),
    ]
