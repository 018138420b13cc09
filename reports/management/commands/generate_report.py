"""Generate the biweekly report of a period now (by default the last complete period) and store it."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

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
        parser.add_argument("--output", help="Also write the PDF to this path.")

    def handle(self, *args, start=None, end=None, lang=None, output=None, **options) -> None:
        if bool(start) != bool(end):
            raise CommandError("Give both --start and --end, or neither.")
        if start:
            try:
                period = Period(_date(start), _date(end))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        else:
            period = last_complete_period(timezone.localdate())
        report = services.report_generate(period=period, language=lang or mail_language(), actor=None)
        if output:
            with report.file.open("rb") as handle:
                Path(output).write_bytes(handle.read())
        self.stdout.write(
            f"{report} pages={report.page_count} bytes={report.size} sha256={report.sha256}"
            + (f" written to {output}" if output else f" stored as {report.file.name}")
        )
