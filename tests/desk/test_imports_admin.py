"""The importer's admin: supervisors keep the CFPB mapping (the model's rules on its fields) and read the
runs; no other role sees either, and nobody adds, changes or deletes a run by hand."""
from __future__ import annotations

import pytest
from django.urls import reverse

from workflows.models import ImportMapping, ImportRun, ImportStatus, MappedColumn

MAPPING_URLS = ("admin:workflows_importmapping_changelist", "admin:workflows_importmapping_add")
RUN_URLS = ("admin:workflows_importrun_changelist",)


@pytest.fixture
def run(world):
    return ImportRun.objects.create(
        file_name="complaints-2024.csv", sha256="a" * 64, format="cfpb", actor=world.supervisor, os_user="ops",
        status=ImportStatus.DONE, rows_read=120, rows_imported=110, rows_unchanged=7, rows_bad=3, committed_line=121,
    )  # fmt: skip


def mapping_form(**changes) -> dict:
    data = {"source": "cfpb", "column": MappedColumn.PRODUCT, "value": "Crypto wallet", "sub_value": "", "category": "", "channel": ""}
    data.update(changes)
    return data


def test_supervisor_lists_the_mapping_filtered_by_column_and_searched_by_value(client, world):
    client.force_login(world.supervisor)
    url = reverse("admin:workflows_importmapping_changelist")
    everything = client.get(url)
    assert everything.status_code == 200
    assert everything.context["cl"].list_display == ["action_checkbox", "value", "sub_product", "category", "channel"]
    channels = client.get(url, {"column__exact": MappedColumn.SUBMITTED_VIA})
    assert {row.value for row in channels.context["cl"].result_list} == {
        "Web", "Web Referral", "Referral", "Phone", "Postal mail", "Fax", "Email",
    }  # fmt: skip
    found = client.get(url, {"q": "Mortgage"})
    assert [row.value for row in found.context["cl"].result_list] == ["Mortgage"]


def test_a_product_row_without_a_category_is_refused_on_the_category_field(client, world):
    client.force_login(world.supervisor)
    response = client.post(reverse("admin:workflows_importmapping_add"), mapping_form())
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"category": ["A product maps to a category."]}
    assert not ImportMapping.objects.filter(value="Crypto wallet").exists()


def test_a_submitted_via_row_without_a_channel_is_refused_on_the_channel_field(client, world):
    client.force_login(world.supervisor)
    response = client.post(
        reverse("admin:workflows_importmapping_add"), mapping_form(column=MappedColumn.SUBMITTED_VIA, value="Carrier pigeon")
    )
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["channel"]


def test_supervisor_adds_a_product_row_and_a_channel_given_with_it_is_dropped(client, world):
    client.force_login(world.supervisor)
    response = client.post(
        reverse("admin:workflows_importmapping_add"), mapping_form(category=world.routed.pk, channel="phone")
    )
    assert response.status_code == 302
    row = ImportMapping.objects.get(value="Crypto wallet")
    assert (row.category, row.channel) == (world.routed, "")


def test_supervisor_reads_the_runs_and_cannot_add_change_or_delete_one(client, world, run):
    client.force_login(world.supervisor)
    listed = client.get(reverse("admin:workflows_importrun_changelist"))
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [run]
    body = listed.content.decode()
    assert "complaints-2024.csv" in body and ">110<" in body and ">Done<" in body
    assert reverse("admin:workflows_importrun_add") not in body
    assert client.get(reverse("admin:workflows_importrun_add")).status_code == 403
    change_url = reverse("admin:workflows_importrun_change", args=[run.pk])
    assert client.get(change_url).status_code == 200  # read-only view
    assert client.post(change_url, {"file_name": "other.csv"}).status_code == 403
    assert client.post(reverse("admin:workflows_importrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    run.refresh_from_db()
    assert run.file_name == "complaints-2024.csv"


def test_the_index_links_the_import_admins_for_supervisors(client, world):
    client.force_login(world.supervisor)
    body = client.get(reverse("admin:index")).content.decode()
    for name in (*MAPPING_URLS[:1], *RUN_URLS):
        assert reverse(name) in body


@pytest.mark.parametrize("role", ["cs", "owner", "member", "outsider"])
def test_other_roles_neither_see_nor_use_the_import_admins(client, world, run, role):
    client.force_login(getattr(world, role))
    mapping = ImportMapping.objects.first()
    assert mapping is not None
    for url in (
        *(reverse(name) for name in (*MAPPING_URLS, *RUN_URLS)),
        reverse("admin:workflows_importmapping_change", args=[mapping.pk]),
        reverse("admin:workflows_importrun_change", args=[run.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("admin:workflows_importmapping_add"), mapping_form(category=world.routed.pk))
    assert response.status_code == 403
    assert not ImportMapping.objects.filter(value="Crypto wallet").exists()
    index = client.get(reverse("admin:index")).content.decode()
    for name in (*MAPPING_URLS[:1], *RUN_URLS):
        assert reverse(name) not in index


def test_the_mapping_list_says_a_product_row_without_sub_product_applies_to_any(client, world):
    client.force_login(world.supervisor)
    response = client.get(reverse("admin:workflows_importmapping_changelist"), {"q": "Credit repair"})
    admin_ = response.context["cl"].model_admin
    rows = {(row.value, row.sub_value): admin_.sub_product(row) for row in ImportMapping.objects.all()}
    assert rows[("Mortgage", "")] == "any"
    assert rows[("Credit reporting, credit repair services, or other personal consumer reports", "Credit repair services")] == (
        "Credit repair services"
    )
    assert rows[("Web", "")] == ""
