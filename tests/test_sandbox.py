"""Hostile submissions against the grading sandbox, graded by the real command line both as this
user and as an unprivileged account (CI runs as root: the second run switches to an unused uid).

Each hostile student sits in a class with honest ones; after `grade` returns, every honest student
must have full marks and no process started by the run may be left on the machine."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from after_stalinism.grading.notebook import load_questions, reference_submission
from conftest import ROOT

SOURCE = ROOT / "instructor" / "exercises" / "00_data_warmup.ipynb"
MAX = sum(q.points for q in load_questions(SOURCE) if not q.manual)
SLEEP = "31337.4242"              # how long hostile sleepers sleep: finds them in the process table
RUN_ID = f"I11_SANDBOX_RUN={os.getpid()}"   # in the grader's environment: finds its processes
SECRET = "was the last high year"  # text of a hidden check in the source's TESTS cell
UNPRIVILEGED_UID = 47011

SIGNALS = """\
import os, signal
for attempt in [lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: os.killpg(0, signal.SIGKILL),
                lambda: os.kill(-1, signal.SIGKILL), lambda: os.killpg(os.getpgid(os.getppid()), 9)]:
    try:
        attempt()
    except Exception:
        pass
for pid in range(1, 5000):  # every process number there may be: the grader, the workers
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except Exception:
            pass
"""
DETACHED = f"""\
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/usr/bin/sleep", ["sleep", "{SLEEP}"])
    os._exit(0)
"""
FORK_BOMB = f"""\
import os
forked = 0
for _ in range(150):
    try:
        if os.fork() == 0:
            os.execv("/usr/bin/sleep", ["sleep", "{SLEEP}"])
        forked += 1
    except OSError:
        break
raise RuntimeError(f"forked {{forked}}")
"""
C_LOOP = """\
import ctypes, signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGALRM, signal.SIG_IGN)
ctypes.CDLL(None).sleep(100000)
"""
FORGER = """\
import after_stalinism.grading.values as values
values.export = lambda namespace, names: (
    '{"peak_year": {"$int": "not a number"}, "fall_pct": {"$frame": {"columns": ["a"], "data": {}}},'
    ' "feature": {"$set": 5}, "rice_factor": {"$float": "' + "9" * 5000 + '"}}')
"""
TOO_DEEP = """\
peak_year = inner = []
for _ in range(200000):
    inner.append([])
    inner = inner[0]
"""


def network(port: int, abstract: str) -> str:
    """Code that tries to reach a server of the instructor's on 127.0.0.1 and an abstract socket."""
    return f"""\
import socket
reached = []
for family, address in [(socket.AF_INET, ("127.0.0.1", {port})), (socket.AF_INET6, ("::1", {port})),
                        (socket.AF_UNIX, "\\0{abstract}")]:
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(address)
        reached.append(str(address))
    except Exception:
        pass
raise RuntimeError(f"reached {{reached}}")
"""


def reader(places: list[str]) -> str:
    """Code that looks for the instructor's files everywhere it might reach them."""
    return f"""\
import glob, os
found = []
def look(path):
    try:
        text = open(path, errors="ignore").read() if os.path.isfile(path) else " ".join(os.listdir(path))
    except Exception:
        return
    if "{SECRET}" in text or "{RUN_ID}" in text or "grading" in text or "TESTS" in text or text.strip():
        found.append(path)
for place in {places!r}:
    look(place)
for proc in glob.glob("/proc/[0-9]*"):
    for part in ["cmdline", "environ", "cwd", "root/" + {places[0]!r}]:
        path = proc + "/" + part
        try:
            text = open(path, errors="ignore").read() if os.path.isfile(path) else " ".join(os.listdir(path))
        except Exception:
            continue
        if "{SECRET}" in text or "{RUN_ID}" in text or "grading" in text or "source" in text:
            found.append(path)
look(os.getcwd() + "/.git")
found += glob.glob("/**/*.ipynb", root_dir=None, recursive=False)
peak_year = 2009 if found else -1
raise RuntimeError(f"found {{sorted(found)}}")
"""


