"""Instant feedback for a learner in JupyterLab: ``check("q1")`` and ``check.all()``.

Usage, in the SETUP cell of an exercise notebook (the only name it adds is ``check``)::

    from after_stalinism.grading import Checker
    check = Checker("00_data_warmup")

The checker judges the learner's variables in their own kernel, after passing them through the
same plain-data conversion the batch grader uses, so "right here" means the same as in class. It
works offline, from the ``NAME.checks.json`` file next to the notebook:

* a self-paced release holds every check, sealed (``checks.seal``): values are judged, and an
  anticipated mistake gets its own feedback;
* a classroom release holds only the public checks: a value that has the right form is reported
  as "format OK, value not checked yet", never as right.

Inside an instructor's source notebook, each ``# TESTS`` cell declares its questions (hidden
checks included) when it runs; its code runs apart from the notebook's variables, with the check
constructors in scope, so the notebook's namespace holds only ``check``.

This module imports nothing POSIX-only: learners run it on any system.
"""

from __future__ import annotations

import ast
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .._modes import exercises_dir, grading_mode
from .checks import (
    TESTS_MARK,
    Question,
    QuestionResult,
    evaluate,
    grade_question,
    is_attempt,
    read_checks,
    run_tests_cell,
)
from .values import Raised, export, load_export

ESSAY_MIN_WORDS = 25  # a written answer below this is not yet an attempt the marking guide should follow
PLACEHOLDER = "*Your answer here.*"

_declared: dict[str, Question] = {}
_read: dict[Path, tuple[int, tuple[str, list[Question]]]] = {}  # checks file -> (mtime, its questions)
_raised: dict[str, str] = {}  # variable -> error of the last run of the cell that sets it, if it raised


def declare(code: str) -> None:
    """Run a ``# TESTS`` cell of a source notebook: its questions replace earlier declarations."""
    questions: list[Question] = []
    run_tests_cell(code, questions)
    _declared.update({q.name: q for q in questions})


# ---- IPython hooks --------------------------------------------------------------------------

def _tests_cells_declare(lines: list[str]) -> list[str]:
    """Input transformer: a ``# TESTS`` cell becomes a call to ``declare`` (binding no name)."""
    code = "".join(lines)
    if not code.lstrip().startswith(TESTS_MARK):
        return lines
    return [f"__import__('after_stalinism.grading.learner', fromlist=['declare']).declare({code!r})\n"]


def _assigned_names(shell, raw_cell: str) -> set[str]:
    try:
        tree = ast.parse(shell.transform_cell(raw_cell))
    except (SyntaxError, ValueError):  # a cell that does not parse: its plain `name = ...` lines
        return set(re.findall(r"^([A-Za-z_]\w*)\s*=(?!=)", raw_cell, re.M))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _remember_errors(result) -> None:
    """post_run_cell hook: note which variables were set by a cell whose last run raised."""
    from IPython import get_ipython

    shell = get_ipython()
    names = _assigned_names(shell, result.info.raw_cell or "")
    error = result.error_in_exec or result.error_before_exec
    for name in names:
        if error is None:
            _raised.pop(name, None)
        else:
            _raised[name] = f"{type(error).__name__}: {str(error)[:120]}".rstrip(": ")


def _install_hooks() -> None:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "_after_stalinism_hooks", False):
        return
    shell.input_transformers_cleanup.append(_tests_cells_declare)
    shell.events.register("post_run_cell", _remember_errors)
    shell._after_stalinism_hooks = True


# ---- what the learner sees --------------------------------------------------------------------

@dataclass
class Line:
    """One question's outcome as shown: a status word, the points, and the check messages."""

    name: str
    status: str  # "right" | "not yet" | "format OK" | "free response"
    points: str
    messages: list[tuple[bool | None, str]] = field(default_factory=list)


_HEAD = {"right": "PASSED", "not yet": "NOT YET", "format OK": "format OK, value not checked yet",
         "free response": "free response"}
_COLOUR = {"right": "#1a7f37", "not yet": "#b35900", "format OK": "#57606a", "free response": "#57606a"}
_MARK = {True: "✓", False: "✗", None: "•"}


