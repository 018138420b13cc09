"""The report's charts as inline SVG strings, drawn by matplotlib from plain numbers (no database).

Text is drawn as paths (``svg.fonttype = "path"``), so the PDF does not depend on font
matching for the charts, and a fixed hash salt makes the output reproducible. Every chart's
element ids carry a prefix of its own, so that several charts inline in one document never
define the same id twice.
"""
from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

WIDTH_INCHES = 6.9
# Two charts side by side in the report's text width.
HALF_WIDTH_INCHES = 3.4
BLUE = "#1f5fa8"
GREY = "#a8b3bf"
GREY_TEXT = "#6b7580"
RED = "#b3261e"
GREEN = "#2a7a2a"
TICK_FONT_SIZE = 6.5
# A Pareto label takes at most this many lines across its bar before the labels are turned.
PARETO_LABEL_LINES = 3

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
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_IDS = re.compile(r'(\bid="|url\(#|href="#)')


def _integer_ticks(axes: Axes) -> None:
    """Whole-number ticks on the y axis, keeping its default locator's other choices."""
    # A new axes' default y locator is an AutoLocator, a MaxNLocator; the stubs say Locator.
    cast(MaxNLocator, axes.yaxis.get_major_locator()).set_params(integer=True)


def _svg(figure: Figure, prefix: str) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    text = buffer.getvalue()
    # Every id and every reference to one (clip paths, glyphs, markers) gets the chart's prefix.
    return _IDS.sub(lambda match: f"{match.group(1)}{prefix}-", text[text.index("<svg") :])


def text_width(text: str, size: float = TICK_FONT_SIZE) -> float:
    """The width of ``text`` drawn in the charts' font at ``size``, in points."""
    with rc_context(RC):
        width, _height, _descent = text_to_path.get_text_width_height_descent(text, FontProperties(size=size), ismath=False)
    return width


def wrap_label(text: str, max_width: float, size: float = TICK_FONT_SIZE) -> list[str]:
    """``text`` in lines at most ``max_width`` points wide at ``size``: broken between words, or,
    in Chinese, between characters into lines of even length. Nothing is left out: a word wider
    than a line keeps a line of its own, whole."""
    if _CJK.search(text):
        characters = list(text)
        for count in range(1, len(characters) + 1):
            per_line = -(-len(characters) // count)
            chunks = ["".join(characters[start : start + per_line]).strip() for start in range(0, len(characters), per_line)]
            if all(text_width(chunk, size) <= max_width for chunk in chunks):
                return [chunk for chunk in chunks if chunk]
        return [character for character in characters if character.strip()]
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]


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
        axes.set_xticks(list(positions), day_labels, fontsize=TICK_FONT_SIZE)
        axes.set_xlim(-0.6, len(current) - 0.4)
        axes.set_ylim(bottom=0)
        _integer_ticks(axes)
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2)
        figure.tight_layout()
        return _svg(figure, "intake")


def compliance_trend(
    period_labels: Sequence[str],
    percents: Sequence[float | None],
    *,
    target: float,
    target_label: str,
    empty_label: str,
    width: float = WIDTH_INCHES,
    prefix: str = "trend",
) -> str:
    """Compliance per period, in percent: a bar per period (green when it meets ``target``, red
    when not) and the target as a dashed line. A period without cases (``None``) is a gap with
    ``empty_label`` written in it, no bar and no value. Bars are ``<g id="{prefix}-bar-N">``, gaps
    ``{prefix}-empty-N``."""
    with rc_context(RC):
        figure = Figure(figsize=(width, 1.9))
        axes = figure.add_subplot()
        # The axes take about 80% of the figure's width; the words of a gap fit in its slot.
        gap = "\n".join(wrap_label(empty_label, 0.9 * 0.8 * width * 72 / max(len(percents), 1)))
        for position, value in enumerate(percents):
            if value is None:
                axes.text(position, 4, gap, ha="center", va="bottom", color=GREY_TEXT, fontsize=TICK_FONT_SIZE,
                          style="italic", gid=f"empty-{position}")
                continue
            axes.bar(position, value, color=GREEN if value >= target else RED, width=0.6, gid=f"bar-{position}")
            axes.annotate(f"{value:.1f}%", (position, value), xytext=(0, 1.5), textcoords="offset points",
                          ha="center", va="bottom", fontsize=TICK_FONT_SIZE)
        axes.axhline(target, color="#555555", linestyle="--", linewidth=0.8, label=f"{target_label} {target:g}%")
        axes.set_xticks(list(range(len(percents))), period_labels, fontsize=TICK_FONT_SIZE)
        axes.set_xlim(-0.5, len(percents) - 0.5)
        axes.set_ylim(0, 112)
        axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=TICK_FONT_SIZE)
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0))
        figure.tight_layout()
        return _svg(figure, prefix)


def bar_labels(names: Sequence[str], slot: float) -> tuple[list[str], float]:
    """Each name wrapped to its bar's width (``slot`` points), or, when one would need more than
    ``PARETO_LABEL_LINES`` lines, wrapped onto lines three bars wide and turned 30°. Returns the
    labels and their rotation."""
    across = [wrap_label(name, slot) for name in names]
    if all(len(lines) <= PARETO_LABEL_LINES for lines in across):
        return ["\n".join(lines) for lines in across], 0
    return ["\n".join(wrap_label(name, 2.2 * slot)) for name in names], 30


def pareto(
    names: Sequence[str], counts: Sequence[int], cumulative: Sequence[float], *, count_label: str, cumulative_label: str,
    prefix: str = "pareto",
) -> str:
    """Bars largest first with the cumulative share (percent) on a second axis; every name in full,
    wrapped onto lines (``bar_labels``), never shortened."""
    with rc_context(RC):
        figure = Figure(figsize=(WIDTH_INCHES, 2.5))
        axes = figure.add_subplot()
        positions = list(range(len(counts)))
        slots = max(len(counts), 8)
        axes.bar(positions, counts, color=BLUE, width=0.7, label=count_label)
        axes.set_xlim(-0.6, slots - 0.4)
        # The axes take about 84% of the figure's width; a label may use 95% of its bar's slot.
        labels, rotation = bar_labels(names, 0.95 * 0.84 * WIDTH_INCHES * 72 / slots)
        axes.set_xticks(positions, labels, fontsize=TICK_FONT_SIZE, rotation=rotation,
                        ha="right" if rotation else "center", rotation_mode="anchor" if rotation else "default",
                        linespacing=1.1)
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
        return _svg(figure, prefix)
