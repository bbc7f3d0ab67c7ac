"""Running one student's notebook in a short-lived process, under an isolation technique.

The grader's worker processes are started fresh (``spawn``), apart from the hidden tests, with
pandas and the course package already imported. They never receive a student's code: for each
submission a worker gets the notebook's *path* and forks

* an **intermediate** process that reads the notebook (with the grader's rights) and lets the
  technique enter its isolation (``Isolation.enter``);
* the **student process**, which the technique confines (``confine``), which closes every inherited
  file descriptor but its result pipe, caps address space, file size and processes, is locked by
  the technique (``lock``), and runs the code cells one by one with a per-cell alarm (``cells.py``).

Only JSON of plain values comes back. At the wall-clock limit the worker has the technique kill
the student process and all it started; if the worker itself goes away, the intermediate kills
the student process. Anything that fails before the student's code starts is a ``grader error``,
never the student's.

Usage::

    isolation = choose(source, submissions, out)   # the strongest technique this machine allows
    result = run_submission("subs/alice/homework.ipynb", ["peak_year"], isolation=isolation, limits=Limits())
    result.status, result.values_json, result.errors
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import time
from pathlib import Path

from ..._modes import GRADING_ENV
from ..results import Status
from .cells import STARTED, close_other_fds, run_cells, set_limits, write_all
from .isolation import Isolation, Limits, RunResult, SandboxError

_GRADER_ERROR = 71                # exit code of a sandbox that failed before the student's code ran
_MAX_RESULT = 64 * 1024 * 1024    # bytes of values read back at most
NOT_YOURS = "; this is not the student's doing: the instructor should look at the grader's set-up"


# What student code typically imports, loaded once per worker. By name: the grader itself never
# depends on the course's content or display code (tests/test_layers.py).
PRELOAD = ("nbformat", "numpy", "pandas", "plotly.graph_objects", "after_stalinism",
           "after_stalinism.grading.notebook", "after_stalinism.grading.values")


def warm_up() -> None:
    """Worker initializer: import what student code typically needs, once per worker."""
    os.environ[GRADING_ENV] = "1"
    for name in PRELOAD:
        importlib.import_module(name)


def _student(cells, names, write_fd, state, limits: Limits, isolation: Isolation) -> None:
    os.setsid()  # its own session and process group: a kill(0) reaches only its own processes
    isolation.confine(state)
    close_other_fds(write_fd, *isolation.keep_fds(state))
    set_limits(limits.memory_mb, limits.max_processes + isolation.processes_already(state),
               cpu_seconds=limits.timeout + 1)
    isolation.lock(state)
    run_cells(cells, names, write_fd, limits.cell_timeout, isolation.home(state))


def _intermediate(notebook: str, names, isolation: Isolation, write_fd, ready_fd, go_fd,
                  limits: Limits) -> None:
    """Read the notebook, let the technique enter its isolation, fork the student process."""
    from ..notebook import code_cells

    cells = code_cells(Path(notebook))

    def ask_worker() -> None:
        """Have the worker take the technique's ``from_outside`` step, and wait until it has;
        SandboxError if the pipe closes without its go-ahead (it failed, or went away)."""
        os.write(ready_fd, b"u")
        if os.read(go_fd, 1) != b"g":
            raise SandboxError(0, "the worker could not complete the sandbox's set-up")

    state = isolation.enter(ask_worker)
    pid = os.fork()
    if pid == 0:
        try:
            _student(cells, names, write_fd, state, limits, isolation)
            os._exit(0)
        except BaseException as err:
            _report(write_fd, err)
        finally:
            os._exit(_GRADER_ERROR)
    os.close(write_fd)
    os.write(ready_fd, f"{pid}\n".encode())
    code = _stay_with_the_worker(pid, go_fd)
    isolation.leave(state)
    os._exit(code)


def _stay_with_the_worker(pid: int, worker_fd: int) -> int:
    """Wait for the student process; if the worker goes away first (its end of ``worker_fd``
    closes: killed, interrupted), kill the student process, and with it its whole namespace.
    A signal from the parent would not do: the student's code could ask not to get one."""
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None  # Linux; else poll (--no-sandbox)
    watched = [worker_fd] + ([pidfd] if pidfd is not None else [])
    while True:
        ready, _, _ = select.select(watched, [], [], None if pidfd is not None else 0.05)
        if pidfd is None:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status) % 256
        if pidfd in ready:
            break
        if worker_fd in ready and not os.read(worker_fd, 1):
            os.kill(pid, signal.SIGKILL)
            break
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) % 256


