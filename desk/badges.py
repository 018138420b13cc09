"""How a running clock reads to staff: time left in words, and its red/amber/green colour.

Amber starts where the policy's own warning step does (``SlaPolicy.warning_percent`` of the
window gone), so the badge turns amber when the sweep warns the department.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Complaint
from workflows.models import SlaPolicy
from workflows.policies import DEFAULT_SLA

CLOCK_LABELS = {
    "first_response": _("first response"),
    "resolution": _("resolution"),
    "review": _("review call-back"),
}

Percents = dict[tuple[str, str], int]


def warning_percents() -> Percents:
    """``warning_percent`` per (kind, severity), read in one query; callers keep it for one page."""
    return {
        (kind, severity): percent
        for kind, severity, percent in SlaPolicy.objects.values_list("kind", "severity", "warning_percent")
    }


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
    status: str  # "green", "amber" or "red"
    text: str

    def html(self) -> SafeString:
        return format_html(
            '<span class="clock clock-{}" title="{}">{}</span>',
            self.status,
            timezone.localtime(self.due).strftime("%Y-%m-%d %H:%M"),
            self.text,
        )


def running_clocks(complaint: Complaint, *, now: datetime | None = None, percents: Percents | None = None) -> list[ClockBadge]:
    """Every clock running on the case, soonest due first."""
    now = now or timezone.now()
    percents = warning_percents() if percents is None else percents
    warning = percents.get((complaint.kind, complaint.severity), DEFAULT_SLA.warning_percent)
    badges = []
    for name, due, started in selectors.running_deadlines(complaint):
        left = (due - now).total_seconds()
        window = max((due - started).total_seconds(), 1)
        label = str(CLOCK_LABELS[name])
        if left < 0:
            status = "red"
            text = gettext("%(clock)s overdue by %(delta)s") % {"clock": label, "delta": humanize_delta(left)}
        else:
            status = "amber" if (window - left) / window * 100 >= warning else "green"
            text = gettext("%(clock)s in %(delta)s") % {"clock": label, "delta": humanize_delta(left)}
        badges.append(ClockBadge(name, label, due, started, status, text))
    return badges


def deadline_badge(complaint: Complaint, now: datetime | None = None, percents: Percents | None = None) -> SafeString | str:
    """The clock that falls due first, as a coloured badge; a dash when none runs."""
    clocks = running_clocks(complaint, now=now, percents=percents)
    return clocks[0].html() if clocks else "—"
