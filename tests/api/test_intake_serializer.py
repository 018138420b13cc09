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
