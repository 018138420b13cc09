"""Case search at scale: text search and a customer's history over 1,000,000 cases on PostgreSQL.

Seeds a throwaway PostgreSQL server (tests/servers.py) with INSERT ... SELECT over
generate_series (seeded random): subjects and descriptions mixed English and Chinese, about
200,000 customers with five cases each (e-mail stored in mixed case for half of them, as
intake stores it today). The search indexes of migration 0008 are dropped before the load and
built after it (their build time is printed), then VACUUM ANALYZE. For every query it prints the
median of several runs of what the case list does (the page of 50 and its count) and the plan
EXPLAIN gives (node types and indexes).

Usage: .venv/bin/python benchmarks/search.py [TOTAL] [--runs N]
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CUSTOMERS = 200_000
SUBJECTS_EN = [
    "Card fee charged twice", "ATM swallowed the card", "Transfer not received", "Mortgage statement missing",
    "Rude staff at the branch", "App login keeps failing", "Interest rate changed without notice",
    "Wrong exchange rate applied", "Loan application delayed", "Online banking locked",
]
SUBJECTS_ZH = [
    "信用卡年费重复收取", "自动取款机吞卡", "转账未到账", "房贷对账单丢失", "网点工作人员态度差",
    "手机银行无法登录", "利率调整未通知", "汇率使用错误", "贷款审批延迟", "网上银行被锁定",
]
PHRASES = [
    "The customer says the annual fee was charged twice and wants a refund.",
    "She called three times and nobody called back.",
    "The branch manager promised an answer within a week.",
    "He was told the card would arrive in five days but it never came.",
    "The app shows an error after the latest update.",
    "客户表示信用卡年费被重复扣收，要求退还。",
    "客户多次致电客服，均未得到回复。",
    "网点经理承诺一周内给予答复。",
    "客户称手机银行升级后无法正常使用。",
    "客户对理财产品的收益表示不满，认为销售时存在误导。",
    "The transfer to the landlord left the account on Monday.",
    "客户要求查询近三个月的交易明细。",
]

SEED_SQL = """
SELECT setseed(0.42);
INSERT INTO complaints_complaint (
    reference, kind, channel, severity, category_id, subject, description,
    customer_name, customer_phone, customer_email, customer_id_number, customer_account, external_id,
    received_at, created_at, department_id, state, version,
    first_response_due, first_response_method, resolution_clock_started_at, resolution_window_days, resolution_due,
    escalation_level, extension_status, extension_reason, extension_requires_supervisor,
    outcome, resolution_summary, review_notes, closure, callback_attempts, reopen_count,
    product, sub_product, issue, sub_issue, company, customer_region, customer_tags, narrative_consent, submitted_via, company_response, public_response,
    calendar_gaps, pause_reason, resolution_paused_total
)
SELECT
    'C-' || to_char(received, 'YYYYMMDD') || '-' || lpad((i %% 1000000)::text, 6, '0'),
    'complaint', 'phone', 'medium',
    %(category_ids)s[1 + (i * 7) %% %(category_count)s],
    CASE WHEN random() < 0.5 THEN %(subjects_en)s[1 + floor(random() * 10)::int]
         ELSE %(subjects_zh)s[1 + floor(random() * 10)::int] END,
    %(phrases)s[1 + floor(random() * %(phrase_count)s)::int] || ' '
        || %(phrases)s[1 + floor(random() * %(phrase_count)s)::int] || ' '
        || %(phrases)s[1 + floor(random() * %(phrase_count)s)::int]
        || CASE WHEN random() < 0.0001 THEN ' He compared the queue to a zeppelin hangar.' ELSE '' END
        || CASE WHEN random() < 0.0002 THEN ' 客户怀疑遭遇电信骗局。' ELSE '' END,
    '客户' || customer, '139' || lpad(customer::text, 8, '0'),
    CASE WHEN customer %% 2 = 0 THEN 'Customer' || customer || '@Example.com' ELSE 'customer' || customer || '@example.com' END,
    '110101' || lpad(customer::text, 11, '0') || 'X', '6222' || lpad(customer::text, 12, '0'), '',
    received, received, %(department_ids)s[1 + i %% %(department_count)s], 'assigned', 1,
    received + interval '24 hours', '', received, 15, received + interval '15 days',
    0, '', '', false, '', '', '', '', 0, 0, '', '', '', '', '', '', '[]', '', '', '', '', '', '', interval '0'
