"""Grading a whole folder of submissions into a gradebook, feedback files and Gradescope results.

Submissions are read, never written. Each student is either a folder (``submissions/alice/``
holding their notebook, whatever it is called) or a notebook file (``submissions/alice.ipynb``).
Every student found gets a row in the gradebook, whatever went wrong with their notebook.
Results are cached by the content of the submission and of the tests, so a re-run grades only
what changed.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from .checks import Question, QuestionResult, grade_question
from .marks import apply_marks
from .notebook import META_KEY, is_tests_cell, load_questions
from .sandbox import RunResult, run_submission, warm_up
from .values import load_export
from .views import write_instructor_views

GRADER_VERSION = "1"


@dataclass
class Submission:
    """One student's notebook as found in the submissions folder, read or with the reason it cannot be."""

    student: str
    path: Path | None
    problem: str = ""          # why it could not be run, if it could not
    cells: list[str] = field(default_factory=list)
    digest: str = ""


@dataclass
class StudentResult:
    """One student's grading: a status, a result per question and any errors, as the gradebook shows them."""

    student: str
    status: str                # ok | timeout | crashed | unreadable | no notebook | empty
    questions: list[QuestionResult]
    errors: list[str]
    seconds: float = 0.0
    isolated: bool = False
    values: dict = field(default_factory=dict, repr=False)  # the student's answers, for report and marking sheet

    @property
    def total(self) -> float:
        return round(sum(q.score for q in self.questions), 4)


def find_submissions(folder: Path, exercise_set: str) -> list[Submission]:
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            notebooks = sorted(entry.rglob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)
            notebooks = [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
            if not notebooks:
                found.append(Submission(entry.name, None, "no notebook (.ipynb) was found in the submission"))
                continue
            found.append(Submission(entry.name, _pick(notebooks, exercise_set)))
        elif entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, entry))
    return [_read(s) for s in found]


def _pick(notebooks: list[Path], exercise_set: str) -> Path:
    """The notebook of this exercise set if one says so in its metadata, else the newest."""
    for path in notebooks:
        try:
            meta = json.loads(path.read_bytes()).get("metadata", {}).get(META_KEY, {})
        except (ValueError, OSError, AttributeError):
            continue
        if meta.get("exercise_set") == exercise_set:
            return path
    return notebooks[0]


def _read(sub: Submission) -> Submission:
    if sub.path is None:
        return sub
    raw = sub.path.read_bytes()
    sub.digest = hashlib.sha256(raw).hexdigest()
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as err:  # truncated JSON, wrong encoding, not a notebook at all
        sub.problem = f"the notebook could not be opened ({type(err).__name__}); it may be damaged or incomplete"
        return sub
    sub.cells = [c.source for c in nb.cells if c.cell_type == "code" and not is_tests_cell(c)]
    if not any(c.strip() for c in sub.cells):
        sub.problem = "the notebook has no code in it"
    return sub


def _result_for(sub: Submission, run: RunResult | None, questions: list[Question]) -> StudentResult:
    if run is None:
        status = ("no notebook" if sub.path is None else
                  "empty" if sub.problem == "the notebook has no code in it" else "unreadable")
        values, errors, seconds, isolated = {}, [sub.problem], 0.0, False
    else:
        status, errors, seconds, isolated = run.status, run.errors, run.seconds, run.isolated
        values = load_export(run.values_json)
    graded = [grade_question(q, values) for q in questions]
    return StudentResult(sub.student, status, graded, errors, seconds, isolated, values)


def _tests_digest(questions: list[Question]) -> str:
    blob = json.dumps([asdict(q) for q in questions], sort_keys=True) + GRADER_VERSION
    return hashlib.sha256(blob.encode()).hexdigest()


def grade_folder(source: Path, submissions: Path, out: Path, *, jobs: int | None = None,
                 timeout: float = 20, cell_timeout: float = 5, memory_mb: int = 512,
                 progress: bool = True) -> pd.DataFrame:
    """Grade every submission in ``submissions`` against ``source``; write results into ``out``."""
    source, submissions, out = Path(source).resolve(), Path(submissions).resolve(), Path(out).resolve()
    # Start the workers before the tests are loaded, so no hidden test is in their memory.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1, mp_context=context, initializer=warm_up)
    try:
        questions = load_questions(source)
        names = sorted({n for q in questions for n in q.names()})
        tests_digest = _tests_digest(questions)
        subs = find_submissions(submissions, source.stem)
        cache_dir = out / ".cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        hide = sorted({str(source.parent), str(submissions), str(out)})

        runs: dict[str, RunResult | None] = {}
        pending = {}
        for sub in subs:
            cached = cache_dir / f"{hashlib.sha256(sub.student.encode()).hexdigest()[:16]}.json"
            key = hashlib.sha256((sub.digest + tests_digest).encode()).hexdigest()
            previous = json.loads(cached.read_text()) if cached.exists() else {}
            if sub.problem or sub.path is None:
                runs[sub.student] = None
            elif previous.get("key") == key:
                runs[sub.student] = RunResult(**previous["run"])
            else:
                future = pool.submit(run_submission, sub.cells, names, hide=hide, timeout=timeout,
                                     cell_timeout=cell_timeout, memory_mb=memory_mb)
                pending[future] = (sub, cached, key)
        _collect(pending, runs, progress)
    finally:
        pool.shutdown(cancel_futures=True)

    results = [_result_for(sub, runs[sub.student], questions) for sub in subs]
    results = apply_marks(results, questions, out)  # the instructor's marks kept in out/marks.csv
    book = write_outputs(results, questions, out)
    write_instructor_views(source, subs, results, questions, out)  # marking sheet, report.html
    return book


def _collect(pending: dict, runs: dict, progress: bool) -> None:
    from concurrent.futures import as_completed

    from rich.progress import Progress

    with Progress(disable=not progress or len(pending) < 10, transient=True) as bar:
        task = bar.add_task("grading", total=len(pending))
        for future in as_completed(pending):
            sub, cached, key = pending[future]
            try:
                run = future.result()
            except Exception as err:  # a worker died: this student still gets a row
                run = RunResult("crashed", errors=[f"the grader could not run this notebook ({type(err).__name__})"])
            runs[sub.student] = run
            if run.status != "crashed":
                cached.write_text(json.dumps({"key": key, "run": asdict(run)}))
            bar.advance(task)


def write_outputs(results: list[StudentResult], questions: list[Question], out: Path) -> pd.DataFrame:
    out.mkdir(parents=True, exist_ok=True)
    max_total = sum(q.points for q in questions)
    rows = []
    for r in results:
        row = {"student": r.student}
        row.update({q.name: q.score for q in r.questions})
        row.update({"total": r.total, "max": max_total, "status": r.status,
                    "manual_pending": ",".join(q.name for q in r.questions if q.manual),
                    "seconds": round(r.seconds, 3)})
        rows.append(row)
        _write_feedback(r, questions, out)
        _write_gradescope(r, questions, out)
    book = pd.DataFrame(rows, columns=["student", *[q.name for q in questions], "total", "max",
                                       "status", "manual_pending", "seconds"])
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
