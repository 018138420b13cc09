"""The PDF: headline figures in its text, CJK font embedded, no PII, user text escaped, no network."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from reports import figures, rendering
from reports.data import collect
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


def test_pdf_has_every_section_and_the_definitions_page(pdfs):
    text = text_of(pdfs["en"].content)
    for title in ("Headline figures", "Departments", "Channels", "Overdue and escalated cases", "Surges", "Improvement actions", "Definitions"):
        assert title in text
    for definition in figures.FIGURES:
        assert compact(definition.definition[:60]) in compact(text)
    assert "Page 1 / " in text
    assert pdfs["en"].page_count >= 4


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
    assert "<img" not in html
    assert "<script" not in html


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
