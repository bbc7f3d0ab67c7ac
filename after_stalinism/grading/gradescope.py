"""Grading on Gradescope, for classes that outgrow one machine.

``python -m after_stalinism.grading gradescope SOURCE --out DIR`` writes ``DIR/autograder.zip`` in
Gradescope's autograder format (https://gradescope-autograders.readthedocs.io/en/latest/specs/)::

    setup.sh          a virtual environment with what grading needs (Python 3.11+; the image's on Ubuntu 24.04)
    run_autograder    grades /autograder/submission/ and writes /autograder/results/results.json
    requirements.txt  the course's pinned grading requirements (requirements-grading.txt)
    config.json       the exercise set and the grading limits
    course/           the course package and its data
    tests/SET.ipynb   the source notebook: the hidden checks (hidden from student code while it runs)

``run_autograder`` grades the one notebook in the submission (whatever it is called) with the
same checks, sandbox and feedback as ``grade``: it is ``grade_class`` on a class of one, its result
in Gradescope's format by ``gradebook.to_gradescope``, as ``grade`` writes it. Set
``AFTER_STALINISM_GRADESCOPE_ROOT`` to move ``/autograder`` elsewhere (the tests recreate the layout
in a temporary folder). Free-response questions are left to Gradescope's own manual grading: add
them to the assignment's outline; the autograder's points are the other questions'.

Usage::

    bundle = build_bundle(Path("instructor/exercises/00_data_warmup.ipynb"), Path("gradescope"), Limits())
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

from .results import Status
from .sandbox import Limits

ROOT_ENV = "AFTER_STALINISM_GRADESCOPE_ROOT"
DEFAULT_ROOT = Path("/autograder")
COURSE_ROOT = Path(__file__).resolve().parents[2]
STUDENT = "submission"

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image. It installs what grading
# needs (requirements.txt: the course's grading pins, nothing else) into a virtual environment at
# /autograder/venv, on the image's own python3 when it is 3.11 or later (Ubuntu 24.04's 3.12: choose
# that base image), else on Python 3.11 from the deadsnakes PPA (Ubuntu 22.04). Needs the network
# (PyPI, and apt for libseccomp2 or Python if missing). AFTER_STALINISM_GRADESCOPE_ROOT moves
# /autograder (the tests run this script in a temporary folder).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${AFTER_STALINISM_GRADESCOPE_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
PYTHON=""
USABLE="import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"
for candidate in python3 python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null && "$candidate" -c "$USABLE" >/dev/null 2>&1; then
    PYTHON="$(command -v "$candidate")"
    break
  fi
done
if [ -z "$PYTHON" ]; then
  if python3 -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>/dev/null; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "python3-venv" "python3-pip"  # venv/ensurepip missing
  else
    apt-get update -q
    apt-get install -y -q --no-install-recommends software-properties-common gpg-agent
    add-apt-repository -y ppa:deadsnakes/ppa   # Python 3.11 for Ubuntu 22.04
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
  fi
  for candidate in python3 python3.11; do
    if "$candidate" -c "$USABLE" 2>/dev/null; then
      PYTHON="$(command -v "$candidate")"; break
    fi
  done
fi
# The sandbox's system-call filter needs libseccomp (Ubuntu images have it: apt depends on it).
if ! ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2'; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends libseccomp2
fi
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --no-cache-dir --disable-pip-version-check -q -r requirements.txt
# run_autograder imports the course from source/course (PYTHONPATH): check now, not per submission.
PYTHONPATH="$PWD/course" "$ROOT/venv/bin/python" -c \
  "import after_stalinism.grading.gradescope, pyseccomp, nbformat, pandas"
echo "autograder ready: $("$ROOT/venv/bin/python" --version) in $ROOT/venv"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade the notebook in submission/ with the course's
# grader (same checks, isolation and feedback as `grade`) and write results/results.json. The first
# line says which isolation the container allowed. If the grader itself fails, it says why and exits
# non-zero, writing no score (Gradescope then shows the submission as failed, never as 0).
# AFTER_STALINISM_GRADESCOPE_ROOT moves /autograder (for testing the bundle outside Gradescope).
ROOT="${AFTER_STALINISM_GRADESCOPE_ROOT:-/autograder}"
export PYTHONPATH="$ROOT/source/course"
export AFTER_STALINISM_DATA="$ROOT/source/course/data"
# The grader's own process never uses the course's facade (after_stalinism/__init__.py, which loads
# the course's data and figure code): it imports the grading package under a bare parent package,
# saving a third of a second of CPU per submission. Student code gets the real package.
exec "$ROOT/venv/bin/python" -c '
import sys, types
package = types.ModuleType("after_stalinism")
package.__path__ = [sys.argv[1] + "/source/course/after_stalinism"]
sys.modules["after_stalinism"] = package
from after_stalinism.grading.gradescope import main
sys.exit(main(sys.argv[1:]))
' "$ROOT"
"""


