"""The PDF: headline figures in its text, every section, CJK font embedded, no PII, user text escaped, no network."""
from __future__ import annotations

import base64
import dataclasses
import io
import re
from datetime import date, timedelta

import pytest
from django.utils import translation
from pypdf import PdfReader
from weasyprint import HTML

from reports import figures, rendering
from reports.data import Headline, collect
from reports.periods import Period
from reports.templatetags.report_format import ratio

from .conftest import SEEDED_ACCOUNT, SEEDED_EMAIL, SEEDED_ID_NUMBER, SEEDED_PHONE_PREFIX

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 1, 19), date(2026, 2, 1))


@pytest.fixture(scope="module")
def data(seeded, django_db_blocker):
    with django_db_blocker.unblock():
        return collect(PERIOD)


@pytest.fixture(scope="module")
def pdfs(data):
    return {language: rendering.render_pdf(data, language=language) for language in ("en", "zh-hans")}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def body_of(pdf: bytes) -> str:
    """The text of the pages without their running header and page number (the last two lines)."""
    return "\n".join(page.extract_text().rsplit("\n", 2)[0] for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pdf_text_holds_the_headline_figures(pdfs, data, language):
    text = compact(text_of(pdfs[language].content))
    assert compact(f"{PERIOD.start:%Y-%m-%d}") in text
    assert data.received.current > 0
    expected = [
        str(data.received.current),
        str(data.received.previous),
        ratio(data.first_response.current),
        ratio(data.first_response.previous),
        ratio(data.resolved_on_time.current),
        ratio(data.review_coverage.current),
        ratio(data.reopen_rate.current),
        f"{data.satisfaction.current.average:.2f}",
        f"{data.open_and_overdue.current.open}",
    ]
    for value in expected:
        assert compact(value) in text, value


def test_pdf_has_every_section_and_the_definitions(pdfs, data):
    text = text_of(pdfs["en"].content)
    for title in (
        "Since the previous period", "Headline figures", "Charts", "Departments", "Channels", "Compliance per clock",
        "Overdue at period end", "Escalated during the period", "Surges", "Improvement actions", "Definitions",
    ):
        assert title in text, title
    assert "Overdue and escalated cases" not in text
    with translation.override("en"):
        definitions = rendering.definition_texts(data)
    assert len(definitions) == len(figures.FIGURES)
    body = compact(body_of(pdfs["en"].content))
    for _title, definition in definitions:
        assert "%(" not in definition
        assert compact(definition) in body, definition[:60]
    assert "Page 1 / " in text
    assert pdfs["en"].page_count >= 4


def test_the_reopen_rate_says_how_many_are_still_open(data):
    reopened = dataclasses.replace(data, reopened_still_open=Headline("reopened_still_open", 2, 0))
    with translation.override("en"):
        row = next(row for row in rendering.headline_rows(reopened) if row["label"] == "Reopen rate")
    assert (row["current_remark"], row["previous_remark"]) == ("of which 2 still open", "of which 0 still open")
    quiet = dataclasses.replace(data, reopened_still_open=Headline("reopened_still_open", 0, 0))
    with translation.override("en"):
        row = next(row for row in rendering.headline_rows(quiet) if row["label"] == "Reopen rate")
    assert (row["current_remark"], row["previous_remark"]) == ("", "")


def test_overdue_and_escalated_lists_say_how_many_are_listed(data):
    moment = data.period.ends_before
    rows = [
        figures.OverdueRow(f"C-OVD-{index}", moment, None, "resolution", moment - timedelta(days=2), timedelta(days=2))
        for index in range(3)
    ]
    listed = dataclasses.replace(
        data,
        overdue=figures.OverdueAtEnd([figures.OverdueClock("resolution", (0, 40, 0, 0))], rows, 40),
        escalated=figures.EscalatedInPeriod({2: 12}, [figures.EscalatedRow("C-ESC-1", None, "resolution", 2, moment)], 12),
    )
    html = rendering.render_html(listed, language="en")
    assert "3 of 40 listed, the longest overdue first." in html
    assert "1 of 12 listed, the highest level first." in html
    assert "<th class=\"num\">1–7 days</th>" in html and "<td>Unassigned</td>" in html


def test_chinese_pdf_embeds_a_cjk_font(pdfs):
    fonts = embedded_fonts(pdfs["zh-hans"].content)
    assert fonts, "no font embedded"
    assert any("CJK" in name or "WenQuanYi" in name for name in fonts), fonts
    assert "房贷" in text_of(pdfs["zh-hans"].content)


def test_pdf_holds_no_customer_pii(pdfs):
    for pdf in pdfs.values():
        text = compact(text_of(pdf.content))
        for secret in (SEEDED_PHONE_PREFIX, SEEDED_EMAIL, SEEDED_ID_NUMBER, SEEDED_ACCOUNT, "张三", "13900001111"):
            assert secret not in text


def test_user_text_with_markup_prints_as_text(pdfs):
    text = compact(text_of(pdfs["en"].content))
    assert compact("Train branch staff <img src=http://evil.example/y.png>") in text
    assert compact("<img src=http://evil.example/z.png> script") in text


def test_html_escapes_markup_and_has_no_active_elements(data):
    html = rendering.render_html(data, language="en")
    assert "&lt;img src=http://evil.example/y.png&gt;" in html
    # The only images are the charts, SVG documents in data: URLs.
    images = re.findall(r"<img[^>]*>", html)
    assert images and all(re.fullmatch(r'<img class="chart" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="">', image) for image in images)
    assert "<script" not in html
    for image in images:
        svg = base64.b64decode(image.split("base64,")[1].split('"')[0]).decode()
        assert "<script" not in svg and "evil.example" not in svg


def test_url_fetcher_refuses_http_and_https():
    fetcher = rendering.url_fetcher()
    for url in ("http://127.0.0.1:9/x.png", "https://example.com/x.png", "ftp://example.com/x"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)


def test_url_fetcher_still_serves_data_urls():
    response = rendering.url_fetcher().fetch("data:text/plain,hello")
    body = response.read() if hasattr(response, "read") else response["string"]
    assert b"hello" in body


def test_a_document_pointing_at_http_renders_without_fetching(caplog):
    html = '<p>x</p><img src="http://127.0.0.1:9/a.png">'
    with caplog.at_level("WARNING", logger="weasyprint"):
        pdf = HTML(string=html, url_fetcher=rendering.url_fetcher()).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert "disallowed protocol" in caplog.text


def test_surge_alerts_are_a_table_when_there_are_some(data):
    assert "Surge alerts raised during the period" not in rendering.render_html(data, language="en")
    alert = figures.SurgeAlertRow(
        "category", figures.Name("Mortgages", "房贷"), data.period.starts_at + timedelta(days=3), 14, 2.5, 9.1, 11,
        "closed", data.period.starts_at + timedelta(days=5), "Fee change <b>explained</b>",
    )
    html = rendering.render_html(dataclasses.replace(data, surge_alerts=[alert]), language="en")
    table = html.split("Surge alerts raised during the period")[1].split("</table>")[0]
    for cell in ("<td>Category</td>", "<td>Mortgages</td>", "<td class=\"num\">14</td>", "<td class=\"num\">2.5</td>",
                 "<td class=\"num\">11</td>", "<td>Closed</td>", "Fee change &lt;b&gt;explained&lt;/b&gt;"):
        assert cell in table, cell
    assert "<td>closed</td>" not in table


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_rendering_reads_no_database(data, language, django_assert_num_queries):
    # Everything the PDF prints was read by collect(); the policies' calendar included.
    with django_assert_num_queries(0):
        rendering.render_html(data, language=language)
