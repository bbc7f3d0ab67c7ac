"""Choosing how to isolate student code: the one place that knows the techniques and their order.

Usage::

    isolation = choose(source, submissions, out)            # namespaces, else landlock, else SandboxUnavailable
    isolation = choose(source, submissions, out, sandbox=False)   # --no-sandbox: Unisolated()
    AFTER_STALINISM_ISOLATION=landlock grade ...               # only the techniques named (tests)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from ..._modes import PACKAGE_DIR, course_root, data_dir
from ..results import Status
from .isolation import Isolation, Limits, SandboxUnavailable
from .landlock import Landlock
from .namespaces import Namespaces, allowed_paths
from .process import NOT_YOURS, run_submission
from .unisolated import Unisolated

TECHNIQUES = (Namespaces, Landlock)  # strongest first
ISOLATION_ENV = "AFTER_STALINISM_ISOLATION"  # e.g. "landlock": consider only the techniques named


def probe(isolation: Isolation) -> str | None:
    """None if student code runs under ``isolation`` here, kept from a file outside its view;
    else why not."""
    import nbformat

    if sys.platform != "linux":
        return f"isolating student code needs Linux, and this is {sys.platform}"
    with tempfile.TemporaryDirectory() as tmp:
        path, secret = Path(tmp) / "probe.ipynb", Path(tmp) / "secret"
        secret.write_text("the instructor's")
        code = f"import after_stalinism\ntry:\n    open({str(secret)!r}).read()\nexcept OSError:\n    x = 1"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
        result = run_submission(str(path), ["x"], isolation=isolation, limits=Limits(timeout=30))
    ran = result.status is Status.OK and not result.errors
    if ran and json.loads(result.values_json).get("x") is not None:
        return None
    if ran:
        return "student code could still read a file outside its view"
    reason = "; ".join(result.errors) or result.status
    return reason.removeprefix("the grader could not run this notebook (").removesuffix(f"){NOT_YOURS}")


def choose(source: Path, submissions: Path, out: Path, *, sandbox: bool = True) -> Isolation:
    """The strongest isolation this machine allows, whose view hides ``source``'s folder, the
    submissions and the output: the namespaces sandbox, else Landlock and seccomp; ``Unisolated``
    when ``sandbox`` is False. Raises SandboxUnavailable, saying why and what to do, when student
    code cannot be isolated here."""
    if not hasattr(os, "fork"):
        raise SandboxUnavailable("Grading needs Linux (or, with --no-sandbox, macOS); on Windows, "
                                 "grade inside WSL 2 or a Linux virtual machine.")
    if not sandbox:
        return Unisolated()
    view = allowed_paths([PACKAGE_DIR, data_dir()], course_root(), [Path(source).parent, submissions, out])
    wanted = os.environ.get(ISOLATION_ENV, "").replace(",", " ").split()
    problems = []
    for technique in [t for t in TECHNIQUES if not wanted or t.name in wanted]:
        isolation = technique(view)
        problem = probe(isolation)
        if problem is None:
            return isolation
        problems.append(f"{isolation.name}: {problem}")
    raise SandboxUnavailable(
        "Student code cannot be isolated on this machine:\n  " + "\n  ".join(problems) + "\n"
        "The grader needs Linux with unprivileged user namespaces (Debian and Fedora have them on), or "
        "else Linux 5.13 or later with Landlock enabled and libseccomp (Ubuntu 22.04 and later, Debian 12, "
        "Docker and Gradescope containers on such kernels). On macOS or Windows, grade inside a Linux "
        "virtual machine or WSL 2.\n"
        "To grade anyway, without isolation (student code can then read and change anything you "
        "can), pass --no-sandbox; every row of the gradebook is then marked 'unisolated'.")
