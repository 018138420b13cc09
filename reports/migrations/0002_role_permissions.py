"""Give the role groups their permissions on reports and improvement actions."""
from django.db import migrations

ROLE_PERMISSIONS = {
    "supervisor": [
        "view_report",
        "add_report",
        "view_improvementaction",
        "add_improvementaction",
        "change_improvementaction",
        "view_improvementactionevent",
    ],
    "dept_owner": ["view_improvementaction", "change_improvementaction", "view_improvementactionevent"],
}


def grant_permissions(apps, role_permissions: dict[str, list[str]]) -> None:
    """Give each group its reports permissions (also used by later migrations of this app)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="reports", codename__in=codenames))


def grant(apps, schema_editor):
    grant_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("complaints", "0002_roles_causes_event_guard"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
