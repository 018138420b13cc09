"""Report data -> PDF bytes: a Django template and a small print stylesheet rendered by WeasyPrint.

No database access happens here: everything comes from ``reports.data.ReportData``. Text
from users (names, titles) goes through Django's autoescaping, so it prints as text and is
never parsed as HTML; the URL fetcher only serves ``file:`` and ``data:`` URLs, so nothing
in a document can reach the network.

``headline_rows``, ``summary_sentences``, ``chart_svgs`` and ``definition_texts`` are also what
the admin's live dashboard shows, so the browser and the PDF print the same words and charts.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from weasyprint import HTML, Document, Page
from weasyprint.formatting_structure import boxes
from weasyprint.urls import URLFetcher

from . import charts
from .data import Headline, ReportData
from .figures import (
    FIRST_RESPONSE_TARGET,
    OVERDUE_BANDS_DAYS,
    RESOLVED_ON_TIME_TARGET,
    Name,
    OpenCases,
    Ratio,
    Satisfaction,
)
from .periods import Period
from .templatetags.report_format import date_span, day_month, duration, percent, ratio, score

ALLOWED_PROTOCOLS = ("file", "data")
PARETO_CHART_ROWS = 15
PARETO_TABLE_ROWS = 10
# Noto Sans CJK SC covers Latin and Chinese; DejaVu only as a last resort.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif'
# A page other than the last is filled to at least this share of its printable height (except
# the end of the body before the definitions' own page; see render_pdf).
MIN_PAGE_FILL = 2 / 3


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


def url_fetcher() -> URLFetcher:
    """Fetches ``file:`` and ``data:`` URLs only; anything else raises ``ValueError``."""
    return URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS, timeout=2)


# --- headline figures -----------------------------------------------------------------------
def _headline_row(label: str, headline: Headline) -> dict:
    current, previous = headline.current, headline.previous
    status = ""
    if isinstance(current, Ratio):
        if headline.target is not None and current.percent is not None:
            status = "met" if current.percent >= headline.target else "missed"
        shown = ratio(current), ratio(previous)
    # current and previous come from the same figure function, so they are of one type.
    elif isinstance(current, Satisfaction) and isinstance(previous, Satisfaction):
        shown = (
            _("%(score)s (%(count)d scores)") % {"score": score(current.average), "count": current.count},
            _("%(score)s (%(count)d scores)") % {"score": score(previous.average), "count": previous.count},
        )
    elif isinstance(current, OpenCases) and isinstance(previous, OpenCases):
        shown = (
            _("%(open)d open, %(overdue)d overdue") % {"open": current.open, "overdue": current.overdue},
            _("%(open)d open, %(overdue)d overdue") % {"open": previous.open, "overdue": previous.overdue},
        )
    elif isinstance(current, timedelta | None) and isinstance(previous, timedelta | None):
        shown = duration(current), duration(previous)
    else:
        shown = str(current), str(previous)
    target = f"≥ {headline.target}%" if headline.target is not None else ""
    return {"label": label, "current": shown[0], "previous": shown[1], "target": target, "status": status}


def _imported_remark(count: int) -> str:
    return ngettext("of which %(count)d imported", "of which %(count)d imported", count) % {"count": count}


def _without_contact_remark(count: int) -> str:
    return ngettext(
        "of which %(count)d without contact details", "of which %(count)d without contact details", count
    ) % {"count": count}


def _still_open_remark(count: int) -> str:
    return ngettext("of which %(count)d still open", "of which %(count)d still open", count) % {"count": count}


def _remarks(data: ReportData) -> dict[str, tuple[str, str]]:
    """Counts printed under a headline's values, keyed by the headline: the imported cases among
    the received, the cases without contact details among review coverage's denominator, and the
    reopened cases still open among the reopen rate's numerator. In both periods alike, so that
    they compare; left out when zero in both."""
    remarks = {}
    for name, headline, remark in (
        ("received", data.imported, _imported_remark),
        ("review_coverage", data.review_without_contact, _without_contact_remark),
        ("reopen_rate", data.reopened_still_open, _still_open_remark),
    ):
        current, previous = cast(int, headline.current), cast(int, headline.previous)
        if current or previous:
            remarks[name] = (remark(current), remark(previous))
    return remarks


def _titles(data: ReportData) -> dict[str, str]:
    return {definition.name: str(definition.title) for definition in data.definitions}


def headline_rows(data: ReportData) -> list[dict]:
    """One dict per headline figure, in the active language: ``label``, ``current``, ``previous``,
    ``target`` (``≥ 90%`` or empty), ``status`` (``met``, ``missed`` or empty) and the remarks
    printed under the values, ``current_remark`` and ``previous_remark`` (empty when none)."""
    labels = _titles(data)
    remarks = _remarks(data)
    rows = []
    for headline in data.headlines:
        row = _headline_row(labels[headline.name], headline)
        row["current_remark"], row["previous_remark"] = remarks.get(headline.name, ("", ""))
        rows.append(row)
    return rows


def _join(items: Sequence[str]) -> str:
    """``a, b and c`` in the active language."""
    if len(items) <= 1:
        return "".join(items)
    return pgettext("list of items", ", ").join(items[:-1]) + pgettext("list of items", " and ") + items[-1]


def summary_sentences(data: ReportData) -> list[str]:
    """What changed since the previous period, in three sentences in the active language: the
    category whose intake rose the most (cases received, ``data.category_changes``), the one that
    fell the most, and the headline targets missed (ratios with a target whose percent is below
    it). Each sentence says so when there is no rise, no fall or no target missed. Of categories
    that rose or fell alike, the one with more cases now comes first."""
    sentences = []
    rises = [row for row in data.category_changes if row.change > 0]
    if rises:
        row = max(rises, key=lambda row: row.change)  # max keeps the first of equals
        sentences.append(
            ngettext(
                "Largest rise: %(category)s, up from %(previous)d to %(current)d case received (+%(change)d).",
                "Largest rise: %(category)s, up from %(previous)d to %(current)d cases received (+%(change)d).",
                row.current,
            )
            % {"category": row.name, "previous": row.previous, "current": row.current, "change": row.change}
        )
    else:
        sentences.append(_("No category received more cases than in the previous period."))
    falls = [row for row in data.category_changes if row.change < 0]
    if falls:
        row = min(falls, key=lambda row: row.change)
        sentences.append(
            ngettext(
                "Largest fall: %(category)s, down from %(previous)d to %(current)d case received (−%(change)d).",
                "Largest fall: %(category)s, down from %(previous)d to %(current)d cases received (−%(change)d).",
                row.current,
            )
            % {"category": row.name, "previous": row.previous, "current": row.current, "change": -row.change}
        )
    else:
        sentences.append(_("No category received fewer cases than in the previous period."))
    titles = _titles(data)
    missed, unmeasured = [], []
    for headline in data.headlines:
        if headline.target is None or not isinstance(headline.current, Ratio):
            continue
        value = headline.current.percent
        if value is None:
            unmeasured.append(titles[headline.name])
        elif value < headline.target:
            missed.append(
                _("%(figure)s %(value)s (target ≥ %(target)s%%)")
                % {"figure": titles[headline.name], "value": percent(value), "target": headline.target}
            )
    if missed:
        sentences.append(
            ngettext("Target missed: %(targets)s.", "Targets missed: %(targets)s.", len(missed)) % {"targets": _join(missed)}
        )
    elif unmeasured:
        sentences.append(
            _("No target was missed; no case to measure: %(figures)s.") % {"figures": _join(unmeasured)}
        )
    else:
        sentences.append(_("Every target was met."))
    return sentences


# --- charts ---------------------------------------------------------------------------------
def day_axis_labels(days: Sequence[date]) -> list[str]:
    """Labels for a date axis: ``16 Nov`` (``11月16日``) on the first day and on the first of a
    month, the day of the month alone on the others."""
    return [
        day_month(day) if index == 0 or day.day == 1 else str(day.day)
        for index, day in enumerate(days)
    ]


def _period_axis_label(period: Period) -> str:
    # Two lines, so that six periods fit under a half-width chart.
    return f"{day_month(period.start)}–\n{day_month(period.end)}"


def chart_svgs(data: ReportData) -> dict[str, str]:
    """The charts as inline SVG, in the active language: ``daily_intake``, ``trend`` (first response
    on time per period), ``resolution_trend`` (resolved within deadline per period), and
    ``cause_pareto`` and ``category_pareto`` (empty strings when there is nothing to draw)."""
    result = {
        "daily_intake": charts.daily_intake(
            day_axis_labels(data.period.dates()),
            data.daily_intake.current,
            data.daily_intake.previous,
            current_label=_("This period"),
            previous_label=_("Previous period"),
        ),
    }
    for key, trend, target in (
        ("trend", data.first_response_trend, FIRST_RESPONSE_TARGET),
        ("resolution_trend", data.resolution_trend, RESOLVED_ON_TIME_TARGET),
    ):
        result[key] = charts.compliance_trend(
            [_period_axis_label(period) for period, _ratio in trend],
            [each.percent for _period, each in trend],
            target=target,
            target_label=_("Target"),
            empty_label=_("no cases"),
            width=charts.HALF_WIDTH_INCHES,
            prefix=key.replace("_", "-"),
        )
    for key, rows in (("cause_pareto", data.cause_pareto), ("category_pareto", data.category_pareto)):
        shown = rows[:PARETO_CHART_ROWS]
        result[key] = (
            charts.pareto(
                [str(row.name) for row in shown],
                [row.count for row in shown],
                [row.cumulative for row in shown],
                count_label=_("Cases"),
                cumulative_label=_("Cumulative share"),
                prefix=key.replace("_", "-"),
            )
            if shown
            else ""
        )
    return result


def trend_rows(data: ReportData) -> list[dict]:
    """The compliance trends as a table: one dict per period with ``period`` (``16–29 Nov``), its
    first and last days ``start`` and ``end`` (``16 Nov``, ``29 Nov``) and, for ``first_response``
    and ``resolution``, the ``percent`` and ``count`` (``67/90``) printed, or ``no cases`` and an
    empty count."""

    def cell(value: Ratio) -> dict[str, str]:
        if value.denominator == 0:
            return {"percent": _("no cases"), "count": ""}
        return {"percent": percent(value.percent), "count": f"{value.numerator}/{value.denominator}"}

    return [
        {
            "period": date_span(period.start, period.end),
            "start": day_month(period.start),
            "end": day_month(period.end),
            "first_response": cell(first),
            "resolution": cell(resolution),
        }
        for (period, first), (_same, resolution) in zip(data.first_response_trend, data.resolution_trend, strict=True)
    ]


# --- overdue and escalated ------------------------------------------------------------------
def overdue_band_labels() -> list[str]:
    """The overdue table's columns, how long a deadline had passed (``figures.OVERDUE_BANDS_DAYS``):
    ``under 1 day``, ``1–7 days``, ``7–30 days``, ``30 days or more`` (a band holds its lower edge)."""
    edges = OVERDUE_BANDS_DAYS
    labels = [ngettext("under %(days)d day", "under %(days)d days", edges[0]) % {"days": edges[0]}]
    labels += [_("%(low)d–%(high)d days") % {"low": low, "high": high} for low, high in zip(edges, edges[1:], strict=False)]
    labels.append(ngettext("%(days)d day or more", "%(days)d days or more", edges[-1]) % {"days": edges[-1]})
    return labels


def escalation_level_rows(data: ReportData) -> list[dict]:
    """Every level of the escalation ladder with the cases (per clock) whose highest level reached
    in the period it was: ``level``, ``label``, ``count``."""
    from workflows.models import EscalationLevel

    return [
        {"level": level.value, "label": str(level.label), "count": data.escalated.levels.get(level.value, 0)}
        for level in EscalationLevel
    ]


# --- definitions ----------------------------------------------------------------------------
def definition_texts(data: ReportData) -> list[tuple[str, str]]:
    """Each figure's title and plain-language definition in the active language, with the numbers
    in force filled in."""
    return [(str(d.title), _(d.definition) % data.numbers) for d in data.definitions]


def report_title(data: ReportData) -> str:
    """``Biweekly improvement report``, with the department's name in a department's report."""
    if data.scope is None:
        return _("Biweekly improvement report")
    return _("Biweekly improvement report — %(department)s") % {"department": data.scope.name}


# --- document -------------------------------------------------------------------------------
def _context(data: ReportData, language: str) -> dict[str, Any]:
    """The template's context; call within ``translation.override(language)``."""
    bands = data.overdue.clocks
    return {
        "data": data,
        "language": language,
        "html_lang": "zh-Hans" if language.lower().startswith("zh") else "en",
        "font_family": FONT_FAMILY,
        "title": report_title(data),
        "bank_name": str(data.bank_name),
        "summary": summary_sentences(data),
        "headlines": headline_rows(data),
        "charts": chart_svgs(data),
        "trend_rows": trend_rows(data),
        "cause_rows": data.cause_pareto[:PARETO_TABLE_ROWS],
        "category_rows": data.category_pareto[:PARETO_TABLE_ROWS],
        "show_departments": data.scope is None,
        "band_labels": overdue_band_labels(),
        "band_totals": [sum(clock.bands[index] for clock in bands) for index in range(len(OVERDUE_BANDS_DAYS) + 1)],
        "escalation_levels": escalation_level_rows(data),
        "definitions": definition_texts(data),
        # A cross-reference that WeasyPrint fills with the page the definitions start on.
        "definitions_page": mark_safe('<a class="page-of" href="#definitions"></a>'),
    }


