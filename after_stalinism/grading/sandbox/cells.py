"""What runs inside the student process, whatever the isolation: a clean environment, no inherited
file descriptors but the result pipe, resource limits, and the code cells one by one under a
per-cell alarm. Only JSON of plain values goes back through the pipe: one line after every cell
that changed them, the last one marked final."""

from __future__ import annotations

import ctypes
import json
import os
import signal

from ..._modes import GRADING_ENV

STARTED = b"S"                    # written by the student process once the student's code starts


class CellTimeout(BaseException):
    """Raised inside student code when one cell runs longer than the per-cell limit."""


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


def set_limits(memory_mb: int, max_processes: int, cpu_seconds: float = 60, open_files: int = 256) -> None:
    """Cap this process, soft and hard limits alike so the student's code cannot raise them:
    files written up to 50 MB, ``max_processes`` for its uid, no core dumps, ``open_files``
    descriptors, ``cpu_seconds`` of CPU and, on Linux, ``memory_mb`` of address space on top of
    what is already mapped (the preloaded libraries are not the student's to pay for)."""
    import math
    import resource

    cpu = math.ceil(cpu_seconds)
    limits = [(resource.RLIMIT_FSIZE, 50 * 1024 * 1024), (resource.RLIMIT_NPROC, max_processes),
              (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NOFILE, open_files), (resource.RLIMIT_CPU, cpu)]
    if os.path.exists("/proc/self/status"):  # Linux: the cap is on top of what is already mapped
        vm_kb = next((int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize")), 0)
        limits.append((resource.RLIMIT_AS, vm_kb * 1024 + memory_mb * 1024 * 1024))
    for which, value in limits:
        resource.setrlimit(which, (value, value))


def run_cells(cells: list[str], names: list[str], write_fd: int, cell_timeout: float, home: str = "/tmp") -> None:
    """Run the cells, recording each exception and carrying on; send back the named values."""
    os.environ.clear()  # the grader's environment (tokens, paths) is none of the student's business
    wipe_environment_block()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", GRADING_ENV: "1"})
    os.chdir(home)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)

    def on_alarm(signum, frame):
        """The per-cell timer ran out: stop the running cell with ``CellTimeout``."""
        raise CellTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    namespace: dict = {"__name__": "__main__"}
    errors, sent = [], ""
    os.write(write_fd, STARTED)
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
        sent = _send(write_fd, namespace, names, errors, cell_timeout, sent, final=False)
    _send(write_fd, namespace, names, errors, cell_timeout, "", final=True)


MAX_VALUES = 4 * 1024 * 1024      # bytes of exported values per frame; a larger variable is replaced


def _send(write_fd: int, namespace: dict, names: list[str], errors: list[str], cell_timeout: float,
          previous: str, final: bool) -> str:
    """One frame of the result: a JSON line of the values so far and the errors. Sent after every
    cell whose values changed, so a timeout or a crash later keeps the answers already given
    (the grader reads the last whole line); the last frame says ``final``."""
    from ..values import export

    signal.setitimer(signal.ITIMER_REAL, cell_timeout)
    try:
        values = export(namespace, names)
        if len(values) > MAX_VALUES:  # one variable per name, the oversized ones described instead
            values = json.dumps({n: json.loads(export(namespace, [n])) if len(export(namespace, [n])) <= MAX_VALUES
                                 // max(len(names), 1) else {"$type": "value too large to grade"} for n in names})
    except BaseException as err:
        values, errors = "{}", errors + [f"your variables could not be read: {type(err).__name__}"]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if final or values != previous:
        write_all(write_fd, json.dumps({"values": values, "errors": errors, "final": final}).encode() + b"\n")
    return values


def wipe_environment_block() -> None:
    """Zero the environment strings the worker was started with (what /proc/self/environ shows).
    A technique that takes /proc away calls it before; then it finds /proc out of reach."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return
    start, end = int(fields[47]), int(fields[48])  # env_start, env_end (fields 50 and 51 of stat)
    if 0 < start < end:
        ctypes.memset(start, 0, end - start)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``: one ``os.write`` to a pipe may write only part of it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def close_other_fds(*keep: int) -> None:
    """The worker's pipes to the grader carry other students' work: the student gets none of them
    (``keep``: the result pipe, and what the technique still needs until it locks)."""
    low = 3
    for fd in sorted(set(keep)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)
