"""Role groups with their permissions, the JR/T 0169-2018 cause axis, and (on PostgreSQL) a
trigger that makes case events append-only in the database itself."""
from django.db import migrations

VIEW_REFERENCE = ["view_department", "view_category", "view_cause"]
ROLE_PERMISSIONS = {
    "cs_staff": ["view_complaint", "add_complaint", "view_complaintevent", *VIEW_REFERENCE],
    "dept_owner": ["view_complaint", "view_complaintevent", *VIEW_REFERENCE],
    "dept_member": ["view_complaint", "view_complaintevent", *VIEW_REFERENCE],
    "supervisor": [
        "view_complaint",
        "add_complaint",
        "view_complaintevent",
        *VIEW_REFERENCE,
        "add_department",
        "change_department",
        "add_category",
        "change_category",
        "add_cause",
        "change_cause",
    ],
}

# JR/T 0169-2018 cause axis (投诉原因), as the foundation issue lists it.
CAUSES = [
    ("service-attitude", "Service attitude and quality", "服务态度及服务质量"),
    ("fees-pricing", "Fees and pricing", "收费定价"),
    ("process-rules", "Business rules and processes", "制度规定及业务流程"),
    ("systems-facilities", "Systems, equipment and facilities", "设施设备及系统"),
    ("marketing-sales", "Marketing and sales", "营销方式及手段"),
    ("disclosure", "Information disclosure", "信息披露"),
    ("contract-terms", "Contract terms", "合同条款"),
    ("fund-security", "Security of funds", "资金安全"),
    ("personal-information", "Personal information", "个人信息安全"),
    ("other", "Other", "其他"),
]


def create_roles_and_causes(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="complaints", codename__in=codenames)
        )

    Cause = apps.get_model("complaints", "Cause")
    for code, name_en, name_zh in CAUSES:
        Cause.objects.get_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh})


def event_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: the model and its queryset refuse; flush in tests needs DELETE.
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION complaints_event_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'complaint events are append-only';
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER complaints_event_append_only
            BEFORE UPDATE OR DELETE ON complaints_complaintevent
            FOR EACH ROW EXECUTE FUNCTION complaints_event_append_only();
        """
    )


def drop_event_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS complaints_event_append_only ON complaints_complaintevent;"
        "DROP FUNCTION IF EXISTS complaints_event_append_only();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles_and_causes, migrations.RunPython.noop),
        migrations.RunPython(event_guard, drop_event_guard),
    ]
