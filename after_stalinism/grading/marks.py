"""The instructor's own marks: free-response questions, and any score changed by hand.

The marks in force live in the grading output, ``OUT/marks.csv``: one row per student and question,
with the points and a comment for the student::

    student,question,points,comment
    alice,q8,3,"Two sourced explanations; say what evidence would separate them."

``grade`` writes that file with an empty row for every student and free-response question (fill in
``points`` and ``comment``, or leave a row empty for later), keeps every mark on each re-run, and
merges the marks into the gradebook, the feedback files and ``results.json``. ``grade --marks FILE``
adds the marks of another file (a later one wins). A mark on an automatically graded question
replaces its score (a regrade). Marks for an unknown student or question, or outside 0 to the
question's points, are refused before anything is written.

Usage::

    marks = read_marks(Path("marks.csv"))                 # -> list[Mark]
    check_marks(marks, questions, {"alice", "bob"})        # raises MarksError, naming each problem
    results = apply_marks(results, questions, out)         # what grade_folder does
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .checks import Question, QuestionResult
from .results import CSV_FORMULA_START, StudentResult, csv_cell

MARKS_FILE = "marks.csv"
COLUMNS = ["student", "question", "points", "comment"]


class MarksError(ValueError):
    """A marks file the grader refuses, with every problem found (file and line)."""


@dataclass
class Mark:
    """One row of a marks file: the points (None: not marked yet) and the comment a student gets
    for a question, and where the row was read, for messages."""

    student: str
    question: str
    points: float | None       # None: not marked yet (an empty template row, or a comment in progress)
    comment: str = ""
    where: str = ""            # "marks.csv, line 4", for messages


def read_marks(path: Path) -> list[Mark]:
    """The rows of a marks CSV (Excel's UTF-8 with BOM is fine). Raises MarksError if unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise MarksError(f"{path}: the marks file could not be read ({err})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("student", "question", "points") if c not in header]
    if missing:
        raise MarksError(f"{path}: the marks file needs the columns student, question, points "
                         f"(and comment); it lacks {', '.join(missing)}")
    reader.fieldnames = header
    marks, problems = [], []
    for line, row in enumerate(reader, start=2):
        where = f"{path}, line {line}"
        student, question = _uncell(row.get("student") or "").strip(), (row.get("question") or "").strip()
        raw, comment = (row.get("points") or "").strip(), _uncell(row.get("comment") or "").strip()
        if not (student or question or raw or comment):
            continue
        points = None
        if raw:
            try:
                points = float(raw)
            except ValueError:
                problems.append(f"{where}: points {raw!r} is not a number")
                continue
            if not math.isfinite(points):
                problems.append(f"{where}: points {raw!r} is not a number")
                continue
        marks.append(Mark(student, question, points, comment, where))
    if problems:
        raise MarksError("These marks were refused; nothing was written:\n" + "\n".join(f"  {p}" for p in problems))
    return marks


def _uncell(text: str) -> str:
    """A name as written by ``csv_cell`` read back: the apostrophe that kept a formula out goes."""
    return text[1:] if text.startswith("'") and text[1:].startswith(CSV_FORMULA_START) else text


def check_marks(marks: list[Mark], questions: list[Question], students: set[str]) -> dict[tuple[str, str], Mark]:
    """The marks by (student, question), or MarksError listing every refused row."""
    by_name = {q.name: q for q in questions}
    problems, found = [], {}
    for m in marks:
        if m.points is None and not m.comment:
            continue  # an empty template row
        if m.student not in students:
            problems.append(f"{m.where}: no submission from a student named {m.student!r}")
        elif m.question not in by_name:
            problems.append(f"{m.where}: there is no question {m.question!r} "
                            f"(questions: {', '.join(by_name)})")
        elif m.points is not None and not 0 <= m.points <= by_name[m.question].points:
            problems.append(f"{m.where}: {m.points:g} points for {m.student}'s {m.question}, but "
                            f"{m.question} is worth 0 to {by_name[m.question].points:g} points")
        elif (m.student, m.question) in found:
            problems.append(f"{m.where}: a second mark for {m.student}'s {m.question} "
                            f"(the first is at {found[(m.student, m.question)].where})")
        else:
            found[(m.student, m.question)] = m
    if problems:
        raise MarksError("These marks were refused; nothing was written:\n" + "\n".join(f"  {p}" for p in problems))
    return found


def stored_marks(out: Path, questions: list[Question], students: set[str]) -> dict[tuple[str, str], Mark]:
    """The marks in force (``OUT/marks.csv``) by (student, question), checked against the
    questions and the students; empty before the first run. MarksError names every refused row,
    so ``grade`` can stop before it writes anything."""
    path = Path(out) / MARKS_FILE
    if not path.exists():
        return {}
    return check_marks(read_marks(path), questions, students)


def import_marks(marks_file: Path, questions: list[Question], students: set[str], out: Path) -> int:
    """Check the marks in ``marks_file`` and merge them into ``OUT/marks.csv`` (they win over the
    stored ones). Returns how many marks were given. Nothing is written if any mark is refused."""
    new = check_marks(read_marks(marks_file), questions, students)
    merged = stored_marks(out, questions, students)
    merged.update(new)
    _write(out, questions, sorted(students), merged)
    return sum(m.points is not None for m in new.values())


def apply_marks(results: list[StudentResult], questions: list[Question], out: Path) -> list[StudentResult]:
    """The results with the stored marks merged in; ``OUT/marks.csv`` rewritten with an empty row for
    every unmarked free-response question (so new students appear), every mark kept."""
    students = [r.student for r in results]
    marks = stored_marks(out, questions, set(students))
    by_name = {q.name: q for q in questions}
    marked = []
    for r in results:
        graded = [_marked(res, by_name[res.name], marks.get((r.student, res.name))) for res in r.questions]
        marked.append(replace(r, questions=graded))
    _write(out, questions, students, marks)
    return marked


def _marked(res: QuestionResult, q: Question, mark: Mark | None) -> QuestionResult:
    if mark is None or mark.points is None:
        return res
    note = f"Marked by your instructor: {mark.points:g} of {q.points:g}." + (f" {mark.comment}" if mark.comment else "")
    kept = [] if res.manual else res.messages  # a regrade keeps what the checks said
    return QuestionResult(res.name, round(mark.points, 4), q.points, kept + [(mark.points >= q.points, note)],
                          manual=False, hidden_run=res.hidden_run)


def _write(out: Path, questions: list[Question], students: list[str], marks: dict) -> None:
    """Write OUT/marks.csv in one step (a temporary file renamed), so it is never half-written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    order = {q.name: i for i, q in enumerate(questions)}
    rows = dict(marks)
    for student in students:
        for q in questions:
            if q.manual:
                rows.setdefault((student, q.name), Mark(student, q.name, None))
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".marks-", suffix=".csv")
    with os.fdopen(fd, "w", newline="", encoding="utf-8", errors="backslashreplace") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for (student, name), m in sorted(rows.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 0))):
            writer.writerow([csv_cell(student), name, "" if m.points is None else f"{m.points:g}", csv_cell(m.comment)])
    os.chmod(tmp, 0o644)
    os.replace(tmp, out / MARKS_FILE)
