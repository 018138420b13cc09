"""Biweekly report at scale: a 14-day period holding 100,000 cases in a table of 1,000,000, on PostgreSQL.

Seeds a throwaway PostgreSQL server (tests/servers.py) with INSERT ... SELECT over
generate_series (seeded random, so every run has the same rows): a steady 100,000 cases per
14 days over 140 days, inserted in the order received (as a live table grows), older cases
mostly closed and the latest period's mostly still open; then their history, in time order
(HISTORY_SQL): an event per step each case took (logged, first response, resolution, closure;
a resolution and a reopening for the reopened cases; about 3.9 M events at 1,000,000 cases),
and the escalation ladder's claims of the escalated cases, with their events.

Then it prints, for ``reports.data.collect`` (best and worst of 3 runs, the number of queries,
which must not grow with the data: it is also counted on an empty period):

1. ``figures after the raw load``: straight after the INSERTs, no page all-visible yet, so every
   index-only count still visits the table: the worst case, which no bank should meet.
2. ``figures after settle``: after ``workflows.imports.loader.settle()`` (VACUUM ANALYZE of the
   case, event and escalation tables), which import_complaints runs at the end of every import:
   what a bank that has just imported its history sees. With the slowest queries (the EXPLAIN
   of any over SLOW_QUERY_SECONDS; of the five slowest with --explain) and the headline.
   ``department figures``: the same for the report of the first seeded department.
3. ``figures after VACUUM``: after a later VACUUM, as autovacuum keeps a live table.

Each line also names the six slowest figures (seconds in each ``reports.figures`` function, both
periods together). A statement running over STATEMENT_TIMEOUT_SECONDS is cancelled and printed
with its plan instead of waiting for it. The session commits synchronously, as production does:
with the throwaway server's asynchronous commits VACUUM could not mark the history all-visible.

then the seconds to draw the charts and to render the English and the Chinese PDF, their size
and page count (the PDFs are written to var/benchmarks/ to be looked at: pdftoppm -png -r 60),
and the admin's live dashboard (desk/admin/dashboard.py) for a supervisor, of the whole bank
and of that department, with its snapshot primed (``reports.live``): best of 5 GETs.

Targets on a 2-core machine, at the default size: figures < 2 s after settle and after VACUUM,
with a constant number of queries; one department's figures < 1 s; figures + PDF < 10 s in
each language; the dashboard page < 500 ms.

Usage: .venv/bin/python benchmarks/report.py [TOTAL [IN_PERIOD]] [--explain]
"""
from __future__ import annotations

import functools
import importlib.util
import inspect
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

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
"""

# The case history the new figures read, in SQL like the cases above: one event per step each case
# took (logged, first response, resolution, closure or withdrawal; a resolution undone by a
# reopening and the reopening, for the cases reopened), and the escalation ladder's claims with
# their events for the escalated cases. About 3.9 events per case (a live history has ~5: routing,
# call-back attempts and notes are left out). Inserted in time order, as a live history grows.
HISTORY_SQL = """
-- The escalated cases' claims on the resolution clock, one per level reached (the warning 3 days
-- before the deadline, overdue at it, the supervisors 2 days after), as the sweep leaves them once
-- their e-mails went out; only the steps due by the time of the seed's last case.
INSERT INTO workflows_escalation (complaint_id, clock, due, level, created_at, sweep, notify_batch)
SELECT id, 'resolution', resolution_due, level, escalated_at, 'bench', 'sent-bench'
FROM (
    SELECT c.id, c.resolution_due, step AS level,
        c.resolution_due + (ARRAY[interval '-3 days', interval '0', interval '2 days 1 hour'])[step] AS escalated_at
    FROM complaints_complaint AS c, generate_series(1, c.escalation_level) AS step
    WHERE c.escalation_level >= 1
) AS steps
WHERE escalated_at < %(now)s
ORDER BY escalated_at, id;
INSERT INTO complaints_complaintevent
    (created_at, actor_id, actor_label, kind, from_state, to_state, note, data, complaint_id)
