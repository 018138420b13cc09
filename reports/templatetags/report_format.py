"""Template filters that format report figures (percent, ratio, duration, dates) in the active language,
and group table rows so that a table breaks across pages only between groups of five or more."""
from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

DASH = "—"
# A table breaks across pages only between groups of rows, so at least this many go to a page.
ROWS_PER_GROUP = 5
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Row = TypeVar("Row")


def chinese() -> bool:
    """Whether the active language is Chinese, whose dates are written ``3月9日``."""
    return (get_language() or "").lower().startswith("zh")


@register.filter
def percent(value: float | None) -> str:
    """``92.3%``; a dash when there is nothing to divide."""
    if value is None:
        return DASH
    return f"{value:.1f}%"


@register.filter
def ratio(value) -> str:
    """``92.3% (120/130)``; "no cases" when the denominator is zero."""
    if value.denominator == 0:
        return _("no cases")
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
def day_month(value: date) -> str:
    """``9 Mar`` in English, ``3月9日`` in Chinese."""
    if chinese():
        return f"{value.month}月{value.day}日"
    return f"{value.day} {ENGLISH_MONTHS[value.month - 1]}"


@register.filter
def date_span(start: date, end: date) -> str:
    """``9–22 Mar`` or ``23 Mar–5 Apr`` in English, ``3月9日–22日`` or ``3月23日–4月5日`` in Chinese
    (no year: the report's period, with its year, heads every page)."""
    if chinese():
        return f"{start.month}月{start.day}日–" + (f"{end.day}日" if start.month == end.month else day_month(end))
    if start.month == end.month:
        return f"{start.day}–{end.day} {ENGLISH_MONTHS[end.month - 1]}"
    return f"{day_month(start)}–{day_month(end)}"


@register.filter
def row_groups(rows: Sequence[Row]) -> list[Sequence[Row]]:
    """``rows`` in groups of ``ROWS_PER_GROUP``, a short last group merged into the one before it,
    so every group but a table's only one has at least ``ROWS_PER_GROUP`` rows.

    The template prints each group as its own ``<tbody>`` whose rows are kept together
    (``break-after: avoid`` between them), so a page break falls between groups only.
    """
    groups = [rows[start : start + ROWS_PER_GROUP] for start in range(0, len(rows), ROWS_PER_GROUP)]
    if len(groups) > 1 and len(groups[-1]) < ROWS_PER_GROUP:
        short = groups.pop()
        groups[-1] = list(groups[-1]) + list(short)
    return groups


@register.filter
def svg_data_url(svg: str) -> str:
    """An SVG document as a ``data:`` URL, for an ``<img>``: WeasyPrint then reads it as one image,
    about ten times faster than the same SVG inline in the HTML, whose every element goes
    through the page's style cascade."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


@register.filter
def css_string(value: str) -> str:
    """A CSS string literal (with its quotes) holding ``value``."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;-_/()%" else f"\\{ord(ch):06x}" for ch in str(value))
    return f'"{escaped}"'
