"""The same synthetic class graded by nbgrader, for the comparison in benchmarks/grading.py.

nbgrader is a benchmark-only dependency: ``benchmarks/requirements-peers.txt`` pins it, and
``ensure_installed`` puts it in ``benchmarks/.peers`` (git-ignored) beside the course's own
environment, so the course's pinned requirements stay untouched.

The warm-up set is converted to nbgrader's format without changing what is checked: solution
cells keep their ``### BEGIN SOLUTION`` markers (nbgrader's own), and each question's TESTS cell
becomes an autograder cell that runs the course's own checks (public and hidden) in the student's
kernel and fails if any check fails. The student code of every submission is identical to the
course grader's; only its packaging differs. The learner's ``check(...)`` cells are left out,
since nbgrader has no use for them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
REQUIREMENTS = HERE / "requirements-peers.txt"
ASSIGNMENT = "warmup"

TEST_TEMPLATE = """\
# autograder cell: the course's checks for {name}, public and hidden
import json as _json
from after_stalinism.grading.checks import Question as _Question, grade_question as _grade
from after_stalinism.grading.values import export as _export, load_export as _load
_q = _Question(**_json.loads({spec!r}))
_r = _grade(_q, _load(_export(globals(), _q.names())))
assert _r.score == _r.max_score, "; ".join(m for ok, m in _r.messages if not ok)
"""


def ensure_installed() -> None:
    if not (PEERS / "nbgrader").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(PEERS),
                        "-r", str(REQUIREMENTS)], check=True)


def _meta(**fields) -> dict:
    return {"nbgrader": {"schema_version": 3, "locked": False, "solution": False, "grade": False,
                         "task": False, **fields}}


def nbgrader_source(source: Path, questions: list) -> nbformat.NotebookNode:
    """The course's source notebook in nbgrader's format (same solutions, same checks)."""
    from after_stalinism.grading.notebook import is_tests_cell

    by_name = {q.name: q for q in questions}
    nb = nbformat.read(source, as_version=4)
    cells, solution_index = [], 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("check("):
            continue
        if is_tests_cell(cell):
            name = cell.source.split('question("', 1)[1].split('"', 1)[0]
            q = by_name[name]
            if q.manual:
                continue
            spec = json.dumps(dataclasses.asdict(q))
            cell = nbformat.v4.new_code_cell(TEST_TEMPLATE.format(name=name, spec=spec))
            cell.metadata = _meta(grade=True, locked=True, points=q.points, grade_id=f"test_{name}")
        elif cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
            solution_index += 1
            cell.metadata = _meta(solution=True, grade_id=f"answer_{solution_index}")
        cells.append(cell)
    nb.cells = cells
    return nb


def grade_with_nbgrader(source: Path, questions: list, submissions: Path, work: Path,
                        cell_timeout: int) -> dict:
    """Grade every ``submissions/<student>/*.ipynb`` with ``nbgrader autograde``; time it."""
    ensure_installed()
    course = work / "nbgrader_course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nbgrader_source(source, questions), course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.ExecutePreprocessor.timeout = {cell_timeout}\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PEERS), str(HERE.parent)]),
           "PATH": os.pathsep.join([str(PEERS / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]])}

    def nbgrader(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                              capture_output=True, text=True)

    made = nbgrader("generate_assignment", ASSIGNMENT, "--force")
    if made.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{made.stderr[-3000:]}")
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)

    # The same student code as the course grader's submissions: each submission's solution cells
    # and extra cells, placed into nbgrader's release (extra cells just before the first test).
    students = sorted(p for p in submissions.iterdir() if p.is_dir())
    for student in students:
        theirs = nbformat.read(next(student.glob("*.ipynb")), as_version=4)
        answers = [c for c in theirs.cells if c.cell_type == "code" and "### BEGIN SOLUTION" in c.source]
        extras = [c for c in theirs.cells if c.cell_type == "code" and c.metadata.get("benchmark_extra")]
        nb = nbformat.from_dict(released)
        slots = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        for slot, answer in zip(slots, answers):
            slot.source = answer.source
        first_test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
        for offset, extra in enumerate(extras):
            nb.cells.insert(first_test + offset, nbformat.v4.new_code_cell(extra.source))
        target = course / "submitted" / student.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)

    start = time.perf_counter()
    graded = nbgrader("autograde", ASSIGNMENT, "--create", "--force")
    wall = time.perf_counter() - start
    exported = nbgrader("export", "--to", str(work / "nbgrader_grades.csv"))
    scores = {}
    if exported.returncode == 0 and (work / "nbgrader_grades.csv").exists():
        import pandas as pd
        grades = pd.read_csv(work / "nbgrader_grades.csv")
        scores = dict(zip(grades["student_id"], grades["score"]))
    autograded = len(list((course / "autograded").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")))
    shutil.rmtree(course / "submitted", ignore_errors=True)
    return {"wall": wall, "returncode": graded.returncode, "autograded": autograded,
            "students": len(students), "scores": scores, "log_tail": graded.stderr[-2000:]}
