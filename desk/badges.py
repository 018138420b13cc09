"""How a running clock reads to staff: time left as words, and its red/amber/green colour."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Complaint

CLOCK_LABELS = {
    "first_response": _("first response"),
    "resolution": _("resolution"),
    "review": _("review call-back"),
}


def humanize_delta(seconds: float) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return gettext("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    return gettext("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": rest // 60}


def deadline_badge(complaint: Complaint, now: datetime | None = None) -> SafeString | str:
    """Time left to the next deadline: red when overdue, amber with under 25 % of the window left."""
    clock = selectors.next_deadline(complaint)
    if clock is None:
        return "—"
    name, due, started = clock
    now = now or timezone.now()
    left = (due - now).total_seconds()
    window = max((due - started).total_seconds(), 1)
    label = CLOCK_LABELS[name]
    if left < 0:
        text = gettext("%(clock)s overdue by %(delta)s") % {"clock": label, "delta": humanize_delta(left)}
        colour = "#ba2121"
    else:
        text = gettext("%(clock)s in %(delta)s") % {"clock": label, "delta": humanize_delta(left)}
        colour = "#b36b00" if left / window < 0.25 else "#2a7a2a"
    return format_html('<span style="color:{};font-weight:bold" title="{}">{}</span>', colour, due, text)
