"""Grading where instructors actually grade: inside Docker-like containers (Gradescope, JupyterHub
pods, CI runners), where user namespaces are refused.

The container is simulated on this machine: ``docker_like`` runs a command under what Docker's
default profile refuses (a seccomp filter refusing ``unshare``, ``clone`` with any CLONE_NEW* flag,
``mount``, ``umount2``, ``pivot_root``, ``setns``, and ``clone3`` with ENOSYS, installed before
``exec``) and, as root, with the capability bounding set limited to Docker's default capabilities
(``setpriv``). The hostile class of ``test_sandbox.py`` is then graded there, as root and as an
unused uid, and the Gradescope bundle is installed by its own setup.sh (from PyPI) and run the
same way."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import test_sandbox as hostile
from after_stalinism.grading.notebook import load_questions, reference_submission
from conftest import ROOT

SOURCE = hostile.SOURCE
MAX = hostile.MAX
# Docker's default capabilities (moby's oci/caps/defaults.go).
DOCKER_CAPS = ["chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid", "setfcap",
               "setpcap", "net_bind_service", "sys_chroot", "kill", "audit_write"]

# Installed in the process before exec: what Docker's default seccomp profile refuses a container
# without CAP_SYS_ADMIN that matters here. With no_landlock, the kernel seems to have no Landlock.
DOCKER_FILTER = """\
import ctypes, errno, os, sys
import pyseccomp as s
f = s.SyscallFilter(s.ALLOW)
for name in ["unshare", "mount", "umount2", "pivot_root", "setns", "open_by_handle_at", "bpf", "keyctl",
             "add_key", "request_key", "kexec_load", "init_module", "finit_module", "userfaultfd", "fsopen",
             "fsmount", "move_mount", "open_tree"]:
    f.add_rule(s.ERRNO(errno.EPERM), name)
for bit in (0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000):
    f.add_rule(s.ERRNO(errno.EPERM), "clone", s.Arg(0, s.MASKED_EQ, bit, bit))
