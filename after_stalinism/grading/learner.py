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
import re
from dataclasses import dataclass, field
from pathlib import Path

from .._modes import exercises_dir, grading_mode
from .checks import TESTS_MARK, Question, QuestionResult, grade_question, read_checks, run_tests_cell
from .values import Raised, export, load_export

_declared: dict[str, Question] = {}
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
        release, found = "classroom", {}
        if self.checks_path is not None:
            stamp = self.checks_path.stat().st_mtime_ns  # read again only when the file changes
            if getattr(self, "_read", (None,))[0] != stamp:
                self._read = (stamp, read_checks(self.checks_path))
            release, questions = self._read[1]
            found = {q.name: q for q in questions}
        found.update(_declared)  # in a source notebook, the declared questions (with hidden checks)
        return release, found

    def _values(self, questions: list[Question]) -> dict:
        from IPython import get_ipython

        shell = get_ipython()
        namespace = shell.user_ns if shell is not None else {}
        names = sorted({n for q in questions for n in q.names()})
        values = load_export(export(namespace, names))
        values.update({n: Raised(_raised[n]) for n in names if n in _raised})
        return values

    def _results(self, questions: list[Question]) -> dict[str, QuestionResult]:
        values = self._values(questions)
        return {q.name: grade_question(q, values, include_hidden=q.name in _declared) for q in questions}

    def _line(self, q: Question, r: QuestionResult, release: str, others_pass: bool) -> Line:
        if q.manual:
            return Line(q.name, "free response", f"{q.points:g} points", self._manual_messages(q, release, others_pass))
        if r.score == r.max_score and r.unchecked:
            return Line(q.name, "format OK", f"{q.points:g} points, marked when your instructor grades the set",
                        r.messages)
        status = "right" if r.score == r.max_score else "not yet"
        return Line(q.name, status, f"{r.score:g}/{r.max_score:g}",
                    r.messages or [(False, "no checks for this question")])

    def _manual_messages(self, q: Question, release: str, others_pass: bool) -> list[tuple[bool | None, str]]:
        if q.name in _declared:
            return [(None, f"Marked by hand. Rubric: {q.rubric}")]
        if release == "classroom":
            return [(None, "Free response: your instructor marks it.")]
        done = [(None, "Free response: no automatic check. Write your answer where the question says, "
                       "then read it against the question: does it do everything asked, with sources?")]
        if not q.rubric:
            return done
        if others_pass:
            return done + [(None, f"Marking guide, to assess your answer yourself: {q.rubric}")]
        return done + [(None, "When every other question passes, this check also shows the marking guide "
                              "(it mentions their answers), so you can assess your answer yourself.")]

    def _report(self, names: list[str]) -> Report:
        release, questions = self._questions()
        results = self._results(list(questions.values()) if any(questions[n].manual for n in names)
                                else [questions[n] for n in names])
        auto = [n for n, q in questions.items() if not q.manual]
        others_pass = all(results[n].score == results[n].max_score and not results[n].unchecked
                          for n in auto if n in results) and set(auto) <= set(results)
        lines = [self._line(questions[n], results[n], release, others_pass) for n in names]
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
        return report
