"""Biweekly report at scale: a 14-day period holding 100,000 cases in a table of 1,000,000, on PostgreSQL.

Seeds a throwaway PostgreSQL server (tests/servers.py) with INSERT ... SELECT over
generate_series (seeded random, so every run has the same rows): a steady 100,000 cases per
14 days over 140 days, inserted in the order received (as a live table grows), older cases
mostly closed and the latest period's mostly still open. Then it prints: seconds to
compute every figure straight after the load and again after a VACUUM (as autovacuum
keeps a live table; index-only scans need it), the number of queries (it must not grow with
the data: the script also counts them on an empty period), seconds to render the English and the Chinese PDF,
their size and page count. The PDFs are written to var/benchmarks/ to be looked at
(pdftoppm -png -r 60).

Targets on a 2-core machine: figures < 2 s with a constant number of queries; whole PDF < 15 s.

Usage: .venv/bin/python benchmarks/report.py [TOTAL [IN_PERIOD]]
"""
from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PERIOD_START = date(2026, 3, 2)
PERIOD_END = date(2026, 3, 15)

SEED_SQL = """
SELECT setseed(0.42);
INSERT INTO complaints_complaint (
    reference, kind, channel, severity, category_id, cause_id, subject, description,
    customer_name, customer_phone, customer_email, customer_id_number, customer_account, external_id,
    received_at, created_at, department_id, state, version,
    first_response_due, first_responded_at, first_response_method,
    resolution_clock_started_at, resolution_window_days, resolution_due, resolved_at, review_due, closed_at,
    escalation_level, extension_status, extension_reason, extension_requires_supervisor,
    outcome, resolution_summary, satisfaction, review_notes, closure, callback_attempts, reopen_count,
    product, sub_product, issue, sub_issue, company, customer_region, customer_tags, narrative_consent, submitted_via, company_response, public_response,
    calendar_gaps, pause_reason, resolution_paused_total
)
SELECT
    'B-' || lpad(i::text, 10, '0'),
    'complaint',
    (ARRAY['phone','chat','wechat','app','web','branch','letter','email','regulator'])[1 + (i::bigint * 7919) % 9],
    'medium',
    %(category_ids)s[1 + floor(power(random(), 2) * %(category_count)s)::int],
    CASE WHEN resolved_at IS NOT NULL THEN %(cause_ids)s[1 + floor(power(random(), 2) * %(cause_count)s)::int] END,
    'Card fee charged twice',
    'The customer says the annual fee was charged twice and wants it refunded. ' || repeat('Details. ', 20),
    '张三', '1381234' || lpad((i %% 10000)::text, 4, '0'), 'customer' || i || '@example.com', '110101199001011234', '6222021234567890', '',
    received, received, %(department_ids)s[1 + (i::bigint * 31) %% %(department_count)s],
    st, 1,
    received + interval '24 hours',
    CASE WHEN st IN ('new','assigned') THEN NULL ELSE received + (random() * interval '36 hours') END,
    CASE WHEN st IN ('new','assigned') THEN '' ELSE 'phone' END,
    received, 15, received + interval '15 days',
    resolved_at,
    resolved_at + interval '7 days',
    CASE WHEN st = 'closed' THEN resolved_at + close_offset WHEN st = 'withdrawn' THEN received + interval '3 days' END,
    CASE WHEN random() < 0.01 THEN 1 + floor(random() * 3)::int ELSE 0 END,
    '', '', false,
    CASE WHEN resolved_at IS NOT NULL THEN 'upheld' ELSE '' END, '',
    CASE WHEN st = 'closed' AND reached < 0.9 AND random() < 0.95 THEN 1 + floor(random() * 5)::int END,
    '',
    CASE WHEN st = 'closed' THEN CASE WHEN reached < 0.9 THEN 'accepted' ELSE 'unreachable' END ELSE '' END,
    0,
    CASE WHEN random() < 0.04 THEN 1 ELSE 0 END,
    '', '', '', '', '', '', '[]', '', '', '', '',
    '', '', interval '0'
FROM (
    SELECT i, received, st, close_offset, reached,
        CASE WHEN st IN ('resolved','closed') THEN received + interval '2 hours' + resolve_offset END AS resolved_at
    FROM (
        SELECT i, received,
            CASE
                WHEN r < 0.04 THEN 'new' WHEN r < 0.10 THEN 'assigned' WHEN r < 0.22 THEN 'in_progress'
                WHEN r < 0.32 THEN 'resolved' WHEN r < 0.98 THEN 'closed' ELSE 'withdrawn'
            END AS st,
            random() * interval '17 days' AS resolve_offset,
            random() * interval '7 days' AS close_offset,
            random() AS reached
        FROM (
            SELECT i, received,
                CASE
                    WHEN received >= %(period_start)s::timestamptz THEN random() * 0.7
                    WHEN received >= %(period_start)s::timestamptz - interval '14 days' THEN 0.15 + random() * 0.85
                    ELSE 0.3 + random() * 0.7
                END AS r
            FROM (
                -- Rows are inserted in the order they were received, as a live table is.
                SELECT i, %(period_start)s::timestamptz + interval '14 days'
                    - (%(total)s - i + random()) * (interval '14 days' / %(in_period)s) AS received
                FROM generate_series(1, %(total)s) AS i
            ) AS timed
        ) AS drawn
    ) AS staged
) AS rows;
ANALYZE complaints_complaint;  -- no VACUUM yet: main() measures before and after one
"""


