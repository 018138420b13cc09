"""Escalation sweep at scale: seeds N cases on a throwaway PostgreSQL and times one sweep.

For each N (100,000 and 1,000,000 by default) the table holds N cases, of which 10,000 are
due for a step (2,500 per step: first-response warning, overdue, escalated; review run out);
the rest are open cases whose clocks are far from any step (10 %) and closed cases (90 %).
One sweep then runs with notifications off (they are a separate task) and the script prints
the sweep's seconds, escalations per second and queries per escalation.

With ``--extras`` every open case also has a second named clock (an internal target) and half
the open cases far from any step have a paused resolution clock: what they cost the sweep.

Usage: .venv/bin/python benchmarks/escalation.py [--extras] [N ...]
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DUE_FOR_A_STEP = 10_000


def main(sizes: list[int]) -> None:
    from benchmarks.setup import django_on_throwaway_postgres

    with django_on_throwaway_postgres():
        results = [run(size) for size in sizes]
        print()
        print(f"{'cases':>10} {'due':>7} {'sweep s':>8} {'esc/s':>9} {'queries':>8} {'q/esc':>7} {'q/batch':>8}")
        for row in results:
            print(
                f"{row['cases']:>10,} {row['escalated']:>7,} {row['seconds']:>8.2f} {row['rate']:>9,.0f} "
                f"{row['queries']:>8} {row['per_escalation']:>7.4f} {row['per_batch']:>8.1f}"
            )
        if len(results) >= 2:
            ratio = results[-1]["seconds"] / results[0]["seconds"]
            print(f"sweep time {results[-1]['cases']:,} / {results[0]['cases']:,} cases: {ratio:.2f}x (target <= 1.5x)")


def seed(size: int) -> None:
    """Replace the cases with ``size`` new ones, ``DUE_FOR_A_STEP`` of them due for a step."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from complaints.models import Category, Department

    # The event table refuses TRUNCATE (migration 0009); a benchmark's own throwaway database
    # may clear it as the test flush does, with the triggers off for this transaction only.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "TRUNCATE workflows_casetarget, workflows_escalation, workflows_notificationlog, complaints_complaintevent, "
            "complaints_complaint RESTART IDENTITY CASCADE"
        )
    department, _ = Department.objects.get_or_create(code="retail", defaults={"name_en": "Retail", "name_zh": "零售"})
    category, _ = Category.objects.get_or_create(code="general", defaults={"name_en": "General", "name_zh": "综合"})
    member, _ = User.objects.get_or_create(username="bench-member", defaults={"email": "m@bank.example"})

    # One INSERT ... SELECT over generate_series: the rows are built by the database, so
    # seeding a million cases takes seconds. Open cases carry their clocks' stored warning
    # instants as intake writes them (workflows.clocks): start + 75 % of the window (the
    # default warning_percent); closed and resolved cases carry none. Shapes by position i (1-based):
    #   first response warning | overdue | past 24 h | review run out | open, nothing due | closed
    quarter = DUE_FOR_A_STEP // 4
    open_far = DUE_FOR_A_STEP + (size - DUE_FOR_A_STEP) // 10
    sql = f"""
        INSERT INTO complaints_complaint (
            reference, kind, channel, severity, category_id, subject, description, customer_name,
            customer_phone, customer_email, customer_id_number, customer_account, external_id,
            received_at, created_at, department_id, assignee_id, state, version,
            first_response_due, first_response_warn_at, first_responded_at, first_response_method,
            resolution_clock_started_at, resolution_window_days, resolution_due, resolution_warn_at,
            calendar_gaps, pause_reason, resolution_paused_at, resolution_paused_total, resolved_at, review_due,
            closed_at, escalation_level, extension_status, extension_reason, extension_requires_supervisor,
            outcome, resolution_summary, review_notes, closure, callback_attempts, reopen_count,
            product, sub_product, issue, sub_issue, company, customer_region, customer_tags, narrative_consent, submitted_via, company_response, public_response
        )
        SELECT 'B-' || lpad(i::text, 8, '0'), 'complaint', 'phone', 'medium', %(category)s, 'Fee',
            'Charged twice', 'Customer', '13812345678', '', '', '', '',
            received, received, %(department)s, %(member)s, shape.state, 1,
            %(now)s + shape.due_in,
            CASE WHEN shape.state IN ('new', 'assigned', 'in_progress')
                THEN received + (%(now)s + shape.due_in - received) * 0.75 END,
            CASE WHEN shape.responded THEN received + interval '1 hour' END,
            CASE WHEN shape.responded THEN 'phone' ELSE '' END,
            received, 15, received + interval '16 days',
            CASE WHEN shape.state IN ('new', 'assigned', 'in_progress')
                THEN received + (received + interval '16 days' - received) * 0.75 END,
            '', '', NULL, interval '0',
            CASE WHEN shape.state IN ('resolved', 'closed') THEN received + interval '1 day' END,
            CASE WHEN shape.state = 'resolved' THEN %(now)s - interval '1 hour' END,
            CASE WHEN shape.state = 'closed' THEN received + interval '2 days' END,
            0, '', '', false,
            CASE WHEN shape.state IN ('resolved', 'closed') THEN 'upheld' ELSE '' END, '', '',
            CASE WHEN shape.state = 'closed' THEN 'accepted' ELSE '' END, 0, 0, '', '', '', '', '', '', '[]', '', '', '', ''
        FROM generate_series(1, %(size)s) AS i
        CROSS JOIN LATERAL (
            SELECT * FROM (VALUES
                (i <= {quarter}, 'assigned', interval '20 hours', interval '4 hours', false),
                (i <= {2 * quarter}, 'assigned', interval '30 hours', interval '-6 hours', false),
                (i <= {3 * quarter}, 'assigned', interval '50 hours', interval '-26 hours', false),
                (i <= {DUE_FOR_A_STEP}, 'resolved', interval '200 hours', interval '-176 hours', true),
                (i <= {open_far}, 'in_progress', interval '1 hour', interval '23 hours', true),
                (true, 'closed', interval '2000 hours', interval '-1976 hours', true)
            ) AS shapes(matches, state, age, due_in, responded)
            WHERE matches LIMIT 1
        ) AS shape
        CROSS JOIN LATERAL (SELECT %(now)s - shape.age AS received) AS r
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "category": category.pk,
                "department": department.pk,
                "member": member.pk,
                "now": timezone.now(),
                "size": size,
            },
        )
    if EXTRAS:
        add_extras(now=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE complaints_complaint")
        cursor.execute("VACUUM ANALYZE workflows_casetarget")


def add_extras(*, now) -> None:
    """``--extras``: half the open cases that are far from any step have their resolution clock
    paused, and every open case gets a second named clock (an internal target) far from its
    steps, so the sweep reads through both without finding more work."""
    from django.db import connection

    from workflows.calendars import Unit
    from workflows.models import ClockTarget, TargetMeasures

    target, _ = ClockTarget.objects.get_or_create(
        code="bench", defaults={"name_en": "Bench", "name_zh": "基准", "measures": TargetMeasures.RESOLUTION,
                                "window": 40, "unit": Unit.CALENDAR_DAYS, "warning_percent": 90},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_complaint SET resolution_paused_at = %(now)s, pause_reason = 'mediation' "
            "WHERE state = 'in_progress' AND id %% 2 = 0",
            {"now": now},
        )
        cursor.execute(
            "INSERT INTO workflows_casetarget (complaint_id, target_id, started_at, due, warn_at, stopped_at) "
            "SELECT id, %(target)s, %(now)s, %(now)s + interval '40 days', %(now)s + interval '36 days', NULL "
            "FROM complaints_complaint WHERE state IN ('new', 'assigned', 'in_progress')",
            {"target": target.pk, "now": now},
        )
        cursor.execute("SELECT count(*) FROM workflows_casetarget")
        targets = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM complaints_complaint WHERE resolution_paused_at IS NOT NULL")
        print(f"  extras: {targets:,} internal-target rows, {cursor.fetchone()[0]:,} paused cases", flush=True)


def run(size: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows import escalation

    started = time.perf_counter()
    seed(size)
    print(f"seeded {size:,} cases in {time.perf_counter() - started:.1f} s", flush=True)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            result = profile.runcall(escalation.escalation_sweep, notify=False)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        else:
            result = escalation.escalation_sweep(notify=False)
        seconds = time.perf_counter() - started
    assert result.total == DUE_FOR_A_STEP, result.as_dict()
    if os.environ.get("BENCH_SHOW_QUERIES"):
        kinds: dict[str, float] = {}
        for query in queries.captured_queries:
            kind = query["sql"].split()[0]
            kinds[kind] = kinds.get(kind, 0.0) + float(query["time"])
        print("  seconds per statement kind:", {kind: round(total, 3) for kind, total in kinds.items()})
    print(f"sweep of {size:,}: {result.as_dict()['steps']}, {result.batches} batches, {result.read} rows read", flush=True)
    return {
        "cases": size,
        "escalated": result.total,
        "seconds": seconds,
        "rate": result.total / seconds,
        "queries": len(queries),
        "per_escalation": len(queries) / result.total,
        "per_batch": len(queries) / max(result.batches, 1),
    }


EXTRAS = "--extras" in sys.argv

if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:] if arg != "--extras"] or [100_000, 1_000_000])
