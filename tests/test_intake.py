"""A hostile intake: a class whose submissions folder holds everything an instructor's download
can (odd names and bytes, links, special files, duplicates, dot files, damaged and enormous
notebooks, a forked memory hog, forged feedback), graded by the real command line as this user and
as an unused uid. `grade` must finish, give every entry a row with its reason, leave honest students
their scores, and write no feedback holding a rubric, a grader's path or a student's raw HTML."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from after_stalinism.grading.batch import NotRead, parse_notebook, read_regular, scan
from after_stalinism.grading.notebook import load_questions, reference_submission
from after_stalinism.grading.results import Status, csv_cell, safe_name
from conftest import ROOT
from test_sandbox import UNPRIVILEGED_UID, as_unprivileged

INTAKE_UID = UNPRIVILEGED_UID + 2  # its own unused uid: a process limit is not shared with other tests' runs

SOURCE = ROOT / "instructor" / "exercises" / "00_data_warmup.ipynb"
QUESTIONS = load_questions(SOURCE)
MAX = sum(q.points for q in QUESTIONS if not q.manual)
RUBRIC = next(q.rubric for q in QUESTIONS if q.manual)
MARK = "I11_INTAKE_RUN"
HOG_SLEEP = "41.4142"
HONEST = ["honest_a", "honest_b", "honest_c", ".hidden_student", "Zo\\xeb_latin1", "=HYPERLINK(1)",
          "nl\\x0aname", "many_outputs", "surrogate_error", "late_timeout", "forger", "paths", "essay"]
LINKS = ["x_solution", "x_copycat", "x_zero", "x_folderlink", "x_dirlink", "x_fifo"]

FORGE = ('raise ValueError("\\n## q1 (1/1)\\n- \\u2713 Correct!\\nScore: 18 out of 18\\n'
         '<script>alert(1)</script>\\n~~~\\n")')
HOG = f"""\
import os, time
for _ in range(6):
    if os.fork() == 0:
        block = b"x" * (150 * 1024 * 1024)
        time.sleep({HOG_SLEEP})
        os._exit(0)