SELECT created_at, NULL, actor_label, kind, from_state, to_state, '', data, complaint_id
FROM (
    SELECT id AS complaint_id, received_at AS created_at, 'cs' AS actor_label, 'created' AS kind,
        '' AS from_state, 'new' AS to_state, jsonb_build_object('channel', channel, 'kind', kind) AS data
    FROM complaints_complaint
    UNION ALL
    SELECT id, first_responded_at, 'member', 'respond', 'assigned', 'in_progress',
        jsonb_build_object('method', first_response_method)
    FROM complaints_complaint WHERE first_responded_at IS NOT NULL
    UNION ALL
    -- A reopened case: a first resolution 30 %% of the way to its last (or 3 days after receipt if
    -- open now), the reopening at 50 %%.
    SELECT id, received_at + (coalesce(resolved_at, received_at + interval '3 days') - received_at) * 0.3,
        'member', 'resolve', 'in_progress', 'resolved', '{"outcome": "upheld"}'::jsonb
    FROM complaints_complaint WHERE reopen_count >= 1
    UNION ALL
    SELECT id, received_at + (coalesce(resolved_at, received_at + interval '3 days') - received_at) * 0.5,
        'owner', 'reopen', 'resolved', 'in_progress', '{"reason": "customer disagrees"}'::jsonb
    FROM complaints_complaint WHERE reopen_count >= 1
    UNION ALL
    SELECT id, resolved_at, 'member', 'resolve', 'in_progress', 'resolved', jsonb_build_object('outcome', outcome)
    FROM complaints_complaint WHERE resolved_at IS NOT NULL
    UNION ALL
    SELECT id, closed_at, 'member',
        CASE WHEN state = 'withdrawn' THEN 'withdraw' WHEN closure = 'accepted' THEN 'close' ELSE 'close_unreachable' END,
        CASE WHEN state = 'withdrawn' THEN 'in_progress' ELSE 'resolved' END, state, '{}'::jsonb
    FROM complaints_complaint WHERE closed_at IS NOT NULL
    UNION ALL
    SELECT complaint_id, created_at, 'system', 'escalation', '', '',
        jsonb_build_object('clock', clock, 'level', level, 'due', due, 'skipped', '[]'::jsonb)
    FROM workflows_escalation
) AS history
ORDER BY created_at, complaint_id;
-- No VACUUM yet: main() measures before and after one.
ANALYZE complaints_complaint;
ANALYZE complaints_complaintevent;
ANALYZE workflows_escalation;
"""


def _fill(sql: str, values: dict[str, str]) -> str:
    sql = sql.replace("%%", "%")
    for name, value in values.items():
        sql = sql.replace(f"%({name})s", value)
    return sql


def seed(total: int, in_period: int):
    """The cases, their history and a few improvement actions; returns the world
    (tests/factories.make_world) and the departments, the first of which has its own report."""
    from django.db import connection

    from complaints.models import Category, Cause, ComplaintEvent, Department
    from tests import factories
    from workflows.imports.loader import SETTLED_TABLES
    from workflows.models import Escalation

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
    values = {
        "category_ids": f"(ARRAY{category_ids})",
        "cause_ids": f"(ARRAY{cause_ids})",
        "department_ids": f"(ARRAY{department_ids})",
        "category_count": str(len(category_ids)),
        "cause_count": str(len(cause_ids)),
        "department_count": str(len(department_ids)),
        "in_period": str(in_period),
        "total": str(total),
        "period_start": f"'{PERIOD_START.isoformat()} 00:00:00+08'",
        # The seed's "now": when its last case came in, the end of the period.
        "now": f"('{PERIOD_START.isoformat()} 00:00:00+08'::timestamptz + interval '14 days')",
    }
    with connection.cursor() as cursor:
        cursor.execute(f"SET TIME ZONE '{tz}'")
        # Autovacuum would vacuum the cases while their history is written (an insert-driven
        # vacuum), and the first measurement is of a raw load: main() turns it back on after it.
        for table in SETTLED_TABLES:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
        started = time.perf_counter()
        cursor.execute(_fill(SEED_SQL, values))
        cases_seconds = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(_fill(HISTORY_SQL, values))
        history_seconds = time.perf_counter() - started
    print(f"seeded cases in {cases_seconds:.1f} s, their history in {history_seconds:.1f} s: "
          f"{ComplaintEvent.objects.count():,} events, {Escalation.objects.count():,} escalation claims")
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
    return world, departments


def _explain(sql: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of ``sql`` as ``collect`` runs it: in a transaction with JIT off."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def _figure_timer() -> Iterator[dict[str, float]]:
    """Seconds spent in each function of ``reports.figures`` that ``collect`` calls (outermost
    calls only, so a figure that calls another is charged once), by name."""
    from reports import figures

    seconds: dict[str, float] = {}
    depth = [0]

    def timed(name: str, function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            depth[0] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    originals = {
        name: value
        for name, value in vars(figures).items()
        if inspect.isfunction(value) and value.__module__ == figures.__name__ and not name.startswith("_")
    }
    for name, function in originals.items():
        setattr(figures, name, timed(name, function))
    try:
        yield seconds
    finally:
        for name, function in originals.items():
            setattr(figures, name, function)


def measure(label: str, period, department=None, quiet: bool = False):
    """Best of three runs of every figure (``collect(period, department=...)``); prints one line
    with the query count. Unless ``quiet``, also the slowest queries, the EXPLAIN of those slower
    than SLOW_QUERY_SECONDS (of all five slowest with --explain) and the headline figures.

    A statement that runs over STATEMENT_TIMEOUT_SECONDS is cancelled and printed with its plan
    (EXPLAIN without ANALYZE): returns (None, None) then, and the script goes on."""
    import psycopg
    from django.db import OperationalError, connection

    running: list[str] = []

    def remember(execute, sql, params, many, context):
        running[:] = [sql if not params else connection.ops.compose_sql(sql, params)]
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT_SECONDS}s'")
    try:
        with connection.execute_wrapper(remember):
            return _measure(label, period, department, quiet)
    except OperationalError as error:
        if not isinstance(error.__cause__, psycopg.errors.QueryCanceled):
            raise
        print(f"{label}: FAILED, a statement ran over {STATEMENT_TIMEOUT_SECONDS} s and was cancelled:")
        print("      " + running[0])
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute("EXPLAIN " + running[0])
            print("\n".join("      " + row[0] for row in cursor.fetchall()))
            cursor.execute("RESET jit")
        return None, None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def _measure(label: str, period, department, quiet: bool):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.data import collect
    from reports.periods import Period

    empty = Period(date(2030, 1, 7), date(2030, 1, 20))
    with CaptureQueriesContext(connection) as queries:
        collect(empty, department=department)
    empty_queries = len(queries)

    timings, per_figure = [], []
    for _run in range(3):
        with CaptureQueriesContext(connection) as queries, _figure_timer() as seconds:
            started = time.perf_counter()
            data = collect(period, department=department)
            timings.append(time.perf_counter() - started)
        per_figure.append(seconds)
    print(f"{label}: {min(timings):.2f} s best / {max(timings):.2f} s worst of 3; {len(queries)} queries "
          f"({empty_queries} on an empty period)")
    best = per_figure[timings.index(min(timings))]
    slowest_figures = sorted(best.items(), key=lambda item: -item[1])[:6]
    print("   slowest figures (best run; a figure of both periods counts both): "
          + ", ".join(f"{name} {value:.2f} s" for name, value in slowest_figures))
    if quiet:
        return data, min(timings)
    if EXPLAIN:
        for query in queries.captured_queries:
            print(f"   {float(query['time']):.3f} s  {query['sql'][:150]}")
    slowest = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:5]
    for query in slowest:
        print(f"   {float(query['time']):.3f} s  {query['sql'][:110]}")
        # The capture also holds collect's SET and COMMIT statements, which have no plan.
        if (EXPLAIN or float(query["time"]) > SLOW_QUERY_SECONDS) and query["sql"].lstrip("(").startswith(("SELECT", "WITH")):
            print("      " + query["sql"])
            print("\n".join("      " + line for line in _explain(query["sql"])))
    print(f"   headline: received {data.received.current:,}, first response on time {data.first_response.current.percent:.1f}%, "
          f"open {data.open_and_overdue.current.open:,} / overdue {data.open_and_overdue.current.overdue:,}, "
          f"median first response {data.median_first_response.current}, median resolution {data.median_resolution.current}, "
          f"reopen rate {data.reopen_rate.current.percent or 0:.1f}% ({data.reopened_still_open.current:,} still open), "
          f"escalated {data.escalated.total:,}")
    return data, min(timings)


def _all_visible() -> str:
    """The share of each settled table's pages marked all-visible (what index-only scans need)."""
    from django.db import connection

    from workflows.imports.loader import SETTLED_TABLES

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, round(100.0 * relallvisible / greatest(relpages, 1)) FROM pg_class WHERE relname = ANY(%s)",
            [list(SETTLED_TABLES)],
        )
        shares = dict(cursor.fetchall())
    return ", ".join(f"{table} {shares[table]}%" for table in SETTLED_TABLES)


