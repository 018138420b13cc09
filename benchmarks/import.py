"""import_complaints at scale: a CFPB-shaped file of N rows into a throwaway PostgreSQL.

For each N (10,000 and 100,000 by default) a file is written the way the CFPB export looks
(18 columns; a third of the rows with a narrative of about 150 to 2,000 characters, some with
paragraphs; nine in ten closed, the rest in progress), and imported into an empty case table
in a fresh process of its own, so that its peak memory is its own. The script prints, per N:
the check pass and the write pass in seconds, rows per second over the whole run, the queries
each written batch cost (the same for every batch when the cost is constant), and the process's
peak resident memory.

Target (issue 13): at least 5,000 rows/s on PostgreSQL at 100,000 rows, constant queries per
batch, memory flat in the file's size.

Usage: .venv/bin/python benchmarks/import.py [N ...]
"""
from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = [
    "Date received", "Product", "Sub-product", "Issue", "Sub-issue", "Consumer complaint narrative",
    "Company public response", "Company", "State", "ZIP code", "Tags", "Consumer consent provided?",
    "Submitted via", "Date sent to company", "Company response to consumer", "Timely response?",
    "Consumer disputed?", "Complaint ID",
]  # fmt: skip
PRODUCTS = [
    ("Checking or savings account", "Checking account", "Managing an account"),
    ("Credit card or prepaid card", "General-purpose credit card or charge card", "Fees or interest"),
    ("Credit reporting, credit repair services, or other personal consumer reports", "Credit reporting",
     "Incorrect information on your report"),
    ("Debt collection", "I do not know", "Attempts to collect debt not owed"),
    ("Mortgage", "Conventional home mortgage", "Trouble during payment process"),
    ("Student loan", "Federal student loan servicing", "Dealing with your lender or servicer"),
    ("Bank account or service", "Checking account", "Account opening, closing, or management"),
]  # fmt: skip
RESPONSES = ["Closed with explanation"] * 7 + ["Closed with non-monetary relief", "Closed with monetary relief", "In progress"]
VIA = ["Web"] * 8 + ["Referral", "Phone", "Postal mail", "Fax"]
WORDS = "the bank charged a fee on my account although I asked them twice to stop and nobody called me back".split()


def write_file(path: Path, rows: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for i in range(rows):
            product, sub_product, issue = PRODUCTS[i % len(PRODUCTS)]
            year, month, day = 2016 + i % 10, 1 + i % 12, 1 + i % 28
            received = f"{year}-{month:02d}-{day:02d}"
            sent = received if i % 5 else f"{year}-{month:02d}-{min(day + 3, 28):02d}"
            narrative = ""
            if i % 3 == 0:
                words = rng.randint(30, 350)  # about 1,000 characters on average
                narrative = " ".join(rng.choice(WORDS) for _ in range(words))
                if i % 6 == 0:
                    narrative = narrative.replace(" nobody ", "\n\nNobody ", 1)
            response = RESPONSES[i % len(RESPONSES)]
            if response == "In progress":
                received = sent = f"2026-11-{1 + i % 28:02d}"
            writer.writerow([
                received, product, sub_product, issue, "", narrative, "", "BANK OF EXAMPLE", "CA", "945XX",
                "Older American" if i % 17 == 0 else "", "Consent provided" if narrative else "", VIA[i % len(VIA)],
                sent, response, "Yes", "N/A", str(3_000_000 + i),
            ])  # fmt: skip


def child(rows: int, path: str) -> None:
    """One import in this process (Django set up on DATABASE_URL); prints its figures as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from workflows.imports import loader

    phases: dict[str, float] = {}
    started = time.perf_counter()
    marks = {"phase": "check", "at": started}

    def progress(phase: str, done_rows: int, done_bytes: int) -> None:
        if phase != marks["phase"]:
            phases[marks["phase"]] = time.perf_counter() - marks["at"]
            marks.update(phase=phase, at=time.perf_counter())

    outcome = loader.Importer(Path(path), format="cfpb", progress=progress).run()
    total = time.perf_counter() - started
    phases[marks["phase"]] = time.perf_counter() - marks["at"]
    print(json.dumps({
        "rows": rows, "written": outcome.written, "bad": len(outcome.bad), "seconds": total,
        "check": phases.get("check", 0.0), "write": phases.get("write", 0.0),
        "per_batch": sorted(outcome.statements_per_batch.items()), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))  # fmt: skip


def main(sizes: list[int]) -> None:
    from benchmarks.setup import django_on_throwaway_postgres

    with django_on_throwaway_postgres(), tempfile.TemporaryDirectory() as directory:
        from django.db import connection, transaction

        results = []
        for rows in sizes:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(
                    "TRUNCATE workflows_escalation, workflows_importrun, complaints_complaintevent, "
                    "complaints_complaint, complaints_referencecounter RESTART IDENTITY CASCADE"
                )
            path = Path(directory) / f"cfpb-{rows}.csv"
            write_file(path, rows)
            size_mb = path.stat().st_size / 1e6
            output = subprocess.run(
                [sys.executable, __file__, "--child", str(rows), str(path)],
                check=True, capture_output=True, text=True, env=os.environ.copy(),
            ).stdout  # fmt: skip
            result = json.loads(output.strip().splitlines()[-1])
            result["file_mb"] = size_mb
            results.append(result)
        print()
        print(f"{'rows':>9} {'file MB':>8} {'check s':>8} {'write s':>8} {'total s':>8} {'rows/s':>8} {'queries/batch':>16} {'peak MB':>8}")
        for r in results:
            batches = ", ".join(f"{q} x{n}" for q, n in r["per_batch"])
            print(
                f"{r['rows']:>9,} {r['file_mb']:>8.1f} {r['check']:>8.2f} {r['write']:>8.2f} {r['seconds']:>8.2f} "
                f"{r['rows'] / r['seconds']:>8,.0f} {batches:>16} {r['peak_mb']:>8.0f}"
            )
            assert r["written"] == r["rows"] and r["bad"] == 0, r
        print("target: >= 5,000 rows/s at 100,000 rows; the same queries per batch; peak memory flat")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), sys.argv[3])
    else:
        main([int(arg) for arg in sys.argv[1:]] or [10_000, 100_000])