def writer(targets: list[str]) -> str:
    """Code that leaves a child behind to overwrite the grading output once grading is over."""
    return f"""\
import os, time
if os.fork() == 0:
    os.setsid()
    for _ in range(100):
        for target in {targets!r}:
            try:
                with open(target, "w") as f:
                    f.write("student,total\\nwriter,1000\\n")
            except Exception:
                pass
        time.sleep(0.1)
    os._exit(0)
"""


def leftovers() -> list[str]:
    """Processes started by a grading run of this test (by environment mark or by the sleepers' mark)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if SLEEP.encode() in (proc / "cmdline").read_bytes() or RUN_ID.encode() in (proc / "environ").read_bytes():
                found.append(f"{proc.name}: {(proc / 'cmdline').read_bytes()[:80]!r}")
        except OSError:
            pass
    return found


def hostile_class(base: Path, port: int = 9, abstract: str = "none") -> tuple[Path, Path, Path]:
    """The instructor's folder (a copy of the source), the submissions and the output folder;
    ``port`` and ``abstract``: the instructor's servers, which the class must not reach."""
    instructor, elsewhere, subs, out = (base / n for n in ["instructor", "elsewhere", "subs", "out"])
    for folder in (instructor, elsewhere, subs):
        folder.mkdir()
    source = Path(shutil.copy(SOURCE, instructor / SOURCE.name))
    shutil.copy(SOURCE, elsewhere / "copy_of_the_source.ipynb")
    (instructor / ".git").mkdir()
    (instructor / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    places = [str(source), str(elsewhere / "copy_of_the_source.ipynb"), str(instructor / ".git"),
              str(ROOT / ".git"), str(ROOT / "instructor" / "exercises"), str(subs / "honest_a"), str(out)]
    cells = {"honest_a": [], "signals": [SIGNALS], "honest_b": [], "detached": [DETACHED],
             "fork_bomb": [FORK_BOMB], "reader": [reader(places)], "c_loop": [C_LOOP],
             "writer": [writer([str(out / "gradebook.csv"), str(subs / "honest_a" / "homework.ipynb")])],
             "too_deep": [TOO_DEEP], "forger": [FORGER], "network": [network(port, abstract)], "honest_c": []}
    for student, extra in cells.items():
        nb = reference_submission(SOURCE)
        nb.cells += [nbformat.v4.new_code_cell(code) for code in extra]
        (subs / student).mkdir()
        nbformat.write(nb, subs / student / "homework.ipynb")
    for path in [base, *base.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return source, subs, out


def as_unprivileged(command: list[str], uid: int | None = UNPRIVILEGED_UID) -> list[str]:
    """``command`` run as an unused uid (or, with ``uid`` None, as root). Folders above the Python
    environment or the course that other uids cannot enter (such as /root) are replaced, in a
    private mount namespace, by a world-readable stand-in holding only the needed folders, bound
    there read-only (so that root's student code, run under its own uid, can read them too)."""
    needed = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), ROOT, Path(tempfile.gettempdir())]
    script = ["set -e"]
    for blocked in sorted({a for p in needed for a in [p, *p.parents] if not a.stat().st_mode & 0o001}):
        inside = [p for p in needed if blocked in p.parents]
        script += ["stage=$(mktemp -d)", f"mount --bind '{blocked}' $stage",
                   f"mount -t tmpfs -o mode=755 tmpfs '{blocked}'"]
        for path in inside:
            relative = path.relative_to(blocked)
            script += [f"mkdir -p '{path}'", f"mount --bind -o ro \"$stage/{relative}\" '{path}'"]
        script += ["umount -l $stage"]
    script += [f'exec setpriv --reuid={uid:d} --regid={uid:d} --clear-groups "$@"' if uid else 'exec "$@"']
    return ["unshare", "--mount", "--propagation", "private", "bash", "-c", "\n".join(script), "-", *command]


def grade_command(identity: str, *args: str, technique: str = "namespaces") -> list[str]:
    command = [sys.executable, "-m", "after_stalinism.grading", "grade", *args]
    if identity == "unprivileged" and os.geteuid() == 0:
        return as_unprivileged(command)
    if technique == "landlock" and os.geteuid() == 0:  # student code under its own uid reads the Python
        return as_unprivileged(command, uid=None)
    return command


