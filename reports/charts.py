"""The report's charts as inline SVG strings, drawn by matplotlib from plain numbers (no database).

Text is drawn as paths (``svg.fonttype = "path"``), so the PDF does not depend on font
matching for the charts, and a fixed hash salt makes the output reproducible.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

WIDTH_INCHES = 6.9
BLUE = "#1f5fa8"
GREY = "#a8b3bf"
RED = "#b3261e"
GREEN = "#2a7a2a"

RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "complaints-report",
    "font.family": ["Noto Sans CJK SC", "DejaVu Sans"],
    "font.size": 8,
    "axes.unicode_minus": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9,
    "legend.frameon": False,
}


def _integer_ticks(axes: Axes) -> None:
    """Whole-number ticks on the y axis, keeping its default locator's other choices."""
    # A new axes' default y locator is an AutoLocator, a MaxNLocator; the stubs say Locator.
    cast(MaxNLocator, axes.yaxis.get_major_locator()).set_params(integer=True)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def daily_intake(
    day_labels: Sequence[str], current: Sequence[int], previous: Sequence[int], *, current_label: str, previous_label: str
) -> str:
    """Bars for each day of the period, with the previous period's same weekday as a line."""
    with rc_context(RC):
        figure = Figure(figsize=(WIDTH_INCHES, 1.9))
        axes = figure.add_subplot()
        positions = range(len(current))
        axes.bar(positions, current, color=BLUE, label=current_label, width=0.7)
        axes.plot(list(positions)[: len(previous)], previous, color=GREY, marker="o", markersize=3, label=previous_label)
        axes.set_xticks(list(positions), day_labels)
        axes.set_ylim(bottom=0)
        _integer_ticks(axes)
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2)
        figure.tight_layout()
        return _svg(figure)


def compliance_trend(period_labels: Sequence[str], percents: Sequence[float | None], *, target: float, target_label: str) -> str:
    """First-response compliance per period, in percent, with the target as a dashed line."""
    with rc_context(RC):
        figure = Figure(figsize=(WIDTH_INCHES, 1.8))
        axes = figure.add_subplot()
        positions = list(range(len(percents)))
        values = [value if value is not None else 0 for value in percents]
        colours = [GREEN if value is not None and value >= target else RED for value in percents]
        bars = axes.bar(positions, values, color=colours, width=0.6)
        for bar, value in zip(bars, percents, strict=True):
            text = "—" if value is None else f"{value:.1f}%"
            axes.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=7)
        axes.axhline(target, color="#555555", linestyle="--", linewidth=0.8, label=target_label)
        axes.set_xticks(positions, period_labels)
        axes.set_ylim(0, 110)
        axes.set_yticks([0, 25, 50, 75, 100])
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0))
        figure.tight_layout()
        return _svg(figure)


def pareto(names: Sequence[str], counts: Sequence[int], cumulative: Sequence[float], *, count_label: str, cumulative_label: str) -> str:
    """Bars largest first with the cumulative share (percent) on a second axis."""
    with rc_context(RC):
        height = 2.4
        figure = Figure(figsize=(WIDTH_INCHES, height))
        axes = figure.add_subplot()
        positions = list(range(len(counts)))
        axes.bar(positions, counts, color=BLUE, width=0.7, label=count_label)
        axes.set_xlim(-0.6, max(len(counts), 8) - 0.4)
        axes.set_xticks(positions, [name if len(name) <= 18 else name[:17] + "…" for name in names], rotation=30, ha="right")
        axes.set_ylim(bottom=0)
        _integer_ticks(axes)
        share = axes.twinx()
        share.plot(positions, cumulative, color=RED, marker="o", markersize=3, label=cumulative_label)
        share.axhline(80, color="#999999", linestyle=":", linewidth=0.8)
        share.set_ylim(0, 105)
        share.spines["right"].set_visible(True)
        share.set_yticks([0, 20, 40, 60, 80, 100], ["0%", "20%", "40%", "60%", "80%", "100%"])
        handles = axes.get_legend_handles_labels()[0] + share.get_legend_handles_labels()[0]
        axes.legend(handles, [count_label, cumulative_label], loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2)
        figure.tight_layout()
        return _svg(figure)
