"""A memory cap for a whole submission, not one process: a watchdog in the grader's worker.

The sandbox caps each student process's address space, but a notebook may fork: twenty children
of 450 MB each are 9 GB for one submission. While a worker runs a submission, ``Watchdog`` sums the
proportional memory (PSS, from ``/proc/PID/smaps_rollup``; resident memory where that cannot be
read) of every process the worker started (where PSS cannot be read, each process's private resident
memory beyond the worker's), and when the total passes the worker's own size plus ``memory_mb``
it kills the submission's processes (everything below the worker's direct child,
the intermediate process, which then reports the death as usual). A worker runs one submission at
a time, so everything below it belongs to that submission.

Linux only (it reads ``/proc``); elsewhere it does nothing. It looks every ``INTERVAL`` seconds,
so a submission can overshoot by what it allocates in that time (the per-process address-space
cap bounds each step).

Usage::

    with Watchdog(512) as dog:
        result = run_submission(...)
    if dog.fired:
        ...  # dog.message says what happened, for the student's feedback
"""

from __future__ import annotations

import os
import signal
import threading

INTERVAL = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return tree
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            tree.setdefault(int(fields[1]), []).append(pid)
        except (OSError, IndexError, ValueError):
            continue
    return tree


def _children(pid: int) -> list[int] | None:
    """The children of ``pid`` from ``/proc/PID/task/TID/children`` (None where the kernel lacks it)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                found += [int(c) for c in handle.read().split()]
        except (FileNotFoundError, PermissionError):  # no such file here, or not ours to read: a full scan
            return None
        except (OSError, ValueError):
            continue
    return found


def descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, depth) of every process below ``pid``; depth 1 for its children. Reads only this
    process tree where the kernel lists children, else the whole process table."""
    found, stack, tree = [], [(pid, 0)], None
    while stack:
        parent, depth = stack.pop()
        children = _children(parent) if tree is None else None
        if children is None:
            tree = tree if tree is not None else _children_map()
            children = tree.get(parent, [])
        for child in children:
            found.append((child, depth + 1))
            stack.append((child, depth + 1))
    return found


def pss_of(pid: int) -> int | None:
    """Bytes of proportional memory of ``pid`` (shared pages divided among their users), or None
    where ``/proc/PID/smaps_rollup`` cannot be read (an older kernel, or no right to)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def private_of(pid: int) -> int:
    """Bytes resident and not file-backed (``/proc/PID/statm``, readable by anyone); a forked
    process counts the pages it still shares with its parent, so callers subtract those."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            fields = handle.read().split()
        return max(int(fields[1]) - int(fields[2]), 0) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


class Watchdog:
    """Kill the processes below this one's children when together they use more than ``memory_mb``
    beyond what this process uses itself (measured when the watch starts)."""

    def __init__(self, memory_mb: int, interval: float = INTERVAL):
        self.limit = memory_mb * 1024 * 1024
        self.memory_mb = memory_mb
        self.interval = interval
        self.fired = False
        self.peak = 0
        self.message = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Watchdog:
        if os.path.exists("/proc/self/stat"):
            me = os.getpid()
            self.baseline, self.base_private = pss_of(me) or private_of(me), private_of(me)
            self._thread = threading.Thread(target=self._watch, name="memory-watchdog", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            below = descendants(me)
            used = sum(self._used(pid) for pid, _ in below)
            self.peak = max(self.peak, used)
            if used > self.limit + self.baseline:
                self.fired = True
                self.message = (f"your notebook used more than {self.memory_mb} MB of memory, counting all its "
                                f"processes together, and was stopped")
                self._kill(me)

    def _used(self, pid: int) -> int:
        pss = pss_of(pid)
        return pss if pss is not None else max(private_of(pid) - self.base_private, 0)

    def _kill(self, me: int) -> None:
        for _ in range(20):  # until nothing is left below the intermediate (forks may race the kill)
            targets = [pid for pid, depth in descendants(me) if depth >= 2]
            if not targets:
                return
            for pid in targets:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if self._stop.wait(0.01):
                return