def measure_dashboard(period, world, department) -> None:
    """The admin's live dashboard (desk/admin/dashboard.py) with its snapshot primed
    (``reports.live.snapshot_refresh``): best of five GETs by the test Client, for a supervisor
    on the whole bank's and on ``department``'s page."""
    from django.test import Client
    from django.urls import reverse

    from reports import live

    client = Client(SERVER_NAME="localhost")  # ALLOWED_HOSTS has no "testserver" outside the test runner
    client.force_login(world.supervisor)
    for scope, scope_department in (("whole bank", None), (department.code, department)):
        started = time.perf_counter()
        live.snapshot_refresh(period=period, department=scope_department)
        primed = time.perf_counter() - started
        url = reverse("admin:reports_dashboard") + "?" + urlencode(
            {"department": "" if scope_department is None else scope_department.pk,
             "start": period.start.isoformat(), "end": period.end.isoformat()}
        )
        timings = []
        for _run in range(5):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (response.status_code, url)
        content = response.content.decode()
        assert "data:image/svg+xml" in content, "the page shows no charts: the snapshot was not found"
        print(f"dashboard ({scope}): {min(timings) * 1000:.0f} ms best / {max(timings) * 1000:.0f} ms worst of 5, "
              f"{len(response.content) / 1024:.0f} KiB; snapshot primed in {primed:.2f} s")


