"""The print edition: offline PDFs of the whole course and of each lesson, from the built HTML book.

Usage::

    .venv/bin/python -m after_stalinism.booktools.printbook            # build the book, then every PDF
    .venv/bin/python -m after_stalinism.booktools.printbook --lesson 2 # only lesson 2's PDF

Debian's Chromium (the one the browser tests use, driven by Playwright) opens each page of the
built book, turns every figure and explorer into a static image of its default state
(``Plotly.toImage``) and lists the explorer's default settings under it. The pages' contents are
then put into one document: a title page and contents (with page numbers), the pages in the book's
order with their links turned into links inside the PDF (cross-references, glossary terms,
citations), and an appendix with the answers to the self-checks. The course's PDF has the whole
glossary and bibliography; a lesson's has only the terms its page links to and the works it (or
those terms' definitions) cites. Chromium prints that document to PDF. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html
import http.server
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import yaml
from bs4 import BeautifulSoup

from .._modes import PACKAGE_DIR
from ..course.lessons import toc_pages
from .lab_markdown import REFERENCES_TITLE

ROOT = PACKAGE_DIR.parent  # the course checkout
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
GLOSSARY, BIBLIOGRAPHY = "book/glossary", "book/bibliography"
BACK_MATTER = [GLOSSARY, BIBLIOGRAPHY]
PRINT_FILE = "_print.html"

# Run in each page: figures become images of their current (default) state, explorers list their
# settings, and the article's HTML comes back.
SNAPSHOT_JS = """async () => {
  if (window.courseReady) { await window.courseReady; }  // explorer.js draws after the page has loaded
  for (const gd of Array.from(document.querySelectorAll('.js-plotly-plot'))) {
    const url = await Plotly.toImage(gd, {format: 'png', width: 900, height: gd.clientHeight || 450, scale: 2});
    const img = document.createElement('img');
    img.src = url;
    img.className = 'print-figure';
    const title = gd.parentNode.querySelector('.figure-title');
    img.alt = 'Figure: ' + ((title && title.textContent) || 'chart');
    gd.replaceWith(img);
  }
  for (const form of Array.from(document.querySelectorAll('form.explorer-controls'))) {
    const parts = Array.from(form.querySelectorAll('.explorer-control')).map(c => {
      const label = c.querySelector('label').textContent.trim();
      const el = c.querySelector('select, input');
      const value = el.tagName === 'SELECT' ? el.options[el.selectedIndex].textContent
        : c.querySelector('output').textContent;
      return label + ': ' + value;
    });
    const p = document.createElement('p');
    p.className = 'print-settings';
    p.textContent = 'Shown with the default settings (' + parts.join('; ') + '). The web edition lets you change them.';
    form.replaceWith(p);
  }
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  return article.innerHTML;
}"""

PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
body { font-family: "DejaVu Serif", "Noto Serif CJK KR", Georgia, serif; font-size: 10.5pt; line-height: 1.45;
       color: #111; }
h1, h2, h3, h4 { font-family: "DejaVu Sans", "Noto Sans CJK KR", Arial, sans-serif; break-after: avoid; }
.print-page, .print-appendix { break-before: page; }
.print-cover { text-align: center; padding-top: 30%; }
a[href] { color: #0b3d91; }  /* an <a> whose target this PDF lacks is plain text */
.print-toc a { color: #111; text-decoration: none; display: flex; gap: 1em; }
.print-toc-page { margin-left: auto; }
.print-toc ol { list-style: none; padding-left: 0; }
img.print-figure { width: 100%; max-width: 100%; break-inside: avoid; }
figure { break-inside: avoid; margin: 1em 0; }
.figure-title { font-weight: bold; }
.figure-note, .print-settings { font-size: 9pt; color: #333; }
pre { white-space: pre-wrap; font-size: 8.5pt; background: #f6f6f6; padding: 0.5em; }
table { border-collapse: collapse; font-size: 9pt; } td, th { border: 1px solid #bbb; padding: 2px 4px; }
/* web-only: details.hide is a code cell's folded source ("Show code cell source") */
.headerlink, .course-finish, details.hide, .toggle-details__summary, button.toggle-button, .copybtn, \
.prev-next-area, details.figure-data, .figure-summary, .course-sr-only { display: none !important; }
.self-check-key[hidden] { display: none; }
.print-appendix .self-check-key { display: block; }
.Quiz { border: 1px solid #999; padding: 0.4em; margin: 0.4em 0; break-inside: avoid; }
.MCButton { display: inline-block; border: 1px solid #999; padding: 1px 6px; margin: 2px; color: #111 !important;
            background: #fff !important; }
.QuizCode, .Feedback { display: none; }
.print-answers-link { font-style: italic; }
"""


