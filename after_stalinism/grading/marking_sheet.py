"""The marking sheet: each free-response question's rubric with every student's answer beside it.

``grade`` writes ``OUT/marking_sheet.html`` so marking needs no notebook opening. A student's answer
is what they wrote in the question's section of their notebook (from the question's heading to the
next heading), leaving out the cells they did not change, and the values of the question's
variables. Student text is shown as plain text, never as HTML or Markdown that could run.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from .checks import Question
from .marks import MARKS_FILE, read_marks
from .notebook import is_tests_cell, strip_solutions
from .report import describe
from .results import Status, StudentResult, Submission, clean
from .values import MISSING

SHEET_FILE = "marking_sheet.html"
NOTHING_TO_SHOW = {Status.NO_NOTEBOOK, Status.UNREADABLE, Status.REFUSED, Status.DUPLICATE, Status.IGNORED}


def question_headings(source: Path) -> dict[str, str]:
    """For each question, the first line of the Markdown heading above its TESTS cell."""
    nb = nbformat.read(source, as_version=4)
    headings, current = {}, ""
    for cell in nb.cells:
        first = cell.source.strip().splitlines()[0].strip() if cell.source.strip() else ""
        if cell.cell_type == "markdown" and first.startswith("#"):
            current = first
        elif is_tests_cell(cell):
            for name in re.findall(r"question\(\s*['\"]([^'\"]+)['\"]", cell.source):
                headings[name] = current
    return headings


def _template_sources(source: Path) -> set[str]:
    """Cell sources as the student received them (and as in the source): unchanged cells are not answers."""
    nb = nbformat.read(source, as_version=4)
    found = set()
    for cell in nb.cells:
        found.add(cell.source.strip())
        if cell.cell_type == "code":
            found.add(strip_solutions(cell.source).strip())
    return found


def answer_cells(notebook: list[tuple[str, str]], heading: str, template: set[str]) -> list[tuple[str, str]] | None:
    """(cell type, text) of what the student wrote under ``heading`` in ``notebook`` (the cells the
    batch parsed once: (cell type, source)); None if the heading is gone."""
    cells, inside, found = [], False, False
    for kind, source in notebook:
        first = source.strip().splitlines()[0].strip() if source.strip() else ""
        if kind == "markdown" and first.startswith("#"):
            if inside:
                break
            inside = first == heading
            found = found or inside
            continue
        if inside and source.strip() and source.strip() not in template \
                and not source.lstrip().startswith("check("):
            cells.append((kind, source.strip()))
    return cells if found else None


def _esc(text: object) -> str:
    return html.escape(clean(text))


def write_marking_sheet(source: Path, subs: list[Submission], results: list[StudentResult],
                        questions: list[Question], out: Path) -> Path | None:
    """Write OUT/marking_sheet.html for the set's free-response questions (None if it has none)."""
    manual = [q for q in questions if q.manual]
    if not manual:
        return None
    headings, template = question_headings(source), _template_sources(source)
    notebooks = {s.student: s.notebook for s in subs}
    stored = Path(out) / MARKS_FILE  # already checked by apply_marks
    marks = {(m.student, m.question): m for m in read_marks(stored)} if stored.exists() else {}
    parts = []
    for q in manual:
        parts.append(f'<section aria-labelledby="q-{_id(q.name)}"><h2 id="q-{_id(q.name)}">{html.escape(q.name)}: '
                     f"{html.escape(q.prompt)} ({q.points:g} points)</h2>"
                     f'<div class="rubric"><strong>Rubric.</strong> {html.escape(q.rubric) or "(none given)"}</div>')
        for r in results:
            if r.status is Status.IGNORED:
                continue
            try:
                parts.append(_article(q, r, marks.get((r.student, q.name)), notebooks.get(r.student),
                                      headings.get(q.name, ""), template))
            except Exception as err:  # one student's answer that cannot be shown: say so, go on
                parts.append(f"<article><h3>{_esc(r.student)}</h3><p class='none'>This answer could not be "
                             f"shown ({_esc(type(err).__name__)}); open the notebook itself.</p></article>")
        parts.append("</section>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Marking sheet: {html.escape(source.stem)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; color: #1f2328; }}
.rubric {{ background: #f6f8fa; border-left: 4px solid #0969da; padding: .5rem 1rem; }}
article {{ border-bottom: 1px solid #d0d7de; padding: .25rem 0 .75rem; }}
pre {{ white-space: pre-wrap; background: #fff8e6; padding: .5rem; border-radius: 4px; }}
pre.code {{ background: #f6f8fa; }}
.none, .mark {{ color: #57606a; }}
</style></head><body>
<h1>Marking sheet: {html.escape(source.stem)}</h1>
<p>Write each mark in <code>{MARKS_FILE}</code> in this folder (points and a comment for the student),
or in a file of your own passed with <code>grade --marks FILE</code>, then run <code>grade</code> again:
the marks go into the gradebook, the feedback files and <code>results.json</code>, and stay there on every re-run.</p>
{''.join(parts)}
</body></html>
"""
    path = Path(out) / SHEET_FILE
    path.write_text(page, encoding="utf-8", errors="backslashreplace")
    return path


def _article(q: Question, r: StudentResult, given, notebook, heading: str, template: set[str]) -> str:
    res = next(x for x in r.questions if x.name == q.name)
    mark = "awaiting your mark" if res.manual else f"marked {res.score:g} of {q.points:g}"
    body = []
    if given and given.comment:
        body.append(f"<p class='comment'>Your comment: {_esc(given.comment)}</p>")
    cells = answer_cells(notebook, heading, template) if notebook else None
    if r.status in NOTHING_TO_SHOW:
        body.append(f"<p class='none'>No answer can be shown: {_esc(r.status)}.</p>")
    elif cells is None:
        body.append("<p class='none'>The question's heading was not found in this notebook.</p>")
    elif not cells:
        body.append("<p class='none'>Nothing written in this question's section.</p>")
    for kind, text in cells or []:
        body.append(f"<pre class='{'code' if kind == 'code' else 'text'}'>{_esc(text)}</pre>")
    names = ", ".join(f"<code>{_esc(n)}</code> = {_esc(describe(r.values.get(n, MISSING)))}" for n in q.names())
    if names:
        body.append(f"<p class='values'>{names}</p>")
    return (f'<article><h3>{_esc(r.student)} <span class="mark">({_esc(mark)})</span></h3>'
            + "".join(body) + "</article>")


def _id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)