f.add_rule(s.ERRNO(errno.ENOSYS), "clone3")
if os.environ.pop("DOCKER_LIKE_NO_LANDLOCK", ""):
    for number in (444, 445, 446):
        f.add_rule(s.ERRNO(errno.ENOSYS), number)
ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: a filter without CAP_SYS_ADMIN
f.load()
os.execvp(sys.argv[1], sys.argv[1:])
"""


def docker_like(command: list[str], identity: str) -> list[str]:
    """``command`` under Docker's default restrictions: as root (Docker's capabilities only) or as
    an unused uid (``identity`` "root" or "unprivileged")."""
    filtered = [sys.executable, "-c", DOCKER_FILTER, *command]
    if identity == "unprivileged":
        return hostile.as_unprivileged(filtered)
    bounded = ["setpriv", "--bounding-set=-all," + ",".join("+" + c for c in DOCKER_CAPS), *filtered]
    return hostile.as_unprivileged(bounded, uid=None)  # a Python under /root stays readable to others


def needs_root_tools():
    if os.geteuid() != 0:
        pytest.skip("simulating a container's root needs root (setpriv, a private mount namespace)")
    if not shutil.which("setpriv") or not shutil.which("unshare"):
        pytest.skip("needs setpriv and unshare (util-linux)")
    pytest.importorskip("pyseccomp")


IDENTITIES = ["root", "unprivileged"]


@pytest.fixture(scope="module", params=IDENTITIES)
def contained_run(request):
    """The hostile class graded in a Docker-like container; the technique is not forced."""
    needs_root_tools()
    identity = request.param
    tcp, name = _servers()
    base = Path(tempfile.mkdtemp(prefix="contained-"))
    try:
        source, subs, out = hostile.hostile_class(base, tcp.getsockname()[1], name)
        if identity == "unprivileged":
            out.mkdir()
            os.chown(out, hostile.UNPRIVILEGED_UID, hostile.UNPRIVILEGED_UID)
        env = {k: v for k, v in os.environ.items() if k != "AFTER_STALINISM_ISOLATION"}
        mark, value = hostile.RUN_ID.split("=")
        env.update({"PYTHONPATH": str(ROOT), "HOME": str(base), mark: value})
        command = [sys.executable, "-m", "after_stalinism.grading", "grade", str(source), str(subs), "--out", str(out),
                   "--jobs", "2", "--timeout", "10", "--cell-timeout", "3"]
        result = subprocess.run(docker_like(command, identity), capture_output=True, text=True, env=env, cwd=base,
                                timeout=300)
        time.sleep(1)
        book = pd.read_csv(out / "gradebook.csv").set_index("student") if (out / "gradebook.csv").exists() else None
        yield {"result": result, "book": book, "out": out, "leftovers": hostile.leftovers(), "identity": identity}
    finally:
        for line in hostile.leftovers():
            subprocess.run(["kill", "-9", line.split(":")[0]], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        tcp.close()


def _servers():
    import socket

    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(64)
    return tcp, "none"


def test_in_a_container_grade_picks_landlock_by_itself_and_says_so(contained_run):
    result, book = contained_run["result"], contained_run["book"]
    assert result.returncode == 0, result.stderr[-3000:]
    first = result.stdout.splitlines()[0]
    assert first.startswith("isolation: landlock (Landlock ABI"), first
    assert book is not None and len(book) == 12 and set(book["isolation"]) == {"landlock"}


def test_in_a_container_the_hostile_class_cannot_harm_the_honest(contained_run):
    book = contained_run["book"]
    for student in ["honest_a", "honest_b", "honest_c", "signals", "detached", "writer", "network"]:
        assert book.loc[student, "total"] == MAX and book.loc[student, "status"] == "ok", student
    bomb = (contained_run["out"] / "feedback" / "fork_bomb.md").read_text()
    if book.loc["fork_bomb", "status"] == "ok":  # (on a loaded machine its forks may take it past the limit)
        assert book.loc["fork_bomb", "total"] == MAX and 0 < int(bomb.split("forked ")[1].split()[0]) < 100
    else:
        assert book.loc["fork_bomb", "status"] == "timeout", bomb
    assert contained_run["leftovers"] == []
    assert "writer,1000" not in (contained_run["out"] / "gradebook.csv").read_text()
    feedback = {s: (contained_run["out"] / "feedback" / f"{s}.md").read_text() for s in ["reader", "network"]}
    assert "found []" in feedback["reader"], feedback["reader"]
    assert "reached []" in feedback["network"], feedback["network"]
    assert book.loc["c_loop", "status"] == "timeout"
    assert book.loc["forger", "q1"] == 0 and book.loc["too_deep", "q1"] == 0


def test_where_nothing_isolates_grade_refuses_unless_told_not_to(tmp_path):
    needs_root_tools()
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(reference_submission(SOURCE), subs / "alice.ipynb")
    tmp_path.chmod(0o755)
    command = [sys.executable, "-m", "after_stalinism.grading", "grade", str(SOURCE), str(subs),
               "--out", str(tmp_path / "out")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DOCKER_LIKE_NO_LANDLOCK": "1"}
    env.pop("AFTER_STALINISM_ISOLATION", None)
    refused = subprocess.run(docker_like(command, "root"), capture_output=True, text=True, env=env)
    assert refused.returncode == 3 and not (tmp_path / "out" / "gradebook.csv").exists(), refused.stderr
    assert "namespaces:" in refused.stderr and "landlock:" in refused.stderr and "no Landlock" in refused.stderr
    assert "--no-sandbox" in refused.stderr
    anyway = subprocess.run(docker_like([*command, "--no-sandbox"], "root"), capture_output=True, text=True, env=env)
    assert anyway.returncode == 0, anyway.stderr
    assert anyway.stdout.startswith("isolation: unisolated")
    book = pd.read_csv(tmp_path / "out" / "gradebook.csv")
    assert list(book["isolation"]) == ["unisolated"] and book.loc[0, "total"] == MAX


# ---- the Gradescope bundle, installed by its own setup.sh and run in the container ----------------

@pytest.fixture(scope="module")
def gradescope_root():
    """/autograder as Gradescope builds it: the bundle unzipped in source/, setup.sh run (from PyPI,
    on the system's python3, as on an Ubuntu image), then an empty submission/ and results/."""
    needs_root_tools()
    out = Path(tempfile.mkdtemp(prefix="gs-bundle-"))
    root = Path(tempfile.mkdtemp(prefix="autograder-"))
    root.chmod(0o755)  # like /autograder: the venv must be readable by the student's uid
    try:
        built = subprocess.run([sys.executable, "-m", "after_stalinism.grading", "gradescope", str(SOURCE),
                                "--out", str(out)], capture_output=True, text=True, env={**os.environ,
                                                                                        "PYTHONPATH": str(ROOT)})
        assert built.returncode == 0, built.stderr
        with zipfile.ZipFile(out / "autograder.zip") as zf:
            zf.extractall(root / "source")
        for script in ("setup.sh", "run_autograder"):
            (root / "source" / script).chmod(0o755)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "AFTER_STALINISM_GRADESCOPE_ROOT": str(root),
               "HOME": str(root)}
        setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                               env=env, timeout=1200)
        assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]
        assert "autograder ready" in setup.stdout
        yield root
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def test_setup_sh_installs_only_the_grading_requirements(gradescope_root):
    pip = subprocess.run([str(gradescope_root / "venv" / "bin" / "python"), "-m", "pip", "list", "--format=json"],
                         capture_output=True, text=True)
    installed = {p["name"].lower().replace("_", "-") for p in json.loads(pip.stdout)}
    assert {"pandas", "nbformat", "pyseccomp"} <= installed
    assert not installed & {"jupyterlab", "jupyter-book", "sphinx", "playwright", "pytest", "ruff", "ipykernel"}
    assert len(installed) < 30
    pins = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1].split()[0]
            for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    grading = (ROOT / "requirements-grading.txt").read_text().splitlines()
    for line in grading:  # a subset of the course's pins, at the same versions
        if "==" in line:
            name, version = line.split("==")[0].lower().replace("_", "-"), line.split("==")[1].split()[0]
            assert pins.get(name) == version, name