def _report(write_fd: int, err: BaseException) -> None:
    try:
        write_all(write_fd, b"\0" + f"{type(err).__name__}: {err}".encode()[:2000])
    except OSError:
        pass




def run_submission(notebook: str, names: list[str], *, isolation: Isolation,
                   limits: Limits | None = None) -> RunResult:
    """Run the code cells of ``notebook`` under ``isolation`` within ``limits`` (default:
    ``Limits()``); return the exported values and what went wrong."""
    start = time.perf_counter()
    limits = limits or Limits()
    read_fd, write_fd = os.pipe()
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (read_fd, ready_r, go_w):
                os.close(fd)
            _intermediate(notebook, names, isolation, write_fd, ready_w, go_r, limits)
        except BaseException as err:
            _report(write_fd, err)
        finally:
            os._exit(_GRADER_ERROR)
    for fd in (write_fd, ready_w, go_r):
        os.close(fd)
    deadline = start + limits.timeout
    student, problem = None, None
    try:
        if isolation.asks_worker and _read_line(ready_r, deadline, 1) == "u":
            isolation.from_outside(pid)
            os.write(go_w, b"g")
        line = _read_line(ready_r, deadline)
        student = int(line) if line.isdigit() else None
    except OSError as err:
        problem = f"{type(err).__name__}: {err}"
    finally:
        os.close(ready_r)
    data, timed_out = _read_until(read_fd, deadline)
    os.close(read_fd)
    if timed_out:  # the technique kills the student process and all it started; the intermediate
        isolation.kill(student or pid)  # then ends by itself (or is killed, if it never forked)
    os.close(go_w)  # the intermediate process outlives its worker by no more than this
    _, status = os.waitpid(pid, 0)
    return _result(data, status, timed_out, problem, isolation.isolated, time.perf_counter() - start,
                   limits.timeout)


def _read_line(fd: int, deadline: float, size: int = 0) -> str:
    text = b""
    while (not size or len(text) < size) and not text.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(deadline - time.perf_counter(), 0))
        chunk = os.read(fd, 1) if ready else b""
        if not chunk:
            break
        text += chunk
    return text.decode().strip()


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk or size > _MAX_RESULT:
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)


def _result(data: bytes, status: int, timed_out: bool, problem: str | None, isolate: bool,
            seconds: float, timeout: float) -> RunResult:
    started = data.startswith(STARTED)
    if not started:
        reason = problem or data.lstrip(b"\0").decode(errors="replace") or (
            f"the sandbox stopped before the notebook ran (exit status {os.waitstatus_to_exitcode(status)})")
        return RunResult(Status.GRADER_ERROR, seconds=seconds, isolated=isolate,
                         errors=[f"the grader could not run this notebook ({reason}){NOT_YOURS}"])
    frames = _frames(data[len(STARTED):])  # the values sent after each cell: the last whole one counts
    last = frames[-1] if frames else {"values": "{}", "errors": []}
    if timed_out:
        return RunResult(Status.TIMEOUT, last["values"], [*map(str, last["errors"]),
                         f"your notebook did not finish within {timeout:g} seconds "
                         f"(an endless loop, or a very slow computation?); the answers set before then count"],
                         seconds, isolate)
    if frames and last.get("final"):
        return RunResult(Status.OK, last["values"], [str(e) for e in last["errors"]], seconds, isolate)
    code = os.waitstatus_to_exitcode(status)
    how = f"was stopped by signal {-code}" if code < 0 else f"exited with code {code}"
    return RunResult(Status.CRASHED, last["values"], [*map(str, last["errors"]),
                     f"your notebook's code {how} before it finished "
                     f"(it may have used too much memory or called exit())"
                     + ("; the answers set before then count" if frames else "")], seconds, isolate)


def _frames(data: bytes) -> list[dict]:
    """The whole result lines in ``data`` that parse (a line cut short by a kill does not)."""
    frames = []
    for line in data.split(b"\n")[:-1]:
        try:
            frame = json.loads(line)
            json.loads(frame["values"])
            frame["errors"] = list(frame["errors"])
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
        frames.append(frame)
    return frames
