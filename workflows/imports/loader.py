"""``import_complaints``: a file of history checked whole, then written in batches with a checkpoint.

Two passes over the file, each a stream:

1. **Check** every row (``rows.prepare``, after ``cfpb`` for a CFPB export) and look each batch's
   keys up in the database: a row imported before with the same values is left alone, one
   with other values is reported as changed, a key twice in the file as a repeat. Nothing is
   written. ``--dry-run`` stops here.
2. **Write**, only if no row is bad (or, with ``--skip-bad``, all but the bad ones): each batch in
   one transaction, with the run's checkpoint (``ImportRun.committed_line``). A run interrupted
   after some batches leaves only whole batches behind; the same file again resumes after the
   checkpoint, and whatever it finds already written it leaves alone.

A checked batch costs the same statements whatever its rows: two key lookups. A written batch:
one reference allocation (in a transaction of its own, so that a day's counter is never locked
while a batch is written), then in the batch's transaction its cases, their events and, for open
cases past a ladder step, their claims, and the run's counts; only a merged case costs one more
statement, to point at the case it was merged into. On PostgreSQL the rows go by binary COPY, with
their keys drawn from the table's sequence, and outside an enclosing transaction two writer threads
each write batches on a connection of their own; the checkpoint advances over the batches committed
in file order. Memory stays flat: the check keeps 12 bytes per row (a key's hash and its line) to
find keys repeated across the file, and the checked rows wait for the write pass in a temporary file.

An imported case starts no internal target (those measure live work) and notifies nobody about
steps that had passed before it arrived: each is claimed once at import, marked ``imported``,
so the escalation sweep never claims or mails it.
"""
from __future__ import annotations

import bisect
import getpass
import hashlib
import pickle
import queue
import tempfile
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintEvent, ReferenceCounter
from complaints.states import ComplaintState, EventKind

from ..clocks import running
from ..escalation import EVENT_KIND as ESCALATION_EVENT
from ..models import Escalation, ImportRun, ImportStatus
from ..services import _insert_statement
from . import cfpb, columns, reading
from .export import unprotect_csv_cell
from .rows import FINAL, Lookups, Prepared, RowProblems, prepare

FORMATS = ("csv", "cfpb")
BATCH_SIZE = 500
WRITERS = 2  # threads writing batches on PostgreSQL (below)
IMPORTED_NOTIFY_BATCH = "imported"  # an Escalation claim nobody is told about (the sweep never re-sends it)


@dataclass(frozen=True)
class BadRow:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if not self.column:
            return _("line %(line)d: %(reason)s") % {"line": self.line, "reason": self.reason}
        return _("line %(line)d, column %(column)s: %(reason)s") % {
            "line": self.line, "column": self.column, "reason": self.reason,
        }  # fmt: skip


@dataclass
class Outcome:
    """What a run found and did."""

    file: reading.FileFacts
    format: str
    dry_run: bool
    rows: int = 0
    new: int = 0  # rows to import (checked) or imported (written)
    unchanged: int = 0
    bad: list[BadRow] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)
    written: int = 0
    resumed: bool = False
    resumed_after: int = 0  # the interrupted run's checkpoint: its rows up to this line were written
    run: ImportRun | None = None
    batches: int = 0
    # statements a written batch cost -> how many batches cost that many
    statements_per_batch: Counter = field(default_factory=Counter)

    @property
    def wrote(self) -> bool:
        return self.run is not None


Progress = Callable[[str, int, int], None]  # (phase, rows, bytes read)


@dataclass
class _Spooled:
    """A checked batch waiting for the write pass."""

    last_line: int
    rows: int
    unchanged: int
    fresh: list[Prepared]


@dataclass
class _Written:
    """What writing one batch did."""

    unchanged: int = 0
    count: int = 0
    statements: int = 0
    bad: list[BadRow] = field(default_factory=list)


