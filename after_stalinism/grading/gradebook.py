"""The per-student files ``grade`` writes: ``gradebook.csv``, ``feedback/STUDENT.md`` and
``results/STUDENT/results.json`` (Gradescope's autograder format)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .checks import Question
from .results import StudentResult


def write_outputs(results: list[StudentResult], questions: list[Question], out: Path,
                  isolation: str = "sandboxed") -> pd.DataFrame:
    out.mkdir(parents=True, exist_ok=True)
    max_total = sum(q.points for q in questions)
    rows = []
    for r in results:
        row = {"student": r.student}
        row.update({q.name: q.score for q in r.questions})
        row.update({"total": r.total, "max": max_total, "status": r.status,
                    "manual_pending": ",".join(q.name for q in r.questions if q.manual),
                    "seconds": round(r.seconds, 3), "isolation": isolation})
        rows.append(row)
        _write_feedback(r, questions, out)
        _write_gradescope(r, questions, out)
    book = pd.DataFrame(rows, columns=["student", *[q.name for q in questions], "total", "max",
                                       "status", "manual_pending", "seconds", "isolation"])
    book.to_csv(out / "gradebook.csv", index=False)
    return book


def _write_feedback(r: StudentResult, questions: list[Question], out: Path) -> None:
    lines = [f"# Feedback for {r.student}", "", f"Score: {r.total:g} out of {sum(q.points for q in questions):g}", ""]
    if r.status != "ok":
        lines += [f"**Your notebook could not be graded in full ({r.status}).**", ""]
    if r.errors:
        lines += ["Problems while running your notebook:", ""] + [f"- {e}" for e in r.errors] + [""]
    for q, res in zip(questions, r.questions):
        lines.append(f"## {q.name}{': ' + q.prompt if q.prompt else ''} ({res.score:g}/{res.max_score:g})")
        lines += [f"- {'✓' if ok else '✗'} {msg}" for ok, msg in res.messages] + [""]
    folder = out / "feedback"
    folder.mkdir(exist_ok=True)
    (folder / f"{r.student}.md").write_text("\n".join(lines), encoding="utf-8")


def _write_gradescope(r: StudentResult, questions: list[Question], out: Path) -> None:
    """results.json in Gradescope's autograder format."""
    tests = [{"name": f"{q.name}{': ' + q.prompt if q.prompt else ''}", "score": res.score,
              "max_score": res.max_score, "visibility": "visible",
              "output": "\n".join(f"{'PASS' if ok else 'FAIL'}: {m}" for ok, m in res.messages)
                        + ("\n(marked by hand)" if res.manual else "")}
             for q, res in zip(questions, r.questions)]
    output = "\n".join(r.errors) if r.errors else "All code cells ran."
    data = {"score": r.total, "execution_time": round(r.seconds, 3), "output": output,
            "tests": tests, "extra_data": {"status": r.status, "isolated": r.isolated}}
    folder = out / "results" / r.student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