# Korean words (jangmadang, 장마당) need a font with Hangul, or Chromium prints empty boxes.
HANGUL_FONT_PACKAGE = "fonts-noto-cjk"


def has_hangul_font() -> bool:
    """Whether fontconfig knows a font that covers Korean (the print edition needs one)."""
    try:
        listed = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(listed.stdout.strip())


def lessons(root: Path = ROOT) -> list[str]:
    """The lesson pages (``notebooks/STEM``, no extension) in the book's order: lesson N is item N - 1."""
    return [p for p in toc_pages(root) if p.startswith("notebooks/")]


def _key(page: str) -> str:
    return page.replace("/", "--")


def _in_book(page: str, href: str) -> tuple[str, str] | None:
    """(page, fragment) that ``href`` on book page ``page`` points to, or None for a link out of the book."""
    target = urlparse(urljoin(f"http://book/{page}.html", href))
    if target.netloc != "book":
        return None
    return target.path.lstrip("/").removesuffix(".html"), target.fragment


def links_to(inner: str, page: str, target: str) -> list[str]:
    """The fragments of the links in ``inner`` (a snapshot of book page ``page``) to book page
    ``target``, in order, each once: e.g. the glossary terms or the works a lesson links to."""
    found: list[str] = []
    for a in BeautifulSoup(inner, "html.parser").find_all("a", href=True):
        name, fragment = _in_book(page, a["href"]) or ("", "")
        if name == target and fragment and fragment not in found:
            found.append(fragment)
    return found


def excerpt(inner: str, entries: str, keep: set[str], note: str) -> str | None:
    """``inner`` (a snapshot of the glossary or bibliography) with only the ``entries`` (a CSS
    selector: ``dt`` terms, ``div.citation`` works) whose id is in ``keep``, and ``note`` in place of
    the page's introduction; None if no entry is kept."""
    soup = BeautifulSoup(inner, "html.parser")
    kept = 0
    for entry in soup.select(entries):
        if entry.get("id") in keep:
            kept += 1
            continue
        if entry.name == "dt":  # a term's definition follows it
            for sibling in list(entry.find_next_siblings()):
                if sibling.name != "dd":
                    break
                sibling.decompose()
        entry.decompose()
    if not kept:
        return None
    heading = soup.find("h1")
    for intro in heading.find_next_siblings("p"):
        intro.decompose()  # it speaks of (and cites) the whole course
    paragraph = soup.new_tag("p", attrs={"class": "print-excerpt-note"})
    paragraph.string = note
    heading.insert_after(paragraph)
    return soup.decode()


def lesson_back_matter(lesson: str, snapshots: dict[str, str]) -> dict[str, str]:
    """The glossary and bibliography of ``lesson``'s PDF, from the page snapshots: the terms the
    lesson's page links to, and the works it or those terms' definitions cite (so that every
    citation printed has its entry). A part with nothing to show is left out."""
    terms = set(links_to(snapshots[lesson], lesson, GLOSSARY))
    glossary = excerpt(snapshots[GLOSSARY], "dt", terms,
                       "The terms this lesson uses. The course edition has the whole glossary.")
    works = set(links_to(snapshots[lesson], lesson, BIBLIOGRAPHY))
    if glossary:
        works |= set(links_to(glossary, GLOSSARY, BIBLIOGRAPHY))
    bibliography = excerpt(snapshots[BIBLIOGRAPHY], "div.citation", works,
                           "The works this lesson and its glossary entries cite. "
                           "The course edition has the whole bibliography.")
    return {name: part for name, part in ((GLOSSARY, glossary), (BIBLIOGRAPHY, bibliography)) if part}


