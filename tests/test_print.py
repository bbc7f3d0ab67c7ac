"""The print edition: one lesson's PDF printed by Debian's chromium from the built book, offline.
(The whole course's PDF is made the same way, on demand: `python -m after_stalinism.booktools.printbook`.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import toc_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]


def test_lesson_pdf_has_pages_text_figures_links_and_answers(built_book: Path, browser, tmp_path: Path):
    from pypdf import PdfReader

    from after_stalinism.booktools.printbook import print_edition

    lesson = [p for p in toc_pages() if p.startswith("notebooks/")][1]  # lesson 2: figures and explorers
    html = (built_book / f"{lesson}.html").read_text(encoding="utf-8")
    n_figures = html.count('class="course-figure"') + html.count('class="explorer"')
    assert n_figures >= 3

    [pdf] = print_edition(built_book, tmp_path, only_lessons=[2], course=False, browser=browser)
    assert pdf.name == "lesson-2.pdf"
    reader = PdfReader(pdf)
    assert 8 <= len(reader.pages) <= 80
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("The second economy", "Contents", "Glossary", "Bibliography",
                     "Appendix: answers to the self-checks", "Answer:", "Shown with the default settings"):
        assert expected in text, f"{expected!r} is missing from the PDF"
    images = sum(len(page.images) for page in reader.pages)
    assert images >= n_figures, f"{images} images for {n_figures} figures"
    internal_links = [a.get_object() for page in reader.pages for a in page.get("/Annots", []) or []
                      if a.get_object().get("/Subtype") == "/Link" and "/Dest" in a.get_object()]
    assert len(internal_links) >= 10, "cross-references, glossary terms and citations link inside the PDF"
    assert reader.outline, "the PDF has bookmarks for its sections"
    assert not (built_book / "_print.html").exists(), "the print document is not left in the web book"


def _pdf_fonts(reader) -> set[str]:
    fonts = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get_object().get("/Font") or {}).values():
            font = font.get_object()
            fonts.add(f'{font.get("/Subtype")}:{font.get("/BaseFont", "")}')
    return fonts


def test_korean_prints_in_a_font_that_has_hangul(built_book: Path, browser, tmp_path: Path):
    """The glossary's Korean words come out as Hangul in the PDF, in an embedded CJK font (not as boxes)."""
    import re

    from pypdf import PdfReader

    from after_stalinism.booktools.printbook import HANGUL_FONT_PACKAGE, has_hangul_font, print_edition

    assert has_hangul_font(), f"no font with Hangul: apt-get install {HANGUL_FONT_PACKAGE} (.ci/run does)"
    [pdf] = print_edition(built_book, tmp_path, only_lessons=[2], course=False, browser=browser)
    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() for page in reader.pages)
    hangul = re.findall(r"[\uac00-\ud7af]+", text)
    assert "종합시장" in hangul, "the glossary's Korean term is in the PDF's text"
    # Chromium embeds DejaVu as Type0 fonts and draws Noto CJK's (CFF) glyphs as a Type3 font of
    # outlines; without a Hangul font there is no such font and the words print as DejaVu's boxes.
    fonts = _pdf_fonts(reader)
    assert any("CJK" in f or f.startswith("/Type3") for f in fonts), f"no font for Hangul; fonts: {sorted(fonts)}"


def test_print_edition_hides_web_only_parts(built_book: Path):
    from after_stalinism.booktools.printbook import PRINT_CSS

    for selector in (".copybtn", "details.figure-data", ".figure-summary", ".toggle-details__summary"):
        assert selector in PRINT_CSS.split("display: none")[0], selector
