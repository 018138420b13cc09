"""Fixtures for API tests: clients per role, a clean throttle cache."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client logged in as ``user`` (None: anonymous)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def intake_body():
    def make(**overrides) -> dict:
        body = {
            "kind": "complaint",
            "channel": "app",
            "severity": "medium",
            "category": "savings",
            "subject": "Card fee charged twice",
            "description": "The customer was charged the annual fee twice.",
            "customer": {
                "name": "张三",
                "phone": "13812345678",
                "email": "zhang@example.com",
                "id_number": "110101199001011234",
                "account": "6222021234567890",
            },
        }
        body.update(overrides)
        return body

    return make
