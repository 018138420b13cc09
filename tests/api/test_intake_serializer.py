"""The intake serializer's shallow field copies validate exactly as DRF's deep copies do."""
from __future__ import annotations

import pytest
from rest_framework import serializers

from api.serializers import ComplaintIntakeSerializer, CustomerSerializer


class DeepCopiedCustomer(CustomerSerializer):
    def get_fields(self):
        return serializers.Serializer.get_fields(self)


class DeepCopiedIntake(ComplaintIntakeSerializer):
    customer = DeepCopiedCustomer()

    def get_fields(self):
        return serializers.Serializer.get_fields(self)


BODIES = [
    {},
    {"channel": "app", "category": "savings", "subject": "s", "description": "d", "customer": {"name": "张三"}},
    {"channel": "pigeon", "category": "no-such", "subject": "", "customer": {"email": "not-an-email", "account": 5}},
    {"kind": "praise", "channel": "web", "severity": "high", "category": "general", "subject": "x" * 201,
     "description": 7, "received_at": "yesterday", "external_id": "e-1", "customer": "not an object"},
    {"channel": "regulator", "category": "savings", "subject": "s", "description": "d", "product": "Mortgage",
     "sub_product": "", "issue": "Trouble", "sub_issue": "x", "company": "Branch", "narrative_consent": "provided",
     "submitted_via": "web", "sent_to_bank_at": "2026-01-05T09:30:00+08:00",
     "customer": {"region": "CA", "tags": ["Older American", "Servicemember"]}},
    {"channel": "regulator", "category": "savings", "subject": "s", "description": "d", "narrative_consent": "maybe",
     "submitted_via": 5, "sent_to_bank_at": "2026-01-05", "product": ["x"],
     "customer": {"region": 5, "tags": ["ok", 7, "x" * 61]}},
    {"channel": "app", "category": "savings", "subject": "s", "description": "d", "customer": {"tags": "one"}},
]  # fmt: skip


@pytest.mark.parametrize("body", BODIES)
def test_shallow_copies_validate_like_deep_copies(world, body):
    shallow, deep = ComplaintIntakeSerializer(data=body), DeepCopiedIntake(data=body)
    assert shallow.is_valid() == deep.is_valid()
    assert shallow.errors == deep.errors
    assert dict(shallow.validated_data) == dict(deep.validated_data)


def test_each_serializer_binds_its_own_copies():
    first, second = ComplaintIntakeSerializer(), ComplaintIntakeSerializer()
    for name in ("kind", "category", "customer"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
        assert ComplaintIntakeSerializer._declared_fields[name].parent is None
    assert first.fields["customer"].fields["name"] is not second.fields["customer"].fields["name"]
    assert first.fields["customer"].fields["name"].parent is first.fields["customer"]
    # The tags field has no child field (not a ListField), so a shallow copy binds it as any other.
    first_tags, second_tags = first.fields["customer"].fields["tags"], second.fields["customer"].fields["tags"]
    assert first_tags is not second_tags
    assert first_tags.parent is first.fields["customer"] and second_tags.parent is second.fields["customer"]


def test_service_kwargs_are_complaint_creates_arguments(world):
    import inspect

    from workflows import services

    body = {**BODIES[4], "external_id": "r-1"}
    intake = ComplaintIntakeSerializer(data=body)
    assert intake.is_valid(), intake.errors
    kwargs = intake.service_kwargs()
    assert set(kwargs) | {"actor", "now", "received_at"} == set(inspect.signature(services.complaint_create).parameters)
    assert kwargs["customer"] == services.CustomerData()
    assert kwargs["facts"].customer_region == "CA" and kwargs["facts"].customer_tags == ("Older American", "Servicemember")
    assert kwargs["facts"].product == "Mortgage" and kwargs["facts"].sent_to_bank_at.isoformat() == "2026-01-05T09:30:00+08:00"
