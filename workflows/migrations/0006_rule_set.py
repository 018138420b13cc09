"""Apply the rule set named by COMPLAINT_RULES (workflows/rule_sets.py): its business calendar,
loaded for every year its source has, and its numbers on the service-level policies.

On a database that already has policies, rows whose numbers were edited keep them; every
row without a calendar gets the rule set's.
"""
from django.conf import settings
from django.db import migrations
from django.utils import timezone


def apply_rule_set(apps, schema_editor):
    from workflows.calendar_sources import SOURCES
    from workflows.rule_sets import UNEDITED, rule_set

    rules = rule_set(getattr(settings, "COMPLAINT_RULES", "cn"))
    source = SOURCES[rules.calendar_source]
    Calendar = apps.get_model("workflows", "Calendar")
    CalendarDay = apps.get_model("workflows", "CalendarDay")
    SlaPolicy = apps.get_model("workflows", "SlaPolicy")

    years = source.years()
    calendar, created = Calendar.objects.get_or_create(
        code=source.code,
        defaults={
            "name": str(source.name),
            "weekend_days": list(source.weekend),
            "first_year": years[0],
            "last_year": years[-1],
            "revision": 1,
            "updated_at": timezone.now(),
        },
    )
    if created:
        CalendarDay.objects.bulk_create(
            [CalendarDay(calendar=calendar, date=day.date, kind=day.kind, name=day.name) for day in source.days(years)],
            batch_size=1000,
        )
    for policy in SlaPolicy.objects.all():
        if all(getattr(policy, name) == value for name, value in UNEDITED.items()):
            for name, value in rules.policy.items():
                setattr(policy, name, value)
        if policy.calendar_id is None:
            policy.calendar = calendar
        policy.save()


class Migration(migrations.Migration):
    dependencies = [("workflows", "0005_calendars_and_counting_rules")]

    operations = [migrations.RunPython(apply_rule_set, migrations.RunPython.noop)]
