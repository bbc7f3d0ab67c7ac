"""The per-student files ``grade`` writes: ``gradebook.csv``, ``feedback/STUDENT.md`` and
``results/STUDENT/results.json`` (Gradescope's autograder format, built by ``to_gradescope``, which
``run_autograder`` uses too).

Only the grader writes a student's feedback. Whatever came from the student (an exception message,
a value, their name) is made safe first: lone surrogates become escapes, text is HTML-escaped and
kept on one line in lists, Markdown in error messages is escaped so it cannot fake a heading, a
tick or a link, and the
grader's own paths (the course folder, the Python installation) are replaced by short names. A
free-response question says "Awaiting your instructor's mark" until it is marked: its rubric
stays in the marking sheet. A gradebook cell cannot start a spreadsheet formula. Writing one
student's files can fail alone: the failure is named in that student's row and on the console.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .._modes import PACKAGE_DIR
from .checks import Question
from .results import Status, StudentResult, clean, csv_cell

COLUMNS_AFTER = ["total", "max", "status", "manual_pending", "seconds", "isolation", "submission", "reason"]

Places = Sequence[tuple[Path | str, str]]   # (folder, short name) pairs student-facing text must not show


def hide_paths(text: str, private: Places = ()) -> str:
    """``text`` with the grader's own folders replaced: the course folder by ``COURSE``, the Python
    installation by ``PYTHON``, the home folder by ``~``, and the run's folders (``private``: the
    sources, the submissions, the output) by their short names."""
    import os

    places = [(str(PACKAGE_DIR.parent), "COURSE"), (sys.prefix, "PYTHON"), (sys.base_prefix, "PYTHON"),
              (os.path.expanduser("~"), "~"), *((str(path), name) for path, name in private)]
    for path, name in sorted(places, key=lambda p: -len(p[0])):
        if len(path) > 1:
            text = text.replace(path, name)
    return text


def public(text: object, private: Places = ()) -> str:
    """Text from a run, safe to show a student: encodable, without the grader's paths."""
    return hide_paths(clean(text), private)


def _line(text: str, private: Places) -> str:
    """One Markdown list line: HTML escaped, no line breaks (so no fake heading can start)."""
    return html.escape(re.sub(r"\s*[\r\n]+\s*", " ", public(text, private)), quote=False)


def _student_line(text: str, private: Places) -> str:
    """A line of a student's own text (an exception message): one line, HTML escaped, and the
    Markdown that could format it, link or fake a heading or a tick escaped with backslashes."""
    line = re.sub(r"([\\`*_~|])", r"\\\1", _line(text, private))
    return re.sub(r"([\[\]])", r"\\\1", line) if re.search(r"\]\s*[(\[]", line) else line


def write_outputs(results: list[StudentResult], questions: list[Question], out: Path, *,
                  entries: dict[str, str] | None = None, private: Places = ()) -> pd.DataFrame:
    """Write the gradebook and every student's files; return the gradebook. ``entries``: each
    student's entry in the submissions folder (the ``submission`` column); ``private``: (folder,
    short name) pairs that student-facing text must not show (the sources' folder, the
    submissions, the output). The ``isolation`` column is each result's own."""
    out.mkdir(parents=True, exist_ok=True)
    max_total = sum(q.points for q in questions)
    rows = []
    for r in results:
        reason = "" if r.status is Status.OK else public((r.errors or [r.status])[0], private)[:300]
        for write in (_write_feedback, _write_gradescope):
            try:
                write(r, questions, out, private)
            except Exception as err:  # this student's file only: say so and go on
                what = "feedback" if write is _write_feedback else "results.json"
                problem = f"the {what} file could not be written ({type(err).__name__})"
                print(f"warning: {clean(r.student)}: {problem}", file=sys.stderr)
                reason = f"{reason}; {problem}" if reason else problem
        row = {"student": r.student}
        row.update({q.name: q.score for q in r.questions})
        row.update({"total": r.total, "max": max_total, "status": r.status,
                    "manual_pending": ",".join(q.name for q in r.questions if q.manual),
                    "seconds": round(r.seconds, 3), "isolation": r.isolation,
                    "submission": (entries or {}).get(r.student, r.student), "reason": reason})
        rows.append(row)
    book = pd.DataFrame(rows, columns=["student", *[q.name for q in questions], *COLUMNS_AFTER])
    safe = book.copy()
    for column in ("student", "submission", "reason"):
        safe[column] = safe[column].map(csv_cell)
    with open(out / "gradebook.csv", "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
        safe.to_csv(handle, index=False)
    return book


def feedback_path(out: Path, student: str) -> Path:
    """Where a student's feedback file is written."""
    return out / "feedback" / f"{student}.md"


def _write_feedback(r: StudentResult, questions: list[Question], out: Path, private: Places) -> None:
    lines = [f"# Feedback for {_line(r.student, private)}", "",
             f"Score: {r.total:g} out of {sum(q.points for q in questions):g}", ""]
    if r.status is not Status.OK:
        lines += [f"**Your notebook could not be graded in full ({html.escape(r.status)}).**", ""]
    if r.errors:
        lines += ["Problems while running your notebook (as the grader saw them):", ""]
        lines += [f"- {_student_line(e, private)}" for e in r.errors] + [""]
    for q, res in zip(questions, r.questions):
        lines.append(f"## {q.name}{': ' + q.prompt if q.prompt else ''} ({res.score:g}/{res.max_score:g})")
        lines += [f"- {'✓' if ok else '✗'} {_line(msg, private)}" for ok, msg in res.messages] + [""]
    folder = out / "feedback"
    folder.mkdir(exist_ok=True)
    feedback_path(out, r.student).write_text("\n".join(lines), encoding="utf-8", errors="backslashreplace")


def to_gradescope(r: StudentResult, questions: list[Question], *, private: Places = (),
                  autograder: bool = False) -> dict:
    """One student's results in Gradescope's autograder format, built from the result in memory:
    the one home of that format. ``grade`` writes it as ``results/STUDENT/results.json``;
    ``run_autograder`` (``autograder``) hands it to Gradescope, with the free-response questions
    left to Gradescope's manual grading, every other test marked passed or failed, and the
    isolation named. Shown as plain text; student text one line a problem and HTML-escaped, as in
    the feedback file."""
    tests = []
    for q, res in zip(questions, r.questions):
        name = f"{q.name}{': ' + q.prompt if q.prompt else ''}"
        if autograder and q.manual:
            left = f"Marked by your instructor ({q.points:g} points), not by the autograder."
            tests.append({"name": name, "visibility": "visible", "output": left})
            continue
        checked = "\n".join(f"{'PASS' if ok else 'FAIL'}: {_line(m, private)}" for ok, m in res.messages)
        test = {"name": name, "score": res.score, "max_score": res.max_score, "visibility": "visible",
                "output": checked + ("\n(marked by hand)" if res.manual else "")}
        if autograder:
            test["status"] = "passed" if res.score >= res.max_score else "failed"
        tests.append(test)
    output = "\n".join(f"- {_line(e, private)}" for e in r.errors) if r.errors else "All code cells ran."
    extra = {"status": r.status, "isolated": r.isolated, **({"isolation": r.isolation} if autograder else {})}
    return {"score": r.total, "execution_time": round(r.seconds, 3), "output": output,
            "output_format": "text", "test_output_format": "text", "tests": tests, "extra_data": extra}


def _write_gradescope(r: StudentResult, questions: list[Question], out: Path, private: Places) -> None:
    folder = out / "results" / r.student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(to_gradescope(r, questions, private=private), indent=1),
                                         encoding="utf-8")
