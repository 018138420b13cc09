"""The PDF as a supervisor sees it: pages filled, tables broken in groups with their header
repeated, every printed word in the reader's language, charts labelled in full and dated with
month names, the cover saying what changed."""
from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real
from pypdf import PdfReader
from weasyprint import HTML

from complaints.states import Channel, Closure, Outcome
from complaints.states import ComplaintState as S
from reports import charts, figures, rendering
from reports.data import Headline, collect
from reports.figures import CategoryChange, EscalatedInPeriod, EscalatedRow, Name, OverdueRow, Ratio
from reports.models import ImprovementActionState
from reports.periods import Period
from workflows.clocks import CLOCKS
from workflows.models import EscalationLevel, SurgeAlertState, SurgeDimension

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 1, 19), date(2026, 2, 1))
MM = 72 / 25.4  # PDF points per millimetre
# The report's @page margins (reports/templates/reports/report.html), top and bottom.
MARGIN_TOP, MARGIN_BOTTOM = 20 * MM, 16 * MM
PAINTING = {b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b", b"b*"}


# --- reading a PDF's layout -----------------------------------------------------------------
@dataclass
class PageLayout:
    text: str
    lowest: float  # the lowest text baseline or painted path in the printable area, from the page top
    printable_top: float
    printable_height: float

    @property
    def fill(self) -> float:
        return (self.lowest - self.printable_top) / self.printable_height


def _apply(matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = (float(value) for value in matrix)
    return a * x + c * y + e, b * x + d * y + f


def _multiply(first, second) -> list[float]:
    a, b, c, d, e, f = (float(value) for value in first)
    g, h, i, j, k, m = (float(value) for value in second)
    return [a * g + b * i, a * h + b * j, c * g + d * i, c * h + d * j, e * g + f * i + k, e * h + f * j + m]


def layout_of(pdf: bytes) -> list[PageLayout]:
    """Each page's text and how far down its content reaches: text baselines (pypdf's text
    visitor) and the paths it paints, tables' rules and charts included (its operator visitor)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        height = float(page.mediabox.height)
        bottom_limit, top_limit = MARGIN_BOTTOM, height - MARGIN_TOP
        ys: list[float] = []
        path: list[float] = []

        def operator(op, args, cm, tm, ys=ys, path=path):
            if op in (b"m", b"l"):
                path.append(_apply(cm, args[0], args[1])[1])
            elif op == b"c":
                path.extend(_apply(cm, args[index], args[index + 1])[1] for index in (0, 2, 4))
            elif op == b"re":
                x, y, width, tall = (float(value) for value in args)
                path.extend(_apply(cm, x, y + offset)[1] for offset in (0, tall))
            elif op in PAINTING:
                ys.extend(path)
                path.clear()
            elif op == b"n":  # a clipping path, not painted
                path.clear()

        def text(content, cm, tm, font, size, ys=ys):
            if content.strip():
                ys.append(_multiply(tm, cm)[5])

        content = page.extract_text(visitor_operand_before=operator, visitor_text=text)
        inside = [y for y in ys if bottom_limit <= y <= top_limit]
        lowest = height - min(inside) if inside else MARGIN_TOP
        pages.append(PageLayout(content, lowest, MARGIN_TOP, top_limit - bottom_limit))
    return pages


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data(seeded, django_db_blocker):
    with django_db_blocker.unblock():
        return collect(PERIOD)


@pytest.fixture(scope="module")
def department_data(seeded, django_db_blocker):
    with django_db_blocker.unblock():
        return collect(PERIOD, department=seeded.world.retail)


@pytest.fixture(scope="module")
def pdfs(data):
    return {language: rendering.render_pdf(data, language=language).content for language in ("en", "zh-hans")}


_rendered: dict[tuple[int, int], bytes] = {}


def case_lists_pdf(data, overdue: int, escalated: int) -> bytes:
    """The English PDF of ``with_case_lists``, rendered once per module and sizes."""
    if (overdue, escalated) not in _rendered:
        _rendered[overdue, escalated] = rendering.render_pdf(with_case_lists(data, overdue, escalated), language="en").content
    return _rendered[overdue, escalated]


def with_case_lists(data, overdue: int, escalated: int):
    """``data`` with ``overdue`` and ``escalated`` listed cases, referenced OVD-nnnn and ESC-nnnn."""
    department = Name("Retail banking", "零售银行部")
    moment = data.period.ends_before
    overdue_rows = [
        OverdueRow(f"OVD-{index:04d}", moment - timedelta(days=40), department, "resolution",
                   moment - timedelta(days=30 - index % 30), timedelta(days=30 - index % 30))
        for index in range(overdue)
    ]
    escalated_rows = [
        EscalatedRow(f"ESC-{index:04d}", None, "resolution", 1 + index % 3, data.period.starts_at + timedelta(hours=index))
        for index in range(escalated)
    ]
    return dataclasses.replace(
        data,
        overdue=dataclasses.replace(data.overdue, rows=overdue_rows, total=max(overdue, data.overdue.total)),
        escalated=EscalatedInPeriod({1: escalated}, escalated_rows, escalated),
    )


# --- page fill ------------------------------------------------------------------------------
def _headings(number: int, title: str) -> list[str]:
    """Section ``number``'s heading as printed, in both languages, without spaces."""
    headings = []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            headings.append(f"{number}.{compact(translation.gettext(title))}")
    return headings


def pages_holding(pages, number: int, title: str) -> list[int]:
    return [index for index, page in enumerate(pages, start=1) if any(h in compact(page.text) for h in _headings(number, title))]


def assert_pages_filled(pdf: bytes) -> None:
    """Every page but the last at least MIN_PAGE_FILL full, the definitions on one page, the last;
    when they have that page to themselves (section 6 ends on the page before), that page, the
    end of the report's body, may be emptier."""
    pages = layout_of(pdf)
    assert len(pages) >= 2
    assert pages_holding(pages, 7, "Definitions") == [len(pages)], "the definitions are not on the last page alone"
    body_ends_before = pages_holding(pages, 6, "Improvement actions") != [len(pages)]
    for number, page in enumerate(pages[:-1], start=1):
        if body_ends_before and number == len(pages) - 1:
            continue
        assert page.fill >= rendering.MIN_PAGE_FILL, f"page {number} of {len(pages)} is {page.fill:.0%} full"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_but_the_last_is_two_thirds_full(pdfs, language):
    assert_pages_filled(pdfs[language])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_department_report_fills_its_pages_too(department_data, language):
    assert_pages_filled(rendering.render_pdf(department_data, language=language).content)


@pytest.mark.parametrize("overdue, escalated", [(13, 7), (37, 23), (100, 100)])
def test_long_case_lists_fill_their_pages(data, overdue, escalated):
    assert_pages_filled(case_lists_pdf(data, overdue, escalated))


def test_page_fill_of_the_layout_matches_the_pdf(data):
    html = rendering.render_html(data, language="en", definitions_apart=False)
    document = HTML(string=html, url_fetcher=rendering.url_fetcher()).render()
    measured = layout_of(document.write_pdf())
    for page, from_pdf in zip(document.pages[:-1], measured, strict=False):
        assert rendering.page_fill(page) == pytest.approx(from_pdf.fill, abs=0.03)


# --- tables that break ----------------------------------------------------------------------
@pytest.mark.parametrize("overdue, escalated", [(13, 7), (37, 23), (100, 100)])
def test_a_table_that_breaks_leaves_five_rows_a_page_and_repeats_its_header(data, overdue, escalated):
    pages = layout_of(case_lists_pdf(data, overdue, escalated))
    for prefix, header, total in (("OVD", "Overdue by", overdue), ("ESC", "Level reached", escalated)):
        per_page = [(len(set(re.findall(rf"{prefix}-\d{{4}}", page.text))), page.text) for page in pages]
        holding = [(count, text) for count, text in per_page if count]
        assert sum(count for count, _text in holding) == total  # every row printed once
        for count, text in holding:
            assert count >= min(5, total), f"{count} {prefix} rows on a page"
            assert header in text, f"{prefix} rows without their header"
    assert any(len(set(re.findall(r"OVD-\d{4}", page.text))) for page in pages[1:])


def test_row_groups_have_five_rows_or_more():
    from reports.templatetags.report_format import row_groups

    assert row_groups(list(range(4))) == [[0, 1, 2, 3]]
    assert [len(group) for group in row_groups(list(range(9)))] == [9]
    assert [len(group) for group in row_groups(list(range(10)))] == [5, 5]
    assert [len(group) for group in row_groups(list(range(23)))] == [5, 5, 5, 8]
    assert [row for group in row_groups(list(range(23))) for row in group] == list(range(23))
    assert row_groups([]) == []


# --- definitions ----------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_page_one_says_truly_where_the_definitions_are(pdfs, language):
    pages = layout_of(pdfs[language])
    with translation.override(language):
        heading = "7." + translation.gettext("Definitions")
        last_page = compact(translation.gettext(
            "Open and overdue are counted at the end of each period. Definitions of every figure are on the last page."
        ))
        from_page = compact(translation.gettext(
            "Open and overdue are counted at the end of each period. Definitions of every figure are in section 7, "
            "from page %(page)s."
        )).split("%(page)s")[0]
    starts = [number for number, page in enumerate(pages, start=1) if heading in compact(page.text)]
    assert len(starts) == 1
    cover = compact(pages[0].text)
    if last_page in cover:
        assert starts == [len(pages)]
    else:
        pointer = re.search(re.escape(from_page) + r"(\d+)", cover)
        assert pointer, "page 1 does not say where the definitions are"
        assert int(pointer.group(1)) == starts[0]
        assert starts[0] == len(pages)  # following on from section 6, on the last page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_definitions_apart_take_the_last_page_alone(data, language):
    html = rendering.render_html(data, language=language, definitions_apart=True)
    pages = layout_of(HTML(string=html, url_fetcher=rendering.url_fetcher()).write_pdf())
    with translation.override(language):
        heading = "7." + translation.gettext("Definitions")
        pointer = translation.gettext(
            "Open and overdue are counted at the end of each period. Definitions of every figure are on the last page."
        )
    assert [number for number, page in enumerate(pages, start=1) if heading in compact(page.text)] == [len(pages)]
    assert compact(pages[-1].text).startswith(heading)
    assert compact(pointer) in compact(pages[0].text)


# --- every word in the reader's language ----------------------------------------------------
def english_words() -> set[str]:
    """What must never print in English in the Chinese PDF: states, closures, outcomes, channels,
    escalation levels, alert and action states, clocks, the bank's name, "Unassigned", and the
    section titles; and the raw codes of states and closures."""
    with translation.override("en"):
        labels = {
            str(label)
            for choices in (S, Closure, Outcome, Channel, ImprovementActionState, EscalationLevel, SurgeAlertState, SurgeDimension)
            for label in choices.labels
        }
        labels |= {str(clock.label) for clock in CLOCKS.values()} | {str(clock.label).capitalize() for clock in CLOCKS.values()}
        titles = {
            str(translation.gettext(title))
            for title in (
                "Since the previous period", "Headline figures", "Charts", "Departments", "Channels", "Compliance per clock",
                "Overdue at period end", "Escalated during the period", "Surges", "Improvement actions", "Definitions",
                "How each figure is counted", "Unassigned",
            )
        }
        titles |= {str(definition.title) for definition in figures.FIGURES}
    codes = {value for value in (*S.values, *Closure.values) if value}
    return labels | titles | codes | {settings.BANK_NAME}


def english_in(text: str, words: set[str]) -> list[str]:
    return sorted(word for word in words if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text))


@pytest.fixture
def every_message_translated(monkeypatch):
    """The Chinese catalog, with a stand-in (Chinese, the placeholders kept) for every message it
    does not translate yet: English left in a PDF rendered with it never went through gettext."""
    with translation.override("zh-hans"):
        catalog = trans_real.translation("zh-hans")
    real_gettext, real_ngettext = catalog.gettext, catalog.ngettext

    def stand_in(message: str) -> str:
        return "译" + " ".join(re.findall(r"%\(\w+\)[sd]|%%", message))

    def gettext(message):
        translated = real_gettext(message)
        return stand_in(message) if translated == message and re.search("[A-Za-z]", message) else translated

    def ngettext(singular, plural, count):
        translated = real_ngettext(singular, plural, count)
        return stand_in(plural) if translated in (singular, plural) and re.search("[A-Za-z]", singular) else translated

    monkeypatch.setattr(catalog, "gettext", gettext)
    monkeypatch.setattr(catalog, "ngettext", ngettext)


def test_chinese_pdf_names_the_bank_in_chinese(pdfs, data):
    text = layout_text(pdfs["zh-hans"])
    assert data.bank_name.zh == settings.BANK_NAME_ZH and data.bank_name.zh in text
    assert settings.BANK_NAME not in text


def test_every_word_of_the_chinese_pdf_goes_through_translation(data, every_message_translated):
    listed = with_case_lists(data, 6, 6)  # the escalated list's unassigned cases, and both tables
    text = layout_text(rendering.render_pdf(listed, language="zh-hans").content)
    assert english_in(text, english_words()) == []
    assert str(data.bank_name.zh) in text and settings.BANK_NAME not in text


def test_the_bank_name_is_the_reports_not_the_setting(data):
    renamed = dataclasses.replace(data, bank_name=Name("Harbour Bank", "海港银行"))
    assert "海港银行" in rendering.render_html(renamed, language="zh-hans")
    html = rendering.render_html(renamed, language="en")
    assert "Harbour Bank" in html and settings.BANK_NAME not in html


def layout_text(pdf: bytes) -> str:
    return "\n".join(page.text for page in layout_of(pdf))


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- charts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("language, first, month_start", [("en", "19 Jan", "1 Feb"), ("zh-hans", "1月19日", "2月1日")])
def test_the_daily_axis_names_the_month(data, monkeypatch, language, first, month_start):
    drawn = {}
    real = charts.daily_intake

    def spy(day_labels, *args, **kwargs):
        drawn["labels"] = list(day_labels)
        return real(day_labels, *args, **kwargs)

    monkeypatch.setattr(charts, "daily_intake", spy)
    with translation.override(language):
        rendering.chart_svgs(data)
    labels = drawn["labels"]
    assert len(labels) == PERIOD.days
    assert labels[0] == first and labels[PERIOD.dates().index(date(2026, 2, 1))] == month_start
    assert labels[1] == "20"


def test_an_empty_period_is_a_gap_saying_no_cases(data):
    empty = [(period, Ratio(0, 0)) for period, _ratio in data.first_response_trend]
    empty[-1] = (empty[-1][0], Ratio(9, 10))
    sparse = dataclasses.replace(data, first_response_trend=empty, resolution_trend=empty)
    with translation.override("en"):
        svg = rendering.chart_svgs(sparse)["trend"]
        rows = rendering.trend_rows(sparse)
    assert svg.count('id="trend-bar-') == 1 and 'id="trend-bar-5"' in svg
    assert svg.count('id="trend-empty-') == 5
    assert [row["first_response"]["percent"] for row in rows] == ["no cases"] * 5 + ["90.0%"]
    html = rendering.render_html(sparse, language="en")
    assert "0/0" not in html and "— " not in html.split("<h2>2.")[1].split("<h2>3.")[0]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_figure_prints_as_zero_over_zero(pdfs, language):
    assert "0/0" not in compact(layout_text(pdfs[language]))


def test_resolution_compliance_has_a_chart_beside_first_response(data):
    with translation.override("en"):
        svgs = rendering.chart_svgs(data)
    assert {"daily_intake", "trend", "resolution_trend", "cause_pareto", "category_pareto"} <= set(svgs)
    assert 'id="resolution-trend-' in svgs["resolution_trend"]
    html = rendering.render_html(data, language="en")
    assert html.count('<img class="chart"') == 5
    assert "Resolved within deadline, last six periods" in html


@pytest.mark.parametrize(
    "name",
    ["Systems, equipment and facilities", "Personal financial information", "Business rules and processes",
     "An exceptionally long category name that no bar could ever hold on two lines", "手机银行与网上银行", "制度规定及业务流程"],
)
def test_bar_labels_are_wrapped_never_cut(name):
    for bars in (8, 10, 15):
        labels, rotation = charts.bar_labels([name, "Other"], 0.95 * 0.84 * charts.WIDTH_INCHES * 72 / bars)
        assert compact(labels[0]) == compact(name)
        assert "…" not in labels[0] and "..." not in labels[0]
        if rotation == 0:
            assert labels[0].count("\n") < charts.PARETO_LABEL_LINES


def test_a_wrapped_line_fits_unless_one_word_is_wider():
    for line in charts.wrap_label("Systems, equipment and facilities", 45):
        assert charts.text_width(line) <= 45 or " " not in line


# --- the cover's three sentences ------------------------------------------------------------
def change(code: str, current: int, previous: int) -> CategoryChange:
    return CategoryChange(code, Name(code.capitalize(), code), current, previous)


def with_targets(data, first_response: Ratio, resolution: Ratio, review: Ratio):
    return dataclasses.replace(
        data,
        first_response=Headline("first_response_on_time", first_response, first_response, figures.FIRST_RESPONSE_TARGET),
        resolved_on_time=Headline("resolved_on_time", resolution, resolution, figures.RESOLVED_ON_TIME_TARGET),
        review_coverage=Headline("review_coverage", review, review, figures.REVIEW_COVERAGE_TARGET),
    )


def test_summary_names_the_largest_rise_and_fall_and_the_targets_missed(data):
    synthetic = with_targets(
        dataclasses.replace(data, category_changes=[change("cards", 20, 12), change("loans", 15, 5), change("fees", 3, 9), change("app", 4, 6)]),
        Ratio(80, 100), Ratio(99, 100), Ratio(9, 10),
    )
    with translation.override("en"):
        rise, fall, missed = rendering.summary_sentences(synthetic)
    assert rise == "Largest rise: Loans, up from 5 to 15 cases received (+10)."
    assert fall == "Largest fall: Fees, down from 9 to 3 cases received (−6)."
    assert missed == "Targets missed: First response on time 80.0% (target ≥ 90%) and Review coverage 90.0% (target ≥ 95%)."


def test_summary_when_nothing_rose_or_fell_and_every_target_was_met(data):
    synthetic = with_targets(
        dataclasses.replace(data, category_changes=[change("cards", 7, 7)]), Ratio(95, 100), Ratio(98, 100), Ratio(1, 1)
    )
    with translation.override("en"):
        assert rendering.summary_sentences(synthetic) == [
            "No category received more cases than in the previous period.",
            "No category received fewer cases than in the previous period.",
            "Every target was met.",
        ]


def test_summary_of_an_empty_period(data):
    synthetic = with_targets(dataclasses.replace(data, category_changes=[]), Ratio(0, 0), Ratio(0, 0), Ratio(0, 0))
    with translation.override("en"):
        sentences = rendering.summary_sentences(synthetic)
    assert sentences[2] == (
        "No target was missed; no case to measure: First response on time, Resolved within deadline and Review coverage."
    )


def test_summary_of_one_missed_target_and_one_case(data):
    synthetic = with_targets(
        dataclasses.replace(data, category_changes=[change("cards", 1, 0)]), Ratio(95, 100), Ratio(0, 0), Ratio(1, 2)
    )
    with translation.override("en"):
        rise, _fall, missed = rendering.summary_sentences(synthetic)
    assert rise == "Largest rise: Cards, up from 0 to 1 case received (+1)."
    assert missed == "Target missed: Review coverage 50.0% (target ≥ 95%)."


def test_the_cover_prints_the_summary_in_the_readers_language(data):
    html = rendering.render_html(data, language="zh-hans")
    with translation.override("zh-hans"):
        for sentence in rendering.summary_sentences(data):
            assert sentence in html.split("<h2>1.")[0]


# --- a department's report ------------------------------------------------------------------
def test_a_department_report_is_titled_for_it_and_has_no_departments_table(department_data):
    html = rendering.render_html(department_data, language="en")
    assert "Biweekly improvement report — Department retail</h1>" in html
    assert "3. Departments" not in html and "<h2>3. Channels</h2>" in html
    chinese = rendering.render_html(department_data, language="zh-hans")
    assert "部门 retail</h1>" in chinese
