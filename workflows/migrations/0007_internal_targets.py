"""Internal targets: a bank's own clocks beside the regulator's (workflows/targets.py)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0012_resolution_clock_pause'),
        ('workflows', '0006_rule_set'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClockTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=12, unique=True, verbose_name='code')),
                ('name_en', models.CharField(max_length=100, verbose_name='name (English)')),
                ('name_zh', models.CharField(max_length=100, verbose_name='name (Simplified Chinese)')),
                ('measures', models.CharField(choices=[('first_response', 'First response'), ('resolution', 'Resolution')], max_length=20, verbose_name='clock measured')),
                ('kind', models.CharField(blank=True, choices=[('complaint', 'Complaint'), ('suggestion', 'Suggestion'), ('praise', 'Praise'), ('inquiry', 'Inquiry')], help_text='Empty: every kind.', max_length=20, verbose_name='kind')),
                ('severity', models.CharField(blank=True, choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], help_text='Empty: every severity.', max_length=10, verbose_name='severity')),
                ('window', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='window')),
                ('unit', models.CharField(choices=[('hours', 'hours'), ('calendar_days', 'calendar days'), ('business_days', 'business days'), ('weeks', 'weeks')], max_length=20, verbose_name='unit')),
                ('warning_percent', models.PositiveSmallIntegerField(blank=True, help_text='Empty: no warning step.', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(99)], verbose_name='warn when this percentage of the window has gone')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('calendar', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='workflows.calendar', verbose_name='business calendar')),
                ('category', models.ForeignKey(blank=True, help_text='Empty: every category. For example payment services (FCA DISP 1.6.2A: 15 business days).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='complaints.category', verbose_name='category')),
            ],
            options={
                'verbose_name': 'internal target',
                'verbose_name_plural': 'internal targets',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='CaseTarget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField(verbose_name='started at')),
                ('due', models.DateTimeField(verbose_name='due')),
                ('warn_at', models.DateTimeField(blank=True, null=True, verbose_name='warning at')),
                ('stopped_at', models.DateTimeField(blank=True, null=True, verbose_name='stopped at')),
                ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='targets', to='complaints.complaint', verbose_name='case')),
                ('target', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='workflows.clocktarget', verbose_name='target')),
            ],
            options={
                'verbose_name': 'case target',
                'verbose_name_plural': 'case targets',
                'ordering': ['due', 'id'],
                'indexes': [models.Index(condition=models.Q(('stopped_at__isnull', True)), fields=['due'], name='casetarget_open_due'), models.Index(condition=models.Q(('stopped_at__isnull', True)), fields=['warn_at'], name='casetarget_open_warn'), models.Index(fields=['complaint', 'stopped_at'], name='casetarget_case')],
            },
        ),
    ]