def run_autograder(root: Path, notebook: Path | None, identity: str = "root", name: str = "submission.ipynb",
                   no_landlock: bool = False) -> tuple[subprocess.CompletedProcess, dict | None, float]:
    """One submission through ``run_autograder`` in the container; its CPU time (all processes)."""
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    if notebook is not None:
        shutil.copy(notebook, root / "submission" / name)
    env = {"PATH": "/usr/bin:/bin", "AFTER_STALINISM_GRADESCOPE_ROOT": str(root), "HOME": "/tmp"}
    if no_landlock:
        env["DOCKER_LIKE_NO_LANDLOCK"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(docker_like(["bash", str(root / "source" / "run_autograder")], identity),
                            capture_output=True, text=True, env=env, cwd=root, timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    results = root / "results" / "results.json"
    return result, (json.loads(results.read_text()) if results.exists() else None), cpu


def graded_locally(tmp: Path, notebooks: dict[str, nbformat.NotebookNode]) -> pd.DataFrame:
    subs = tmp / "subs"
    subs.mkdir()
    for student, nb in notebooks.items():
        if isinstance(nb, str):
            (subs / f"{student}.ipynb").write_text(nb)
        else:
            nbformat.write(nb, subs / f"{student}.ipynb")
    result = subprocess.run([sys.executable, "-m", "after_stalinism.grading", "grade", str(SOURCE), str(subs),
                             "--out", str(tmp / "out"), "--jobs", "2"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    return pd.read_csv(tmp / "out" / "gradebook.csv").set_index("student")


def test_run_autograder_in_the_container_scores_as_grade_does(gradescope_root, tmp_path):
    right = reference_submission(SOURCE)
    wrong = reference_submission(SOURCE)
    first = load_questions(SOURCE)[0]
    wrong.cells.append(nbformat.v4.new_code_cell("\n".join(f"{n} = None" for n in first.names())))
    nasty = reference_submission(SOURCE)
    nasty.cells += [nbformat.v4.new_code_cell(hostile.SIGNALS), nbformat.v4.new_code_cell(hostile.DETACHED),
                    nbformat.v4.new_code_cell(hostile.reader([str(gradescope_root / "source" / "tests"),
                                                              str(gradescope_root / "results")])),
                    nbformat.v4.new_code_cell(hostile.writer([str(gradescope_root / "results" / "results.json")]))]
    notebooks = {"right": right, "wrong": wrong, "nasty": nasty, "damaged": '{"cells": [{"cell_type": "co'}
    local = graded_locally(tmp_path, notebooks)
    for student in notebooks:
        path = tmp_path / "subs" / f"{student}.ipynb"
        result, data, cpu = run_autograder(gradescope_root, path)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert result.stdout.startswith("isolation: landlock ("), result.stdout[:300]
        assert data["score"] == local.loc[student, "total"] - local.loc[student, "q8"], student
        assert data["extra_data"]["isolation"] == "landlock"
        print(f"{student}: score {data['score']}, {cpu:.2f} s CPU")
        if student == "nasty":
            assert "found []" in json.dumps(data)  # neither the hidden tests nor the results in reach
        assert cpu < 3.0, f"a cold run_autograder took {cpu:.2f} s of CPU"
    assert local.loc["right", "total"] == MAX
    assert local.loc["nasty", "total"] == MAX - 0.5  # the reader's "found nothing" answer to q1 earns 0.5 of 1
    assert local.loc["wrong", "total"] < MAX and local.loc["damaged", "status"] == "unreadable"
    time.sleep(1)
    assert json.loads((gradescope_root / "results" / "results.json").read_text())["score"] == 0  # damaged, last
    assert hostile.leftovers() == []


def test_a_grader_failure_fails_loudly_never_a_silent_zero(gradescope_root):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "right.ipynb"
        nbformat.write(reference_submission(SOURCE), path)
        result, data, _ = run_autograder(gradescope_root, path, no_landlock=True)
    assert result.returncode != 0 and data is None
    assert "did not grade this submission" in result.stdout and "No score was recorded" in result.stdout
    assert "cannot be isolated" in result.stdout
