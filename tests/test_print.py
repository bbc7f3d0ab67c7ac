"""The print edition: PDFs printed by Debian's chromium from the built book, offline, read back with pypdf.
Lesson 2's PDF and the course's are printed once for this module (`python -m after_stalinism.booktools.printbook`
makes them the same way)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import toc_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]

LESSON_NUMBER = 2  # figures and explorers, many citations and glossary terms


def _lesson() -> str:
    return [p for p in toc_pages() if p.startswith("notebooks/")][LESSON_NUMBER - 1]


@pytest.fixture(scope="module")
def lesson_pdf(built_book: Path, browser, tmp_path_factory) -> Path:
    from after_stalinism.booktools.printbook import print_edition

    [pdf] = print_edition(built_book, tmp_path_factory.mktemp("lesson"), only_lessons=[LESSON_NUMBER],
                          course=False, browser=browser)
    return pdf


@pytest.fixture(scope="module")
def course_pdf(built_book: Path, browser, tmp_path_factory) -> Path:
    from after_stalinism.booktools.printbook import print_edition

    [pdf] = print_edition(built_book, tmp_path_factory.mktemp("course"), only_lessons=[], browser=browser)
    return pdf


def _text(reader, pages=None) -> str:
    """The text of ``pages`` (indexes; all by default), ligatures as letters ("ﬀi" -> "ffi")."""
    indexes = pages if pages is not None else range(len(reader.pages))
    return unicodedata.normalize("NFKC", "\n".join(reader.pages[i].extract_text() for i in indexes))


def _parts(reader, anchors: list[str]) -> dict[str, range]:
    """The page indexes of each part of the PDF, given the anchors of its parts in order (each starts a page)."""
    starts = [reader.get_destination_page_number(reader.named_destinations[f"/{a}"]) for a in anchors]
    return {a: range(start, end) for a, start, end in zip(anchors, starts, starts[1:] + [len(reader.pages)])}


def _entries(text: str) -> list[str]:
    """The labels of the bibliography entries in ``text`` ("[Gro77]", each on a line of its own)."""
    return re.findall(r"^\[[^\]\s]+\]$", text, re.M)


def _anchor(page: str) -> str:
    return page.replace("/", "--")


def _article(built_book: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((built_book / f"{page}.html").read_text(encoding="utf-8"), "html.parser").select_one(
        "article.bd-article")


def _linked(tag, target: str) -> set[str]:
    """The ids on the book page ``target`` (file name, e.g. "bibliography.html") that links in ``tag`` point to."""
    return {a["href"].split("#")[1] for a in tag.find_all("a", href=True)
            if a["href"].split("#")[0].endswith(target) and "#" in a["href"]}


def test_lesson_pdf_has_pages_text_figures_links_and_answers(built_book: Path, lesson_pdf: Path):
    from pypdf import PdfReader

    html = (built_book / f"{_lesson()}.html").read_text(encoding="utf-8")
    n_figures = html.count('class="course-figure"') + html.count('class="explorer"')
    assert n_figures >= 3

    assert lesson_pdf.name == f"lesson-{LESSON_NUMBER}.pdf"
    reader = PdfReader(lesson_pdf)
    assert 8 <= len(reader.pages) <= 80
    text = _text(reader)
    for expected in ("The second economy", "Contents", "Glossary", "Bibliography",
                     "Appendix: answers to the self-checks", "Answer:", "Shown with the default settings"):
        assert expected in text, f"{expected!r} is missing from the PDF"
    images = sum(len(page.images) for page in reader.pages)
    assert images >= n_figures, f"{images} images for {n_figures} figures"
    internal_links = [a.get_object() for page in reader.pages for a in page.get("/Annots", []) or []
                      if a.get_object().get("/Subtype") == "/Link" and "/Dest" in a.get_object()]
    assert len(internal_links) >= 10, "cross-references, glossary terms and citations link inside the PDF"
    names = reader.named_destinations
    dangling = [a["/Dest"] for a in internal_links if a["/Dest"] not in names]
    assert not dangling, f"links to nothing in the PDF: {dangling[:5]}"
    assert reader.outline, "the PDF has bookmarks for its sections"
    assert not (built_book / "_print.html").exists(), "the print document is not left in the web book"


def test_web_only_parts_are_not_printed(lesson_pdf: Path):
    """Code toggles ("Show code cell source") and the folded key list for JupyterLab are web-only."""
    from pypdf import PdfReader

    from after_stalinism.booktools.lab_markdown import REFERENCES_TITLE

    text = _text(PdfReader(lesson_pdf))
    for web_only in ("Show code cell", "Hide code cell", REFERENCES_TITLE):
        assert web_only not in text, f"{web_only!r} is printed"


def test_contents_give_each_part_its_page(lesson_pdf: Path):
    from pypdf import PdfReader

    reader = PdfReader(lesson_pdf)
    parts = _parts(reader, [_anchor(_lesson()), "book--glossary", "book--bibliography", "answers"])
    contents = reader.pages[1].extract_text()
    assert "Contents" in contents
    listed = [int(n) for n in re.findall(r"^.+ (\d+)$", contents, re.M)]
    assert listed == [pages.start + 1 for pages in parts.values()], contents


def test_lesson_pdf_has_only_the_works_it_cites_and_the_terms_it_uses(built_book: Path, lesson_pdf: Path):
    """From the built pages: the works lesson 2's page (and the glossary entries it uses) cite, and the
    terms it links to, are in its PDF; a work only other lessons cite, and an unused term, are not."""
    from pypdf import PdfReader

    lesson = _lesson()
    page = _article(built_book, lesson)
    glossary = _article(built_book, "book/glossary")
    bibliography = _article(built_book, "book/bibliography")
    labels = {entry["id"]: entry.select_one(".label").get_text(strip=True) for entry in bibliography.select(
        "div.citation")}  # "[Gro77]"

    terms = _linked(page, "glossary.html")
    term_names = {dt["id"]: dt.get_text(strip=True).removesuffix("#") for dt in glossary.select("dt")}
    definitions = {dt["id"]: dt.find_next_sibling("dd") for dt in glossary.select("dt")}
    cited = _linked(page, "bibliography.html")
    printed_citations = cited.union(*(_linked(definitions[t], "bibliography.html") for t in terms))
    others = set().union(*(_linked(_article(built_book, p), "bibliography.html")
                           for p in toc_pages() if p.startswith("notebooks/") and p != lesson))
    only_others = others - printed_citations
    unused = set(term_names) - terms
    assert cited and terms and only_others and unused, "lesson 2 cites and uses some, and not all"

    reader = PdfReader(lesson_pdf)
    text = _text(reader)
    assert all(labels[work] in text for work in cited), "every work the lesson cites"
    assert all(f"/book--bibliography--{work}" in reader.named_destinations for work in cited), \
        "each citation links to its work's entry"
    assert not [labels[w] for w in only_others if labels[w] in text], "no work only other lessons cite"
    parts = _parts(reader, [_anchor(lesson), "book--glossary", "book--bibliography", "answers"])
    printed = _entries(_text(reader, parts["book--bibliography"]))
    assert sorted(printed) == sorted(labels[w] for w in printed_citations), "the works its printed pages cite"

    lines = set(_text(reader, parts["book--glossary"]).splitlines())
    assert {term_names[t] for t in terms} <= lines, "each term the lesson uses is in its glossary"
    assert not {term_names[t] for t in unused} & lines, "no term the lesson does not use"


def test_course_pdf_has_the_whole_bibliography_and_a_lesson_pdf_is_shorter(
        built_book: Path, course_pdf: Path, lesson_pdf: Path):
    from pypdf import PdfReader

    entries = [e.select_one(".label").get_text(strip=True)
               for e in _article(built_book, "book/bibliography").select("div.citation")]
    course = PdfReader(course_pdf)
    course_text = _text(course)
    assert [label for label in entries if label not in course_text] == [], "every entry is in the course PDF"

    course_parts = _parts(course, [_anchor(p) for p in toc_pages()] + ["answers"])
    assert len(_entries(_text(course, course_parts["book--bibliography"]))) == len(entries)

    lesson = PdfReader(lesson_pdf)
    lesson_parts = _parts(lesson, [_anchor(_lesson()), "book--glossary", "book--bibliography", "answers"])
    assert 0 < len(_entries(_text(lesson, lesson_parts["book--bibliography"]))) < len(entries)
    assert len(lesson_parts["book--bibliography"]) < len(course_parts["book--bibliography"])
    assert len(lesson_parts["book--glossary"]) <= len(course_parts["book--glossary"])
    # Before, a lesson's PDF was a cover, its contents, its own pages, the whole glossary and
    # bibliography, and its answers.
    whole = sum(len(course_parts[p]) for p in (_anchor(_lesson()), "book--glossary", "book--bibliography"))
    assert len(lesson.pages) < 2 + whole + len(lesson_parts["answers"])


def _pdf_fonts(reader) -> set[str]:
    fonts = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get_object().get("/Font") or {}).values():
            font = font.get_object()
            fonts.add(f'{font.get("/Subtype")}:{font.get("/BaseFont", "")}')
    return fonts


def test_korean_prints_in_a_font_that_has_hangul(lesson_pdf: Path):
    """The glossary's Korean words come out as Hangul in the PDF, in an embedded CJK font (not as boxes)."""
    from pypdf import PdfReader

    from after_stalinism.booktools.printbook import HANGUL_FONT_PACKAGE, has_hangul_font

    assert has_hangul_font(), f"no font with Hangul: apt-get install {HANGUL_FONT_PACKAGE} (.ci/run does)"
    reader = PdfReader(lesson_pdf)
    hangul = re.findall(r"[\uac00-\ud7af]+", _text(reader))
    assert "종합시장" in hangul, "the glossary's Korean term is in the PDF's text"
    # Chromium embeds DejaVu as Type0 fonts and draws Noto CJK's (CFF) glyphs as a Type3 font of
    # outlines; without a Hangul font there is no such font and the words print as DejaVu's boxes.
    fonts = _pdf_fonts(reader)
    assert any("CJK" in f or f.startswith("/Type3") for f in fonts), f"no font for Hangul; fonts: {sorted(fonts)}"


def test_print_edition_hides_web_only_parts():
    from after_stalinism.booktools.printbook import PRINT_CSS

    for selector in (".copybtn", "details.figure-data", ".figure-summary", "details.hide"):
        assert selector in PRINT_CSS.split("display: none")[0], selector
