"""Choosing how to isolate student code: the one place that knows the techniques and their order.

Usage::

    isolation = choose(source, submissions, out)            # or SandboxUnavailable, saying why
    isolation = choose(source, submissions, out, sandbox=False)   # --no-sandbox: Unisolated()
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from ..._modes import PACKAGE_DIR, course_root, data_dir
from .isolation import Isolation, SandboxUnavailable
from .namespaces import Namespaces, allowed_paths
from .process import NOT_YOURS, run_submission
from .unisolated import Unisolated


def probe(isolation: Isolation) -> str | None:
    """None if student code runs under ``isolation`` here; else why not."""
    import nbformat

    if sys.platform != "linux":
        return f"the sandbox needs Linux namespaces, and this is {sys.platform}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import after_stalinism\nx = 1")]),
                       path)
        result = run_submission(str(path), ["x"], isolation=isolation, timeout=30)
    if result.status == "ok" and not result.errors and json.loads(result.values_json).get("x") is not None:
        return None
    reason = "; ".join(result.errors) or result.status
    return reason.removeprefix("the grader could not run this notebook (").removesuffix(f"){NOT_YOURS}")


def choose(source: Path, submissions: Path, out: Path, *, sandbox: bool = True) -> Isolation:
    """The isolation to grade with: the namespaces sandbox, whose view hides ``source``'s folder,
    the submissions and the output; ``Unisolated`` when ``sandbox`` is False. Raises
    SandboxUnavailable, saying why and what to do, when student code cannot be isolated here."""
    if not hasattr(os, "fork"):
        raise SandboxUnavailable("Grading needs Linux (or, with --no-sandbox, macOS); on Windows, "
                                 "grade inside WSL 2 or a Linux virtual machine.")
    if not sandbox:
        return Unisolated()
    view = allowed_paths([PACKAGE_DIR, data_dir()], course_root(), [Path(source).parent, submissions, out])
    isolation = Namespaces(view)
    problem = probe(isolation)
    if problem:
        raise SandboxUnavailable(
            f"Student code cannot be isolated on this machine: {problem}.\n"
            "The grader needs Linux with unprivileged user namespaces (Debian and Fedora have them on; "
            "on Ubuntu 24.04 run `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`; inside "
            "Docker, allow the unshare and mount system calls, e.g. `--security-opt seccomp=unconfined`). "
            "On macOS or Windows, grade inside a Linux virtual machine or WSL 2.\n"
            "To grade anyway, without isolation (student code can then read and change anything you "
            "can), pass --no-sandbox; every row of the gradebook is then marked 'unisolated'.")
    return isolation