def assemble(title: str, snapshots: dict[str, str], page_numbers: dict[str, int] | None = None) -> str:
    """One printable HTML document from page snapshots ({page: article HTML}), links rewritten;
    the contents show each entry's page from ``page_numbers`` ({anchor: page} of an earlier printing)."""
    soups, ids = {}, set()
    for page, inner in snapshots.items():
        soup = BeautifulSoup(inner, "html.parser")
        for tag in soup.find_all("script"):
            tag.decompose()  # the PDF is static: figures are images already
        for summary in soup.select("details > summary"):
            if summary.get_text(" ", strip=True) == REFERENCES_TITLE:
                summary.parent.decompose()  # the keys for JupyterLab, folded: the PDF prints the works
        for tag in soup.find_all(id=True):
            tag["id"] = f"{_key(page)}--{tag['id']}"
            ids.add(tag["id"])
        ids.add(_key(page))
        soups[page] = soup

    def contents_entry(anchor: str, name: str) -> str:
        """One line of the contents: ``name`` linked to ``anchor``, with its page number once one is known."""
        number = (page_numbers or {}).get(anchor)
        shown = f'<span class="print-toc-page">{number}</span>' if number else ""
        return f'<li><a href="#{anchor}"><span>{html.escape(name)}</span>{shown}</a></li>'

    body, toc, answers = [], [], []
    for page, soup in soups.items():
        for a in soup.find_all("a", href=True):
            target = _in_book(page, a["href"])
            if target is None:
                continue  # a link out of the book stays as it is
            anchor = f"{_key(target[0])}--{target[1]}" if target[1] else _key(target[0])
            if anchor in ids:
                a["href"] = f"#{anchor}"
            else:
                del a["href"]  # a page or an entry this PDF does not contain
        heading = soup.find("h1")
        name = heading.get_text(" ", strip=True).replace("#", "").strip() if heading else page
        toc.append(contents_entry(_key(page), name))
        for key in soup.select(".self-check-key"):
            key.extract()
            answers.append(f'<h2 id="answers--{_key(page)}">{html.escape(name)}</h2>{key.decode()}')
            quiz = soup.select_one(".self-check")
            if quiz is not None:
                link = soup.new_tag("p", attrs={"class": "print-answers-link"})
                anchor = soup.new_tag("a", href=f"#answers--{_key(page)}")
                anchor.string = "Answers: see the appendix."
                link.append(anchor)
                quiz.insert_after(link)
        body.append(f'<section class="print-page" id="{_key(page)}">{soup.decode()}</section>')
    appendix = ""
    if answers:
        toc.append(contents_entry("answers", "Appendix: answers to the self-checks"))
        appendix = (f'<section class="print-appendix" id="answers"><h1>Appendix: answers to the self-checks</h1>'
                    f'{"".join(answers)}</section>')
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<link rel="stylesheet" href="_static/pygments.css"><style>{PRINT_CSS}</style></head><body>'
            f'<section class="print-cover"><h1>{html.escape(title)}</h1>'
            f'<p>Print edition of the course book. Figures show each explorer in its default state.</p></section>'
            f'<nav class="print-toc print-page"><h1>Contents</h1><ol>{"".join(toc)}</ol></nav>'
            f'{"".join(body)}{appendix}</body></html>')


def destination_pages(pdf: bytes) -> dict[str, int]:
    """{anchor: page number} in a printed ``pdf``: Chromium names a destination after each id that a
    link points to, so every entry of the contents has one."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return {name.lstrip("/"): reader.get_destination_page_number(dest) + 1
            for name, dest in reader.named_destinations.items()}


PDF_OPTIONS = dict(format="A4", print_background=True, outline=True, tagged=True, display_header_footer=True,
                   header_template="<span></span>",
                   footer_template='<div style="font-size:8pt;width:100%;text-align:center">'
                                   '<span class="pageNumber"></span></div>',
                   margin={"top": "18mm", "bottom": "20mm", "left": "16mm", "right": "16mm"})


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file handler that logs nothing."""

    def log_message(self, *args):
        """Log nothing (the base class writes every request to stderr)."""


