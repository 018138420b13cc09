"""The internal targets of the rule set named by COMPLAINT_RULES (workflows/rule_sets.py), on its calendar."""
from django.conf import settings
from django.db import migrations


def add_targets(apps, schema_editor):
    from workflows.calendar_sources import SOURCES
    from workflows.rule_sets import rule_set

    rules = rule_set(getattr(settings, "COMPLAINT_RULES", "cn"))
    Calendar = apps.get_model("workflows", "Calendar")
    ClockTarget = apps.get_model("workflows", "ClockTarget")
    calendar = Calendar.objects.filter(code=SOURCES[rules.calendar_source].code).first()
    for target in rules.targets:
        fields = {name: value for name, value in target.items() if name != "code"}
        ClockTarget.objects.get_or_create(code=target["code"], defaults={**fields, "calendar": calendar})


class Migration(migrations.Migration):
    dependencies = [("workflows", "0007_internal_targets")]

    operations = [migrations.RunPython(add_targets, migrations.RunPython.noop)]