class _StatementCounter:
    """Counts the statements sent, through Django (an execute wrapper) and by COPY."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class _Checked:
    """One batch, checked: the rows to write, the ones written before, and the bad ones."""

    def __init__(self) -> None:
        self.fresh: list[Prepared] = []
        self.unchanged: list[Prepared] = []
        self.bad: list[BadRow] = []


class Importer:
    def __init__(
        self,
        path: Path,
        *,
        format: str,
        encoding: str | None = None,
        dry_run: bool = False,
        skip_bad: bool = False,
        actor=None,
        progress: Progress | None = None,
        batch_size: int = BATCH_SIZE,
        writers: int = WRITERS,
        now: datetime | None = None,
        interrupt_after_batches: int | None = None,
    ) -> None:
        if format not in FORMATS:
            raise reading.FileProblem(_("Unknown format %(format)s; use csv or cfpb.") % {"format": format})
        self.path = Path(path)
        self.format = format
        self.encoding = encoding
        self.dry_run = dry_run
        self.skip_bad = skip_bad
        self.actor = actor
        self.progress = progress or (lambda phase, rows, done: None)
        self.batch_size = batch_size
        self.writers = writers
        self.now = now or timezone.now()
        self.alias = router.db_for_write(Complaint)
        # Tests stop a run after this many written batches, as a killed process would.
        self.interrupt_after_batches = interrupt_after_batches

    # --- reading ------------------------------------------------------------------------
    def _rows(self, reader: reading.RowReader, lookups: Lookups) -> Iterator[Prepared | BadRow]:
        converter = cfpb.CfpbRows(reader.header, cfpb.Mapping.load()) if self.format == "cfpb" else None
        if converter is None:
            unknown = [name for name in reader.header if name and name not in columns.BY_NAME]
            if unknown:
                raise reading.FileProblem(
                    _("The header has columns the case file does not: %(columns)s. The columns are: %(known)s.")
                    % {"columns": ", ".join(unknown[:10]), "known": ", ".join(columns.HEADER)}
                )
        for row in reader:
            values = row.values
            if converter is None:
                # The export writes one apostrophe before a cell a spreadsheet would take for a
                # formula (workflows.imports.export); it goes, before anything else reads the cell.
                values = {name: unprotect_csv_cell(value) for name, value in values.items()}
            else:
                if "" in values and len(values) == 1:
                    yield BadRow(row.line, "", _("The row has more cells than the header has columns."))
                    continue
                try:
                    values = converter.convert(values, row.line)
                except cfpb.BadValue as exc:
                    yield BadRow(row.line, exc.column, exc.reason)
                    continue
            try:
                yield prepare(values, line=row.line, lookups=lookups, route=converter is not None)
            except RowProblems as exc:
                for column, reason in exc.problems:
                    if converter is not None:
                        column = cfpb.SOURCE_COLUMN.get(column, column)
                    yield BadRow(row.line, column, reason)

    def _batches(self, reader: reading.RowReader, lookups: Lookups) -> Iterator[list[Prepared | BadRow]]:
        batch: list[Prepared | BadRow] = []
        for item in self._rows(reader, lookups):
            batch.append(item)
            if len(batch) >= self.batch_size and isinstance(item, Prepared):
                yield batch
                batch = []
        if batch:
            yield batch

    # --- the database's side of a batch --------------------------------------------------
    def _existing(self, prepared: list[Prepared]) -> tuple[dict[tuple[str, str], tuple[int, str]], dict[str, tuple[str, str]]]:
        """Cases already there: by key -> (pk, reference), and given reference -> its case's key."""
        external = [p.fields["external_id"] for p in prepared if p.fields["external_id"]]
        references = [p.reference for p in prepared if p.reference]
        condition = Q(pk__in=[])
        if external:
            condition |= Q(external_id__in=set(external))
        if references:
            condition |= Q(reference__in=set(references))
        by_key: dict[tuple[str, str], tuple[int, str]] = {}
        by_reference: dict[str, tuple[str, str]] = {}
        if not (external or references):
            return by_key, by_reference
        for pk, reference, channel, external_id in Complaint.objects.using(self.alias).filter(condition).values_list(
            "pk", "reference", "channel", "external_id"
        ):
            key = ("external", f"{channel}\x1f{external_id}") if external_id else ("reference", reference)
            by_key[key] = (pk, reference)
            if not external_id:
                by_key.setdefault(("reference", reference), (pk, reference))
            by_reference[reference] = key
        return by_key, by_reference

    def _check(self, batch: Sequence[Prepared | BadRow]) -> _Checked:
        checked = _Checked()
        prepared = [item for item in batch if isinstance(item, Prepared)]
        checked.bad = [item for item in batch if isinstance(item, BadRow)]
        if not prepared:
            return checked
        by_key, by_reference = self._existing(prepared)
        found = {by_key[p.key][0] for p in prepared if p.key in by_key}
        digests: dict[int, str] = {}
        if found:
            for complaint_id, data in ComplaintEvent.objects.using(self.alias).filter(
                complaint_id__in=found, kind=EventKind.IMPORTED
            ).values_list("complaint_id", "data"):
                digests[complaint_id] = (data or {}).get("digest", "")
        changed: list[tuple[Prepared, int, str]] = []
        for p in prepared:
            if p.key in by_key:
                pk, reference = by_key[p.key]
                if p.reference and p.reference != reference:
                    checked.bad.append(BadRow(p.line, "reference", _("This case was imported before as %(reference)s.") % {"reference": reference}))
                elif digests.get(pk) == p.digest:
                    checked.unchanged.append(p)
                else:
                    changed.append((p, pk, reference))
            elif p.reference and p.reference in by_reference:
                checked.bad.append(BadRow(p.line, "reference", _("Another case already has this reference.")))
            else:
                checked.fresh.append(p)
        if changed:
            stored = {case.pk: case for case in Complaint.objects.using(self.alias).filter(pk__in=[pk for _p, pk, _r in changed])}
            for p, pk, reference in changed:
                differing = _differing(p, stored[pk])
                if not differing:
                    checked.unchanged.append(p)
                    continue
                names = differing if self.format == "csv" else list(dict.fromkeys(cfpb.SOURCE_COLUMN.get(n, n) for n in differing))
                checked.bad.append(
                    BadRow(
                        p.line,
                        ", ".join(names),
                        _("Imported before as %(reference)s with other values; the case is left as it is.") % {"reference": reference},
                    )
                )
        return checked

    # --- the run ---------------------------------------------------------------------------
    def run(self) -> Outcome:
        facts = reading.inspect(self.path, self.encoding)
        outcome = Outcome(file=facts, format=self.format, dry_run=self.dry_run)
        lookups = Lookups.load(now=self.now)
        reference_days: dict[date, int] = {}
        # The checked rows wait on disk for the write pass: memory stays flat, and no row is
        # parsed or checked twice.
        with tempfile.TemporaryFile(prefix="import-") as spool:
            self._check_pass(facts, lookups, outcome, reference_days, spool)
            if self.dry_run or (outcome.bad and not self.skip_bad):
                return outcome
            spool.seek(0)
            self._write_pass(facts, outcome, reference_days, spool)
        return outcome

    def _check_pass(
        self, facts: reading.FileFacts, lookups: Lookups, outcome: Outcome, reference_days: dict[date, int], spool: IO[bytes]
    ) -> None:
        hashes, lines = array("Q"), array("L")
        merge_targets: dict[str, list[int]] = {}  # the reference a merged row names -> its lines
        with reading.RowReader(facts) as reader:
            for batch in self._batches(reader, lookups):
                checked = self._check(batch)
                rows = len({item.line for item in batch})
                outcome.rows += rows
                outcome.new += len(checked.fresh)
                outcome.unchanged += len(checked.unchanged)
                self._report(outcome, checked.bad)
                for p in checked.fresh:
                    for key in {p.key, ("reference", p.reference)} if p.reference else {p.key}:
                        hashes.append(_key_hash(key))
                        lines.append(p.line)
                    if p.fields["merged_into"]:
                        merge_targets.setdefault(p.fields["merged_into"], []).append(p.line)
                    if p.reference:
                        day = date(int(p.reference[2:6]), int(p.reference[6:8]), int(p.reference[8:10]))
                        reference_days[day] = max(reference_days.get(day, 0), int(p.reference[11:]))
                if not self.dry_run:
                    pickle.dump(
                        _Spooled(batch[-1].line, rows, len(checked.unchanged), checked.fresh), spool, protocol=pickle.HIGHEST_PROTOCOL
                    )
                self.progress("check", outcome.rows, reader.bytes_read)
        # The same key on two lines: the later one is bad (the earlier one stands).
        order = sorted(range(len(hashes)), key=lambda index: (hashes[index], lines[index]))
        repeats = []
        group_hash, group_line = None, 0
        for index in order:
            if hashes[index] != group_hash:
                group_hash, group_line = hashes[index], lines[index]
            elif lines[index] != group_line:
                repeats.append(
                    BadRow(
                        lines[index],
                        "external_id",
                        _("The same case as line %(line)d (same channel and external_id, or reference).")
                        % {"line": group_line},
                    )
                )
        outcome.new -= len(repeats)
        self._report(outcome, repeats)
        self._check_merge_targets(merge_targets, sorted(hashes), outcome)

    def _check_merge_targets(self, targets: dict[str, list[int]], hashes: list[int], outcome: Outcome) -> None:
        """A merged row's case must be in the file or in the database already."""
        if not targets:
            return
        elsewhere = [ref for ref in targets if not _in_sorted(hashes, _key_hash(("reference", ref)))]
        stored = set(Complaint.objects.using(self.alias).filter(reference__in=elsewhere).values_list("reference", flat=True))
        bad = [
            BadRow(line, "merged_into", _("No case has this reference, in the file or in the database."))
            for ref in elsewhere if ref not in stored for line in targets[ref]
        ]  # fmt: skip
        outcome.new -= len(bad)
        self._report(outcome, bad)

    def _report(self, outcome: Outcome, bad: list[BadRow]) -> None:
        for row in bad:
            outcome.bad.append(row)
            outcome.bad_lines.add(row.line)

    def _write_pass(self, facts: reading.FileFacts, outcome: Outcome, reference_days: dict[date, int], spool: IO[bytes]) -> None:
        run = (
            ImportRun.objects.using(self.alias)
            .filter(sha256=facts.sha256, format=self.format, status__in=[ImportStatus.RUNNING, ImportStatus.INTERRUPTED])
            .order_by("-started_at")
            .first()
        )
        if run is not None:  # an interrupted run of this file: carry it on
            outcome.resumed = True
            outcome.resumed_after = run.committed_line
            run.status = ImportStatus.RUNNING
            run.save(update_fields=["status"])
        else:
            run = ImportRun.objects.using(self.alias).create(
                file_name=facts.path.name[:255], sha256=facts.sha256, format=self.format, started_at=self.now,
                actor=self.actor, os_user=_os_user(),
            )  # fmt: skip
        outcome.run = run
        self._raise_counters(reference_days)
        connection = connections[self.alias]
        # Two writers, each on a connection of its own, keep both cores busy (the server stores one
        # batch while the other is sent). Only outside a transaction: another connection could not
        # see what an enclosing transaction (a test's) has not committed; SQLite has one writer.
        parallel = self.writers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
        try:
            if parallel:
                self._write_in_parallel(self._spooled(spool, outcome), run, outcome, facts)
            else:
                for number, (spooled, fresh, rows_seen) in enumerate(self._spooled(spool, outcome), start=1):
                    self._collect(self._write_batch(fresh, spooled, run), outcome)
                    self._checkpoint(run, spooled.last_line)
                    self.progress("write", rows_seen, int(facts.size * rows_seen / max(outcome.rows, 1)))
                    if self.interrupt_after_batches is not None and number >= self.interrupt_after_batches:
                        raise KeyboardInterrupt
        except BaseException:
            ImportRun.objects.using(self.alias).filter(pk=run.pk).update(status=ImportStatus.INTERRUPTED)
            run.refresh_from_db()
            raise
        with transaction.atomic(using=self.alias):
            self._merge_later()
        run.refresh_from_db()
        run.status = ImportStatus.DONE  # with --skip-bad, rows_bad says how many were left out
        run.finished_at = timezone.now()
        run.rows_bad = len(outcome.bad_lines)
        run.save(update_fields=["status", "finished_at", "rows_bad"])
        settle(self.alias)

    def _spooled(self, spool: IO[bytes], outcome: Outcome) -> Iterator[tuple[_Spooled, list[Prepared], int]]:
        """The checked batches still to write, with their rows to write and the rows read so far."""
        rows_seen = 0
        while True:
            try:
                spooled: _Spooled = pickle.load(spool)
            except EOFError:
                return
            rows_seen += spooled.rows
            if spooled.last_line <= outcome.resumed_after:
                continue
            fresh = [p for p in spooled.fresh if p.line not in outcome.bad_lines and p.line > outcome.resumed_after]
            yield spooled, fresh, rows_seen

    def _write_in_parallel(
        self, batches: Iterator[tuple[_Spooled, list[Prepared], int]], run: ImportRun, outcome: Outcome, facts: reading.FileFacts
    ) -> None:
        """Batches handed to ``writers`` threads; the checkpoint advances over the batches committed
        in file order (one committed out of order is found again by a resumed run, unchanged)."""
        work: queue.Queue = queue.Queue(maxsize=self.writers)
        done: queue.Queue = queue.Queue()

        def writer() -> None:
            try:
                while (item := work.get()) is not None:
                    number, spooled, fresh = item
                    try:
                        done.put((number, spooled, self._write_batch(fresh, spooled, run), None))
                    except BaseException as exc:  # handed to the main thread, which stops the run
                        done.put((number, spooled, None, exc))
            finally:
                connections.close_all()  # this thread's own connection

        threads = [threading.Thread(target=writer, name=f"import-writer-{n}", daemon=True) for n in range(self.writers)]
        for thread in threads:
            thread.start()
        finished: dict[int, _Spooled] = {}
        state = {"next": 0, "sent": 0, "rows_seen": 0}

        def collect(block: bool) -> None:
            """Take the writers' results: those ready (``block`` False), or all of those sent."""
            while state["next"] + len(finished) < state["sent"]:
                try:
                    number, spooled, written, error = done.get(block=block)
                except queue.Empty:
                    return
                if error is not None:
                    raise error
                self._collect(written, outcome)
                finished[number] = spooled
                last = None
                while state["next"] in finished:
                    last = finished.pop(state["next"]).last_line
                    state["next"] += 1
                if last is not None:
                    self._checkpoint(run, last)
                self.progress("write", state["rows_seen"], int(facts.size * state["rows_seen"] / max(outcome.rows, 1)))

        try:
            for spooled, fresh, rows_seen in batches:
                state["rows_seen"] = rows_seen
                while True:
                    try:
                        work.put((state["sent"], spooled, fresh), timeout=0.05)
                        break
                    except queue.Full:
                        collect(block=False)
                state["sent"] += 1
                collect(block=False)
            collect(block=True)
        finally:
            for _thread in threads:
                work.put(None)
            for thread in threads:
                thread.join()

    def _write_batch(self, fresh: list[Prepared], spooled: _Spooled, run: ImportRun) -> _Written:
        """One batch in one transaction with its counts; safe to run on a writer thread (it shares
        nothing but read-only state: ``run`` is read, never written)."""
        written = _Written(unchanged=spooled.unchanged)
        counter = _StatementCounter()
        with connections[self.alias].execute_wrapper(counter):
            for attempt in (1, 2):
                try:
                    # References first, in a transaction of their own: the day's counter row is
                    # locked only for that statement, not while the batch is written.
                    with transaction.atomic(using=self.alias):
                        references = self._allocate_references(fresh)
                    with transaction.atomic(using=self.alias):
                        if fresh:
                            self._insert_cases(fresh, references, run, counter)
                        ImportRun.objects.using(self.alias).filter(pk=run.pk).update(
                            rows_read=F("rows_read") + spooled.rows,
                            rows_imported=F("rows_imported") + len(fresh),
                            rows_unchanged=F("rows_unchanged") + written.unchanged,
                        )
                except IntegrityError:
                    if attempt == 2:
                        raise
                    # A channel logged one of these cases since the check: check the batch again.
                    checked = self._check(fresh)
                    written.unchanged += len(checked.unchanged)
                    written.bad += checked.bad
                    fresh = checked.fresh
                    continue
                break
        written.count = len(fresh)
        written.statements = counter.count
        return written

    def _collect(self, written: _Written, outcome: Outcome) -> None:
        self._report(outcome, written.bad)
        outcome.written += written.count
        outcome.batches += 1
        outcome.statements_per_batch[written.statements] += 1

    def _checkpoint(self, run: ImportRun, line: int) -> None:
        ImportRun.objects.using(self.alias).filter(pk=run.pk, committed_line__lt=line).update(committed_line=line)
        run.committed_line = max(run.committed_line, line)

    def _raise_counters(self, reference_days: dict[date, int]) -> None:
        """Each day's reference counter at least as high as the highest reference the file gives for it."""
        if not reference_days:
            return
        connection = connections[self.alias]
        table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        items = sorted(reference_days.items())
        with connection.cursor() as cursor:
            for start in range(0, len(items), 1000):
                chunk = items[start : start + 1000]
                cursor.execute(
                    f"INSERT INTO {table} (day, last) VALUES {', '.join(['(%s, %s)'] * len(chunk))} "
                    f"ON CONFLICT (day) DO UPDATE SET last = {greatest}({table}.last, excluded.last)",
                    [value for pair in chunk for value in pair],
                )

    def _allocate_references(self, batch: list[Prepared]) -> list[str]:
        """Each row's reference: its own, or the next of its day of receipt's counter (one statement)."""
        wanting = [p for p in batch if not p.reference]
        if not wanting:
            return [p.reference for p in batch]
        per_day = Counter(timezone.localdate(p.fields["received_at"]) for p in wanting)
        connection = connections[self.alias]
        table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
        days = sorted(per_day)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, last) VALUES {', '.join(['(%s, %s)'] * len(days))} "
                f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + excluded.last RETURNING day, last",
                [value for day in days for value in (day, per_day[day])],
            )
            last = {str(day)[:10]: number for day, number in cursor.fetchall()}
        next_number = {day: last[day.isoformat()] - per_day[day] + 1 for day in days}
        references = []
        for p in batch:
            if p.reference:
                references.append(p.reference)
                continue
            day = timezone.localdate(p.fields["received_at"])
            references.append(f"C-{day:%Y%m%d}-{next_number[day]:06d}")
            next_number[day] += 1
        return references

    def _insert_cases(self, batch: list[Prepared], references: list[str], run: ImportRun, counter: _StatementCounter) -> None:
        actor_id = self.actor.pk if self.actor is not None else None
        actor_label = self.actor.get_username() if self.actor is not None else ComplaintEvent.SYSTEM
        now = self.now
        claims: list[tuple[int, str, datetime, int]] = []  # (index in batch, clock, due, level)
        rows: list[dict[str, Any]] = []
        for index, p in enumerate(batch):
            values = dict(p.fields)
            values.update(reference=references[index], created_at=now, created_by_id=actor_id, imported_at=now, version=1)
            level = 0
            if values["state"] not in FINAL:
                case = SimpleNamespace(**values, resolution_paused_at=None)
                for clock in running(case):  # type: ignore[arg-type]
                    due = clock.columns.due(case)
                    reached = clock.step_reached(due=due, now=now, warn_at=clock.columns.warn_at(case)) if due else 0
                    if due is not None and reached:
                        claims.append((index, clock.name, due, reached))
                        level = max(level, reached)
            values["escalation_level"] = level
            values["escalated_at"] = now if level else None
            rows.append(values)
        keys = self._insert_rows(Complaint, rows, counter=counter)
        self._merge(batch, references, keys)
        events = [
            {
                "complaint_id": key, "created_at": now, "actor_id": actor_id, "actor_label": actor_label,
                "kind": EventKind.IMPORTED, "from_state": "", "to_state": row["state"], "note": "",
                "data": {
                    "file": run.file_name, "line": p.line, "run": run.pk, "format": self.format, "digest": p.digest,
                    **({"os_user": run.os_user} if run.os_user else {}),
                    **({"merged_into": p.fields["merged_into"]} if p.fields["merged_into"] else {}),
                },
            }  # fmt: skip
            for key, row, p in zip(keys, rows, batch, strict=True)
        ]
        if claims:
            sweep = f"import-{run.pk}"
            self._insert_rows(
                Escalation,
                [
                    {"complaint_id": keys[index], "clock": clock, "due": due, "level": level, "created_at": now,
                     "sweep": sweep, "notify_batch": IMPORTED_NOTIFY_BATCH}  # fmt: skip
                    for index, clock, due, level in claims
                ],
                returning=False,
                counter=counter,
            )
            events += [
                {
                    "complaint_id": keys[index], "created_at": now, "actor_id": None, "actor_label": ComplaintEvent.SYSTEM,
                    "kind": ESCALATION_EVENT, "from_state": "", "to_state": "", "note": "",
                    "data": {
                        "clock": clock, "level": level, "due": due.astimezone(UTC).isoformat(timespec="microseconds"),
                        "skipped": [step for step in (1, 2) if step < level], "not_sent": "imported",
                    },
                }  # fmt: skip
                for index, clock, due, level in claims
            ]
        self._insert_rows(ComplaintEvent, events, returning=False, counter=counter)

    def _merge(self, batch: list[Prepared], references: list[str], keys: list[int]) -> None:
        """Point merged cases at the case they were merged into when it is in this batch or stored;
        one later in the file is found at the end of the run (``_merge_later``)."""
        merged = [(key, p.fields["merged_into"]) for key, p in zip(keys, batch, strict=True) if p.fields["merged_into"]]
        if not merged:
            return
        here = dict(zip(references, keys, strict=True))
        stored = dict(
            Complaint.objects.using(self.alias)
            .filter(reference__in={ref for _key, ref in merged} - set(here))
            .values_list("reference", "pk")
        )
        for key, ref in merged:
            target = here.get(ref) or stored.get(ref)
            if target is not None:
                Complaint.objects.using(self.alias).filter(pk=key).update(duplicate_of_id=target)

    def _merge_later(self) -> None:
        """Imported merged cases still without their case: the reference their ``imported`` event names.
        Also those of an earlier, interrupted run of the file."""
        waiting = ComplaintEvent.objects.using(self.alias).filter(
            kind=EventKind.IMPORTED,
            complaint__state=ComplaintState.MERGED,
            complaint__duplicate_of__isnull=True,
            complaint__imported_at__isnull=False,
        ).values_list("complaint_id", "data")
        for key, data in waiting:
            target = Complaint.objects.using(self.alias).filter(reference=(data or {}).get("merged_into", "")).values("pk")[:1]
            Complaint.objects.using(self.alias).filter(pk=key).update(duplicate_of_id=Subquery(target))

    def _insert_rows(
        self, model, rows: list[dict[str, Any]], *, returning: bool = True, counter: _StatementCounter
    ) -> list[int]:
        """Insert rows given as ``{attname: value}`` (defaults for the rest); the new primary keys in order.

        PostgreSQL: the keys are drawn from the table's sequence in one statement and the rows sent
        with COPY (binding tens of thousands of parameters of one INSERT cost more than running it).
        SQLite: multi-row INSERTs, as many rows each as its parameter limit allows.
        """
        connection = connections[self.alias]
        if connection.vendor == "postgresql":
            return self._copy_rows(model, rows, returning=returning, counter=counter)
        sql_one, fields, can_return = _insert_statement(model, self.alias, 1)
        defaults = {f.attname: f.get_default() for f in fields}
        prepared_fields = _fields_to_prepare(fields, connection.vendor)
        per_statement = max(1, PARAMETER_LIMIT.get(connection.vendor, 999) // len(fields))
        keys: list[int] = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql, _fields, _returning = _insert_statement(model, self.alias, len(chunk))
            if not returning and can_return:
                sql = sql[: sql.rindex(" RETURNING ")]
            params = []
            for row in chunk:
                for f in fields:
                    value = row.get(f.attname, defaults[f.attname])
                    params.append(f.get_db_prep_save(value, connection) if f in prepared_fields else value)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                if returning:
                    if not can_return:  # pragma: no cover - every supported database returns keys
                        raise RuntimeError("the database cannot return the keys of a multi-row insert")
                    keys.extend(row[0] for row in cursor.fetchall())
        return keys

    def _copy_rows(self, model, rows: list[dict[str, Any]], *, returning: bool, counter: _StatementCounter) -> list[int]:
        from psycopg.types.json import Jsonb

        connection = connections[self.alias]
        opts = model._meta
        quote = connection.ops.quote_name
        # The key column only when the keys are wanted; otherwise the table's identity fills it.
        fields = [f for f in opts.local_concrete_fields if not f.generated and (returning or f is not opts.pk)]
        defaults = [(f.attname, f.get_default()) for f in fields if f is not opts.pk]
        keys: list[int] = []
        with connection.cursor() as cursor:
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [opts.db_table, opts.pk.column, len(rows)],
                )
                keys = [row[0] for row in cursor.fetchall()]
            columns_sql = ", ".join(quote(f.column) for f in fields)
            counter.count += 1  # COPY does not pass through Django's execute wrappers
            json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
            with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns_sql}) FROM STDIN (FORMAT BINARY)") as copy:
                # Binary rows with the columns' types given once: the driver's C dumpers do the work.
                copy.set_types([_copy_type(f) for f in fields])
                for index, row in enumerate(rows):
                    values: list[Any] = [keys[index]] if returning else []
                    for name, default in defaults:
                        value = row.get(name, default)
                        values.append(Jsonb(value) if name in json_fields and value is not None else value)
                    copy.write_row(values)
        return keys


