"""The HTML book: it builds with warnings as errors, has every page, loads nothing from outside,
and refuses to build from broken input."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from after_stalinism.course.lessons import LESSONS
from conftest import ROOT, jupyter_book, toc_pages

pytestmark = pytest.mark.book


def test_every_toc_page_is_built(built_book: Path):
    for page in toc_pages():
        assert (built_book / f"{page}.html").is_file(), f"{page} is in _toc.yml but was not built"


def test_pages_reference_nothing_outside_the_site(built_book: Path):
    # Scripts, styles, images and frames must all be local; plain links (<a href>) may point out.
    external = re.compile(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//[^"]*"', re.I)
    for page in toc_pages():
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert not external.findall(html), f"{page} loads from outside the site: {external.findall(html)[:3]}"


def test_links_with_query_strings_survive_the_build(built_book: Path):
    """An address with "&" (Daily NK, KBS) is escaped once in its href, never as "&amp;amp;"."""
    broken = {page: re.findall(r'href="[^"]*&amp;amp;[^"]*"', (built_book / f"{page}.html").read_text(encoding="utf-8"))
              for page in toc_pages()}
    assert {page: links for page, links in broken.items() if links} == {}
    lesson_two = (built_book / "notebooks" / "02_second_economy.html").read_text(encoding="utf-8")
    assert "Seq_Code=66609&amp;lang=g" in lesson_two  # the KBS report in its references dropdown


def test_plotly_is_one_shared_local_copy(built_book: Path):
    html = (built_book / "book" / "how_to_use.html").read_text(encoding="utf-8")
    assert html.count("plotly-cartesian.min.js") == 1
    assert len(html) < 500_000, "plotly.js must not be embedded in the page"
    assert (built_book / "_static" / "plotly-cartesian.min.js").is_file()
    # Pages without figures do not load plotly.js at all.
    assert "plotly-cartesian" not in (built_book / "book" / "glossary.html").read_text(encoding="utf-8")


def test_no_widget_state_or_widget_manager_in_pages(built_book: Path):
    for page in toc_pages():
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" not in html, page
        assert "html-manager" not in html and "require.min.js" not in html, page


def test_download_and_launch_buttons_present(built_book: Path):
    html = (built_book / "book" / "how_to_use.html").read_text(encoding="utf-8")
    assert "Download source file" in html or "download" in html.lower()
    assert (built_book / "_sources" / "book" / "how_to_use.ipynb").is_file()
    assert "mybinder.org" in html and "colab.research.google.com" in html


def test_stored_notebooks_have_no_outputs():
    """Every notebook the repository stores (tracked by git), not local tools' files."""
    import subprocess

    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    paths = [ROOT / p for p in listed.stdout.split()] if listed.returncode == 0 else [
        p for p in ROOT.glob("**/*.ipynb")
        if not any(part.startswith(".") or part in {"_build", "node_modules"} for part in p.relative_to(ROOT).parts)]
    assert len(paths) >= 14
    for path in sorted(paths):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path} is stored with outputs"


# ---- broken input stops the build and names the culprit ------------------------------------

def _write_toc(book: Path, *files: str) -> None:
    (book / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "book/intro", "chapters": [{"file": f} for f in files]}))


def _build_fails(book: Path, **env) -> str:
    result = jupyter_book("build", "-W", "-n", "--keep-going", ".", cwd=book, extra_env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"build should have failed:\n{output[-3000:]}"
    return output


def test_broken_notebook_stops_the_build(book_copy: Path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken"), nbformat.v4.new_code_cell("1 / 0")]
    nbformat.write(nb, book_copy / "notebooks" / "broken.ipynb")
    _write_toc(book_copy, "notebooks/broken")
    output = _build_fails(book_copy)
    assert "broken" in output and "ZeroDivisionError" in output


def test_missing_data_file_stops_the_build(book_copy: Path):
    (book_copy / "data" / "timeline.csv").unlink()
    _write_toc(book_copy, "book/timeline")
    output = _build_fails(book_copy, AFTER_STALINISM_DATA=str(book_copy / "data"))
    assert "timeline.csv" in output and "missing" in output


def test_bad_toc_entry_stops_the_build(book_copy: Path):
    _write_toc(book_copy, "notebooks/no_such_lesson")
    output = _build_fails(book_copy)
    assert "no_such_lesson" in output


# ---- every lesson page has the parts a lesson promises ---------------------------------------

@pytest.mark.parametrize("lesson", [lesson.stem for lesson in LESSONS])
def test_lesson_page_has_every_part(built_book: Path, lesson: str):
    page = (built_book / "notebooks" / f"{lesson}.html").read_text()
    for section in ["learning-objectives", "check-your-understanding", "summary", "further-reading"]:
        assert f'id="{section}"' in page, f"{lesson} lacks the section {section}"
    assert len(set(re.findall(r'glossary\.html#term-[\w-]+', page))) >= 2, f"{lesson}: too few glossary links"
    assert len(set(re.findall(r'bibliography\.html#id\d+', page))) >= 3, f"{lesson}: too few citations"
    assert page.count('class="self-check"') == 1
    assert 'class="plotly-graph-div"' in page or 'class="explorer"' in page
    assert "MODEL, not data" in page or "interpretation of the sources" in page  # every model says what it is
    assert f"exercises/{lesson}.html" in page  # and points to its exercise set
