"""The report prints the policy numbers in force at the end of its period and the edits made during it (issue 12)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils import translation

from reports import figures
from reports.periods import Period
from workflows.models import PolicyChange, SlaPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = Period(date(2026, 11, 2), date(2026, 11, 15))


def edit_in_admin(client, policy: SlaPolicy, **changes) -> None:
    data = {
        "first_response_hours": policy.first_response_hours,
        "resolution_window": policy.resolution_window,
        "resolution_unit": policy.resolution_unit,
        "calendar": policy.calendar_id or "",
        "count_receipt_day": "on" if policy.count_receipt_day else "",
        "cutoff_time": policy.cutoff_time.strftime("%H:%M") if policy.cutoff_time else "",
        "roll_over": "on" if policy.roll_over else "",
        "owner_extension_max_days": policy.owner_extension_max_days,
        "max_extension_days": policy.max_extension_days,
        "review_days": policy.review_days,
        "warning_percent": policy.warning_percent,
    } | changes
    data = {key: value for key, value in data.items() if value != ""}
    response = client.post(reverse("admin:workflows_slapolicy_change", args=[policy.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_numbers_in_force_at_period_end_and_the_edits_during_it(client, world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    client.force_login(world.supervisor)
    high = SlaPolicy.objects.get(kind="complaint", severity="high")
    with time_machine.travel(datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)):
        edit_in_admin(client, high, first_response_hours=8)
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)):  # after the period
        edit_in_admin(client, SlaPolicy.objects.get(pk=high.pk), first_response_hours=4)
    assert PolicyChange.objects.count() == 2
    assert SlaPolicy.objects.get(pk=high.pk).first_response_hours == 4

    result = figures.policies_in_force(PERIOD)
    with translation.override("en"):
        texts = {terms.applies_to: terms.text for terms in result.terms}
        # At the end of the period the high-severity complaint policy answered in 8 hours, not today's 4.
        assert "First response within 8 hours." in texts["Complaint (high)"]
        assert all("within 24 hours" in text for label, text in texts.items() if label != "Complaint (high)")
        assert "15 calendar days after the day of receipt" in texts["Complaint (high)"]
        assert "Mainland China" in texts["Complaint (high)"]
        assert [(c.changed_by, c.applies_to, c.text) for c in result.changes] == [
            ("supervisor", "Complaint · High", "first response (hours): 24 → 8")
        ]


def test_an_unchanged_save_records_nothing(client, world):
    client.force_login(world.supervisor)
    edit_in_admin(client, SlaPolicy.objects.get(kind="complaint", severity="low"))
    assert not PolicyChange.objects.exists()