COPY_TYPES = {
    "CharField": "text", "TextField": "text", "SlugField": "text", "EmailField": "text",
    "DateTimeField": "timestamptz", "DateField": "date", "BooleanField": "bool", "JSONField": "jsonb",
    "DecimalField": "numeric", "DurationField": "interval",
    "AutoField": "int4", "IntegerField": "int4", "PositiveIntegerField": "int4",
    "SmallIntegerField": "int2", "PositiveSmallIntegerField": "int2",
    "BigAutoField": "int8", "BigIntegerField": "int8", "PositiveBigIntegerField": "int8",
}  # fmt: skip


# The tables an import writes, which the report reads from their indexes alone.
SETTLED_TABLES = ("complaints_complaint", "complaints_complaintevent", "workflows_escalation")


def settle(alias: str = "default") -> bool:
    """``VACUUM`` and ``ANALYZE`` the tables an import wrote, on PostgreSQL, outside a transaction.

    Straight after a bulk load no page of the case table is marked all-visible, so each of the
    report's index-only counts visits the table for every row it counts (3x slower at 1,000,000
    cases; benchmarks/report.py); autovacuum would get there in its own time. Settling now makes
    the figures of the history just imported as fast as those of a table autovacuum keeps.
    Returns whether it ran (not on SQLite, nor inside an enclosing transaction, as in a test).
    """
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        # Every VACUUM before any ANALYZE: on a server committing asynchronously, an ANALYZE's
        # commit not yet flushed keeps the next VACUUM from marking that table's pages.
        for table in SETTLED_TABLES:
            cursor.execute(f"VACUUM {connection.ops.quote_name(table)}")
        for table in SETTLED_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