def seed(total: int, in_period: int) -> None:
    from django.db import connection

    from complaints.models import Category, Cause, Department
    from tests import factories

    world = factories.make_world()
    departments = [world.retail, world.cards] + [
        factories.DepartmentFactory(code=f"dept-{n}", name_en=f"Branch network {n}", name_zh=f"网点{n}") for n in range(6)
    ]
    for n in range(27):
        factories.CategoryFactory(code=f"topic-{n:02d}", name_en=f"Topic {n:02d}", name_zh=f"业务{n:02d}")
    category_ids = list(Category.objects.values_list("pk", flat=True))
    cause_ids = list(Cause.objects.values_list("pk", flat=True))
    department_ids = [d.pk for d in departments]
    assert len(Department.objects.all()) == len(department_ids)
    tz = "Asia/Shanghai"
    with connection.cursor() as cursor:
        cursor.execute(f"SET TIME ZONE '{tz}'")
        sql = SEED_SQL.replace("%%", "%")
        for name, value in {
            "category_ids": f"(ARRAY{category_ids})",
            "cause_ids": f"(ARRAY{cause_ids})",
            "department_ids": f"(ARRAY{department_ids})",
            "category_count": str(len(category_ids)),
            "cause_count": str(len(cause_ids)),
            "department_count": str(len(department_ids)),
            "in_period": str(in_period),
            "total": str(total),
            "period_start": f"'{PERIOD_START.isoformat()} 00:00:00+08'",
        }.items():
            sql = sql.replace(f"%({name})s", value)
        cursor.execute(sql)
    # A few improvement actions so that section 6 has rows.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from reports import services

    zone = ZoneInfo(tz)
    categories = list(Category.objects.order_by("code")[:4])
    for index, category in enumerate(categories):
        action = services.improvement_action_create(
            actor=world.supervisor,
            title=f"Reduce repeat complaints about {category.name_en}",
            description="Review the scripts and the fee rules with the product team.",
            owner_department=departments[index % len(departments)],
            due_date=PERIOD_END - timedelta(days=5 * index),
            target_category=category,
            now=datetime(2026, 2, 2, 9, tzinfo=zone),
        )
        if index % 2 == 0:
            services.improvement_action_start(action=action, actor=world.supervisor, now=datetime(2026, 2, 9, 9, tzinfo=zone))
            services.improvement_action_complete(
                action=action, actor=world.supervisor, notes="Done", now=datetime(2026, 3, 5, 9, tzinfo=zone)
            )


