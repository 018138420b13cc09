"""A list page costs the same number of queries whatever its size (no N+1)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.states import ComplaintState as S
from tests import factories


def _queries_for_page(client, **query) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/complaints/", query)
    assert response.status_code == 200
    return len(captured), len(response.json()["results"])


@pytest.mark.parametrize("role", ["supervisor", "owner"])
def test_list_query_count_is_constant_in_page_size(world, client_for, role):
    for state in (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED):
        for _ in range(3):
            factories.case_in_state(world, state)
    factories.case_in_state(world, S.ASSIGNED, department=world.cards)
    client = client_for(getattr(world, role))
    client.get("/api/v1/complaints/")  # the user's roles are cached on the user after the first request
    small, small_rows = _queries_for_page(client, page_size=1)
    large, large_rows = _queries_for_page(client, page_size=50)
    filtered, _ = _queries_for_page(client, page_size=50, overdue="false", department="retail")
    assert small_rows == 1 and large_rows >= 12
    assert small == large == filtered


def test_events_query_count_is_constant_in_history_length(world, client_for):
    short = factories.case_in_state(world, S.ASSIGNED)
    long = factories.case_in_state(world, S.CLOSED)
    client = client_for(world.supervisor)
    client.get("/api/v1/complaints/")  # warm the user's role cache
    counts = []
    for case in (short, long):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/complaints/{case.reference}/events/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_fast_list_rows_equal_the_generic_serializer(world, client_for):
    from api.serializers import ComplaintListSerializer, FastComplaintListSerializer
    from complaints import selectors

    for state in (S.NEW, S.ASSIGNED, S.RESOLVED, S.CLOSED):
        factories.case_in_state(world, state)
    cases = list(selectors.complaint_list_for_user(world.supervisor))
    assert FastComplaintListSerializer(cases, many=True).data == ComplaintListSerializer(cases, many=True).data
