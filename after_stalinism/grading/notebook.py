"""Exercise source notebooks: reading their questions, and making the student release.

A source notebook (``instructor/exercises/NAME.ipynb``) is an ordinary notebook with three kinds of
code cell an instructor can read and edit in JupyterLab:

* answer cells, where the reference solution sits between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` lines (the release replaces it with ``...``). The same two lines mark a
  model answer in a Markdown cell (the release puts "*Your answer here.*" in its place). A
  marker without its partner, a nested BEGIN, or a line that mentions BEGIN/END SOLUTION in any
  other spelling stops the release with the file, cell and line, so no solution leaks by a typo;
* ``# TESTS`` cells, which declare the questions and their public and hidden checks
  (see ``checks.py``); the release removes them;
* every other cell (set-up, ``check("q1")`` calls, worked examples), kept as it is.

``release`` writes ``NAME.ipynb`` for students and ``NAME.checks.json`` with only the public checks.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat

from ..notebook_format import write_notebook
from .checks import TESTS_MARK, Question, run_tests_cell

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MARKER_LIKE = re.compile(r"\b(BEGIN|END)[\s_-]*SOLUTIONS?\b", re.I)
META_KEY = "after_stalinism"


def is_tests_cell(cell) -> bool:
    """Whether ``cell`` is a code cell that starts with ``# TESTS`` (after any blank lines): one
    that declares questions, which the release removes and a submission's run skips."""
    return cell.cell_type == "code" and cell.source.lstrip().startswith(TESTS_MARK)


def code_cells(path: Path) -> list[str]:
    """The code a submission runs: its code cells, without any TESTS cell."""
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code" and not is_tests_cell(c)]


def load_questions(source: Path) -> list[Question]:
    """Run the TESTS cells of an (instructor's, trusted) source notebook and return its questions."""
    nb = nbformat.read(source, as_version=4)
    questions: list[Question] = []
    for index, cell in enumerate(nb.cells):
        if is_tests_cell(cell):
            try:
                run_tests_cell(cell.source, questions, f"{source.name} [cell {index}]")
            except Exception as err:
                raise ValueError(f"{source}: the TESTS cell {index} fails: {type(err).__name__}: {err}") from err
    if not questions:
        raise ValueError(f"{source}: no questions declared (no '# TESTS' cells)")
    return questions


class ReleaseError(ValueError):
    """A source notebook that cannot be released safely (a malformed solution region)."""


def _placeholder(lines: list[str], indent: str, markdown: bool) -> str:
    """``name = ...`` for the variable the solution's last top-level assignment defines."""
    if markdown:
        return f"{indent}*Your answer here.*"
    body = "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines)
    try:
        statements = ast.parse(body).body
    except SyntaxError:
        statements = []
    for node in reversed(statements):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [ast.unparse(t) for t in targets]
            return f"{indent}{' = '.join(names)} = ...  # your answer here"
    return f"{indent}...  # your answer here"


def strip_solutions(text: str, markdown: bool = False, where: str = "") -> str:
    """``text`` with each solution region replaced by a placeholder; ReleaseError (naming
    ``where`` and the line) on a BEGIN without END, a nested BEGIN, a stray END or a misspelt marker."""
    out: list[str] = []
    region: list[str] | None = None
    indent, opened = "", 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        stripped, newline = line.strip(), "\n" if line.endswith("\n") else ""
        if not MARKER_LIKE.search(line):
            (out if region is None else region).append(line if region is None else line.rstrip("\n"))
            continue
        if stripped.startswith(BEGIN):
            if region is not None:
                raise ReleaseError(f"{where}line {number}: a second {BEGIN} before the {END} of line {opened}")
            region, indent, opened = [], line[: len(line) - len(line.lstrip())], number
        elif stripped.startswith(END):
            if region is None:
                raise ReleaseError(f"{where}line {number}: {END} without a {BEGIN} before it")
            out.append(_placeholder(region, indent, markdown) + newline)
            region = None
        else:
            raise ReleaseError(f"{where}line {number}: {stripped[:60]!r} looks like a solution marker; "
                               f"write exactly {BEGIN!r} or {END!r} on a line of its own")
    if region is not None:
        raise ReleaseError(f"{where}line {opened}: {BEGIN} without an {END} after it")
    return "".join(out)


def reference_submission(source: Path) -> nbformat.NotebookNode:
    """The source notebook as a student with every answer right would hand it in: the reference
    solutions kept, the TESTS cells (which a student never has) removed. Tests and benchmarks
    build submissions from it."""
    nb = nbformat.read(source, as_version=4)
    nb.cells = [c for c in nb.cells if not is_tests_cell(c)]
    return nb


def release(source: Path, out_dir: Path, classroom: bool = False) -> tuple[Path, Path]:
    """Write the student notebook and the public checks for ``source`` into ``out_dir``.

    The default release is for self-paced learners: the checks file holds every check, sealed
    (not readable at a glance), so ``check()`` judges values and choices at once.
    ``classroom=True`` ships only the public checks, without values or multiple-choice answers;
    grading always uses the source's full checks."""
    questions = load_questions(source)
    nb = nbformat.read(source, as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        if is_tests_cell(cell):
            continue
        cell = nbformat.from_dict(dict(cell))
        cell.source = strip_solutions(cell.source, markdown=cell.cell_type != "code",
                                      where=f"{source.name}, cell {index + 1}, ")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    nb.metadata[META_KEY] = {"exercise_set": source.stem}
    out_dir.mkdir(parents=True, exist_ok=True)
    notebook_path = out_dir / f"{source.stem}.ipynb"
    checks_path = out_dir / f"{source.stem}.checks.json"
    write_notebook(nb, notebook_path)
    checks_path.write_text(json.dumps(
        {"exercise_set": source.stem, "release": "classroom" if classroom else "self-paced",
         "questions": [q.to_public_json(source.stem, classroom) for q in questions]}, indent=1) + "\n")
    return notebook_path, checks_path

