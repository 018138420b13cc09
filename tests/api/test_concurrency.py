"""Idempotent intake under concurrency, on a real PostgreSQL started by the test run."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_case(world, intake_body):
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(THREADS)
    body = intake_body(external_id="cti-race-1")

    def submit(_):
        client = APIClient()
        client.force_authenticate(world.cs)
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/v1/complaints/", body, format="json")
            return response.status_code, response.json().get("reference")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(submit, range(THREADS)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (THREADS - 1) + [201], results
    assert len({reference for _, reference in results}) == 1
    assert Complaint.objects.filter(channel="app", external_id="cti-race-1").count() == 1
    assert ComplaintEvent.objects.filter(kind="created").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_distinct_submissions_all_get_their_own_case(world, intake_body):
    barrier = threading.Barrier(THREADS)

    def submit(index):
        client = APIClient()
        client.force_authenticate(world.cs)
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/v1/complaints/", intake_body(external_id=f"cti-{index}"), format="json")
            return response.status_code, response.json().get("reference")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(submit, range(THREADS)))

    assert [status for status, _ in results] == [201] * THREADS, results
    assert len({reference for _, reference in results}) == THREADS
