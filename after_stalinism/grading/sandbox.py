"""Running one student's notebook code in a separate, limited process.

The grader's worker processes are started fresh (``spawn``), before and apart from the hidden
tests, with pandas and the course package already imported. For each submission a worker forks a
child that:

* when the grader runs as root, gets its own mount namespace in which the folders holding the
  exercise sources (hidden tests), the submissions and the grading output are covered by empty
  read-only file systems, and then gives up every capability (bounding set included, and no new
  privileges), so it can neither unmount them nor regain the power to; it keeps uid 0 only so
  that a Python installed under /root stays importable;
* has a memory cap (address space), a file-size cap and a process cap, and a per-cell alarm;
* runs the code cells one by one, recording each exception and carrying on;
* sends back, as JSON of plain values, only the variables the questions ask for.

The worker kills the child when the wall-clock limit for the whole submission passes.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import tempfile
import time
from dataclasses import dataclass, field

from .._modes import GRADING_ENV

_CLONE_NEWNS, _MS_RDONLY, _MS_REC, _MS_PRIVATE = 0x00020000, 1, 16384, 1 << 18
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _CAP_VERSION_3 = 24, 38, 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


@dataclass
class RunResult:
    """What a submission's run sends back: a status, its values as plain JSON, errors and timing."""

    status: str                      # ok | timeout | crashed
    values_json: str = "{}"
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolated: bool = False           # hidden tests and other submissions were hidden from the code


class CellTimeout(BaseException):
    """Raised inside student code when one cell runs longer than the per-cell limit."""


def warm_up() -> None:
    """Worker initializer: import what student code typically needs, once per worker."""
    os.environ[GRADING_ENV] = "1"
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    import after_stalinism  # noqa: F401

    from . import values  # noqa: F401


def _hide(paths: list[str]) -> bool:
    """In a new mount namespace, cover each path with an empty read-only tmpfs; then drop root."""
    if os.geteuid() != 0:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0:
        return False
    libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
    for path in paths:
        if os.path.isdir(path):
            if libc.mount(b"tmpfs", path.encode(), b"tmpfs", _MS_RDONLY, b"size=4k") != 0:
                return False
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    for cap in range(64):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly past the last capability
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "could not drop capabilities")
    return True


def _summarise(index: int, err: BaseException) -> str:
    if isinstance(err, CellTimeout):
        return f"cell {index + 1}: stopped after running too long (an endless loop?)"
    if isinstance(err, MemoryError):
        return f"cell {index + 1}: ran out of memory (MemoryError)"
    if isinstance(err, SyntaxError):
        return f"cell {index + 1}: SyntaxError on line {err.lineno}: {err.msg}"
    tb, line = err.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == f"<cell {index + 1}>":
            line = tb.tb_lineno
        tb = tb.tb_next
    where = f" on line {line}" if line else ""
    return f"cell {index + 1}: {type(err).__name__}{where}: {str(err)[:200]}"


def _child(cells: list[str], names: list[str], write_fd: int, hide: list[str],
           cell_timeout: float, memory_mb: int) -> None:
    isolated = _hide(hide)
    workdir = tempfile.mkdtemp(prefix="submission-")
    os.chdir(workdir)
    vm_kb = next((int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize")), 0)
    limit = vm_kb * 1024 + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (50 * 1024 * 1024,) * 2)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)

    def on_alarm(signum, frame):
        raise CellTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    namespace: dict = {"__name__": "__main__"}
    errors = []
    for index, source in enumerate(cells):
        try:
            code = compile(source, f"<cell {index + 1}>", "exec")
            signal.setitimer(signal.ITIMER_REAL, cell_timeout)
            try:
                exec(code, namespace)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as err:  # the student's error: record it and go on
            errors.append(_summarise(index, err))
    from .values import export

    signal.setitimer(signal.ITIMER_REAL, cell_timeout)
    try:
        values = export(namespace, names)
    except BaseException as err:
        values, errors = "{}", errors + [f"your variables could not be read: {type(err).__name__}"]
    payload = json.dumps({"values": values, "errors": errors, "isolated": isolated}).encode()
    view = memoryview(payload)
    while view:
        written = os.write(write_fd, view)
        view = view[written:]
    os._exit(0)


def run_submission(cells: list[str], names: list[str], *, hide: list[str], timeout: float = 20,
                   cell_timeout: float = 5, memory_mb: int = 512) -> RunResult:
    """Run ``cells`` in a forked, limited child; return the exported values and what went wrong."""
    start = time.perf_counter()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            _child(cells, names, write_fd, hide, cell_timeout, memory_mb)
        finally:
            os._exit(70)
    os.close(write_fd)
    chunks, deadline, timed_out = [], start + timeout, False
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_fd], [], [], remaining)
        if ready:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read_fd)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    seconds = time.perf_counter() - start
    if timed_out:
        return RunResult("timeout", seconds=seconds,
                         errors=[f"your notebook did not finish within {timeout:g} seconds "
                                 f"(an endless loop, or a very slow computation?)"])
    try:
        data = json.loads(b"".join(chunks))
        return RunResult("ok", data["values"], data["errors"], seconds, data["isolated"])
    except (ValueError, KeyError, TypeError):
        how = (f"was stopped by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with code {os.WEXITSTATUS(status)}")
        return RunResult("crashed", seconds=seconds,
                         errors=[f"your notebook's code {how} before it finished "
                                 f"(it may have used too much memory or called exit())"])
