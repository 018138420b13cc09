"""Business calendars, counting rules per policy, and the stored warning instants of open cases."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def store_warning_instants(apps, schema_editor):
    """Open cases get the warning instants the sweep used to derive: the policy's band of each window."""
    Complaint = apps.get_model("complaints", "Complaint")
    SlaPolicy = apps.get_model("workflows", "SlaPolicy")
    percents = {(p.kind, p.severity): p.warning_percent for p in SlaPolicy.objects.all()}
    batch = []
    for case in Complaint.objects.filter(state__in=["new", "assigned", "in_progress"]).iterator(chunk_size=2000):
        percent = percents.get((case.kind, case.severity), 75)
        if case.first_response_due and case.first_responded_at is None:
            case.first_response_warn_at = case.received_at + (case.first_response_due - case.received_at) * percent / 100
        if case.resolution_due:
            started = case.resolution_clock_started_at or case.received_at
            case.resolution_warn_at = started + (case.resolution_due - started) * percent / 100
        batch.append(case)
        if len(batch) == 2000:
            Complaint.objects.bulk_update(batch, ["first_response_warn_at", "resolution_warn_at"])
            batch = []
    if batch:
        Complaint.objects.bulk_update(batch, ["first_response_warn_at", "resolution_warn_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0004_warning_label'),
        ('complaints', '0010_calendars_and_counting_rules'),
    ]

    operations = [
        migrations.CreateModel(
            name='Calendar',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=20, unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('weekend_days', models.JSONField(default=list, help_text='Weekday numbers: Monday is 0, Sunday 6.', verbose_name='weekend days')),
                ('first_year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='first year loaded')),
                ('last_year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='last year loaded')),
                ('revision', models.PositiveIntegerField(default=0, editable=False, verbose_name='revision')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'business calendar',
                'verbose_name_plural': 'business calendars',
                'ordering': ['code'],
            },
        ),
        migrations.RenameField(model_name='slapolicy', old_name='resolution_days', new_name='resolution_window'),
        migrations.AddField(
            model_name='slapolicy',
            name='count_receipt_day',
            field=models.BooleanField(default=False, help_text='Off: the window starts the day after receipt (Civil Code Art. 201).', verbose_name='the day of receipt counts'),
        ),
        migrations.AddField(
            model_name='slapolicy',
            name='cutoff_time',
            field=models.TimeField(blank=True, help_text='A case received later in the day counts as received on the next working day. Empty: no cut-off.', null=True, verbose_name='close of business'),
        ),
        migrations.AddField(
            model_name='slapolicy',
            name='resolution_unit',
            field=models.CharField(choices=[('calendar_days', 'calendar days'), ('business_days', 'business days'), ('weeks', 'weeks')], default='calendar_days', max_length=20, verbose_name='resolution unit'),
        ),
        migrations.AlterField(
            model_name='slapolicy',
            name='resolution_window',
            field=models.PositiveSmallIntegerField(default=15, help_text='Counted in the unit below, from receipt.', validators=[django.core.validators.MinValueValidator(1)], verbose_name='resolution window'),
        ),
        migrations.AddField(
            model_name='slapolicy',
            name='roll_over',
            field=models.BooleanField(default=True, help_text='Civil Code Art. 203. Business-day windows always end on a working day.', verbose_name='a last day that is not a working day moves to the next working day'),
        ),
        migrations.AlterField(
            model_name='slapolicy',
            name='max_extension_days',
            field=models.PositiveSmallIntegerField(default=60, help_text="In days of the window's unit, as above.", verbose_name='longest window a supervisor may approve'),
        ),
        migrations.AlterField(
            model_name='slapolicy',
            name='owner_extension_max_days',
            field=models.PositiveSmallIntegerField(default=30, help_text="In days of the window's unit: business days for a business-day window, otherwise calendar days (a week is 7).", verbose_name='longest window a department owner may approve'),
        ),
        migrations.AddField(
            model_name='slapolicy',
            name='calendar',
            field=models.ForeignKey(blank=True, help_text='Which days are working days. Empty: Saturday and Sunday are the only days off.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='workflows.calendar', verbose_name='business calendar'),
        ),
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(verbose_name='date')),
                ('kind', models.CharField(choices=[('holiday', 'Holiday'), ('working_day', 'Working day')], max_length=12, verbose_name='kind')),
                ('name', models.CharField(blank=True, max_length=100, verbose_name='name')),
                ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='days', to='workflows.calendar', verbose_name='calendar')),
            ],
            options={
                'verbose_name': 'calendar day',
                'verbose_name_plural': 'calendar days',
                'ordering': ['calendar', 'date'],
                'constraints': [models.UniqueConstraint(fields=('calendar', 'date'), name='calendarday_unique_date')],
            },
        ),
        migrations.RunPython(store_warning_instants, migrations.RunPython.noop),
    ]
