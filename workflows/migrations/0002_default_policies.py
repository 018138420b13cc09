"""Default service-level policies for every kind and severity (PRODUCT section 3), and the
supervisors' right to change them."""
from django.db import migrations

KINDS = ["complaint", "suggestion", "praise", "inquiry"]
SEVERITIES = ["low", "medium", "high"]


def create_policies(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    SlaPolicy = apps.get_model("workflows", "SlaPolicy")
    for kind in KINDS:
        for severity in SEVERITIES:
            SlaPolicy.objects.get_or_create(kind=kind, severity=severity)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    supervisor, _ = Group.objects.get_or_create(name="supervisor")
    supervisor.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="workflows", codename__in=["view_slapolicy", "change_slapolicy"]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial"), ("complaints", "0002_roles_causes_event_guard")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
