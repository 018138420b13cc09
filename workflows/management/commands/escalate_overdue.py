"""Run one escalation sweep now and print what it did (the beat task calls the same service)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from workflows import escalation
from workflows.models import EscalationLevel
from workflows.notifications import clock_label


class Command(BaseCommand):
    help = "Run one escalation sweep: claim every due step of every clock's ladder and enqueue the e-mails."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=escalation.DEFAULT_BATCH_SIZE)
        parser.add_argument("--no-notify", action="store_true", help="Do not enqueue the e-mails.")

    def handle(self, *args, batch_size: int, no_notify: bool, **options) -> None:
        result = escalation.escalation_sweep(
            batch_size=batch_size, notify=not no_notify, renotify_after=escalation.renotify_after_setting()
        )
        self.stdout.write(f"Sweep {result.sweep} at {result.now.isoformat()}")
        for (clock, level), count in sorted(result.steps.items()):
            if count:
                self.stdout.write(f"  {clock_label(clock)}, level {level} ({EscalationLevel(level).label}): {count}")
        self.stdout.write(
            f"Escalated {result.total} step(s); read {result.read} case row(s) in {result.batches} batch(es)."
        )
        if not no_notify:
            self.stdout.write(f"E-mails enqueued for {int(bool(result.total)) + len(result.renotified)} sweep(s).")
