"""The grading engine, with right, wrong, partly right and hostile submissions."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from after_stalinism._modes import DATA_ENV, data_dir
from after_stalinism.grading import checks as C
from after_stalinism.grading.checks import QuestionResult
from after_stalinism.grading.grade import grade_folder
from after_stalinism.grading.gradebook import hide_paths, to_gradescope, write_outputs
from after_stalinism.grading.notebook import (
    ReleaseError,
    load_questions,
    reference_submission,
    release,
    strip_solutions,
)
from after_stalinism.grading.results import Status, StudentResult
from after_stalinism.grading.sandbox import Limits
from after_stalinism.grading.values import decode, encode, export, load_export
from conftest import ROOT

SOURCE = ROOT / "instructor" / "exercises" / "00_data_warmup.ipynb"
QUESTIONS = load_questions(SOURCE)
MAX = sum(q.points for q in QUESTIONS if not q.manual)
LIMITS = Limits(timeout=15, cell_timeout=2)


# ---- checks on values ---------------------------------------------------------------------

def test_value_checks_use_tolerance_and_teach_with_specific_feedback():
    check = C.value("x", 44.49, tol=0.05, wrong={-44.49: "sign!"})
    assert C.evaluate(check, {"x": 44.5}).passed
    assert C.evaluate(check, {"x": 85.0}).passed is False
    assert C.evaluate(check, {"x": -44.5}).message == "sign!"
    assert "should be a number" in C.evaluate(check, {"x": "44.49"}).message
    assert "could not find a variable named `x`" in C.evaluate(check, {}).message


def test_numbers_compare_by_value_not_by_repr():
    import numpy as np
    values = load_export(export({"a": np.float64(85.0), "b": np.int64(3), "c": {1, 2}}, ["a", "b", "c"]))
    assert C.evaluate(C.value("a", 85), values).passed
    assert C.evaluate(C.value("b", 3), values).passed
    assert C.evaluate(C.value("c", {2, 1}), values).passed


def test_choice_text_frame_figure_checks():
    import plotly.graph_objects as go
    assert C.evaluate(C.choice("f", "b", ["a", "b"]), {"f": " B "}).passed
    assert "one of" in C.evaluate(C.choice("f", "b", ["a", "b"]), {"f": "z"}).message
    t = C.text("w", [r"defin", r"method"], "name both")
    assert C.evaluate(t, {"w": "different definitions and methods"}).passed
    assert C.evaluate(t, {"w": "because"}).message == "name both"
    df = decode(encode(pd.DataFrame({"year": [2020, 2021], "n": [229, 63]})))
    assert C.evaluate(C.frame("d", columns=["year", "n"], rows=2, values={"n": [229, 63]}), {"d": df}).passed
    assert "should have the columns" in C.evaluate(C.frame("d", columns=["year"]), {"d": df}).message
    fig = decode(encode(go.Figure(go.Bar(x=[1, 2], y=[3, 4]))))
    assert C.evaluate(C.figure("g", "bar", y=[3, 4]), {"g": fig}).passed
    assert "should be a scatter chart" in C.evaluate(C.figure("g", "scatter"), {"g": fig}).message


def test_rigged_objects_cannot_pass_a_check():
    class AlwaysEqual:
        def __eq__(self, other):
            return True
    values = load_export(export({"x": AlwaysEqual()}, ["x"]))
    outcome = C.evaluate(C.value("x", 2009), values)
    assert not outcome.passed and "AlwaysEqual" in outcome.message


# ---- release -----------------------------------------------------------------------------

def test_release_strips_solutions_and_hidden_tests(tmp_path):
    notebook, checks = release(SOURCE, tmp_path)
    text = notebook.read_text() + checks.read_text()
    for secret in ["BEGIN SOLUTION", "idxmax", "44.49", "last high year", "# TESTS", "hidden\": [{",
                   "market_growth = int", "The counters use different definitions"]:
        assert secret not in text, f"release leaks {secret!r}"
    public = json.loads(checks.read_text())
    assert [q["name"] for q in public["questions"]] == [f"q{i}" for i in range(1, 9)]
    assert all("hidden" not in q for q in public["questions"])
    assert "...  # your answer here" in notebook.read_text()


def test_classroom_release_keeps_multiple_choice_answers_back(tmp_path):
    _, self_paced = release(SOURCE, tmp_path / "self_paced")
    _, classroom = release(SOURCE, tmp_path / "classroom", classroom=True)
    q5 = lambda path: next(q for q in json.loads(path.read_text())["questions"] if q["name"] == "q5")  # noqa: E731
    sealed = C.unseal(q5(self_paced)["sealed"], "00_data_warmup")  # instant right/wrong for self-paced learners
    assert sealed["public"][0]["answer"] == "b" and '"answer"' not in self_paced.read_text()
    public = q5(classroom)["public"]
    assert public == [C.one_of("feature", ["a", "b", "c", "d"])] and '"answer"' not in json.dumps(public)
    assert q5(classroom)["n_hidden"] == 1
    assert C.evaluate(public[0], {"feature": "A "}).passed
    assert "should be one of" in C.evaluate(public[0], {"feature": "e"}).message
    # Grading still uses the source's full checks, so the answer is marked.
    full = {q.name: q for q in QUESTIONS}["q5"]
    assert C.grade_question(full, {"feature": "a"}).score == 0


def test_strip_solutions_keeps_indentation():
    assert strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n") == \
        "def f():\n    ...  # your answer here\n"
    assert strip_solutions("### BEGIN SOLUTION\na = 1\nb = a * 2\n### END SOLUTION") == "b = ...  # your answer here"


SETS = sorted((ROOT / "instructor" / "exercises").glob("*.ipynb"))


def _split_source(source: Path) -> tuple[set[str], str]:
    """The lines inside the source's solution regions, and the text students are meant to see
    (every cell but TESTS cells, outside solution regions)."""
    inside, outside = set(), []
    for cell in nbformat.read(source, as_version=4).cells:
        if cell.source.lstrip().startswith("# TESTS"):
            continue
        region = False
        for line in cell.source.splitlines():
            if line.strip().startswith(("### BEGIN SOLUTION", "### END SOLUTION")):
                region = line.strip().startswith("### BEGIN")
            elif region:
                inside.add(line.strip())
            else:
                outside.append(line)
    return inside, "\n".join(outside)


def _hidden_secrets(question, public_text: str) -> set[str]:
    """Distinctive texts of a question's hidden checks that the question itself does not show:
    expected strings, non-round numbers, and the feedback written for wrong answers."""
    found: set[str] = set()

    def walk(item, key=""):
        if isinstance(item, dict):
            for k, v in item.items():
                walk(v, k)
        elif isinstance(item, (list, tuple)):
            for v in item:
                walk(v, key)
        elif isinstance(item, str) and key not in ("check", "name") and len(item) >= 12:
            found.add(item)
        elif isinstance(item, float) and not item.is_integer() and key in ("expected", "values"):
            found.add(repr(item))

    walk(question.hidden)
    return {s for s in found if s.lower() not in public_text.lower()}


@pytest.mark.parametrize("source", SETS, ids=[s.stem for s in SETS])
def test_no_release_of_any_set_leaks_a_solution_or_a_hidden_value(source, tmp_path):
    for classroom in (False, True):
        notebook, checks = release(source, tmp_path / str(classroom), classroom=classroom)
        text = notebook.read_text()
        assert "SOLUTION" not in text and "# TESTS" not in text
        inside, public_text = _split_source(source)
        leaked = [line for line in inside if len(line) >= 16 and line not in public_text and line in text]
        assert not leaked, f"the release of {source.name} carries solution lines: {leaked[:3]}"
        if classroom:  # the self-paced release may carry public values for check() to judge
            everything = text + checks.read_text()
            for question in load_questions(source):
                leaks = [s for s in _hidden_secrets(question, public_text) if s in everything]
                assert not leaks, f"{source.name} {question.name}: hidden {leaks[:2]} in the classroom release"


def _source_with(tmp_path: Path, cell_source: str, cell_type: str = "code") -> Path:
    nb = nbformat.read(SOURCE, as_version=4)
    new = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    nb.cells.insert(3, new(cell_source))
    path = tmp_path / "broken_set.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("cell, problem", [
    ("### BEGIN SOLUTION\nsecret = 42\n", "line 1: ### BEGIN SOLUTION without an ### END SOLUTION"),
    ("### BEGIN SOLUTION\na = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\n", "line 3: a second ### BEGIN"),
    ("x = 1\n### END SOLUTION\n", "line 2: ### END SOLUTION without a ### BEGIN"),
    ("## BEGIN SOLUTION\nsecret = 42\n## END SOLUTION\n", "line 1: '## BEGIN SOLUTION' looks like a solution marker"),
])
def test_release_refuses_a_malformed_solution_region_naming_file_and_cell(tmp_path, cell, problem):
    with pytest.raises(ReleaseError, match=re.escape(f"broken_set.ipynb, cell 4, {problem}")):
        release(_source_with(tmp_path, cell), tmp_path / "out")
    assert not (tmp_path / "out" / "broken_set.ipynb").exists()


def test_release_strips_markdown_solutions(tmp_path):
    source = _source_with(tmp_path, "**Model answer.**\n\n### BEGIN SOLUTION\nThe counters differ in definition.\n"
                                    "### END SOLUTION\n", cell_type="markdown")
    notebook, _ = release(source, tmp_path / "out")
    cell = nbformat.read(notebook, as_version=4).cells[3]
    assert cell.cell_type == "markdown" and cell.source == "**Model answer.**\n\n*Your answer here.*\n"


# ---- learner side: check() in a real kernel -------------------------------------------------

def run_notebook(path: Path, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def outputs_text(nb) -> str:
    return "\n".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_source_notebook_passes_every_check_in_a_kernel():
    text = outputs_text(run_notebook(SOURCE, SOURCE.parent))
    assert "NOT YET" not in text and "Traceback" not in text
    assert "Progress: 6 of 6 questions pass; written answers: 2 of 2 written" in text


def test_released_notebook_gives_friendly_feedback_untouched():
    nb = run_notebook(ROOT / "exercises" / "00_data_warmup.ipynb", ROOT / "exercises")
    text = outputs_text(nb)
    assert "Traceback" not in text
    assert "q1: NOT YET" in text and "Store the year as a whole number, like 1999 (it is still `...`" in text
    assert "Progress: 0 of 6 questions pass; written answers: 0 of 2 written" in text


# ---- batch grading -----------------------------------------------------------------------

def submission(tmp_path: Path, name: str, replace: dict[str, str] | None = None,
               extra_cells: list[str] = (), as_folder: bool = True, filename: str = "homework.ipynb") -> Path:
    nb = reference_submission(SOURCE)
    for cell in nb.cells:
        for old, new in (replace or {}).items():
            cell.source = cell.source.replace(old, new)
    nb.cells += [nbformat.v4.new_code_cell(src) for src in extra_cells]
    folder = tmp_path / "submissions"
    target = folder / name / filename if as_folder else folder / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    submission(tmp, "right")
    submission(tmp, "renamed", filename="my work (final).ipynb")
    submission(tmp, "flat_file", as_folder=False)
    submission(tmp, "wrong_units", {"before_new_won = 2200 / 100": "before_new_won = 2200"})
    submission(tmp, "partly", {'peak_year = int(annual.loc[annual["arrivals_latest_vintage_seen"].idxmax(), "year"])':
                               "peak_year = 2011", "feature = \"b\"": "feature = \"a\""})
    submission(tmp, "exception", {"fall_pct = float(": "fall_pct = 1 / 0 + float("})
    submission(tmp, "deleted_var", extra_cells=["del peak_year"])
    submission(tmp, "endless_cell", extra_cells=["while True:\n    pass"])
    submission(tmp, "endless_stubborn", extra_cells=[
        "import signal\nsignal.setitimer(signal.ITIMER_REAL, 0)\n"
        "signal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True: pass"])
    submission(tmp, "memory_hog", extra_cells=["hog = bytearray(4 * 1024**3)"])
    submission(tmp, "exits", extra_cells=["import os\nos._exit(3)"])
    reader = ("import glob, json\n"
              f"found = glob.glob('{SOURCE.parent}/*.ipynb') + glob.glob('{tmp}/**/*.ipynb', recursive=True)\n"
              "leak = [p for p in found if p.endswith('.ipynb')]\n"
              "text = ''.join(open(p).read() for p in leak)\n"
              "peak_year = 2009 if 'was the last high year' in text else -1")
    submission(tmp, "reads_tests", extra_cells=[reader])
    unmounter = ("import ctypes, glob\nlibc = ctypes.CDLL(None)\n"
                 "for p in ['/', '/tmp', '/work', '/root']:\n    libc.umount2(p.encode(), 2)\n"
                 "import subprocess\nsubprocess.run(['umount', '-a'], capture_output=True)\n"
                 + reader.split("\n", 1)[1])
    submission(tmp, "unmounts_then_reads", extra_cells=[unmounter])
    patcher = ("import after_stalinism.grading.checks as C\n"
               "C.evaluate = lambda check, values: C.Outcome(True, 'patched')\n"
               "C.grade_question = lambda q, v, include_hidden=True: C.QuestionResult(q.name, q.points, q.points, [])")
    submission(tmp, "patches_grader", {"peak_year = int(": "peak_year = -5 + 0 * int("}, extra_cells=[patcher])
    folder = tmp / "submissions"
    (folder / "corrupt").mkdir()
    shutil.copy(folder / "right" / "homework.ipynb", folder / "corrupt" / "homework.ipynb")
    data = (folder / "corrupt" / "homework.ipynb").read_bytes()
    (folder / "corrupt" / "homework.ipynb").write_bytes(data[: len(data) // 2])
    (folder / "empty").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), folder / "empty" / "homework.ipynb")
    (folder / "nothing_handed_in").mkdir()
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    out = tmp / "out"
    book = grade_folder(SOURCE, folder, out, jobs=2, limits=LIMITS, progress=False)
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return book.set_index("student"), out, before == after, folder


def test_every_student_is_listed_and_nothing_handed_in_is_modified(graded):
    book, out, unmodified, _ = graded
    assert unmodified
    assert len(book) == 17
    assert list(pd.read_csv(out / "gradebook.csv").columns) == \
        ["student", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "total", "max", "status", "manual_pending",
         "seconds", "isolation", "submission", "reason"]


def test_right_answers_score_full_marks_wherever_the_notebook_is(graded):
    book = graded[0]
    for student in ["right", "renamed", "flat_file"]:
        assert book.loc[student, "total"] == MAX and book.loc[student, "status"] == "ok", student
        assert book.loc[student, "manual_pending"] == "q6,q8"  # the short answer too: no keyword marks


def test_wrong_and_partly_right_answers_get_specific_feedback(graded):
    book, out, _, _ = graded
    assert book.loc["wrong_units", "q4"] == 1  # public check passes, hidden value fails
    assert "Convert 2,200 old won to new won" in (out / "feedback" / "wrong_units.md").read_text()
    assert book.loc["partly", "q1"] == 0.5 and book.loc["partly", "q5"] == 0
    feedback = (out / "feedback" / "partly.md").read_text()
    assert "last high year before the sharp fall" in feedback and "Personal dictatorship is about who rules" in feedback
    assert book.loc["partly", "total"] == MAX - 1.5


def test_broken_submissions_get_a_score_and_a_clear_reason(graded):
    book, out, _, _ = graded
    assert book.loc["exception", "q2"] == 0 and book.loc["exception", "q1"] == 1
    assert "ZeroDivisionError on line" in (out / "feedback" / "exception.md").read_text()
    assert "could not find a variable named `peak_year`" in (out / "feedback" / "deleted_var.md").read_text()
    assert book.loc["endless_cell", "total"] == MAX  # the loop cell is stopped; earlier answers count
    assert "running too long" in (out / "feedback" / "endless_cell.md").read_text()
    # a notebook stopped at the deadline keeps the answers it set before (review M2)
    assert book.loc["endless_stubborn", "status"] == "timeout" and book.loc["endless_stubborn", "total"] == MAX
    assert "did not finish within 15 seconds" in (out / "feedback" / "endless_stubborn.md").read_text()
    assert book.loc["memory_hog", "total"] == MAX
    assert "MemoryError" in (out / "feedback" / "memory_hog.md").read_text()
    assert (book.loc["exits", "status"] == "crashed"
            and "exited with code 3" in (out / "feedback" / "exits.md").read_text())
    assert (book.loc["corrupt", "status"] == "unreadable"
            and "could not be opened" in (out / "feedback" / "corrupt.md").read_text())
    assert book.loc["empty", "status"] == "empty" and book.loc["empty", "total"] == 0
    assert book.loc["nothing_handed_in", "status"] == "no notebook"


def test_student_code_cannot_read_hidden_tests(graded):
    book, out, _, _ = graded
    for student in ["reads_tests", "unmounts_then_reads"]:
        assert book.loc[student, "q1"] == 0.5, student  # found nothing, so it could not copy the answer
        assert "Error" not in (out / "feedback" / f"{student}.md").read_text()  # its code ran fine
        result = json.loads((out / "results" / student / "results.json").read_text())
        assert result["extra_data"]["isolated"] is True


def test_student_code_cannot_patch_the_grader(graded):
    book = graded[0]
    assert book.loc["patches_grader", "q1"] == 0.5
    assert book.loc["patches_grader", "total"] == MAX - 0.5


def test_gradescope_results_format(graded):
    out = graded[1]
    result = json.loads((out / "results" / "right" / "results.json").read_text())
    assert result["score"] == MAX and len(result["tests"]) == 8
    assert {"name", "score", "max_score", "output", "visibility"} <= set(result["tests"][0])


def test_rerun_skips_unchanged_submissions(graded, tmp_path):
    _, out, _, folder = graded
    cache = {p: p.stat().st_mtime_ns for p in (out / ".cache").glob("*.json")}
    assert len(cache) >= 12  # every submission that ran to the end was cached
    book = grade_folder(SOURCE, folder, out, jobs=2, limits=LIMITS, progress=False)
    assert {p: p.stat().st_mtime_ns for p in (out / ".cache").glob("*.json")} == cache  # none re-run
    assert book.set_index("student").loc["right", "total"] == MAX
    # A changed submission is graded again.
    changed = folder / "partly" / "homework.ipynb"
    changed.write_text(changed.read_text().replace("peak_year = 2011", "peak_year = 2009"))
    book = grade_folder(SOURCE, folder, out, jobs=2, limits=LIMITS, progress=False)
    assert book.set_index("student").loc["partly", "q1"] == 1


def test_a_damaged_cache_entry_or_a_changed_data_file_is_graded_again(graded, tmp_path, monkeypatch):
    _, out, _, folder = graded
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(folder / "right" / "homework.ipynb", subs / "right.ipynb")
    first = grade_folder(SOURCE, subs, out.parent / "out_cache", jobs=1, progress=False)
    entry = next((out.parent / "out_cache" / ".cache").glob("*.json"))
    entry.write_text('{"key": "' + json.loads(entry.read_text())["key"] + '", "run": {"status": ')  # cut short
    again = grade_folder(SOURCE, subs, out.parent / "out_cache", jobs=1, progress=False)
    assert again.loc[0, "total"] == first.loc[0, "total"] == MAX and json.loads(entry.read_text())["run"]
    stamp = entry.stat().st_mtime_ns
    grade_folder(SOURCE, subs, out.parent / "out_cache", jobs=1, progress=False)
    assert entry.stat().st_mtime_ns == stamp  # unchanged: taken from the cache
    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    (data / "README.extra").write_text("a fixed source note\n")
    monkeypatch.setenv(DATA_ENV, str(data))
    grade_folder(SOURCE, subs, out.parent / "out_cache", jobs=1, progress=False)
    assert entry.stat().st_mtime_ns != stamp  # the course's data changed: graded again


def test_a_worker_that_dies_takes_no_student_with_it(tmp_path):
    import signal
    import threading
    import time

    for name in ["slow_a", "slow_b", "slow_c", "quick"]:
        submission(tmp_path, name, extra_cells=["import time\ntime.sleep(3)"] if name.startswith("slow") else [])

    def workers() -> list[int]:
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == os.getpid() and b"spawn_main" in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except (OSError, ValueError, IndexError):
                pass
        return found

    killed = []

    def kill_the_workers_once():  # as the out-of-memory killer would, in the middle of grading
        deadline = time.monotonic() + 60
        while not workers() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        for pid in workers():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killer = threading.Thread(target=kill_the_workers_once)
    killer.start()
    book = grade_folder(SOURCE, tmp_path / "submissions", tmp_path / "out", jobs=2, limits=Limits(timeout=15),
                        progress=False)
    killer.join()
    assert killed
    book = book.set_index("student")
    assert sorted(book.index) == ["quick", "slow_a", "slow_b", "slow_c"]
    assert set(book["status"]) == {"ok"} and set(book["total"]) == {MAX}


def test_command_line_release_and_grade(tmp_path):
    import subprocess
    import sys
    def run(*a):
        return subprocess.run([sys.executable, "-m", "after_stalinism.grading", *a],
                              capture_output=True, text=True, cwd=ROOT)

    result = run("release", str(SOURCE), "--out", str(tmp_path / "release"))
    assert result.returncode == 0 and (tmp_path / "release" / "00_data_warmup.checks.json").exists()
    assert "q2: the right form with a wrong value earns 1 of 2 points" in result.stdout  # the weights, said
    result = run("release", str(SOURCE), "--out", str(tmp_path / "classroom"), "--classroom")
    assert result.returncode == 0 and '"one_of"' in (tmp_path / "classroom" / "00_data_warmup.checks.json").read_text()
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(tmp_path / "release" / "00_data_warmup.ipynb", subs / "untouched.ipynb")
    result = run("grade", str(SOURCE), str(subs), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    book = pd.read_csv(tmp_path / "out" / "gradebook.csv")
    assert book.loc[0, "student"] == "untouched" and book.loc[0, "total"] == 0
    assert re.search(r"graded 1 submissions in", result.stdout)


# ---- statuses, outputs and the command line, without running student code -----------------------

def _result(status, isolation="landlock", errors=()) -> StudentResult:
    """A hand-made result for QUESTIONS: every automatic question right, the manual ones awaiting."""
    graded = [QuestionResult(q.name, 0.0 if q.manual else q.points, q.points,
                             [(not q.manual, "Awaiting your instructor's mark." if q.manual else "right")],
                             manual=q.manual) for q in QUESTIONS]
    return StudentResult("ana", status, graded, list(errors), 1.5, status is Status.OK, isolation=isolation)


def test_a_status_is_set_where_the_problem_is_found_never_read_from_its_message(tmp_path, monkeypatch):
    """Does rewording a problem's message change a status? It must not: the old reader took
    'refused' from a message starting with 'refused:'."""
    from after_stalinism.grading import batch

    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), folder / "empty.ipynb")
    (folder / "bob.pdf").write_bytes(b"%PDF")
    (folder / "cut.ipynb").write_text('{"cells": [')
    found = {s.student: s.status for s in batch.find_submissions(folder, SOURCE.stem)}
    assert found == {"empty": Status.EMPTY, "bob": Status.NO_NOTEBOOK, "cut": Status.UNREADABLE}

    def damaged(path, root, limit=batch.MAX_NOTEBOOK_BYTES):
        raise batch.NotRead("refused: worded like a refusal, but the file is only damaged")

    monkeypatch.setattr(batch, "read_regular", damaged)
    subs = batch.find_submissions(folder, SOURCE.stem)
    assert {s.student: s.status for s in subs} == {"empty": Status.UNREADABLE, "bob": Status.NO_NOTEBOOK,
                                                   "cut": Status.UNREADABLE}
    for sub in subs:
        before = sub.status
        sub.problem = "the same problem, in other words"
        result = batch._result_for(sub, None, QUESTIONS, "namespaces")
        assert result.status is before and result.isolation == "namespaces"
        assert result.errors[0] == "the same problem, in other words"


def test_outputs_come_from_each_result_and_private_places_are_passed_not_kept(tmp_path):
    """Is the gradebook's isolation column each result's own, is results.json exactly
    to_gradescope's dict, and are the run's folders hidden only where they are passed?"""
    secret = tmp_path / "instructor_folder"
    private = [(secret, "INSTRUCTOR")]
    results = [_result(Status.OK), _result(Status.TIMEOUT, isolation="namespaces",
                                           errors=[f"stopped while reading {secret}/answers.csv"])]
    results[1].student = "ben"
    book = write_outputs(results, QUESTIONS, tmp_path / "out", private=private)
    assert list(book["isolation"]) == ["landlock", "namespaces"]
    assert list(pd.read_csv(tmp_path / "out" / "gradebook.csv")["status"]) == ["ok", "timeout"]
    for r in results:
        written = json.loads((tmp_path / "out" / "results" / r.student / "results.json").read_text())
        assert written == json.loads(json.dumps(to_gradescope(r, QUESTIONS, private=private)))
    feedback = (tmp_path / "out" / "feedback" / "ben.md").read_text()
    assert "INSTRUCTOR/answers.csv" in feedback and str(secret) not in feedback
    assert "INSTRUCTOR" not in hide_paths(f"{secret}/answers.csv")  # nothing of that run stays behind


def test_gradescope_format_finds_questions_by_their_own_name_even_with_a_colon():
    """Does the autograder's dict leave free-response questions to Gradescope when a name has a
    colon (the old runner split the test's 'name: prompt' on ':')?"""
    questions = [dataclasses.replace(q, name=f"part 2: {q.name}") if q.manual else q for q in QUESTIONS]
    r = _result(Status.OK)
    graded = to_gradescope(r, questions, autograder=True)
    for q, test in zip(questions, graded["tests"]):
        if q.manual:
            assert "score" not in test and test["output"].startswith("Marked by your instructor")
        else:
            assert test["score"] == q.points and test["status"] == "passed"
    assert graded["extra_data"] == {"status": "ok", "isolated": True, "isolation": "landlock"}
    local = to_gradescope(r, questions)  # what grade writes: every test scored, no Gradescope statuses
    assert all("score" in t and "status" not in t for t in local["tests"])
    assert local["extra_data"] == {"status": "ok", "isolated": True}


def test_the_command_line_turns_a_refusal_into_a_message_and_an_exit_code(tmp_path, capsys, monkeypatch):
    """Does a refused command print why, with exit code 2 (3 where nothing can be isolated),
    and never a traceback?"""
    from after_stalinism.grading import __main__ as cli
    from after_stalinism.grading import grade
    from after_stalinism.grading.sandbox import SandboxUnavailable

    assert cli.main(["release"]) == 2
    assert capsys.readouterr().err == "no source notebooks to release (give SOURCE, or --all)\n"
    assert cli.main(["grade", str(SOURCE), str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == f"no such folder: {tmp_path / 'nowhere'}\n"
    assert cli.main(["gradescope", str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "gs")]) == 2
    assert capsys.readouterr().err.startswith(f"{tmp_path / 'missing.ipynb'}: ")

    def cannot_isolate(*args, **kwargs):
        raise SandboxUnavailable("Student code cannot be isolated on this machine")

    monkeypatch.setattr(grade, "grade_folder", cannot_isolate)
    (tmp_path / "subs").mkdir()
    assert cli.main(["grade", str(SOURCE), str(tmp_path / "subs"), "--out", str(tmp_path / "out")]) == 3
    assert capsys.readouterr().err == "Student code cannot be isolated on this machine\n"
    args = cli.parser().parse_args(["grade", str(SOURCE), "subs"])
    assert (args.timeout, args.cell_timeout, args.memory_mb) == (Limits().timeout, Limits().cell_timeout,
                                                                 Limits().memory_mb)
    assert args.func is cli.grade_main
