"""Bring a bank's history in: ``import_complaints PATH --format csv|cfpb [--dry-run] [--skip-bad]``.

Checks the whole file first and reports every bad row by line, column and reason; writes only
when no row is bad (or, with ``--skip-bad``, all the others), in batches with a checkpoint, so
an interrupted run is resumed by running it again. Running it twice adds nothing.
"""
from __future__ import annotations

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from workflows.imports import loader, reading


class _Progress:
    """A bar (rows, rows/s, ETA from the bytes read) on a terminal; a plain line every few seconds otherwise."""

    PLAIN_EVERY = 5.0

    def __init__(self, stream, total_bytes: int) -> None:
        self.stream = stream
        self.total = total_bytes
        self.terminal = stream.isatty()
        self.bar: tqdm | None = None
        self.phase = ""
        self.started = self.last = time.monotonic()
        self.rows = 0

    def __call__(self, phase: str, rows: int, done: int) -> None:
        label = {"check": _("Checking"), "write": _("Importing")}[phase]
        if phase != self.phase:
            self.close()
            self.phase, self.started, self.rows = phase, time.monotonic(), 0
            if self.terminal:
                self.bar = tqdm(total=self.total, desc=label, unit="B", unit_scale=True, file=self.stream, leave=True)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = rows / elapsed
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix_str(_("%(rows)s rows, %(rate)s rows/s") % {"rows": f"{rows:,}", "rate": f"{rate:,.0f}"}, refresh=False)
        elif time.monotonic() - self.last >= self.PLAIN_EVERY:
            self.last = time.monotonic()
            share = done / self.total if self.total else 1
            eta = elapsed * (1 - share) / share if share else 0
            self.stream.write(
                _("%(label)s: %(rows)s rows, %(rate)s rows/s, %(percent)d%% of the file, about %(eta)d s to go\n")
                % {"label": label, "rows": f"{rows:,}", "rate": f"{rate:,.0f}", "percent": share * 100, "eta": eta}
            )
            self.stream.flush()
        self.rows = rows

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Import complaints from our case file (--format csv: the columns the case export writes) or from the "
        "CFPB public database export (--format cfpb). Checks every row first; writes nothing if any row is "
        "bad unless --skip-bad. Times without an offset are read in the bank's time zone (TIME_ZONE)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=loader.FORMATS, required=True)
        parser.add_argument("--dry-run", action="store_true", help="Read and check everything; write nothing.")
        parser.add_argument("--skip-bad", action="store_true", help="Import every row but the bad ones (they are reported).")
        parser.add_argument(
            "--historic", action="store_true",
            help="Accepted for clarity: every imported case is history (its own dates, no notifications for steps already past).",
        )  # fmt: skip
        parser.add_argument("--encoding", choices=reading.ENCODINGS, help="Default: UTF-8 (with or without BOM), else GB18030.")
        parser.add_argument("--user", help="The username recorded as having imported the cases.")
        parser.add_argument("--batch-size", type=int, default=loader.BATCH_SIZE)

    def handle(self, *args, path: Path, format: str, dry_run: bool, skip_bad: bool, encoding: str | None,
               user: str | None, batch_size: int, **options) -> None:  # fmt: skip
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(_("No user has the username %(username)s.") % {"username": user})
        try:
            size = path.stat().st_size
        except OSError:
            raise CommandError(_("%(path)s is not a file.") % {"path": path}) from None
        progress = _Progress(self.stderr._out, size)  # the stream under Django's wrapper: a bar needs the real thing
        importer = loader.Importer(
            path, format=format, encoding=encoding, dry_run=dry_run, skip_bad=skip_bad, actor=actor,
            progress=progress, batch_size=batch_size,
        )  # fmt: skip
        started = time.monotonic()
        try:
            outcome = importer.run()
        except reading.FileProblem as exc:
            progress.close()
            raise CommandError(exc.message) from None
        except KeyboardInterrupt:
            progress.close()
            raise CommandError(_("Interrupted. Whole batches written so far stay; run the same command again to resume.")) from None
        progress.close()
        elapsed = time.monotonic() - started
        for row in outcome.bad:
            self.stderr.write(str(row))
        self._summary(outcome, elapsed)
        if outcome.bad and not skip_bad:
            raise CommandError(
                _("%(count)d bad row(s); nothing was written. Fix them, or import the others with --skip-bad.")
                % {"count": len(outcome.bad_lines)}
                if not dry_run
                else _("%(count)d bad row(s).") % {"count": len(outcome.bad_lines)}
            )

    def _summary(self, outcome: loader.Outcome, elapsed: float) -> None:
        facts = outcome.file
        summary = (
            _("%(file)s (%(format)s, %(encoding)s): %(rows)s rows, checked and written in %(seconds).1f s.")
            if outcome.wrote
            else _("%(file)s (%(format)s, %(encoding)s): %(rows)s rows, checked in %(seconds).1f s.")
        )
        self.stdout.write(
            summary
            % {"file": facts.path.name, "format": outcome.format, "encoding": facts.encoding, "rows": f"{outcome.rows:,}", "seconds": elapsed}
        )
        self.stdout.write(
            _("  new: %(new)s; imported before and unchanged: %(unchanged)s; bad: %(bad)s.")
            % {"new": f"{outcome.new:,}", "unchanged": f"{outcome.unchanged:,}", "bad": f"{len(outcome.bad_lines):,}"}
        )
        if outcome.dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        elif outcome.run is not None:
            if outcome.resumed:
                self.stdout.write(_("Resumed after line %(line)d of an interrupted run.") % {"line": outcome.resumed_after})
            rate = outcome.written / elapsed if elapsed else 0
            self.stdout.write(
                _("Imported %(count)s case(s) in %(batches)d batch(es), %(rate)s rows/s (import run %(run)d).")
                % {"count": f"{outcome.written:,}", "batches": outcome.batches, "rate": f"{rate:,.0f}", "run": outcome.run.pk}
            )