@contextlib.contextmanager
def serve(folder: Path, handler: type[http.server.BaseHTTPRequestHandler] = QuietHandler) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port while the block runs (with ``handler``, e.g. one
    that compresses); yields the base URL.

    Usage::

        with serve(Path("_build/html")) as site:
            page.goto(f"{site}/index.html")
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def print_edition(html_dir: Path, out_dir: Path, only_lessons: list[int] | None = None,
                  course: bool = True, root: Path = ROOT, browser=None) -> list[Path]:
    """Write ``course.pdf`` (if ``course``) and ``lesson-N.pdf`` for each lesson number in
    ``only_lessons`` (all lessons if None) from the built book in ``html_dir``; return the paths.
    ``browser``: a running Playwright chromium to use (by default one is started)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            started = pw.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
            try:
                return print_edition(html_dir, out_dir, only_lessons, course, root, started)
            finally:
                started.close()

    html_dir, out_dir = Path(html_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    all_lessons = lessons(root)
    numbers = only_lessons if only_lessons is not None else list(range(1, len(all_lessons) + 1))
    jobs = {out_dir / f"lesson-{n}.pdf": [all_lessons[n - 1], *BACK_MATTER] for n in numbers}
    if course:
        jobs = {out_dir / "course.pdf": toc_pages(root), **jobs}
    title = yaml.safe_load((root / "_config.yml").read_text()).get("title", "Course")

    written = []
    with serve(html_dir) as site:
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1"
                          else r.abort())
            page = context.new_page()
            snapshots: dict[str, str] = {}
            for path, pages in jobs.items():
                for name in pages:
                    if name not in snapshots:
                        page.goto(f"{site}/{name}.html", wait_until="load")
                        page.wait_for_timeout(200)
                        snapshots[name] = page.evaluate(SNAPSHOT_JS)
                if path.stem == "course":
                    heading, chosen = title, {n: snapshots[n] for n in pages}
                else:
                    heading, lesson = f"{title}: lesson {path.stem.split('-')[1]}", pages[0]
                    chosen = {lesson: snapshots[lesson], **lesson_back_matter(lesson, snapshots)}
                # The contents' page numbers come from a printing: print again until they hold
                # (twice, unless adding the numbers moves a page).
                page_numbers: dict[str, int] = {}
                for _ in range(4):
                    (html_dir / PRINT_FILE).write_text(assemble(heading, chosen, page_numbers), encoding="utf-8")
                    page.goto(f"{site}/{PRINT_FILE}", wait_until="load")
                    pdf = page.pdf(**PDF_OPTIONS)
                    printed = destination_pages(pdf)
                    if printed == page_numbers:
                        break
                    page_numbers = printed
                path.write_bytes(pdf)
                written.append(path)
            context.close()
        finally:
            (html_dir / PRINT_FILE).unlink(missing_ok=True)
    return written


def main(argv: list[str] | None = None) -> int:
    """The command line: build the book (unless ``--no-build``), then print the PDFs; the exit status.

    Returns 1, with a message saying what to do, if the book does not build, no font covers Korean or
    there is no built book; else 0.
    """
    parser = argparse.ArgumentParser(prog="python -m after_stalinism.booktools.printbook",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", type=int, action="append", help="only this lesson's PDF (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf", help="folder for the PDFs")
    parser.add_argument("--no-build", action="store_true", help="use the HTML already in _build/html")
    args = parser.parse_args(argv)
    if not args.no_build:
        exe = Path(sys.executable).parent / "jupyter-book"
        result = subprocess.run([str(exe), "build", "-W", "-n", "--keep-going", "."], cwd=ROOT)
        if result.returncode != 0:
            print("The book did not build; fix the errors above, then run this again.", file=sys.stderr)
            return 1
    if not has_hangul_font():
        print(f"No font with Hangul is installed: Korean words would print as empty boxes. Install one "
              f"(Debian: apt-get install {HANGUL_FONT_PACKAGE}), then run this again.", file=sys.stderr)
        return 1
    html_dir = ROOT / "_build" / "html"
    if not (html_dir / "index.html").exists():
        print(f"No built book in {html_dir}: run without --no-build.", file=sys.stderr)
        return 1
    for path in print_edition(html_dir, args.out, only_lessons=args.lesson, course=not args.lesson):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
