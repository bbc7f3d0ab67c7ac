"""Instant feedback for a learner in JupyterLab: ``check("q1")`` and ``check.all()``.

The checker runs the public checks of a question on the variables in the learner's own kernel,
after passing them through the same plain-data conversion the batch grader uses, so "passes here"
means the same as it will in class. It works offline: the public checks are in the
``NAME.checks.json`` file next to the exercise notebook. Inside an instructor's source notebook,
questions declared in its ``# TESTS`` cells are used (hidden checks included).
"""

from __future__ import annotations

import html
from pathlib import Path

from .._modes import exercises_dir, grading_mode
from .checks import Question, QuestionResult, grade_question
from .notebook import public_questions
from .values import export, load_export

_declared: dict[str, Question] = {}


def question(name: str, points: float, **kwargs) -> None:
    """Declare a question (used in the TESTS cells of a source notebook)."""
    _declared[name] = Question(name=name, points=points, **kwargs)


class Report:
    """The outcome of a check, shown as coloured HTML in JupyterLab and as text elsewhere."""

    def __init__(self, results: list[QuestionResult], note: str = ""):
        self.results, self.note = results, note

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    def _lines(self, r: QuestionResult) -> list[tuple[bool, str]]:
        return r.messages or [(False, "no checks for this question")]

    def __repr__(self) -> str:
        out = []
        for r in self.results:
            head = "manual" if r.manual else ("PASSED" if r.score == r.max_score else "NOT YET")
            scope = "all checks, hidden included" if r.hidden_run else "the public checks"
            out.append(f"{r.name}: {head} ({r.score:g}/{r.max_score:g} from {scope})")
            out += [f"  {'✓' if ok else '✗'} {msg}" for ok, msg in self._lines(r)]
        if len(self.results) > 1:
            out.append(f"Progress: {sum(r.score == r.max_score for r in self.results if not r.manual)}"
                       f" of {sum(not r.manual for r in self.results)} questions pass their public checks")
        return "\n".join(out + ([self.note] if self.note else []))

    def _repr_html_(self) -> str:
        parts = []
        for r in self.results:
            ok = r.score == r.max_score and not r.manual
            colour = "#1a7f37" if ok else ("#57606a" if r.manual else "#b35900")
            title = "manual grading" if r.manual else ("passes" if ok else "not yet")
            items = "".join(f"<li>{'✓' if good else '✗'} {html.escape(m)}</li>" for good, m in self._lines(r))
            parts.append(f'<div style="border-left:4px solid {colour};padding:2px 10px;margin:4px 0">'
                         f"<strong>{html.escape(r.name)}: {title}</strong> "
                         f"({r.score:g}/{r.max_score:g})<ul style='margin:2px 0'>{items}</ul></div>")
        return "".join(parts) + (f"<p><em>{html.escape(self.note)}</em></p>" if self.note else "")


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

    def _questions(self) -> dict[str, Question]:
        found = {}
        if self.checks_path is not None:
            found = {q.name: q for q in public_questions(self.checks_path)}
        found.update(_declared)  # in a source notebook, the declared questions (with hidden checks)
        return found

    def _values(self, questions: list[Question]) -> dict:
        from IPython import get_ipython

        shell = get_ipython()
        namespace = shell.user_ns if shell is not None else {}
        return load_export(export(namespace, sorted({n for q in questions for n in q.names()})))

    def __call__(self, name: str) -> Report | None:
        if grading_mode():
            return None  # inside the batch grader the checks run elsewhere
        questions = self._questions()
        if name not in questions:
            known = ", ".join(sorted(questions)) or "none (is the .checks.json file next to the notebook?)"
            return Report([], note=f"There is no question {name!r}. Questions: {known}.")
        q = questions[name]
        return Report([grade_question(q, self._values([q]), include_hidden=q.name in _declared)])

    def all(self) -> Report | None:
        if grading_mode():
            return None
        questions = list(self._questions().values())
        values = self._values(questions)
        return Report([grade_question(q, values, include_hidden=q.name in _declared) for q in questions],
                      note="Hidden checks run when your instructor grades the set.")
