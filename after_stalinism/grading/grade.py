"""The ``grade`` command end to end: check the instructor's marks and roster, choose the isolation,
read the class, run it (``batch``), apply the marks, write the gradebook, feedback and Gradescope
results (``gradebook``), then the marking sheet and the report.

Usage::

    roster = prepare(source, submissions, out, marks=Path("my_marks.csv"))   # before any grading
    book = grade_folder("instructor/exercises/00_data_warmup.ipynb", "submissions/", "grading-output/",
                        limits=Limits(timeout=60))
    graded = grade_class(source, submissions, out)   # the results in memory, nothing written but the cache
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .batch import find_submissions, run_class, student_names
from .checks import Question
from .export import read_roster
from .gradebook import write_outputs
from .marks import apply_marks, import_marks, stored_marks
from .notebook import load_questions
from .results import StudentResult, Submission, clean
from .sandbox import Limits, choose


@dataclass
class GradedClass:
    """A class graded in memory, before any output is written: what every output is made from."""

    source: Path
    submissions: list[Submission]
    questions: list[Question]
    results: list[StudentResult]
    private: list[tuple[Path, str]]   # the run's folders, which student-facing text must not show


def prepare(source: Path, submissions: Path, out: Path, *, marks: Path | None = None,
            roster: Path | None = None, say=print) -> list[dict[str, str]] | None:
    """Before any grading: read the roster (returned, None without one), check the marks already in
    ``out`` and merge ``marks`` into them. Raises MarksError, RosterError, ValueError (a broken
    source) or OSError, and then nothing has been written."""
    rows = read_roster(roster) if roster else None
    questions = load_questions(source)
    students = student_names(submissions)
    stored_marks(out, questions, students)
    if marks:
        given = import_marks(marks, questions, students, out)
        say(f"{given} marks from {marks} merged into {out / 'marks.csv'}")
    return rows


def grade_class(source: Path, submissions: Path, out: Path, *, limits: Limits | None = None,
                jobs: int | None = None, progress: bool = True, sandbox: bool = True,
                say=print) -> GradedClass:
    """Grade every submission in ``submissions`` against ``source``, in memory: choose the
    isolation, read the class and run it (cached in ``out/.cache``, the only thing written).

    Raises SandboxUnavailable when student code cannot be isolated here and ``sandbox`` is True.
    ``say`` gets the run's first line: the isolation chosen (the gradebook's ``isolation`` column)."""
    source, submissions, out = Path(source).resolve(), Path(submissions).resolve(), Path(out).resolve()
    if progress:
        print("checking that student code can be isolated here...", file=sys.stderr, flush=True)
    isolation = choose(source, submissions, out, sandbox=sandbox)
    say(f"isolation: {isolation.describe()}")
    questions = load_questions(source)
    if progress:
        print("reading the submissions...", file=sys.stderr, flush=True)
    subs = find_submissions(submissions, source.stem)
    results = run_class(subs, questions, isolation, out / ".cache", jobs=jobs or os.cpu_count() or 1,
                        progress=progress, limits=limits or Limits())
    private = [(source.parent, "INSTRUCTOR"), (submissions, "SUBMISSIONS"), (out, "OUT")]
    return GradedClass(source, subs, questions, results, private)


def grade_folder(source: Path, submissions: Path, out: Path, *, limits: Limits | None = None,
                 jobs: int | None = None, progress: bool = True, sandbox: bool = True,
                 say=print) -> pd.DataFrame:
    """Grade every submission in ``submissions`` against ``source`` (``grade_class``); write the
    results into ``out`` with the instructor's marks applied; return the gradebook."""
    graded = grade_class(source, submissions, out, limits=limits, jobs=jobs, progress=progress,
                         sandbox=sandbox, say=say)
    out = Path(out).resolve()
    results = apply_marks(graded.results, graded.questions, out)  # the marks kept in out/marks.csv
    entries = {s.student: s.entry for s in graded.submissions}
    book = write_outputs(results, graded.questions, out, entries=entries, private=graded.private)
    write_instructor_views(graded.source, graded.submissions, results, graded.questions, out)
    return book


def write_instructor_views(source: Path, subs: list[Submission], results: list[StudentResult],
                           questions: list[Question], out: Path) -> None:
    """The marking sheet and the report: pages that help the instructor read the results. A failure
    while writing them is reported and never loses the grades already written."""
    from .marking_sheet import write_marking_sheet
    from .report import write_report

    for name, write in (("marking sheet", lambda: write_marking_sheet(source, subs, results, questions, out)),
                        ("report", lambda: write_report(results, questions, out, Path(source).stem))):
        try:
            write()
        except Exception as err:  # a page that cannot be drawn must not cost the grades
            print(f"warning: the {name} could not be written ({type(err).__name__}: {clean(err)}); "
                  f"the gradebook and feedback are complete", file=sys.stderr)
