"""The instructor's whole loop: hand marks, marking sheet, report, LMS export, Gradescope, hub links.

One small class (right, wrong, unanticipated, crashing, damaged, missing) is graded once through the
command line; each test reads what that run wrote, or re-runs on a copy (cached, so quick).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import nbformat
import pandas as pd
import pytest

from after_stalinism.grading.links import LinksError, nbgitpuller_link, nbgitpuller_links
from after_stalinism.grading.marks import MarksError, read_marks
from after_stalinism.grading.notebook import load_questions, reference_submission
from conftest import ROOT

SOURCE = ROOT / "instructor" / "exercises" / "00_data_warmup.ipynb"
QUESTIONS = load_questions(SOURCE)
AUTO_MAX = sum(q.points for q in QUESTIONS if not q.manual)
ESSAY = "Border control tightened after 2011 <b>and</b> the pandemic closed the border."


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "after_stalinism.grading", *args],
                          capture_output=True, text=True, cwd=cwd)


def write_submission(path: Path, replace: dict[str, str] | None = None, extra: list[str] = (),
                     essay: str | None = None) -> Path:
    nb = reference_submission(SOURCE)
    for cell in nb.cells:
        for old, new in (replace or {}).items():
            cell.source = cell.source.replace(old, new)
        if essay and cell.source.strip() == "*Your answer here.*":
            cell.source = essay
    nb.cells += [nbformat.v4.new_code_cell(src) for src in extra]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


WRONG = {"before_new_won = 2200 / 100": "before_new_won = 2200",           # anticipated mistake (q4)
         'feature = "b"': 'feature = "a"',                                     # anticipated (q5)
         "peak_year = int(": "peak_year = 1999 + 0 * int("}                     # not anticipated (q1)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("instructor")
    subs = tmp / "submissions"
    write_submission(subs / "ana" / "homework.ipynb", essay=ESSAY)
    write_submission(subs / "ben" / "my work.ipynb", WRONG)
    write_submission(subs / "cho.ipynb", {"peak_year = int(": "peak_year = 2011 + 0 * int("})
    write_submission(subs / "dev" / "hw.ipynb", extra=["import os\nos._exit(3)"])
    (subs / "eve").mkdir()
    (subs / "eve" / "hw.ipynb").write_text('{"cells": [')                     # damaged
    (subs / "fay").mkdir()                                                       # nothing handed in
    roster = tmp / "roster.csv"
    roster.write_text("submission,id,name,sis_user_id,section,email\n"
                      "ana,101,\"Ahn, Ana\",S101,Seminar A,ana@example.edu\n"
                      "ben,102,Ben Bo,S102,Seminar A,\n"
                      "zed,109,Zed Zee,S109,Seminar B,\n")
    out = tmp / "out"
    result = cli("grade", str(SOURCE), str(subs), "--out", str(out), "--jobs", "2", "--roster", str(roster),
                 "--assignment", "Warm-up")
    assert result.returncode == 0, result.stderr
    return {"tmp": tmp, "subs": subs, "out": out, "stdout": result.stdout, "roster": roster}


def book_of(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "gradebook.csv", keep_default_na=False).set_index("student")


# ---- marking sheet and hand marks --------------------------------------------------------------

def test_marking_sheet_shows_rubric_and_each_answer_as_plain_text(graded):
    sheet = (graded["out"] / "marking_sheet.html").read_text()
    q8 = next(q for q in QUESTIONS if q.name == "q8")  # the essay (q6, a short answer, is marked by hand too)
    assert q8.rubric.split(":")[1].strip()[:40].replace("'", "&#x27;") in sheet
    assert "Border control tightened after 2011 &lt;b&gt;and&lt;/b&gt;" in sheet  # never rendered as HTML
    essay_section = next(part for part in sheet.split("<section")[1:] if f'id="q-{q8.name}"' in part)
    assert essay_section.count("Nothing written in this question") == 3  # ben, cho, dev left the template
    assert "The counters use different definitions" in sheet  # ana's short answer (q6), from its variable
    assert "No answer can be shown: unreadable" in sheet and "No answer can be shown: no notebook" in sheet
    rows = list(csv.DictReader((graded["out"] / "marks.csv").open()))
    assert [(r["student"], r["question"], r["points"]) for r in rows] == \
        [(s, q.name, "") for s in ["ana", "ben", "cho", "dev", "eve", "fay"] for q in QUESTIONS if q.manual]


def test_marks_are_merged_everywhere_and_kept_on_rerun(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    marks = tmp_path / "my marks.csv"
    marks.write_text("student,question,points,comment\nana,q8,3.5,\"Two sourced explanations; name the evidence.\"\n"
                     "ana,q6,1,Both counters named.\nben,q4,2,Regraded: your working was right.\n")
    result = cli("grade", str(SOURCE), str(graded["subs"]), "--out", str(out), "--marks", str(marks), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    for run in range(2):  # the second run has no --marks: the marks stay
        book = book_of(out)
        assert book.loc["ana", "q8"] == 3.5 and book.loc["ana", "total"] == AUTO_MAX + 3.5 + 1
        assert book.loc["ana", "manual_pending"] == "" and book.loc["cho", "manual_pending"] == "q6,q8"
        assert book.loc["ben", "q4"] == 2
        feedback = (out / "feedback" / "ana.md").read_text()
        assert "Marked by your instructor: 3.5 of 4. Two sourced explanations; name the evidence." in feedback
        result_json = json.loads((out / "results" / "ana" / "results.json").read_text())
        assert result_json["score"] == AUTO_MAX + 3.5 + 1
        assert next(t for t in result_json["tests"] if t["name"].startswith("q8"))["score"] == 3.5
        assert "Regraded" in (out / "feedback" / "ben.md").read_text()
        if run == 0:
            result = cli("grade", str(SOURCE), str(graded["subs"]), "--out", str(out), "--jobs", "1")
            assert result.returncode == 0, result.stderr
    assert "marked 3.5 of 4" in (out / "marking_sheet.html").read_text()


def test_bad_marks_are_refused_and_nothing_is_written(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    marks = tmp_path / "marks.csv"
    marks.write_text("student,question,points,comment\nben,q8,2,fine\nnobody,q8,2,\nana,q9,1,\nana,q8,5,\n"
                     "cho,q8,-1,\nben,q8,1,again\n")
    result = cli("grade", str(SOURCE), str(graded["subs"]), "--out", str(out), "--marks", str(marks), "--jobs", "1")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    for message in ["line 3: no submission from a student named 'nobody'", "line 4: there is no question 'q9'",
                    "line 5: 5 points for ana's q8, but q8 is worth 0 to 4 points", "line 6: -1 points for cho's q8",
                    "line 7: a second mark for ben's q8", "nothing was written"]:
        assert message in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    marks.write_text("student,question,points,comment\nana,q8,lots,\n")
    with pytest.raises(MarksError, match="line 2: points 'lots' is not a number"):
        read_marks(marks)


# ---- report ---------------------------------------------------------------------------------------

def test_report_counts_wrong_answers_and_statuses(graded):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((graded["out"] / "report.html").read_text(), "html.parser")
    tables = {t.caption.get_text(): [[td.get_text() for td in tr.find_all("td")] for tr in t.tbody.find_all("tr")]
              for t in soup.find_all("table")}
    q1 = {(r[1], r[3]): int(r[2]) for r in tables["Wrong answers to q1"]}
    assert q1[("2011", "anticipated")] == 1 and q1[("1999", "not anticipated")] == 1
    assert q1[("2914", "anticipated")] == 0  # an anticipated mistake nobody made
    assert {(r[1], r[2], r[3]) for r in tables["Wrong answers to q4"]} >= {("0.06818", "1", "anticipated")}
    assert ["'a'", "1", "anticipated"] == tables["Wrong answers to q5"][0][1:4]
    assert dict(tables["Statuses"]) == {"ok": "3", "crashed": "1", "unreadable": "1", "no notebook": "1"}
    per_question = {r[0]: r for r in tables["Scores per question"]}
    # full, part, none: dev's notebook exits after its last answer, and keeps the answers set before
    assert per_question["q1"][4:7] == ["2", "2", "2"]
    assert per_question["q8"][7] == "6"                 # awaiting a hand mark
    assert "cdn" not in soup.decode().lower().split("<main>")[1]


@pytest.mark.browser
def test_report_draws_its_figures_offline_in_chromium(graded, browser, axe_source):
    from test_browser import serious_axe_violations

    context = browser.new_context()
    page = context.new_page()
    errors, external = [], []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((graded["out"] / "report.html").as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    figures = page.locator(".report-figure")
    assert figures.count() == 4
    for i in range(4):
        assert figures.nth(i).locator("svg.main-svg").count() > 0
        assert figures.nth(i).locator(".barlayer .point").count() > 0, f"figure {i} is drawn empty"
    assert errors == [] and external == []
    assert serious_axe_violations(page, axe_source, "main") == []
    context.close()


# ---- LMS export ---------------------------------------------------------------------------------

def test_lms_exports_follow_canvas_columns_and_list_roster_mismatches(graded):
    lms = graded["out"] / "lms"
    canvas = list(csv.reader((lms / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Warm-up"]
    assert canvas[1][0].strip() == "Points Possible" and canvas[1][5] == "15"
    assert canvas[2] == ["Ahn, Ana", "101", "S101", "", "Seminar A", f"{AUTO_MAX:g}"]
    assert canvas[4] == ["Zed Zee", "109", "S109", "", "Seminar B", ""]  # no submission: empty, not 0
    generic = {r["submission"]: r for r in csv.DictReader((lms / "grades.csv").open())}
    assert generic["ana"]["student_id"] == "101" and generic["ana"]["points_possible"] == "15"
    assert generic["zed"]["status"] == "missing" and generic["cho"]["status"] == "not on roster"
    check = (lms / "roster_check.txt").read_text()
    assert "not on the roster" in check and "cho, dev, eve, fay" in check
    assert "no submission" in check and "zed" in check
    assert "cho, dev, eve, fay" in graded["stdout"] and "zed" in graded["stdout"]


def test_a_broken_roster_is_refused_before_grading(graded, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAna,a@example.edu\n")
    result = cli("grade", str(SOURCE), str(graded["subs"]), "--out", str(tmp_path / "out"), "--roster", str(roster))
    assert result.returncode != 0 and "needs the columns submission and id" in result.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()


# ---- Gradescope -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("gradescope")
    result = cli("gradescope", str(SOURCE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"with {AUTO_MAX:g} autograder points" in result.stdout and "add q8 (4 points" in result.stdout
    return out / "autograder.zip"


def test_gradescope_bundle_has_its_scripts_at_the_root(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "requirements.txt", "config.json", "tests/00_data_warmup.ipynb",
                "course/pyproject.toml", "course/after_stalinism/grading/batch.py",
                "course/data/datapackage.json"} <= names
        for script in ("setup.sh", "run_autograder"):
            assert zf.getinfo(script).external_attr >> 16 & stat.S_IXUSR
        setup, run = zf.read("setup.sh").decode(), zf.read("run_autograder").decode()
        pinned = zf.read("requirements.txt").decode()
    assert '"$PYTHON" -m venv "$ROOT/venv"' in setup and "-r requirements.txt" in setup
    assert "-e course" not in setup  # the course is imported from source/course (PYTHONPATH)
    assert 'ROOT="${AFTER_STALINISM_GRADESCOPE_ROOT:-/autograder}"' in run  # Gradescope's paths by default
    assert "pandas==" in pinned and "pyseccomp==" in pinned and "-e ." not in pinned
    assert "jupyterlab" not in pinned and "pytest" not in pinned  # grading's needs only
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0


def run_in_gradescope_layout(bundle: Path, root: Path, notebook: Path | None, name: str = "submission.ipynb") -> dict:
    """Gradescope's layout in ``root``: source/ (the unzipped bundle), submission/, results/."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    (root / "venv" / "bin").mkdir(parents=True)  # setup.sh's venv: this test's Python stands in
    python = root / "venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (root / "submission").mkdir()
    if notebook is not None:
        shutil.copy(notebook, root / "submission" / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the bundle's own package is used
    env["AFTER_STALINISM_GRADESCOPE_ROOT"] = str(root)
    result = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                            env=env, cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_gradescope_run_autograder_grades_like_grade(bundle, graded, tmp_path):
    right = run_in_gradescope_layout(bundle, tmp_path / "right", graded["subs"] / "ana" / "homework.ipynb",
                                     name="Homework 0 (final).ipynb")
    assert right["score"] == AUTO_MAX and right["extra_data"]["status"] == "ok"
    q8 = next(t for t in right["tests"] if t["name"].startswith("q8"))
    assert "score" not in q8 and "Marked by your instructor" in q8["output"]
    assert all(t["status"] == "passed" for t in right["tests"] if "score" in t)
    wrong = run_in_gradescope_layout(bundle, tmp_path / "wrong", graded["subs"] / "ben" / "my work.ipynb")
    local = json.loads((graded["out"] / "results" / "ben" / "results.json").read_text())
    assert wrong["score"] == local["score"] < AUTO_MAX  # the same checks and feedback as `grade`
    auto = [i for i, q in enumerate(QUESTIONS) if not q.manual]  # Gradescope marks the others itself
    assert [wrong["tests"][i]["output"] for i in auto] == [local["tests"][i]["output"] for i in auto]
    assert "Convert 2,200 old won to new won" in json.dumps(wrong)


def test_gradescope_damaged_or_missing_notebook_gets_zero_and_a_reason(bundle, graded, tmp_path):
    damaged = run_in_gradescope_layout(bundle, tmp_path / "damaged", graded["subs"] / "eve" / "hw.ipynb")
    assert damaged["score"] == 0 and "could not be opened" in damaged["output"]
    assert damaged["extra_data"]["status"] == "unreadable"
    nothing = run_in_gradescope_layout(bundle, tmp_path / "nothing", None)
    assert nothing["score"] == 0 and "no notebook" in nothing["output"]


# ---- release --all and JupyterHub links ------------------------------------------------------------

def test_release_all_releases_every_set(tmp_path):
    result = cli("release", "--all", "--classroom", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    sets = sorted(p.stem for p in (ROOT / "instructor" / "exercises").glob("*.ipynb"))
    assert sorted(p.stem for p in tmp_path.glob("*.ipynb")) == sets and len(sets) >= 6
    assert all('"one_of"' in (tmp_path / f"{s}.checks.json").read_text() or '"choice"' not in
               (ROOT / "exercises" / f"{s}.checks.json").read_text() for s in sets)


def test_nbgitpuller_links_encode_repo_branch_and_path():
    url = nbgitpuller_link("https://hub.example.edu/", "https://github.com/my-uni/after-stalinism.git",
                           "spring 2027", "exercises/00_data_warmup.ipynb")
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == "https://hub.example.edu/hub/user-redirect/git-pull"
    assert "%2F" in parsed.query and " " not in url  # every reserved character encoded
    query = parse_qs(parsed.query)
    assert query == {"repo": ["https://github.com/my-uni/after-stalinism.git"], "branch": ["spring 2027"],
                     "urlpath": ["lab/tree/after-stalinism/exercises/00_data_warmup.ipynb"]}


def test_links_command_uses_config_and_says_what_is_missing(tmp_path):
    links = nbgitpuller_links(ROOT / "_config.yml", hub="https://hub.example.edu")
    assert sorted(links) == sorted(p.stem for p in (ROOT / "instructor" / "exercises").glob("*.ipynb"))
    assert parse_qs(urlparse(links["00_data_warmup"]).query)["branch"] == ["main"]
    with pytest.raises(LinksError, match="jupyterhub_url"):
        nbgitpuller_links(ROOT / "_config.yml")  # the shipped config names no hub
    result = cli("links", "--hub", "https://hub.example.edu", "--out", str(tmp_path / "links.md"))
    assert result.returncode == 0 and "placeholder" in result.stderr
    assert (tmp_path / "links.md").read_text().count("- [") == len(links)
    assert cli("links").returncode == 2
