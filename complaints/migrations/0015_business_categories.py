"""The JR/T 0169-2018 business-type axis (业务类别) as categories, so that a fresh database can take
intake and imports (the CFPB mapping in workflows points at these codes). Existing categories
are left as they are; a bank renames, adds or retires them in the admin."""
from django.db import migrations

CATEGORIES = [
    ("savings", "Savings and deposits", "储蓄存款"),
    ("bank-cards", "Bank and credit cards", "银行卡"),
    ("loans", "Loans", "贷款"),
    ("payments", "Payments and settlement", "支付结算"),
    ("cash", "Cash management", "人民币管理"),
    ("mobile-app", "Mobile and online banking", "手机银行与网上银行"),
    ("personal-data", "Personal financial information", "个人金融信息"),
    ("wealth", "Wealth management", "理财产品"),
    ("other", "Other", "其他"),
]


def create_categories(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    for code, name_en, name_zh in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh})


class Migration(migrations.Migration):
    dependencies = [("complaints", "0014_import_and_referral_fields")]

    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
