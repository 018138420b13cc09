"""Admin for bringing history in: the mapping of a source's values to ours, and the runs of the importer.

Supervisors keep the mapping (``workflows.models.ImportMapping``: a CFPB Product to a category,
a "Submitted via" to a channel) and read what each run of ``import_complaints`` did; no other
role sees either. Runs are written by the importer only, so their admin is read-only.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Category
from workflows.models import ImportMapping, ImportRun, MappedColumn

from ..forms import full_name
from .supervisors import SupervisorsOnly, SupervisorsReadOnly


class ImportMappingForm(forms.ModelForm):
    """The model's ``clean`` decides what a row needs (a product a category, a "Submitted via" a
    channel); the form adds nothing but the choice of active categories."""

    class Meta:
        model = ImportMapping
        fields = ["source", "column", "value", "sub_value", "category", "channel"]
        widgets = {"value": forms.TextInput(attrs={"size": 70}), "sub_value": forms.TextInput(attrs={"size": 70})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        # An inactive category stays offered on a row that already maps to it.
        offered = Q(is_active=True)
        if self.instance.category_id is not None:
            offered |= Q(pk=self.instance.category_id)
        category.queryset = Category.objects.filter(offered)


@admin.register(ImportMapping)
class ImportMappingAdmin(SupervisorsOnly, admin.ModelAdmin):
    form = ImportMappingForm
    list_display = ("value", "sub_product", "category", "channel")
    list_filter = ("column", "source")
    search_fields = ("value", "sub_value")
    list_select_related = ("category",)

    @admin.display(description=ImportMapping._meta.get_field("sub_value").verbose_name, ordering="sub_value")
    def sub_product(self, row: ImportMapping) -> str:
        """A product's row with no sub-product of its own applies to any; "Submitted via" has none."""
        if row.sub_value or row.column != MappedColumn.PRODUCT:
            return row.sub_value
        return gettext("any")


@admin.register(ImportRun)
class ImportRunAdmin(SupervisorsReadOnly, admin.ModelAdmin):
    """What each run read and wrote; written by ``import_complaints`` only."""

    list_display = ("file_name", "started_at", "status", "read", "imported", "unchanged", "bad", "by")
    list_filter = ("status", "format")
    search_fields = ("file_name", "sha256")
    date_hierarchy = "started_at"
    list_select_related = ("actor",)
    fields = (
        "file_name", "sha256", "format", "status", "started_at", "finished_at", "actor", "os_user",
        "rows_read", "rows_imported", "rows_unchanged", "rows_bad", "committed_line",
    )  # fmt: skip

    # Short headers: the fields' own names ("rows imported before, unchanged") are too wide for
    # a list that must show who ran it beside the filters; the run's page gives them in full.
    @admin.display(description=_("read"), ordering="rows_read")
    def read(self, run: ImportRun) -> int:
        return run.rows_read

    @admin.display(description=_("imported"), ordering="rows_imported")
    def imported(self, run: ImportRun) -> int:
        return run.rows_imported

    @admin.display(description=_("unchanged"), ordering="rows_unchanged")
    def unchanged(self, run: ImportRun) -> int:
        return run.rows_unchanged

    @admin.display(description=_("bad"), ordering="rows_bad")
    def bad(self, run: ImportRun) -> int:
        return run.rows_bad

    @admin.display(description=ImportRun._meta.get_field("actor").verbose_name, ordering="actor__username")
    def by(self, run: ImportRun) -> str:
        """The person the run was made as, else the operating-system user who ran the command."""
        if run.actor is not None:
            return full_name(run.actor)
        return run.os_user