class Report:
    """The outcome of a check, shown as coloured HTML in JupyterLab and as text elsewhere."""

    def __init__(self, lines: list[Line], progress: str = "", note: str = ""):
        self.lines, self.progress, self.note = lines, progress, note

    def __repr__(self) -> str:
        out = []
        for line in self.lines:
            out.append(f"{line.name}: {_HEAD[line.status]} ({line.points})")
            out += [f"  {_MARK[ok]} {msg}" for ok, msg in line.messages]
        return "\n".join(out + [t for t in (self.progress, self.note) if t])

    def _repr_html_(self) -> str:
        parts = []
        for line in self.lines:
            items = "".join(f"<li>{_MARK[ok]} {html.escape(m)}</li>" for ok, m in line.messages)
            parts.append(f'<div style="border-left:4px solid {_COLOUR[line.status]};padding:2px 10px;margin:4px 0">'
                         f"<strong>{html.escape(line.name)}: {html.escape(_HEAD[line.status])}</strong> "
                         f"({html.escape(line.points)})<ul style='margin:2px 0'>{items}</ul></div>")
        tail = "".join(f"<p><em>{html.escape(t)}</em></p>" for t in (self.progress, self.note) if t)
        return "".join(parts) + tail


class Checker:
    """``check = Checker("00_data_warmup")`` then ``check("q1")`` or ``check.all()``.

    The public checks come from ``NAME.checks.json`` in ``folder``, else in the working folder, else
    in the course's ``exercises/`` (``_modes.exercises_dir()``, also inside an installed wheel).
    """

    def __init__(self, exercise_set: str, folder: str | Path | None = None):
        self.exercise_set = exercise_set
        candidates = [Path(folder)] if folder else [Path.cwd(), exercises_dir()]
        self.checks_path = next((p / f"{exercise_set}.checks.json" for p in candidates
                                 if (p / f"{exercise_set}.checks.json").exists()), None)
        if not grading_mode():
            _install_hooks()

    def __repr__(self) -> str:
        return f'Checker("{self.exercise_set}"): run check("q1") under a question, check.all() for your progress'

    def _questions(self) -> tuple[str, dict[str, Question]]:
        # The questions are cached in the module, not on ``check``: its attributes show no answers.
        release, found = "classroom", {}
        if self.checks_path is not None:
            stamp = self.checks_path.stat().st_mtime_ns  # read again only when the file changes
            if _read.get(self.checks_path, (None,))[0] != stamp:
                _read[self.checks_path] = (stamp, read_checks(self.checks_path))
            release, questions = _read[self.checks_path][1]
            found = {q.name: q for q in questions}
        found.update(_declared)  # in a source notebook, the declared questions (with hidden checks)
        return release, found

    def _notebook_path(self) -> Path | None:
        """The learner's notebook on disk: the kernel's session path, else NAME.ipynb in the working folder."""
        from IPython import get_ipython

        shell = get_ipython()
        session = ((shell.user_ns.get("__session__") if shell is not None else None)
                   or os.environ.get("JPY_SESSION_NAME"))
        for candidate in ([Path(session), Path.cwd() / Path(session).name] if session else []) + [
                Path.cwd() / f"{self.exercise_set}.ipynb"]:
            if candidate.suffix == ".ipynb" and candidate.is_file():
                return candidate
        return None

    def _essay_text(self, q: Question) -> str | None:
        """The saved text of a free-response question's answer cell (None if the notebook cannot be read)."""
        path = self._notebook_path()
        if path is None:
            return None
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            return None
        number = q.name.lstrip("q")
        heading = re.compile(rf"^#+\s*Question\s+{re.escape(number)}\b")
        for i, cell in enumerate(cells):
            source = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "markdown" and heading.match(source.lstrip()):
                for after in cells[i + 1:]:
                    if after.get("cell_type") != "markdown":
                        break
                    text = "".join(after.get("source", "")).strip()
                    if not heading.match(text):
                        return "" if text == PLACEHOLDER else text
                return ""
        return None

    def _values(self, questions: list[Question]) -> dict:
        from IPython import get_ipython

        shell = get_ipython()
        namespace = shell.user_ns if shell is not None else {}
        names = sorted({n for q in questions for n in q.names()})
        values = load_export(export(namespace, names))
        values.update({n: Raised(_raised[n]) for n in names if n in _raised})
        return values

    def _line(self, q: Question, r: QuestionResult, release: str, others_pass: bool, values: dict) -> Line:
        if q.manual:
            written, messages = self._manual_messages(q, release, others_pass, values)
            return Line(q.name, "free response", f"{q.points:g} points, " + (
                "written: assess it yourself" if written else "not yet written"), messages)
        if r.score == r.max_score and r.unchecked:
            return Line(q.name, "format OK", f"{q.points:g} points, marked when your instructor grades the set",
                        r.messages)
        if r.score == r.max_score:
            return Line(q.name, "right", f"{r.score:g}/{r.max_score:g}", r.messages)
        # Not yet: no score shown, so that a right form ("is a number") does not read as half right.
        return Line(q.name, "not yet", f"{q.points:g} point{'s' * (q.points != 1)} when right",
                    r.messages or [(False, "no checks for this question")])

    def _written(self, q: Question, values: dict) -> tuple[bool, list[tuple[bool | None, str]]]:
        """Whether a free-response answer is a real attempt, and what to tell the learner if not."""
        said: list[tuple[bool | None, str]] = []
        for check in q.public + q.hidden:
            if check["check"] == "attempt":
                o = evaluate(check, values)
                if not o.passed:
                    return False, [(False, o.message)]
        essay_flags = [c["name"] for c in q.public if c["name"].startswith("answered_")]
        for flag in essay_flags:
            if values.get(flag) is not True:
                return False, [(False, f"Not yet written: write your answer in the Markdown cell under the "
                                       f"question, save the notebook (Ctrl+S), then set `{flag} = True` and run it.")]
            text = self._essay_text(q)
            if text is None:
                said.append((None, "I could not read your saved notebook to see your answer, so I take "
                                   f"`{flag} = True` at its word."))
                continue
            ok, why = is_attempt(text, ESSAY_MIN_WORDS)
            if not ok:
                return False, [(False, f"Your answer cell, as last saved, {why}. Write it, save the notebook "
                                       f"(Ctrl+S), then check again.")]
        return True, said

    def _manual_messages(self, q: Question, release: str, others_pass: bool,
                         values: dict) -> tuple[bool, list[tuple[bool | None, str]]]:
        if q.name in _declared:
            return True, [(None, f"Marked by hand. Rubric: {q.rubric}")]
        if release == "classroom":
            return False, [(None, "Written answer: your instructor marks it.")]
        written, said = self._written(q, values)
        done = [(None, "Written answer: no automatic check and no automatic points. Write it first, then "
                       "read it against the question: does it do everything asked, with sources?")] + said
        if not written or not q.rubric:
            return written, done
        essay = any(c["name"].startswith("answered_") for c in q.public)
        if others_pass or not essay:
            return True, done + [(None, f"Key points, to assess your answer yourself: {q.rubric}")]
        return True, done + [(None, "When every other question passes, this check also shows the marking guide "
                                    "(it mentions their answers), so you can assess your answer yourself.")]

    def _report(self, names: list[str]) -> Report:
        release, questions = self._questions()
        chosen = list(questions.values()) if any(questions[n].manual for n in names) else [questions[n] for n in names]
        values = self._values(chosen)
        results = {q.name: grade_question(q, values, include_hidden=q.name in _declared) for q in chosen}
        auto = [n for n, q in questions.items() if not q.manual]
        others_pass = all(results[n].score == results[n].max_score and not results[n].unchecked
                          for n in auto if n in results) and set(auto) <= set(results)
        lines = [self._line(questions[n], results[n], release, others_pass, values) for n in names]
        return Report(lines)

    def __call__(self, name: str) -> Report | None:
        if grading_mode():
            return None  # inside the batch grader the checks run elsewhere
        _, questions = self._questions()
        if name not in questions:
            known = ", ".join(sorted(questions)) or "none (is the .checks.json file next to the notebook?)"
            return Report([], note=f"There is no question {name!r}. Questions: {known}.")
        return self._report([name])

    def all(self) -> Report | None:
        """Every question's report and a progress line: how many automatically graded questions
        pass (or, where this copy cannot check a value, have answers in the right form) and how
        many written answers are written. None inside the batch grader, where the checks run
        elsewhere."""
        if grading_mode():
            return None
        release, questions = self._questions()
        report = self._report(list(questions))
        auto = [line for line in report.lines if line.status != "free response"]
        right = sum(line.status == "right" for line in auto)
        formatted = sum(line.status == "format OK" for line in auto)
        if formatted or (release == "classroom" and not _declared):
            report.progress = (f"Progress: {right + formatted} of {len(auto)} questions have answers in the right "
                               f"form; {right} of them checked right here. Your instructor's grading checks the rest.")
        else:
            report.progress = f"Progress: {right} of {len(auto)} questions pass"
        free = [line for line in report.lines if line.status == "free response"]
        if free:
            written = sum(line.points.endswith("assess it yourself") for line in free)
            report.progress += (f"; written answers: {written} of {len(free)} written"
                                + (" (no automatic marks: assess them against the key points)" if written else ""))
        return report