def main(total: int, in_period: int) -> None:
    from benchmarks.setup import django_on_throwaway_postgres

    with django_on_throwaway_postgres():
        from django.db import connection
        from django.utils import translation

        from complaints.models import Complaint
        from reports import rendering
        from reports.periods import Period
        from workflows.imports import loader

        # The throwaway server commits asynchronously (tests/servers.py); VACUUM cannot mark a page
        # all-visible while its rows' commit (or a later one of the same clog group, such as
        # settle's own ANALYZE) is not yet flushed, so settle would leave the history unsettled.
        # Commit as a production server does.
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
        started = time.perf_counter()
        world, departments = seed(total, in_period)
        period = Period(PERIOD_START, PERIOD_END)
        print(f"seeded {Complaint.objects.count():,} cases in {time.perf_counter() - started:.1f} s")
        print(f"received in {period}: {Complaint.objects.filter(received_at__gte=period.starts_at, received_at__lt=period.ends_before).count():,}")

        # Straight after a bulk load no page is all-visible yet, so the covering indexes still
        # send PostgreSQL to the table for every row: the worst case, measured first.
        print(f"-- 1. straight after the raw bulk load, before any vacuum ({_all_visible()} of pages all-visible):")
        measure("figures after the raw load", period, quiet=True)
        # What a bank sees once import_complaints has loaded its history: the importer settles the
        # tables it wrote (VACUUM ANALYZE), so the report is answered from the covering indexes.
        with connection.cursor() as cursor:
            for table in loader.SETTLED_TABLES:
                cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
        started = time.perf_counter()
        assert loader.settle(), "loader.settle() did not run"
        print(f"-- 2. after loader.settle(), as import_complaints leaves the tables ({time.perf_counter() - started:.1f} s; "
              f"{_all_visible()} of pages all-visible):")
        data, best = measure("figures after settle", period)
        department = departments[0]
        measure(f"department figures ({department.code})", period, department=department)
        if data is None:
            print("no PDF nor dashboard: the figures after settle failed")
            return
        # A live table is vacuumed by autovacuum (every 2 % of rows changed, migration 0007), as here.
        with connection.cursor() as cursor:
            for table in loader.SETTLED_TABLES:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
        print(f"-- 3. after a later VACUUM, as autovacuum keeps a live table ({_all_visible()} of pages all-visible):")
        measure("figures after VACUUM", period, quiet=True)

        output = ROOT / "var" / "benchmarks"
        output.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with translation.override("en"):
            rendering.chart_svgs(data)
        print(f"charts alone (en): {time.perf_counter() - started:.2f} s")
        for language in ("en", "zh-hans"):
            started = time.perf_counter()
            pdf = rendering.render_pdf(data, language=language)
            render = time.perf_counter() - started
            path = output / f"report-{language}.pdf"
            path.write_bytes(pdf.content)
            print(f"PDF {language}: render {render:.2f} s, figures + render {best + render:.2f} s, "
                  f"{len(pdf.content) / 1024:.0f} KiB, {pdf.page_count} pages -> {path.relative_to(ROOT)}")

        if importlib.util.find_spec("reports.live") is None:
            print("dashboard: skipped (no reports.live)")
        else:
            measure_dashboard(period, world, department)


EXPLAIN = "--explain" in sys.argv
# A query slower than this has its EXPLAIN printed even without --explain.
SLOW_QUERY_SECONDS = 0.2
# A figure's statement running longer than this is a regression to report, not to wait for.
STATEMENT_TIMEOUT_SECONDS = 60

if __name__ == "__main__":
    arguments = [int(value.replace(",", "").replace("_", "")) for value in sys.argv[1:] if value != "--explain"]
    main(arguments[0] if arguments else 1_000_000, arguments[1] if len(arguments) > 1 else 100_000)
