"""API throughput and latency: intake, and the first list page over a large case table.

Starts a throwaway PostgreSQL (tests/servers.py), migrates it, seeds the reference data,
bulk-inserts cases, serves the API with gunicorn configured as in production
(config/gunicorn.conf.py: 2 worker processes, keep-alive) and drives it from a second process
on loopback. Prints requests/s and p50/p99 latency per scenario.

    .venv/bin/python benchmarks/api.py                 # 1,000,000 cases
    .venv/bin/python benchmarks/api.py --rows 100000 --seconds 10

Targets on a 2-core machine (issue 5): intake >= 200 requests/s; list p99 < 100 ms and not
growing with table size (the list is measured at every size in --sizes up to --rows).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
sys.path.insert(0, str(ROOT))


# --- the load generator (runs as its own process) ----------------------------------------
def run_load(args: argparse.Namespace) -> None:
    """Send requests from ``--concurrency`` threads for ``--seconds``; print a JSON summary."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + args.warmup + args.seconds
    measure_from = time.monotonic() + args.warmup
    headers = {"Authorization": f"Token {args.token}", "Content-Type": "application/json"}

    def worker(number: int) -> None:
        sequence = 0
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        while True:
            started = time.monotonic()
            if started >= stop_at:
                break
            if args.scenario == "intake":
                sequence += 1
                body = json.dumps(
                    {
                        "kind": "complaint",
                        "channel": "app",
                        "severity": "medium",
                        "category": "savings",
                        "subject": "Card fee charged twice",
                        "description": "The customer was charged the annual fee twice.",
                        "external_id": f"bench-{os.getpid()}-{number}-{sequence}",
                        "customer": {"name": "张三", "phone": "13812345678", "email": "zhang@example.com"},
                    }
                )
                method, path = "POST", "/api/v1/complaints/"
            else:
                body, method, path = None, "GET", args.path
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                status = 0
            finished = time.monotonic()
            if started >= measure_from:
                with lock:
                    latencies.append(finished - started)
                    statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "rps": len(latencies) / args.seconds,
                "p50_ms": percentile(0.50),
                "p99_ms": percentile(0.99),
                "statuses": statuses,
            }
        )
    )


# --- the orchestrator --------------------------------------------------------------------
def _django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def _seed_reference_data() -> dict[str, str]:
    from django.core.management import call_command

    from access.services import api_token_issue
    from complaints import roles
    from tests import factories

    call_command("migrate", verbosity=0)
    world = factories.make_world()
    # The channel system's role where it exists (a channel logs cases through the API only).
    channel_role = getattr(roles, "CHANNEL_SYSTEM", roles.CS_STAFF)
    channel = factories.UserFactory(username="channel-app", roles=[channel_role])
    return {
        "channel": api_token_issue(user=channel, name="benchmark").key,
        "supervisor": api_token_issue(user=world.supervisor, name="benchmark").key,
        "owner": api_token_issue(user=world.owner, name="benchmark").key,
    }


def _bulk_insert(start: int, stop: int) -> None:
    """Cases ``start``..``stop`` with bulk_create: spread over two years, half per department."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from complaints.models import Category, Complaint, Department
    from complaints.states import ComplaintState

    departments = list(Department.objects.order_by("code"))
    categories = list(Category.objects.order_by("code"))
    base = timezone.now() - timedelta(days=730)
    step = timedelta(days=730) / 1_000_000
    batch = []
    for number in range(start, stop):
        received = base + step * number
        batch.append(
            Complaint(
                reference=f"B-{number:012d}",
                kind="complaint",
                channel="app",
                severity="medium",
                category=categories[number % len(categories)],
                subject="Card fee charged twice",
                description="The customer was charged the annual fee twice.",
                customer_name="张三",
                customer_phone="13812345678",
                customer_email="zhang@example.com",
                received_at=received,
                created_at=received,
                department=departments[number % len(departments)],
                state=ComplaintState.ASSIGNED,  # initial value in the constructor, not an assignment
                first_response_due=received + timedelta(hours=24),
                resolution_clock_started_at=received,
                resolution_due=received + timedelta(days=15),
            )
        )
        if len(batch) == 10_000:
            Complaint.objects.bulk_create(batch)
            batch = []
    if batch:
        Complaint.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")


def _gunicorn_summary() -> str:
    """Workers, worker class and threads as config/gunicorn.conf.py sets them."""
    import runpy

    conf = runpy.run_path(str(GUNICORN_CONF))
    worker_class = conf.get("worker_class", "sync")
    threads = f" x {conf['threads']} threads" if "thread" in worker_class.lower() else ""
    return f"{conf['workers']} {worker_class.rsplit('.', 1)[-1]} workers{threads} (config/gunicorn.conf.py)"


def _gunicorn(database_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "API_TOKEN_CLIENT_RATE": "100000000/minute",
    }
    # The production configuration (config/gunicorn.conf.py), on a free loopback port.
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--config",
            str(GUNICORN_CONF),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/api/v1/schema/")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not answer within 30 s; see " + str(log))


WRK_INTAKE = r"""
local counter = 0
local id = 0
function setup(thread) id = id + 1; thread:set("id", id) end
function request()
  counter = counter + 1
  local body = string.format('{"kind":"complaint","channel":"app","severity":"medium","category":"savings",'
    .. '"subject":"Card fee charged twice","description":"The customer was charged the annual fee twice.",'
    .. '"external_id":"wrk-%s-%d-%d","customer":{"name":"Zhang San","phone":"13812345678"}}',
    os.time(), id, counter)
  return wrk.format("POST", "/api/v1/complaints/", {["Content-Type"] = "application/json"}, body)
