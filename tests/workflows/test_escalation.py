"""The escalation ladder: each step at its boundary, exactly once, fresh ladders, what is left alone."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from complaints.models import Complaint, ComplaintEvent
from tests import factories
from workflows import escalation, services
from workflows.models import Escalation
from workflows.policies import warning_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
SECOND = timedelta(seconds=1)


def sweep(now):
    return escalation.escalation_sweep(now=now, notify=False)


def steps(case, clock=None):
    rows = Escalation.objects.filter(complaint=case)
    if clock:
        rows = rows.filter(clock=clock)
    return sorted((e.clock, e.level) for e in rows)


@pytest.fixture
def assigned(world):
    case = factories.create_case(world, now=RECEIVED)
    return services.complaint_assign(complaint=case, actor=world.cs, department=world.retail, assignee=world.member, now=RECEIVED)


def test_smoke_first_response_warning(assigned):
    at = warning_at(assigned.received_at, assigned.first_response_due, 75)
    assert sweep(at - SECOND).total == 0
    result = sweep(at)
    assert result.total == 1
    assert steps(assigned) == [("first_response", 1)]
