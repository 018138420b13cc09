"""The CFPB mapping a fresh database imports with: every Product of the CFPB's current, newer and
retired lists to a category of the JR/T 0169 business axis, and every "Submitted via" to a
channel (../shared/research/regulation.md section 2.3). A bank edits them in the admin."""
from django.db import migrations

# Product, sub-product ("" = any), category code.
PRODUCTS = [
    # the form since April 2017
    ("Checking or savings account", "", "savings"),
    ("Credit card or prepaid card", "", "bank-cards"),
    ("Credit reporting, credit repair services, or other personal consumer reports", "", "personal-data"),
    ("Credit reporting, credit repair services, or other personal consumer reports", "Credit repair services", "other"),
    ("Debt collection", "", "loans"),
    ("Money transfer, virtual currency, or money service", "", "payments"),
    ("Mortgage", "", "loans"),
    ("Payday loan, title loan, or personal loan", "", "loans"),
    ("Student loan", "", "loans"),
    ("Vehicle loan or lease", "", "loans"),
    # the newer labels (2023 on)
    ("Credit reporting or other personal consumer reports", "", "personal-data"),
    ("Credit card", "", "bank-cards"),
    ("Prepaid card", "", "bank-cards"),
    ("Debt or credit management", "", "other"),
    ("Payday loan, title loan, personal loan, or advance loan", "", "loans"),
    # retired in April 2017 ("Credit card", "Prepaid card", "Student loan", "Mortgage" and
    # "Debt collection" are listed above)
    ("Bank account or service", "", "savings"),
    ("Credit reporting", "", "personal-data"),
    ("Consumer Loan", "", "loans"),
    ("Payday loan", "", "loans"),
    ("Money transfers", "", "payments"),
    ("Other financial service", "", "other"),
    ("Virtual currency", "", "payments"),
]
# How the consumer reached the CFPB -> the case's submitted_via (the case's channel is "regulator").
SUBMITTED_VIA = [
    ("Web", "web"),
    ("Web Referral", "regulator"),
    ("Referral", "regulator"),
    ("Phone", "phone"),
    ("Postal mail", "letter"),
    ("Fax", "fax"),
    ("Email", "email"),
]


def create_mapping(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    ImportMapping = apps.get_model("workflows", "ImportMapping")
    categories = {category.code: category for category in Category.objects.all()}
    for value, sub_value, code in PRODUCTS:
        if code in categories:
            ImportMapping.objects.get_or_create(
                source="cfpb", column="product", value=value, sub_value=sub_value, defaults={"category": categories[code]}
            )
    for value, channel in SUBMITTED_VIA:
        ImportMapping.objects.get_or_create(source="cfpb", column="submitted_via", value=value, defaults={"channel": channel})


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0015_business_categories"),
        ("workflows", "0010_imports"),
    ]

    operations = [migrations.RunPython(create_mapping, migrations.RunPython.noop)]