time.sleep({HOG_SLEEP})
"""


def honest(extra: list[str] = (), markdown: str | None = None) -> nbformat.NotebookNode:
    nb = reference_submission(SOURCE)
    if markdown is not None:  # the free-response answer
        heading = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Question 8"))
        nb.cells[heading + 1].source = markdown
    nb.cells += [nbformat.v4.new_code_cell(code) for code in extra]
    return nb


def write_raw(path: Path | bytes, nb: dict) -> None:
    """As a tool that escapes everything would: lone surrogates stay as JSON escapes."""
    with open(path, "wb") as handle:
        handle.write(json.dumps(nb, ensure_ascii=True).encode())


def hostile_intake(base: Path) -> tuple[Path, Path, Path]:
    instructor, subs, out = base / "instructor", base / "subs", base / "out"
    instructor.mkdir()
    subs.mkdir()
    source = Path(shutil.copy(SOURCE, instructor / SOURCE.name))
    for name in ["honest_a", "honest_c", ".hidden_student", "=HYPERLINK(1)", "many_outputs", "essay"]:
        (subs / name).mkdir()
    nbformat.write(honest(), subs / "honest_a" / "homework.ipynb")
    nbformat.write(honest(), subs / "honest_b.ipynb")
    nbformat.write(honest(), subs / "honest_c" / "my work (final).ipynb")
    nbformat.write(honest(), subs / ".hidden_student" / "homework.ipynb")
    nbformat.write(honest(), subs / "=HYPERLINK(1)" / "homework.ipynb")
    write_raw(os.fsencode(subs) + b"/Zo\xeb_latin1.ipynb", honest())
    nbformat.write(honest(), subs / "nl\nname.ipynb")
    nbformat.write(honest(['raise ValueError("bad \\ud800 text")']), subs / "surrogate_error.ipynb")
    write_raw(subs / "essay" / "homework.ipynb", honest(markdown="Border control \ud800 <b>tightened</b>."))
    nbformat.write(honest(["import signal\nsignal.setitimer(signal.ITIMER_REAL, 0)\n"
                           "signal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True: pass"]),
                   subs / "late_timeout.ipynb")
    nbformat.write(honest([FORGE]), subs / "forger.ipynb")
    nbformat.write(honest(["import after_stalinism, sys\nraise RuntimeError(after_stalinism.__file__ + sys.prefix)"]),
                   subs / "paths.ipynb")
    many = honest()
    many.cells[-1].outputs = [nbformat.v4.new_output("stream", text="")] * 1_000_000
    with open(subs / "many_outputs" / "homework.ipynb", "w") as handle:
        json.dump(many, handle)
    nbformat.write(honest([HOG]), subs / "hog.ipynb")
    # links and special files
    os.symlink(source, subs / "x_solution.ipynb")
    os.symlink(subs / "honest_b.ipynb", subs / "x_copycat.ipynb")
    os.symlink("/dev/zero", subs / "x_zero.ipynb")
    os.symlink(subs / "honest_a", subs / "x_folderlink.ipynb")
    os.symlink(instructor, subs / "x_dirlink")
    os.mkfifo(subs / "x_fifo.ipynb")
    (subs / "x_inner").mkdir()
    os.symlink(source, subs / "x_inner" / "homework.ipynb")
    (subs / "x_inner_fifo").mkdir()
    os.mkfifo(subs / "x_inner_fifo" / "homework.ipynb")
    # damaged, deep, large, duplicates, litter, not a notebook
    (subs / "deep.ipynb").write_text("[" * 200_000 + "]" * 200_000)
    (subs / "deep_inner").mkdir()
    (subs / "deep_inner" / "homework.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    with open(subs / "too_large.ipynb", "wb") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: costs no disk
    nbformat.write(nbformat.v4.new_notebook(), subs / "alice.ipynb")
    (subs / "alice").mkdir()
    nbformat.write(honest(), subs / "alice" / "homework.ipynb")
    (subs / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (subs / "bob.pdf").write_bytes(b"%PDF-1.4\n")
    for path in [base, *base.rglob("*")]:
        if not path.is_symlink() and (path.is_dir() or path.is_file()):
            path.chmod(0o755 if path.is_dir() else 0o644)
    return source, subs, out


def hog_processes() -> list[str]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if HOG_SLEEP.encode() in (proc / "cmdline").read_bytes() \
                    or MARK.encode() in (proc / "environ").read_bytes():
                found.append(proc.name)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module", params=["this user", "unprivileged"])
def intake(request):
    identity = request.param
    if identity == "unprivileged" and os.geteuid() != 0:
        pytest.skip("the tests already run unprivileged: the first run covered it")
    if identity == "unprivileged" and not shutil.which("setpriv"):
        pytest.skip("switching to an unprivileged uid needs setpriv (util-linux)")
    base = Path(tempfile.mkdtemp(prefix="intake-"))
    base.chmod(0o755)
    try:
        source, subs, out = hostile_intake(base)
        if identity == "unprivileged":
            out.mkdir()
            os.chown(out, INTAKE_UID, INTAKE_UID)
        command = [sys.executable, "-m", "after_stalinism.grading", "grade", str(source), str(subs), "--out", str(out),
                   "--jobs", "2", "--timeout", "12", "--cell-timeout", "2", "--memory-mb", "300"]
        if identity == "unprivileged" and os.geteuid() == 0:
            command = [part.replace(f"={UNPRIVILEGED_UID:d} ", f"={INTAKE_UID:d} ")
                       for part in as_unprivileged(command)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(base), MARK: "1"}
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, env=env, cwd=base, timeout=600)
        seconds = time.perf_counter() - started
        book = (pd.read_csv(out / "gradebook.csv", keep_default_na=False).set_index("student")
                if (out / "gradebook.csv").exists() else None)
        time.sleep(0.5)
        yield {"result": result, "book": book, "out": out, "subs": subs, "base": base, "seconds": seconds,
               "leftovers": hog_processes()}
    finally:
        for pid in hog_processes():
            subprocess.run(["kill", "-9", pid], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_grade_finishes_and_every_entry_has_a_row_with_its_reason(intake):
    result, book = intake["result"], intake["book"]
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    assert book is not None
    entries = [os.fsdecode(n) for n in os.listdir(os.fsencode(intake["subs"]))]
    names = {"bob" if n == "bob.pdf" else safe_name(n.removesuffix(".ipynb")) for n in entries}
    assert set(book.index.map(lambda s: s[1:] if s.startswith("'=") else s)) == names
    for student, row in book.iterrows():
        if row["status"] != "ok":
            assert row["reason"], student
    assert intake["leftovers"] == []


def test_honest_students_keep_their_scores_whatever_their_names(intake):
    book = intake["book"].rename(index=lambda s: s[1:] if s.startswith("'=") else s)
    for student in HONEST:
        if student in ("late_timeout",):
            continue
        assert book.loc[student, "total"] == MAX, (student, book.loc[student].to_dict())
    assert book.loc["late_timeout", "status"] == "timeout" and book.loc["late_timeout", "total"] == MAX
    for name in ["Zo\\xeb_latin1", "nl\\x0aname"]:  # their files are written, named safely
        assert (intake["out"] / "feedback" / f"{name}.md").read_text().startswith(f"# Feedback for {name}")


def test_links_and_special_files_are_refused_and_never_read(intake):
    book = intake["book"]
    for student in [*LINKS, "x_inner", "x_inner_fifo"]:
        assert book.loc[student, "status"] == "refused", (student, book.loc[student].to_dict())
        assert book.loc[student, "total"] == 0
    assert "/dev/zero" in book.loc["x_zero", "reason"] and "FIFO" in book.loc["x_fifo", "reason"]
    assert "x_solution" in intake["result"].stdout.decode()  # on the console too
    report = (intake["out"] / "report.html").read_text()
    assert "x_solution" in report and "refused" in report


def test_duplicates_dot_files_litter_and_damage_are_named(intake):
    book = intake["book"]
    assert book.loc["alice", "status"] == "duplicate" and "alice.ipynb" in book.loc["alice", "reason"]
    assert book.loc[".DS_Store", "status"] == "ignored"
    assert book.loc["bob", "status"] == "no notebook" and "bob.pdf" in book.loc["bob", "reason"]
    for student in ["deep", "deep_inner", "too_large"]:
        assert book.loc[student, "status"] == "unreadable", student
    assert "nested too deeply" in book.loc["deep", "reason"]
    assert "larger than" in book.loc["too_large", "reason"]
    assert "not the student's doing" not in (intake["out"] / "feedback" / "many_outputs.md").read_text()


def test_a_forked_memory_hog_is_stopped_as_a_whole_and_keeps_its_answers(intake):
    book = intake["book"]
    assert book.loc["hog", "status"] == "memory", (intake["out"] / "feedback" / "hog.md").read_text()
    assert book.loc["hog", "total"] == MAX
    assert "counting all its processes" in (intake["out"] / "feedback" / "hog.md").read_text()
    assert book.loc["hog", "seconds"] < 10  # stopped long before its 12 s


def test_feedback_holds_no_rubric_no_path_and_no_raw_html(intake):
    out, base = intake["out"], intake["base"]
    files = [*(out / "feedback").glob("*.md"), *(out / "results").glob("*/results.json")]
    assert len(files) == 2 * len(intake["book"])
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert RUBRIC[:40] not in text, path
        assert str(ROOT) not in text and str(base) not in text and sys.prefix not in text, path
        assert "<script" not in text and "<b>" not in text, path
    forged = (out / "feedback" / "forger.md").read_text()
    assert "\nScore: 18" not in forged and "\n## q1 (1/1)" not in forged and "&lt;script&gt;" in forged
    assert "Awaiting your instructor's mark" in (out / "feedback" / "honest_a.md").read_text()
    assert "COURSE/after" in (out / "feedback" / "paths.md").read_text()  # the path, shown relative
    sheet = (out / "marking_sheet.html").read_text()
    assert "Border control \\ud800 &lt;b&gt;tightened&lt;/b&gt;." in sheet and RUBRIC[:40] in sheet


def test_csv_cells_cannot_start_a_formula(intake):
    text = (intake["out"] / "gradebook.csv").read_text()
    assert "\n'=HYPERLINK(1)," in text and "\n=HYPERLINK" not in text
    canvas = (intake["out"] / "lms" / "canvas.csv").read_text() if (intake["out"] / "lms").exists() else ""
    assert "\n=" not in canvas


def test_reading_refuses_what_is_not_a_regular_file_inside_the_folder(tmp_path):
    (tmp_path / "subs").mkdir()
    root = str(tmp_path / "subs")
    outside = tmp_path / "outside.ipynb"
    outside.write_text("{}")
    os.symlink(outside, tmp_path / "subs" / "link.ipynb")
    os.mkfifo(tmp_path / "subs" / "pipe.ipynb")
    for name, words in [("link.ipynb", "outside the submissions folder"), ("pipe.ipynb", "FIFO")]:
        started = time.perf_counter()
        with pytest.raises(NotRead, match=words) as refused:
            read_regular(tmp_path / "subs" / name, root)
        assert refused.value.status is Status.REFUSED  # never opened: the reason's words decide nothing
        assert time.perf_counter() - started < 1  # never blocks
    statuses = {e.shown: e.status for e in scan(tmp_path / "subs")}
    assert statuses == {"link.ipynb": Status.REFUSED, "pipe.ipynb": Status.REFUSED}
    with pytest.raises(NotRead, match="nested too deeply") as damaged:
        parse_notebook(b"[" * 100_000)
    assert damaged.value.status is Status.UNREADABLE
    with pytest.raises(NotRead, match="structure"):
        parse_notebook(b'{"cells": [{"cell_type": "code", "source": [[1]]}]}')


def test_safe_names_and_csv_cells():
    assert safe_name(b"Zo\xeb.ipynb") == "Zo\\xeb.ipynb"
    assert safe_name("a\nb\u202ec") == "a\\x0ab\\u202ec"
    assert safe_name("Zoë O'Brien 김정은") == "Zoë O'Brien 김정은"
    assert [csv_cell(v) for v in ["=1+1", "+1", "-1", "@A1", "\tx", "ok", 3]] == \
        ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "ok", 3]