def _requirements() -> str:
    """What grading needs, pinned: the course's requirements-grading.txt."""
    return (COURSE_ROOT / "requirements-grading.txt").read_text()


def _add(zf: zipfile.ZipFile, name: str, data: bytes | str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o755 if executable else 0o644) << 16
    zf.writestr(info, data)


def build_bundle(source: Path, out: Path, limits: Limits | None = None, *, sandbox: bool = True) -> Path:
    """Write ``out/autograder.zip`` for the exercise set ``source``, grading within ``limits``
    (default: ``Limits()``); return its path. With ``sandbox`` False, student code runs unisolated
    inside Gradescope's per-submission container (only for a kernel without Landlock: the hidden
    tests are then readable by student code)."""
    from .notebook import load_questions

    source = Path(source)
    questions = load_questions(source)  # refuse a broken source notebook now, not on Gradescope
    limits = limits or Limits()
    config = {"exercise_set": source.stem, "timeout": limits.timeout, "cell_timeout": limits.cell_timeout,
              "memory_mb": limits.memory_mb, "sandbox": sandbox,
              "autograder_points": sum(q.points for q in questions if not q.manual),
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
    """The student's notebooks (only regular files, never a symbolic link, which could point at the
    hidden tests) into ``folder/submission/``, as a class of one for grade_class."""
    target = folder / STUDENT
    target.mkdir(parents=True)
    if not submission.is_dir() or submission.is_symlink():
        return
    for parent, dirs, files in os.walk(submission):  # does not follow links to folders
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        for name in files:
            path = Path(parent) / name
            if path.suffix == ".ipynb" and stat.S_ISREG(path.lstat().st_mode):
                dest = target / path.relative_to(submission)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest, follow_symlinks=False)
                os.utime(dest, (path.lstat().st_atime, path.lstat().st_mtime))


class GraderFailure(RuntimeError):
    """The autograder could not grade this submission: the instructor's problem, never a score."""


def _keep_from_students(root: Path) -> None:
    """As root: the hidden tests and the results readable and writable by root alone (student code
    runs under another uid; Landlock hides them too)."""
    if os.geteuid() == 0:
        for folder in (root / "source" / "tests", root / "results"):
            if folder.is_dir():
                folder.chmod(0o700)


def run_autograder(root: Path) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; return what was written.
    Raises GraderFailure, writing no results, when the grader itself fails (no isolation possible
    here, or an error of the grader's own): a silent 0 would be worse than a failed submission."""
    root = Path(root)
    results_file = root / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    _keep_from_students(root)
    config = json.loads((root / "source" / "config.json").read_text())
    from .grade import grade_class
    from .gradebook import to_gradescope
    from .sandbox import SandboxUnavailable

    limits = Limits(**{k: config[k] for k in ("timeout", "cell_timeout", "memory_mb")})
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        students, out = Path(tmp) / "students", Path(tmp) / "out"
        _copy_submission(root / "submission", students)
        try:
            graded = grade_class(root / "source" / "tests" / f"{config['exercise_set']}.ipynb", students, out,
                                 limits=limits, jobs=1, progress=False, sandbox=config.get("sandbox", True))
        except SandboxUnavailable as err:
            raise GraderFailure(str(err)) from None
    result = graded.results[0]
    data = to_gradescope(result, graded.questions, private=graded.private, autograder=True)
    if result.status is Status.GRADER_ERROR:
        raise GraderFailure(data["output"] or "grader error")
    results_file.write_text(json.dumps(data, indent=1), encoding="utf-8")
    print(f"status: {result.status}; score {data['score']:g} of {config['autograder_points']:g} "
          f"autograded points")
    print(data["output"])
    return data


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``run_autograder``: ``python -m after_stalinism.grading.gradescope [ROOT]``.
    Exit 0 with results written; 1, with a message and no results, when the grader failed."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))
    try:
        run_autograder(root)
    except Exception as err:
        message = (f"The autograder failed and did not grade this submission ({type(err).__name__}: {err}).\n"
                   "No score was recorded. Instructor: see the message above; students: please tell your "
                   "instructor.")
        print(message)
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
