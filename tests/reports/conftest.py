"""Seeded cases for the report tests, driven through the real services over Dec 2025 - Feb 2026."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from complaints.models import Cause, Complaint
from reports import services as report_services
from tests import factories
from workflows import escalation
from workflows import services as s

TZ = ZoneInfo("Asia/Shanghai")
SEED_START = date(2025, 12, 15)
SEED_DAYS = 70  # to 2026-02-22
CHANNELS = ["phone", "app", "wechat", "branch", "web"]
# PII written into every seeded case; none of it may reach a PDF.
SEEDED_PHONE_PREFIX = "1391234"
SEEDED_EMAIL = "zhang@example.com"
SEEDED_ID_NUMBER = "110101199001011234"
SEEDED_ACCOUNT = "6222021234567890"


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@dataclass
class Seeded:
    world: factories.World
    surge_category: object
    cases: list[Complaint]
    action_done: object
    action_open: object
    now: datetime


def _owner(world, department):
    return world.owner if department == world.retail else world.other_owner


def _drive(world, case: Complaint, rng: random.Random, causes: list[Cause]) -> None:
    """Take one case down a random but realistic path, each step later than the previous one."""
    at = case.created_at
    path = rng.random()
    if path < 0.05:
        at += timedelta(hours=rng.randint(1, 30))
        s.complaint_reject(complaint=case, actor=world.cs, reason="Not about the bank", now=at)
        return
    if path < 0.08:
        at += timedelta(hours=rng.randint(1, 30))
        s.complaint_withdraw(complaint=case, actor=world.cs, reason="Customer withdrew", now=at)
        return
    department = case.department
    if department is None:
        if path < 0.14:
            return  # stays new, never routed
        department = rng.choice([world.retail, world.cards])
        at += timedelta(minutes=rng.randint(10, 300))
        case = s.complaint_assign(complaint=case, actor=world.cs, department=department, now=at)
    owner = _owner(world, department)
    if rng.random() < 0.1:
        return  # assigned, no response yet
    at = max(at + timedelta(minutes=5), case.received_at + timedelta(hours=rng.choice([1, 3, 8, 20, 23, 30, 50]), minutes=rng.randint(0, 59)))
    case = s.complaint_respond(complaint=case, actor=owner, method="phone", message="We are on it", now=at)
    if rng.random() < 0.15:
        return  # in progress
    at = max(at + timedelta(hours=1), case.received_at + timedelta(days=rng.choice([1, 2, 4, 7, 10, 14, 15, 18, 25]), hours=rng.randint(0, 10)))
    case = s.complaint_resolve(
        complaint=case,
        actor=owner,
        outcome=rng.choice(["upheld", "partly_upheld", "not_upheld"]),
        summary="Done",
        cause=rng.choice(causes),
        compensation=Decimal("10.00"),
        now=at,
    )
    roll = rng.random()
    if roll < 0.15:
        return  # awaiting review
    if roll < 0.30:
        at += timedelta(days=rng.randint(1, 4))
        case = s.complaint_reopen(complaint=case, actor=world.cs, reason="Not accepted", now=at)
        at += timedelta(days=rng.randint(1, 6))
        case = s.complaint_resolve(
            complaint=case, actor=owner, outcome="upheld", summary="Again", cause=rng.choice(causes), now=at
        )
    at += timedelta(days=rng.randint(1, 9))
    if rng.random() < 0.15:
        s.complaint_close_unreachable(complaint=case, actor=world.cs, notes="No answer", now=at)
    else:
        s.complaint_close(complaint=case, actor=world.cs, satisfaction=rng.randint(1, 5), notes="ok", now=at)


def seed(world: factories.World, *, count: int = 160, rng_seed: int = 6) -> Seeded:
    rng = random.Random(rng_seed)
    causes = list(Cause.objects.order_by("code"))
    surge = factories.CategoryFactory(code="mortgage", name_en="Mortgages", name_zh="房贷")
    categories = [world.routed, world.unrouted, world.cards_category]
    cases = []
    for index in range(count):
        received_at = local(SEED_START + timedelta(days=rng.randrange(SEED_DAYS)), rng.randint(0, 23), rng.randint(0, 59))
        case = factories.create_case(
            world,
            category=rng.choice(categories),
            received_at=received_at,
            now=received_at + timedelta(minutes=rng.randint(0, 30)),
            phone=f"{SEEDED_PHONE_PREFIX}{index:04d}",
            channel=rng.choice(CHANNELS),
            description="<img src=http://evil.example/x.png> <script>alert(1)</script> card fee",
        )
        _drive(world, case, rng, causes)
        cases.append(case)
    # One merged duplicate (never counted) and a surge: 1 case in 2026-01-05..18, 7 in 2026-01-19..02-01.
    target = next(case for case in Complaint.objects.filter(state__in=["new", "assigned", "in_progress"]))
    dup = factories.create_case(world, received_at=local(date(2026, 1, 20), 9), now=local(date(2026, 1, 20), 9))
    s.complaint_merge(complaint=dup, actor=world.cs, into=target, now=local(date(2026, 1, 20), 10))
    for day in [date(2026, 1, 10)] + [date(2026, 1, 19) + timedelta(days=i * 2) for i in range(7)]:
        factories.create_case(world, category=surge, received_at=local(day, 11), now=local(day, 11), phone="13900001111")
    # Improvement actions: one started 2026-01-06 and done in 2026-01-19..02-01, one still open.
    fees = Cause.objects.get(code="fees-pricing")
    action_done = report_services.improvement_action_create(
        actor=world.supervisor,
        title="Refund duplicated fees <b>automatically</b>",
        description="Fix the <script>alert('x')</script> batch job",
        owner_department=world.retail,
        due_date=date(2026, 1, 30),
        target_cause=fees,
        target_category=world.routed,
        now=local(date(2026, 1, 5), 9),
    )
    report_services.improvement_action_start(action=action_done, actor=world.owner, now=local(date(2026, 1, 6), 9))
    report_services.improvement_action_complete(
        action=action_done, actor=world.owner, notes="Batch job fixed", now=local(date(2026, 1, 22), 9)
    )
    action_open = report_services.improvement_action_create(
        actor=world.supervisor,
        title="Train branch staff <img src=http://evil.example/y.png>",
        description="<img src=http://evil.example/z.png> script",
        owner_department=world.cards,
        due_date=date(2026, 1, 25),
        target_category=world.cards_category,
        now=local(date(2026, 1, 8), 9),
    )
    now = local(date(2026, 2, 23), 7)
    escalation.escalation_sweep(now=now, notify=False)
    return Seeded(world, surge, cases, action_done, action_open, now)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once per test module inside a transaction that is rolled back at the end.

    Tests that use it also need database access (``pytest.mark.django_db``); theirs is a
    savepoint inside this transaction.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed(factories.make_world())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