FROM (
    SELECT i, floor(random() * %(customers)s)::int AS customer,
        timestamptz '2026-03-01 00:00:00+08' - (%(total)s - i) * interval '10 seconds' AS received
    FROM generate_series(1, %(total)s) AS i
) AS rows;
"""

SEARCH_INDEXES = {
    "complaint_reference_trgm": "USING gin (upper(reference) gin_trgm_ops)",
    "complaint_subject_trgm": "USING gin (upper(subject) gin_trgm_ops)",
    "complaint_description_trgm": "USING gin (upper(description) gin_trgm_ops)",
    "complaint_text_cjk_bigrams": "USING gin (complaint_cjk_bigrams(subject || ' ' || description))",
}


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + str(value).replace("'", "''") + "'" for value in values) + "]"


def seed(total: int):
    from django.db import connection

    from complaints.models import Category
    from tests import factories

    world = factories.make_world()
    category_ids = list(Category.objects.values_list("pk", flat=True))
    department_ids = [world.retail.pk, world.cards.pk]
    sql = SEED_SQL.replace("%%", "%")
    for name, value in {
        "category_ids": f"(ARRAY{category_ids})",
        "category_count": str(len(category_ids)),
        "department_ids": f"(ARRAY{department_ids})",
        "department_count": str(len(department_ids)),
        "subjects_en": f"({_array(SUBJECTS_EN)})",
        "subjects_zh": f"({_array(SUBJECTS_ZH)})",
        "phrases": f"({_array(PHRASES)})",
        "phrase_count": str(len(PHRASES)),
        "customers": str(CUSTOMERS),
        "total": str(total),
    }.items():
        sql = sql.replace(f"%({name})s", value)
    with connection.cursor() as cursor:
        for index in SEARCH_INDEXES:
            cursor.execute(f"DROP INDEX {index}")
        started = time.perf_counter()
        cursor.execute(sql)
        print(f"loaded {total:,} cases in {time.perf_counter() - started:.0f} s")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for index, definition in SEARCH_INDEXES.items():
            started = time.perf_counter()
            cursor.execute(f"CREATE INDEX {index} ON complaints_complaint {definition}")
            cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s))", [index])
            print(f"built {index} in {time.perf_counter() - started:.0f} s ({cursor.fetchone()[0]})")
        cursor.execute("ALTER INDEX complaint_text_cjk_bigrams ALTER COLUMN 1 SET STATISTICS 1000")  # as 0008
        started = time.perf_counter()
        cursor.execute("VACUUM (ANALYZE) complaints_complaint")
        print(f"vacuum analyze in {time.perf_counter() - started:.0f} s")
    return world


def _plan(queryset) -> str:
    """Node types and indexes of EXPLAIN's plan, outermost first."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = []

    def walk(node):
        # The case table's own access path; joins to categories, departments and users left out.
        kind = node["Node Type"]
        if kind in ("Limit", "Sort", "Incremental Sort", "BitmapOr", "BitmapAnd", "Bitmap Heap Scan", "Aggregate"):
            nodes.append(kind)
        elif node.get("Relation Name") == "complaints_complaint" or node.get("Index Name", "").startswith("complaint"):
            nodes.append(f"{kind} {node.get('Index Name', '')}".strip())
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return " > ".join(nodes)


def _median(function, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def measure(world, runs: int) -> None:
    from complaints import customers, selectors
    from complaints.search import complaint_search

    user = world.supervisor
    visible = selectors.complaint_list_for_user(user)
    sample = visible.order_by("-received_at")[12345]
    print(f"\n{'text search (?q=)':<44} {'matches':>9} {'page ms':>8} {'count ms':>9}  plan of the page / of the count")
    terms = [
        ("rare word", "zeppelin"),
        ("common word", "fee"),
        ("two words", "called back"),
        ("3-char Chinese word", "信用卡"),
        ("2-char Chinese word (common)", "年费"),
        ("2-char Chinese word (rare)", "骗局"),
        ("reference, whole", sample.reference),
        ("reference fragment (day-number)", sample.reference[6:15]),
        ("reference fragment (number)", sample.reference[-6:]),
    ]
    for label, term in terms:
        queryset = complaint_search(visible, term)
        page = queryset.order_by("-received_at", "-id")[:50]
        count = queryset.count()
        page_ms = _median(lambda page=page: list(page.all()), runs)
        count_ms = _median(lambda queryset=queryset: queryset.count(), runs)
        print(f"{label + ': ' + repr(term):<44} {count:>9,} {page_ms:>8.1f} {count_ms:>9.1f}  {_plan(page)}")
        print(f"{'':<74}count: {_plan(queryset.order_by().values('pk'))}")

    print(f"\n{'customer history':<44} {'matches':>9} {'ms':>8}  plan")
    for label, identifiers in [
        ("by phone", {"phone": sample.customer_phone}),
        ("by e-mail (typed in another case)", {"email": sample.customer_email.upper()}),
        ("by ID number", {"id_number": sample.customer_id_number.lower()}),
        ("by all three (the case page)", {}),
    ]:
        queryset = customers.other_cases_of_customer(user, sample, **identifiers)
        found = len(list(queryset))
        ms = _median(lambda queryset=queryset: list(queryset.all()), runs)
        print(f"{label:<44} {found:>9,} {ms:>8.1f}  {_plan(queryset)}")
    duplicates = customers.likely_duplicates(user, sample)
    ms = _median(lambda: list(duplicates.all()), runs)
    print(f"{'likely duplicates (same category, open)':<44} {len(list(duplicates)):>9,} {ms:>8.1f}  {_plan(duplicates)}")


def main(total: int, runs: int) -> None:
    from benchmarks.setup import django_on_throwaway_postgres

    started = time.perf_counter()
    with django_on_throwaway_postgres():
        world = seed(total)
        measure(world, runs)
    print(f"\nwhole run {time.perf_counter() - started:.0f} s; medians of {runs} runs")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    runs = 5
    if "--runs" in arguments:
        position = arguments.index("--runs")
        runs = int(arguments[position + 1])
        del arguments[position : position + 2]
    main(int(arguments[0].replace(",", "").replace("_", "")) if arguments else 1_000_000, runs)