@functools.cache
def available_techniques() -> tuple[str, ...]:
    """The techniques this machine can run, each a parameter of the hostile class: namespaces if
    the grader can use them here, Landlock if the kernel has it and libseccomp is installed."""
    from after_stalinism.grading.sandbox import Namespaces, allowed_paths
    from after_stalinism.grading.sandbox.choose import probe
    from after_stalinism.grading.sandbox.landlock import landlock_abi

    found = []
    if probe(Namespaces(allowed_paths([ROOT / "after_stalinism"], ROOT, []))) is None:
        found.append("namespaces")
    try:
        import pyseccomp  # noqa: F401
        if landlock_abi() >= 1:
            found.append("landlock")
    except (ImportError, RuntimeError):
        pass
    return tuple(found)


TECHNIQUES = ["namespaces", "landlock"]


@pytest.fixture(scope="module")
def servers():
    """A TCP server on 127.0.0.1 and an abstract UNIX socket, both the instructor's."""
    import socket

    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(64)
    unix = socket.socket(socket.AF_UNIX)
    name = f"after-stalinism-test-{os.getpid()}"
    unix.bind("\0" + name)
    unix.listen(64)
    yield tcp.getsockname()[1], name
    tcp.close()
    unix.close()


@pytest.fixture(scope="module", params=[(i, t) for t in TECHNIQUES for i in ["this user", "unprivileged"]],
                ids=lambda p: f"{p[1]}-{p[0].replace(' ', '_')}")
