"""Template filters that format report figures (percent, ratio, duration) in the active language."""
from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()

DASH = "—"


@register.filter
def percent(value: float | None) -> str:
    """``92.3%``; a dash when there is nothing to divide."""
    if value is None:
        return DASH
    return f"{value:.1f}%"


@register.filter
def ratio(value) -> str:
    """``92.3% (120/130)``; a dash with ``(0/0)`` when the denominator is zero."""
    return f"{percent(value.percent)} ({value.numerator}/{value.denominator})"


@register.filter
def duration(value: timedelta | None) -> str:
    """``1d 4h`` or ``3h 20m`` in the active language; a dash when there is no value."""
    if value is None:
        return DASH
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": rest // 60}


@register.filter
def score(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


@register.filter
def css_string(value: str) -> str:
    """A CSS string literal (with its quotes) holding ``value``."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;-_/()%" else f"\\{ord(ch):06x}" for ch in str(value))
    return f'"{escaped}"'
