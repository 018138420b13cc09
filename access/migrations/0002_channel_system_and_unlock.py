"""The channel_system role (machine clients: intake and reads of their own cases through the API,
no admin, hence no model permissions), and the supervisors' view of the login lockout's
rows with the right to delete an attempt, which is what unlocking is."""
from django.db import migrations

CHANNEL_SYSTEM = "channel_system"
SUPERVISOR_AXES_PERMISSIONS = ["view_accessattempt", "delete_accessattempt", "view_accessfailurelog", "view_accesslog"]


def create_role_and_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.get_or_create(name=CHANNEL_SYSTEM)
    supervisor, _ = Group.objects.get_or_create(name="supervisor")
    supervisor.permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__in=SUPERVISOR_AXES_PERMISSIONS)
    )


def remove_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for supervisor in Group.objects.filter(name="supervisor"):
        supervisor.permissions.remove(
            *Permission.objects.filter(content_type__app_label="axes", codename__in=SUPERVISOR_AXES_PERMISSIONS)
        )
    Group.objects.filter(name=CHANNEL_SYSTEM, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_api_token"),
        ("axes", "0010_accessattemptexpiration"),
        ("complaints", "0002_roles_causes_event_guard"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_and_permissions, remove_permissions)]