end
"""


def _wrk(port: int, token: str, scenario: str, path: str, args: argparse.Namespace, concurrency: int) -> dict:
    """The same scenario driven by wrk (C, no GIL): 2 threads, ``concurrency`` connections."""
    import re
    import tempfile

    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{int(args.seconds)}s", "--latency", "-H", f"Authorization: Token {token}"]
    script = None
    if scenario == "intake":
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(WRK_INTAKE.replace('{["Content-Type"] = "application/json"}',
                                        '{["Content-Type"] = "application/json", ["Authorization"] = "Token ' + token + '"}'))
        script.close()
        command += ["-s", script.name]
    command.append(f"http://127.0.0.1:{port}{path or '/api/v1/complaints/'}")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if script is not None:
        os.unlink(script.name)

    def millis(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": millis("50"),
        "p99_ms": millis("99"),
        "requests": requests,
        "statuses": {"non-2xx": int(errors.group(1)) if errors else 0},
    }


def _load(port: int, token: str, scenario: str, path: str, args: argparse.Namespace, concurrency: int | None = None) -> dict:
    if args.loader == "wrk":
        return _wrk(port, token, scenario, path, args, concurrency or args.concurrency)
    command = [
        sys.executable,
        __file__,
        "--load",
        "--port",
        str(port),
        "--token",
        token,
        "--scenario",
        scenario,
        "--path",
        path,
        "--seconds",
        str(args.seconds),
        "--concurrency",
        str(concurrency or args.concurrency),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _line(name: str, result: dict) -> str:
    return (
        f"{name:<44} {result['rps']:8.1f} req/s   p50 {result['p50_ms']:7.1f} ms   p99 {result['p99_ms']:7.1f} ms"
        f"   ({result['requests']} requests, statuses {result['statuses']})"
    )


def _load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages: other work on the cores skews every figure."""
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def _median(runs: list[dict]) -> dict:
    """Each figure's median over the runs (each figure on its own)."""
    import statistics

    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
        "statuses": f"medians of {len(runs)} runs",
    }


def _drop_indexes(names: list[str]) -> None:
    """Drop these indexes before the load (what an index's maintenance costs intake)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    print(f"-- without the indexes {', '.join(names)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="cases in the table at the largest size")
    parser.add_argument("--sizes", default="10000,100000", help="smaller table sizes at which the list is measured too")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads in the load process")
    parser.add_argument(
        "--latency-concurrency", type=int, default=2, help="clients for the unqueued latency figure (one per worker)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure every scenario this many times at the largest size; print the medians"
    )
    parser.add_argument(
        "--without-index", action="append", default=[], metavar="NAME",
        help="drop this index before measuring (repeatable), e.g. complaint_description_trgm",
    )
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--path", default="/api/v1/complaints/", help=argparse.SUPPRESS)
    parser.add_argument(
        "--loader",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: wrk (Debian package, default when installed) or Python threads",
    )
    args = parser.parse_args()
    if args.load:
        run_load(args)
        return

    from tests.servers import free_port, start_postgres

    server = start_postgres()
    process = None
    log = Path(server.directory) / "gunicorn.log"
    try:
        _django(server.url)
        tokens = _seed_reference_data()
        port = free_port()
        sizes = sorted({int(size) for size in args.sizes.split(",") if size and int(size) < args.rows} | {args.rows})
        print(
            f"PostgreSQL 15 (throwaway), gunicorn {_gunicorn_summary()}, "
            f"load: {args.loader} with {args.concurrency} connections in a second process"
        )
        print(
            f"{args.seconds:g} s measured per scenario after {args.warmup:g} s warm-up; nproc={os.cpu_count()}; "
            f"load average {_load_average()}"
        )
        if args.without_index:
            _drop_indexes(args.without_index)
        results: dict[str, list[dict]] = {}

        def measure(name: str, result: dict) -> None:
            results.setdefault(name, []).append(result)
            print(_line(name, result), flush=True)

        inserted = 0
        for size in sizes:
            started = time.monotonic()
            _bulk_insert(inserted, size)
            print(f"-- {size:,} cases in the table (bulk_create of {size - inserted:,} took {time.monotonic() - started:.0f} s)")
            inserted = size
            if process is None:
                process = _gunicorn(server.url, port, log)
            for run in range(args.repeat if size == sizes[-1] else 1):
                if args.repeat > 1 and size == sizes[-1]:
                    print(f"-- run {run + 1} of {args.repeat}; load average {_load_average()}", flush=True)
                suffix = "" if size == sizes[-1] else f" @{size:,}"
                measure("list, first page (50), supervisor" + suffix, _load(port, tokens["supervisor"], "list", "/api/v1/complaints/", args))
                measure(
                    f"list, first page, supervisor, {args.latency_concurrency} clients" + suffix,
                    _load(port, tokens["supervisor"], "list", "/api/v1/complaints/", args, args.latency_concurrency),
                )
                measure("list, first page (50), department owner" + suffix, _load(port, tokens["owner"], "list", "/api/v1/complaints/", args))
                measure(
                    "list, first page, overdue=true, department" + suffix,
                    _load(port, tokens["supervisor"], "list", "/api/v1/complaints/?overdue=true&department=retail", args),
                )
                if size != sizes[-1]:
                    continue
                measure("intake (POST, new external_id each)", _load(port, tokens["channel"], "intake", "", args))
                measure(
                    f"intake, {args.latency_concurrency} clients",
                    _load(port, tokens["channel"], "intake", "", args, args.latency_concurrency),
                )
        if args.repeat > 1:
            print(f"-- medians of {args.repeat} runs at {sizes[-1]:,} cases; load average {_load_average()}")
            for name, runs in results.items():
                if len(runs) > 1:
                    print(_line(name, _median(runs)))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        server.stop()


if __name__ == "__main__":
    main()