def _copy_type(field) -> str:
    """The PostgreSQL type a binary COPY sends a field's values as (a key as its target's)."""
    internal = field.get_internal_type()
    if internal in ("ForeignKey", "OneToOneField"):
        internal = field.target_field.get_internal_type()
    return COPY_TYPES[internal]



PARAMETER_LIMIT = {"postgresql": 65535, "sqlite": 32766}


def _fields_to_prepare(fields, vendor: str) -> set:
    """The fields whose Python values the driver cannot take as they are."""
    kinds = {"JSONField", "DecimalField", "DurationField"}
    if vendor != "postgresql":
        kinds |= {"DateTimeField"}
    return {f for f in fields if f.get_internal_type() in kinds}


def _key_hash(key: tuple[str, str]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1e".join(key).encode(), digest_size=8).digest(), "big")


def _in_sorted(values: list[int], value: int) -> bool:
    index = bisect.bisect_left(values, value)
    return index < len(values) and values[index] == value


def _os_user() -> str:
    try:
        return getpass.getuser()[:150]
    except (KeyError, OSError):
        return ""


def _differing(p: Prepared, case: Complaint) -> list[str]:
    """The columns in which a checked row differs from the case stored under its key."""
    names = []
    for column in columns.COLUMNS:
        if column.name == "reference":
            continue
        attribute = f"{column.name}_id" if column.kind == columns.CODE else column.name
        if attribute not in p.fields:
            continue
        if getattr(case, attribute) != p.fields[attribute]:
            names.append(column.name)
    return names
