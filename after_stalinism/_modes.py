"""Where the course runs and where its files are: every contract between processes, in one place.

The book build, the kernels it starts, the batch grader's workers and a learner's kernel are separate
processes; they agree through environment variables, which a child process inherits. Each variable
is named here and read here, always at call time, so setting one after the package was imported
still counts.

=============================== ================= =========================================================
variable                        set by            meaning
=============================== ================= =========================================================
``AFTER_STALINISM_STATIC_HTML`` the book build    ``1``: figures and explorers are emitted as static HTML
                                (``sphinxext``)   for the book (``static_mode()``)
``AFTER_STALINISM_GRADING``     the grader's      ``1``: a learner's ``check()`` stays silent, because the
                                workers           grader runs the checks elsewhere (``grading_mode()``)
``AFTER_STALINISM_ROOT``        you (optional)    a course folder holding ``data/`` and ``exercises/`` to use
                                                  instead of the one found (``course_root()``)
``AFTER_STALINISM_DATA``        you (optional)    a folder of course tables to read instead of the course's
                                                  ``data/`` (``data_dir()``)
=============================== ================= =========================================================

Without overrides the course folder is the source checkout this package sits in (``data/`` and
``exercises/`` at the repository root) or, when the package was installed from a wheel, the copy of
both that the wheel carries inside the package (``after_stalinism/_course/``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

STATIC_ENV = "AFTER_STALINISM_STATIC_HTML"
GRADING_ENV = "AFTER_STALINISM_GRADING"
ROOT_ENV = "AFTER_STALINISM_ROOT"
DATA_ENV = "AFTER_STALINISM_DATA"

PACKAGE_DIR = Path(__file__).resolve().parent
# The wheel maps data/ and exercises/*.checks.json here (pyproject.toml, [tool.setuptools.package-dir]).
PACKAGED_COURSE = PACKAGE_DIR / "_course"
# Static assets the book and the grading report both serve (plotly.js, the explorer script, CSS).
STATIC_DIR = PACKAGE_DIR / "static"
PLOTLY_BUNDLE = "plotly-cartesian.min.js"


def static_mode() -> bool:
    """True while the HTML book is being built (no kernel will exist for the reader)."""
    return os.environ.get(STATIC_ENV) == "1"


def grading_mode() -> bool:
    """True inside the batch grader's worker processes."""
    return os.environ.get(GRADING_ENV) == "1"


def course_root() -> Path:
    """The folder holding the course's ``data/`` and ``exercises/``.

    ``AFTER_STALINISM_ROOT`` if set; else the copy inside an installed wheel; else the checkout.
    """
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV])
    if PACKAGED_COURSE.is_dir():
        return PACKAGED_COURSE
    return PACKAGE_DIR.parent


def data_dir() -> Path:
    """The folder of the course's tables and ``datapackage.json`` (``AFTER_STALINISM_DATA`` if set)."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return course_root() / "data"


def exercises_dir() -> Path:
    """The folder of the released exercise sets and their public ``NAME.checks.json``."""
    return course_root() / "exercises"


def inputs_digest(folders: list[Path]) -> str:
    """A digest of every file in ``folders``: what executed notebooks and graded runs depend on
    besides their own code (the course package and ``data/``). The book's execution cache and the
    grader's result cache are both stamped with it."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