def hostile_run(request, servers):
    identity, technique = request.param
    if identity == "unprivileged" and os.geteuid() != 0:
        pytest.skip("the tests already run unprivileged: the first run covered it")
    if (identity == "unprivileged" or technique == "landlock") and os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("switching to an unprivileged uid needs setpriv (util-linux)")
    if technique not in available_techniques():
        pytest.skip(f"this machine cannot isolate student code with {technique}")
    base = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        source, subs, out = hostile_class(base, *servers)
        if identity == "unprivileged":
            out.mkdir()
            os.chown(out, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        before = {p: p.read_bytes() for p in subs.rglob("*") if p.is_file()}
        assert leftovers() == []
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(base), RUN_ID.split("=")[0]: RUN_ID.split("=")[1],
               "AFTER_STALINISM_ISOLATION": technique}
        started = time.perf_counter()
        result = subprocess.run(grade_command(identity, str(source), str(subs), "--out", str(out), "--jobs", "2",
                                              "--timeout", "6", "--cell-timeout", "2", technique=technique),
                                capture_output=True, text=True, env=env, cwd=base, timeout=240)
        seconds = time.perf_counter() - started
        time.sleep(1)  # time for anything left behind to act
        book = pd.read_csv(out / "gradebook.csv").set_index("student") if (out / "gradebook.csv").exists() else None
        yield {"result": result, "book": book, "out": out, "leftovers": leftovers(), "seconds": seconds,
               "technique": technique,
               "unmodified": before == {p: p.read_bytes() for p in subs.rglob("*") if p.is_file()}}
    finally:
        for line in leftovers():  # never leave a test's processes behind, even when it fails
            subprocess.run(["kill", "-9", line.split(":")[0]], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def feedback(run, student: str) -> str:
    return (run["out"] / "feedback" / f"{student}.md").read_text()


def test_grade_finishes_with_every_student_and_honest_ones_right(hostile_run):
    result, book = hostile_run["result"], hostile_run["book"]
    assert result.returncode == 0, result.stderr[-2000:]
    assert book is not None and len(book) == 12
    for student in ["honest_a", "honest_b", "honest_c", "signals", "detached", "writer", "network"]:
        assert book.loc[student, "total"] == MAX and book.loc[student, "status"] == "ok", student
    assert set(book["isolation"]) == {hostile_run["technique"]}
    assert result.stdout.startswith(f"isolation: {hostile_run['technique']} (")


def test_the_instructors_servers_are_out_of_reach(hostile_run):
    assert "reached []" in feedback(hostile_run, "network"), feedback(hostile_run, "network")


def test_nothing_outlives_the_run_and_nothing_handed_in_or_graded_changes(hostile_run):
    assert hostile_run["leftovers"] == []
    assert hostile_run["unmodified"]
    assert "writer,1000" not in (hostile_run["out"] / "gradebook.csv").read_text()


def test_processes_are_capped(hostile_run):
    book = hostile_run["book"]
    assert book.loc["fork_bomb", "total"] == MAX  # its answers still count
    forked = int(re.search(r"forked (\d+)", feedback(hostile_run, "fork_bomb")).group(1))
    assert 0 < forked < 100


def test_student_code_finds_none_of_the_instructors_files(hostile_run):
    book = hostile_run["book"]
    assert "found []" in feedback(hostile_run, "reader"), feedback(hostile_run, "reader")
    assert book.loc["reader", "q1"] == 0.5  # it found nothing, so it could not copy the hidden answer


def test_a_loop_in_c_that_blocks_signals_is_stopped(hostile_run):
    book = hostile_run["book"]
    # Stopped, yet the answers its notebook set before the loop still count.
    assert book.loc["c_loop", "status"] == "timeout" and book.loc["c_loop", "total"] == MAX
    assert "did not finish within 6 seconds" in feedback(hostile_run, "c_loop")


def test_forged_values_cost_only_the_forger(hostile_run):
    book = hostile_run["book"]
    assert book.loc["forger", "status"] == "ok"
    for question in ["q1", "q2", "q5"]:  # the forged answers score nothing
        assert book.loc["forger", question] == 0, question
    assert book.loc["forger", "q4"] < book.loc["honest_a", "q4"]  # an infinite number is no answer


def test_a_value_too_deep_to_read_costs_only_its_own_question(hostile_run):
    book = hostile_run["book"]
    assert book.loc["too_deep", "status"] == "ok"
    assert book.loc["too_deep", "q1"] == 0
    assert book.loc["too_deep", "total"] == MAX - book.loc["honest_a", "q1"]
    assert "Store the year as a whole number" in feedback(hostile_run, "too_deep")  # told what to give


def test_a_failure_on_the_graders_side_is_not_blamed_on_the_student(tmp_path):
    from after_stalinism.grading.sandbox import choose, run_submission

    isolation = choose(SOURCE, tmp_path, tmp_path / "out")
    gone = run_submission(str(tmp_path / "deleted_after_it_was_found.ipynb"), ["x"], isolation=isolation)
    assert gone.status == "grader error" and "FileNotFoundError" in gone.errors[0]
    assert "not the student's doing" in gone.errors[0] and "your notebook" not in gone.errors[0]


# ---- where isolation is impossible ---------------------------------------------------------

def test_grade_refuses_without_user_namespaces_unless_told_not_to_isolate(tmp_path):
    if not shutil.which("unshare"):
        pytest.skip("needs unshare (util-linux) to take user namespaces away")
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(reference_submission(SOURCE), subs / "alice.ipynb")
    # A user namespace in which no further user namespace may be created: like a locked-down host.
    locked = ["unshare", "--user", "--map-root-user", "bash", "-c",
              'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "-"]
    command = [*locked, sys.executable, "-m", "after_stalinism.grading", "grade", str(SOURCE), str(subs),
               "--out", str(tmp_path / "out")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    refused = subprocess.run(command, capture_output=True, text=True, env=env)
    assert refused.returncode == 3 and not (tmp_path / "out" / "gradebook.csv").exists()
    assert "cannot be isolated" in refused.stderr and "user.max_user_namespaces" in refused.stderr
    assert "--no-sandbox" in refused.stderr
    anyway = subprocess.run([*command, "--no-sandbox"], capture_output=True, text=True, env=env)
    assert anyway.returncode == 0, anyway.stderr
    book = pd.read_csv(tmp_path / "out" / "gradebook.csv")
    assert list(book["isolation"]) == ["unisolated"] and book.loc[0, "total"] == MAX
    result = json.loads((tmp_path / "out" / "results" / "alice" / "results.json").read_text())
    assert result["extra_data"]["isolated"] is False