def measure(period, quiet: bool = False):
    """Best of three runs of every figure; prints the query count and the slowest queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.data import collect
    from reports.periods import Period

    empty = Period(date(2030, 1, 7), date(2030, 1, 20))
    with CaptureQueriesContext(connection) as queries:
        collect(empty)
    empty_queries = len(queries)

    timings = []
    for _run in range(3):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            data = collect(period)
            timings.append(time.perf_counter() - started)
    if quiet:
        print(f"figures: {min(timings):.2f} s best / {max(timings):.2f} s worst of 3; {len(queries)} queries")
        return data, min(timings)
    if EXPLAIN:
        for query in queries.captured_queries:
            print(f"   {float(query['time']):.3f} s  {query['sql'][:150]}")
    slowest = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:5]
    print(f"figures: {min(timings):.2f} s best / {max(timings):.2f} s worst of 3; {len(queries)} queries "
          f"({empty_queries} on an empty period)")
    for query in slowest:
        print(f"   {float(query['time']):.3f} s  {query['sql'][:110]}")
        if EXPLAIN:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                print("\n".join("      " + row[0] for row in cursor.fetchall()))
    print(f"headline: received {data.received.current:,}, first response on time {data.first_response.current.percent:.1f}%, "
          f"open {data.open_and_overdue.current.open:,} / overdue {data.open_and_overdue.current.overdue:,}, "
          f"median first response {data.median_first_response.current}, median resolution {data.median_resolution.current}")

    return data, min(timings)


def main(total: int, in_period: int) -> None:
    from benchmarks.setup import django_on_throwaway_postgres

    with django_on_throwaway_postgres():
        from django.db import connection
        from django.utils import translation

        from complaints.models import Complaint
        from reports import rendering
        from reports.periods import Period

        started = time.perf_counter()
        seed(total, in_period)
        period = Period(PERIOD_START, PERIOD_END)
        print(f"seeded {Complaint.objects.count():,} cases in {time.perf_counter() - started:.1f} s")
        print(f"received in {period}: {Complaint.objects.filter(received_at__gte=period.starts_at, received_at__lt=period.ends_before).count():,}")

        # Straight after a bulk load no page is all-visible yet, so the covering indexes still
        # send PostgreSQL to the table for every row: the worst case, measured first. A live
        # table is vacuumed by autovacuum (every 2 % of rows changed, migration 0007), as here.
        print("-- straight after the bulk load, before any vacuum (worst case):")
        measure(period, quiet=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) complaints_complaint")
            cursor.execute(
                "SELECT round(100.0 * relallvisible / greatest(relpages, 1)) FROM pg_class WHERE relname = 'complaints_complaint'"
            )
            print(f"-- after VACUUM, as autovacuum leaves a live table ({cursor.fetchone()[0]}% of pages all-visible):")
        data, best = measure(period)
        output = ROOT / "var" / "benchmarks"
        output.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with translation.override("en"):
            rendering._charts(data)
        print(f"charts alone (en): {time.perf_counter() - started:.2f} s")
        for language in ("en", "zh-hans"):
            started = time.perf_counter()
            pdf = rendering.render_pdf(data, language=language)
            render = time.perf_counter() - started
            path = output / f"report-{language}.pdf"
            path.write_bytes(pdf.content)
            print(f"PDF {language}: render {render:.2f} s, figures + render {best + render:.2f} s, "
                  f"{len(pdf.content) / 1024:.0f} KiB, {pdf.page_count} pages -> {path.relative_to(ROOT)}")


EXPLAIN = "--explain" in sys.argv

if __name__ == "__main__":
    arguments = [int(value.replace(",", "").replace("_", "")) for value in sys.argv[1:] if value != "--explain"]
    main(arguments[0] if arguments else 1_000_000, arguments[1] if len(arguments) > 1 else 100_000)
