"""seed_demo: a short summary, texts in the language of the invented customer, nothing new on a rerun."""
from __future__ import annotations

import io
import logging
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from complaints.models import Complaint, ComplaintEvent
from tests import factories

CJK = re.compile(r"[\u4e00-\u9fff]")
CASES = 60


def seed(*args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("seed_demo", "--cases", str(CASES), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    factories.ensure_reference_data()
    return seed()


def test_summary_names_logins_departments_states_and_events(seeded):
    demo = Complaint.objects.filter(external_id__startswith="DEMO-")
    assert demo.count() == CASES
    assert "Logins (password: demo):" in seeded
    for username in ("cs", "owner", "member", "other_owner", "supervisor", "admin"):
        assert re.search(rf"^ +{username} +\S", seeded, re.M), username
    assert "Departments (5): Retail banking, Cards, Loans, Operations, IT; 9 categories" in seeded
    assert f"Cases: {CASES} ({CASES} new): " in seeded
    assert "Overdue now: " in seeded and "extensions approved: " in seeded
    events = ComplaintEvent.objects.filter(complaint__in=demo).count()
    assert f"Events: {events} ({events} new)" in seeded
    closed = demo.filter(state="closed").count()
    assert f"{closed} closed" in seeded
    # A summary, not a line per case.
    assert len(seeded.splitlines()) <= 15


def test_customers_language_decides_the_cases_texts(seeded):
    demo = Complaint.objects.filter(external_id__startswith="DEMO-")
    chinese = [case for case in demo if CJK.search(case.customer_name)]
    english = [case for case in demo if re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", case.customer_name)]
    assert chinese and english and len(chinese) + len(english) == CASES
    for case in chinese:
        assert CJK.search(case.subject) and CJK.search(case.description), case.subject
    for case in english:
        assert not CJK.search(case.subject) and not CJK.search(case.description), case.subject
    # Responses, resolution summaries, reasons and notes follow the customer's language too.
    for cases, expect_chinese in ((chinese, True), (english, False)):
        notes = ComplaintEvent.objects.filter(complaint__in=cases, actor__isnull=False).exclude(note="")
        notes = notes.exclude(kind__in=["assign", "created"]).values_list("note", flat=True)
        assert notes
        assert all(bool(CJK.search(note)) == expect_chinese for note in notes), list(notes)


def test_second_run_adds_nothing(seeded):
    cases, events = Complaint.objects.count(), ComplaintEvent.objects.count()
    again = seed()
    assert (Complaint.objects.count(), ComplaintEvent.objects.count()) == (cases, events)
    assert f"Cases: {CASES} (0 new): " in again
    assert "(0 new)" in again.splitlines()[-1]
    assert "Logins (passwords as first seeded):" in again


def test_transitions_are_not_logged_one_per_line(db, caplog):
    factories.ensure_reference_data()
    with caplog.at_level(logging.INFO):
        seed()
    assert not [record for record in caplog.records if record.name.startswith(("workflows", "complaints"))]
    assert logging.getLogger("workflows").level == logging.NOTSET


def test_verbosity_2_logs_every_transition(db, caplog):
    factories.ensure_reference_data()
    with caplog.at_level(logging.INFO):
        seed("-v", "2")
    assert [record for record in caplog.records if record.name == "workflows.services"]


def test_refuses_production_settings(db, settings):
    settings.SETTINGS_NAME = "production"
    with pytest.raises(CommandError, match="production"):
        seed()