def render_html(data: ReportData, *, language: str, definitions_apart: bool = True) -> str:
    """The report as an HTML document in ``language`` (``en`` or ``zh-hans``).

    ``definitions_apart``: the definitions on a page of their own, the last, and page 1 says so;
    otherwise they follow the improvement actions on the same page, and page 1 says on which
    page they start.
    """
    with translation.override(language):
        return render_to_string("reports/report.html", _context(data, language) | {"definitions_apart": definitions_apart})


def _document(html: str) -> Document:
    return HTML(string=html, base_url="file:///nonexistent/", url_fetcher=url_fetcher()).render()


def page_fill(page: Page, *, before: str | None = None) -> float:
    """How far down its printable height a laid-out page's content reaches, from 0 to 1: the
    lowest line of text, image or table row of the document's flow (running headers and page
    numbers, in the margins, are not the flow). With ``before``, the id of an element that starts
    on the page, how far the content above that element reaches."""
    # Page._page_box is WeasyPrint's layout tree; Document.pages holds no public geometry.
    page_box = page._page_box
    top, height = page_box.content_box_y(), page_box.height
    lowest = top
    limit = page.anchors[before][1] if before is not None else float("inf")
    stack = [child for child in page_box.children if not isinstance(child, boxes.MarginBox)]
    while stack:
        box = stack.pop()
        if isinstance(box, boxes.LineBox | boxes.ReplacedBox | boxes.TableRowBox):
            bottom = box.position_y + box.margin_height()
            if bottom <= limit:
                lowest = max(lowest, bottom)
        elif isinstance(box, boxes.ParentBox):
            stack.extend(box.children)
    return (lowest - top) / height


