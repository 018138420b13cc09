"""How a running clock reads to staff: time left in words, and its red/amber/green colour.

Amber starts at the clock's stored warning instant (its policy's ``warning_percent`` of the
window gone), the same instant the sweep warns the department at. The clocks and their
labels are the registry's (``workflows.clocks``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from complaints import selectors
from complaints.models import Complaint
from complaints.states import UNRESOLVED_STATES
from workflows import targets
from workflows.clocks import CLOCKS

CLOCK_LABELS = {name: clock.label for name, clock in CLOCKS.items()}


def humanize_delta(seconds: float) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return gettext("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    return gettext("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": rest // 60}


@dataclass(frozen=True)
class ClockBadge:
    """One running clock of a case, as the desk shows it."""

    clock: str
    label: str
    due: datetime
    started: datetime
    status: str  # "green", "amber", "red", or "paused"
    text: str
    # One of the bank's own targets, not a regulator's clock: drawn apart (dotted, marked).
    internal: bool = False

    def html(self) -> SafeString:
        due = timezone.localtime(self.due).strftime("%Y-%m-%d %H:%M")
        if self.internal:
            return format_html(
                '<span class="clock clock-{} clock-internal" title="{}">{}</span>',
                self.status,
                gettext("Internal target, not the regulator's deadline: due %(due)s") % {"due": due},
                self.text,
            )
        return format_html('<span class="clock clock-{}" title="{}">{}</span>', self.status, due, self.text)


def _status(label: str, due: datetime, warn_at: datetime | None, now: datetime) -> tuple[str, str]:
    """A running clock's colour and words: red once overdue, amber from its warning instant."""
    left = (due - now).total_seconds()
    if left < 0:
        return "red", gettext("%(clock)s overdue by %(delta)s") % {"clock": label, "delta": humanize_delta(left)}
    status = "amber" if warn_at is not None and now >= warn_at else "green"
    return status, gettext("%(clock)s in %(delta)s") % {"clock": label, "delta": humanize_delta(left)}


def running_clocks(complaint: Complaint, *, now: datetime | None = None, internal: bool = True) -> list[ClockBadge]:
    """Every clock running on the case, soonest due first; then its internal targets (one query) unless ``internal`` is off."""
    now = now or timezone.now()
    badges = []
    for name, due, started in selectors.running_deadlines(complaint):
        clock = CLOCKS[name]
        label = str(clock.label)
        status, text = _status(label, due, clock.columns.warn_at(complaint) if clock.warns else None, now)
        badges.append(ClockBadge(name, label, due, started, status, text))
    paused_at, paused_due = complaint.resolution_paused_at, complaint.resolution_due
    if paused_at is not None and paused_due is not None and complaint.state in UNRESOLVED_STATES:
        # A paused clock is not running, but staff must see that it exists and why it stands still.
        text = gettext("%(clock)s paused %(delta)s ago, %(left)s left: %(reason)s") % {
            "clock": str(CLOCKS["resolution"].label),
            "delta": humanize_delta((now - paused_at).total_seconds()),
            "left": humanize_delta(max((paused_due - paused_at).total_seconds(), 0)),
            "reason": complaint.get_pause_reason_display().lower(),
        }
        badges.append(
            ClockBadge("resolution", str(CLOCKS["resolution"].label), paused_due, paused_at, "paused", text)
        )
    for row in targets.running_targets(complaint) if internal else ():
        label = row.target.label
        status, text = _status(label, row.due, row.warn_at, now)
        badges.append(ClockBadge(row.target.clock, label, row.due, row.started_at, status, text, internal=True))
    return badges


def deadline_badge(complaint: Complaint, now: datetime | None = None) -> SafeString | str:
    """The regulator's clock that falls due first, as a coloured badge; a dash when none runs (no query)."""
    clocks = running_clocks(complaint, now=now, internal=False)
    return clocks[0].html() if clocks else "—"
