"""Generate the biweekly report of a period now (by default the last complete period) and store it.

It prints one line per report: where it is, its pages, its size and the seconds it took.
WeasyPrint's own warnings (one per unsupported CSS property it meets, a thousand on a long
report) and the log lines are shown only with ``-v 2`` (``-v 3`` adds WeasyPrint's progress).
"""
from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from complaints.models import Department
from reports import services
from reports.periods import Period, last_complete_period
from reports.tasks import mail_language


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Generate the report of a period (default: the last complete biweekly period) and store it as a Report."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--start", help="First day of the period, YYYY-MM-DD (local date).")
        parser.add_argument("--end", help="Last day of the period, YYYY-MM-DD (included).")
        parser.add_argument(
            "--lang", choices=[code for code, _name in settings.LANGUAGES], help="Language (default: the site's)."
        )
        parser.add_argument("--department", metavar="CODE", help="One department's report (the cases it holds).")
        parser.add_argument("--output", help="Also write the PDF to this path.")

    def handle(self, *args, start=None, end=None, lang=None, department=None, output=None, **options) -> None:
        if bool(start) != bool(end):
            raise CommandError("Give both --start and --end, or neither.")
        if start:
            try:
                period = Period(_date(start), _date(end))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        else:
            period = last_complete_period(timezone.localdate())
        scope = None
        if department:
            scope = Department.objects.filter(code=department).first()
            if scope is None:
                codes = ", ".join(Department.objects.order_by("code").values_list("code", flat=True)) or "none"
                raise CommandError(f"--department: no department has the code {department!r} (codes: {codes}).")
        # Quiet by default: the one line below. -v 2 adds WeasyPrint's warnings and the log lines.
        levels = {"weasyprint": logging.ERROR, "reports": logging.WARNING}
        if options["verbosity"] >= 2:
            levels = {"weasyprint": logging.WARNING if options["verbosity"] == 2 else logging.INFO, "reports": logging.INFO}
        loggers = {name: logging.getLogger(name) for name in levels}
        before = {name: logger.level for name, logger in loggers.items()}
        for name, logger in loggers.items():
            logger.setLevel(levels[name])
        started = time.perf_counter()
        try:
            report = services.report_generate(period=period, language=lang or mail_language(), department=scope, actor=None)
        finally:
            for name, logger in loggers.items():
                logger.setLevel(before[name])
        seconds = time.perf_counter() - started
        where = report.file.path if hasattr(report.file.storage, "path") else report.file.name
        if output:
            with report.file.open("rb") as handle:
                Path(output).write_bytes(handle.read())
            where = output
        self.stdout.write(f"{where}  {report.page_count} pages  {report.size / 1024:.0f} KB  {seconds:.1f} s")
