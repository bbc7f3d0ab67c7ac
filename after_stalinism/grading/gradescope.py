"""Grading on Gradescope, for classes that outgrow one machine.

``python -m after_stalinism.grading gradescope SOURCE --out DIR`` writes ``DIR/autograder.zip`` in
Gradescope's autograder format (https://gradescope-autograders.readthedocs.io/en/latest/specs/)::

    setup.sh          installs Python 3.11, the pinned requirements and the course package
    run_autograder    grades /autograder/submission/ and writes /autograder/results/results.json
    requirements.txt  the course's pinned requirements
    config.json       the exercise set and the grading limits
    course/           the course package and its data
    tests/SET.ipynb   the source notebook: the hidden checks (hidden from student code while it runs)

``run_autograder`` grades the one notebook in the submission (whatever it is called) with the
same checks, sandbox and feedback as ``grade``: it is ``grade_folder`` on a class of one. Set
``AFTER_STALINISM_GRADESCOPE_ROOT`` to move ``/autograder`` elsewhere (the tests recreate the layout
in a temporary folder). Free-response questions are left to Gradescope's own manual grading: add
them to the assignment's outline; the autograder's points are the other questions'.

Usage::

    bundle = build_bundle(Path("instructor/exercises/00_data_warmup.ipynb"), Path("gradescope"))
    run_autograder(Path("/autograder"))    # what run_autograder does, inside Gradescope
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT_ENV = "AFTER_STALINISM_GRADESCOPE_ROOT"
DEFAULT_ROOT = Path("/autograder")
COURSE_ROOT = Path(__file__).resolve().parents[2]
STUDENT = "submission"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu 22.04 or 24.04):
# Python 3.11 (the version the course is tested with) and the course's pinned requirements, in a
# virtual environment at /autograder/venv.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
if ! python3.11 -c "import venv, ensurepip" >/dev/null 2>&1; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends software-properties-common gpg-agent
  add-apt-repository -y ppa:deadsnakes/ppa   # Python 3.11 for Ubuntu's LTS images
  apt-get update -q
  apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir -r requirements.txt
# The course package is not installed: run_autograder puts source/course on PYTHONPATH (an install
# of course/ would fail, as the bundle carries no exercises/ folder).
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade the notebook in submission/ with the course's
# grader (same checks, sandbox and feedback as `grade`) and write results/results.json.
# AFTER_STALINISM_GRADESCOPE_ROOT moves /autograder (for testing the bundle outside Gradescope).
ROOT="${AFTER_STALINISM_GRADESCOPE_ROOT:-/autograder}"
export PYTHONPATH="$ROOT/source/course"
export AFTER_STALINISM_DATA="$ROOT/source/course/data"
exec "$ROOT/venv/bin/python" -m after_stalinism.grading.gradescope "$ROOT"
"""


def _requirements() -> str:
    """The course's pinned requirements, without the editable install of the course itself."""
    lines = (COURSE_ROOT / "requirements.txt").read_text().splitlines()
    return "\n".join(line for line in lines if not line.strip().startswith("-e")) + "\n"


def _add(zf: zipfile.ZipFile, name: str, data: bytes | str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o755 if executable else 0o644) << 16
    zf.writestr(info, data)


def build_bundle(source: Path, out: Path, *, timeout: float = 20, cell_timeout: float = 5,
                 memory_mb: int = 512) -> Path:
    """Write ``out/autograder.zip`` for the exercise set ``source``; return its path."""
    from .notebook import load_questions

    source = Path(source)
    questions = load_questions(source)  # refuse a broken source notebook now, not on Gradescope
    config = {"exercise_set": source.stem, "timeout": timeout, "cell_timeout": cell_timeout,
              "memory_mb": memory_mb, "autograder_points": sum(q.points for q in questions if not q.manual),
              "manual_questions": {q.name: q.points for q in questions if q.manual}}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bundle = out / "autograder.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH, executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add(zf, "requirements.txt", _requirements())
        _add(zf, "config.json", json.dumps(config, indent=1))
        _add(zf, f"tests/{source.name}", source.read_bytes())
        _add(zf, "course/pyproject.toml", (COURSE_ROOT / "pyproject.toml").read_bytes())
        for folder in ("after_stalinism", "data"):
            for path in sorted((COURSE_ROOT / folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    _add(zf, f"course/{path.relative_to(COURSE_ROOT).as_posix()}", path.read_bytes())
    return bundle


def _copy_submission(submission: Path, folder: Path) -> None:
    """The student's notebooks (only) into ``folder/submission/``, as a class of one for grade_folder."""
    target = folder / STUDENT
    target.mkdir(parents=True)
    if not submission.is_dir():
        return
    for folder_name, dirs, files in os.walk(submission):  # links to folders are not entered
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        for name in files:
            path = Path(folder_name) / name
            if name.endswith(".ipynb") and stat.S_ISREG(os.lstat(path).st_mode):  # never a link (to the tests)
                dest = target / path.relative_to(submission)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest, follow_symlinks=False)
                shutil.copystat(path, dest, follow_symlinks=False)


def _gradescope_results(graded: dict, manual: dict[str, float]) -> dict:
    """The grader's results.json, with free-response questions left to Gradescope's manual grading."""
    tests = []
    for test in graded["tests"]:
        name = test["name"].split(":")[0]
        if name in manual:
            tests.append({"name": test["name"], "visibility": "visible",
                          "output": f"Marked by your instructor ({manual[name]:g} points), not by the autograder."})
        else:
            tests.append({**test, "status": "passed" if test["score"] >= test["max_score"] else "failed"})
    return {**graded, "tests": tests}


def run_autograder(root: Path) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; return what was written.
    Whatever happens, a results.json with a clear message is written."""
    root = Path(root)
    results_file = root / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    config = json.loads((root / "source" / "config.json").read_text())
    try:
        from .grade import grade_folder

        with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
            students, out = Path(tmp) / "students", Path(tmp) / "out"
            _copy_submission(root / "submission", students)
            book = grade_folder(root / "source" / "tests" / f"{config['exercise_set']}.ipynb", students, out,
                                jobs=1, timeout=config["timeout"], cell_timeout=config["cell_timeout"],
                                memory_mb=config["memory_mb"], progress=False)
            graded = json.loads((out / "results" / STUDENT / "results.json").read_text())
        data = _gradescope_results(graded, config["manual_questions"])
        status = book.loc[0, "status"]
    except Exception as err:  # the grader itself failed: say so, never leave Gradescope without results
        data = {"score": 0, "output": f"The autograder could not grade this submission ({type(err).__name__}: "
                                      f"{err}). Your instructor can see this message; please tell them too.",
                "tests": [], "extra_data": {"status": "grader error"}}
        status = "grader error"
    results_file.write_text(json.dumps(data, indent=1), encoding="utf-8")
    print(f"status: {status}; score {data['score']:g} of {config['autograder_points']:g} autograded points")
    print(data.get("output", ""))
    return data


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``run_autograder``: ``python -m after_stalinism.grading.gradescope [ROOT]``."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))
    run_autograder(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