def _definitions_page(document: Document) -> int:
    return next(index for index, page in enumerate(document.pages) if "definitions" in page.anchors)


def render_pdf(data: ReportData, *, language: str) -> RenderedPdf:
    """The report as PDF bytes, A4, fonts embedded.

    The definitions are read on one page. They follow on from the improvement actions when they
    fit under them on that page (page 1 says on which page they start); otherwise they take the
    last page to themselves, as an appendix: the page before it, the end of the report's body,
    may then be less than ``MIN_PAGE_FILL`` full, the one page allowed to be. The first way is
    laid out first; the second only when the first split the definitions over two pages.
    """
    with translation.override(language):
        context = _context(data, language)
        document = _document(render_to_string("reports/report.html", context | {"definitions_apart": False}))
        if _definitions_page(document) != len(document.pages) - 1:
            document = _document(render_to_string("reports/report.html", context | {"definitions_apart": True}))
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))


__all__ = [
    "Name",
    "RenderedPdf",
    "chart_svgs",
    "day_axis_labels",
    "definition_texts",
    "escalation_level_rows",
    "headline_rows",
    "overdue_band_labels",
    "page_fill",
    "render_html",
    "render_pdf",
    "report_title",
    "summary_sentences",
    "trend_rows",
    "url_fetcher",
]
