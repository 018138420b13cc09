"""Report data -> PDF bytes: a Django template and a small print stylesheet rendered by WeasyPrint.

No database access happens here: everything comes from ``reports.data.ReportData``. Text
from users (names, titles) goes through Django's autoescaping, so it prints as text and is
never parsed as HTML; the URL fetcher only serves ``file:`` and ``data:`` URLs, so nothing
in a document can reach the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from . import charts
from .data import Headline, ReportData
from .figures import Name, OpenCases, Ratio, Satisfaction
from .templatetags.report_format import duration, percent, ratio, score

ALLOWED_PROTOCOLS = ("file", "data")
PARETO_CHART_ROWS = 15
PARETO_TABLE_ROWS = 10
# Noto Sans CJK SC covers Latin and Chinese; DejaVu only as a last resort.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif'


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


def url_fetcher() -> URLFetcher:
    """Fetches ``file:`` and ``data:`` URLs only; anything else raises ``ValueError``."""
    return URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS, timeout=2)


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


def _remarks(data: ReportData) -> dict[str, tuple[str, str]]:
    """Counts printed under a headline's values, keyed by the headline: the imported cases among
    the received, and the cases without contact details among review coverage's denominator. In
    both periods alike, so that they compare; left out when zero in both."""
    remarks = {}
    for name, headline, remark in (
        ("received", data.imported, _imported_remark),
        ("review_coverage", data.review_without_contact, _without_contact_remark),
    ):
        current, previous = cast(int, headline.current), cast(int, headline.previous)
        if current or previous:
            remarks[name] = (remark(current), remark(previous))
    return remarks


def _headlines(data: ReportData) -> list[dict]:
    labels = {definition.name: str(definition.title) for definition in data.definitions}
    remarks = _remarks(data)
    rows = []
    for headline in data.headlines:
        row = _headline_row(labels[headline.name], headline)
        row["current_remark"], row["previous_remark"] = remarks.get(headline.name, ("", ""))
        rows.append(row)
    return rows


def _charts(data: ReportData) -> dict[str, str]:
    period_labels = [f"{p.start:%m-%d}" for p, _ratio in data.first_response_trend]
    result = {
        "daily_intake": charts.daily_intake(
            [f"{day:%d}" for day in data.period.dates()],
            data.daily_intake.current,
            data.daily_intake.previous,
            current_label=_("This period"),
            previous_label=_("Previous period"),
        ),
        "trend": charts.compliance_trend(
            period_labels,
            [r.percent for _p, r in data.first_response_trend],
            target=90,
            target_label=_("Target"),
        ),
    }
    for key, rows in (("cause_pareto", data.cause_pareto), ("category_pareto", data.category_pareto)):
        shown = rows[:PARETO_CHART_ROWS]
        result[key] = (
            charts.pareto(
                [str(row.name) for row in shown],
                [row.count for row in shown],
                [row.cumulative for row in shown],
                count_label=_("Cases"),
                cumulative_label=_("Cumulative share"),
            )
            if shown
            else ""
        )
    return result


def render_html(data: ReportData, *, language: str) -> str:
    """The report as an HTML document in ``language`` (``en`` or ``zh-hans``)."""
    with translation.override(language):
        context = {
            "data": data,
            "language": language,
            "html_lang": "zh-Hans" if language.lower().startswith("zh") else "en",
            "font_family": FONT_FAMILY,
            "headlines": _headlines(data),
            "charts": _charts(data),
            "cause_rows": data.cause_pareto[:PARETO_TABLE_ROWS],
            "category_rows": data.category_pareto[:PARETO_TABLE_ROWS],
            "definitions": [(str(d.title), _(d.definition)) for d in data.definitions],
            "trend_rows": [(p, r) for p, r in data.first_response_trend],
            "percent": percent,
        }
        return render_to_string("reports/report.html", context)


def render_pdf(data: ReportData, *, language: str) -> RenderedPdf:
    """The report as PDF bytes, A4, fonts embedded."""
    html = render_html(data, language=language)
    document = HTML(string=html, base_url="file:///nonexistent/", url_fetcher=url_fetcher()).render()
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))


__all__ = ["Name", "RenderedPdf", "render_html", "render_pdf", "url_fetcher"]
