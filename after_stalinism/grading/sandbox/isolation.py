"""The interface every isolation technique implements, what a run may use (``Limits``) and what
it sends back (``RunResult``).

A submission runs in three processes (see ``process.py``): the grader's **worker**, an
**intermediate** it forks (which reads the notebook with the grader's rights), and the **student
process** the intermediate forks to run the code. A technique hooks into fixed points of that
sequence; ``process.py`` owns everything else (pipes, deadline, limits, reading the result).

Usage::

    class MyTechnique(Isolation):
        name = "my technique"            # what the gradebook's ``isolation`` column says
        def enter(self, ask_worker): ...  # in the intermediate, before it forks the student
        def confine(self, state): ...     # in the student process, before limits are set
        def lock(self, state): ...        # in the student process, after limits, before the code
        def leave(self, state): ...       # in the intermediate, after the student process ended
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..results import Status


@dataclass(frozen=True)
class Limits:
    """What one submission may use. The one place the defaults live: ``grade`` and ``gradescope``
    show them as their options' defaults, and the results cache is keyed on them."""

    timeout: float = 20              # seconds for the whole notebook (wall clock)
    cell_timeout: float = 5          # seconds per code cell
    memory_mb: int = 512             # MB per process, and for all its processes together
    max_processes: int = 64          # processes the student's code may run at once


@dataclass
class RunResult:
    """What a submission's run sends back: a status, its values as plain JSON, errors and timing."""

    status: Status                   # OK, TIMEOUT, CRASHED, MEMORY (the watchdog) or GRADER_ERROR
    values_json: str = "{}"
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolated: bool = False           # ran isolated (False with --no-sandbox)

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # a cached run's word back to its member (ValueError if unknown)


class SandboxError(OSError):
    """The sandbox could not be set up: the grader's problem, never the student's."""


class SandboxUnavailable(RuntimeError):
    """Student code cannot be isolated on this machine; the message says why and what to do."""


class Isolation:
    """One way of keeping a submission from the grader, the machine and the other students.

    The default hooks do nothing: that is ``Unisolated``. A technique overrides what it needs.
    """

    name = "unisolated"              # the gradebook's ``isolation`` column: namespaces, landlock, unisolated
    isolated = False                 # does a run under it count as isolated (RunResult.isolated)?
    asks_worker = False              # does ``enter`` need the worker's ``from_outside`` step?

    def enter(self, ask_worker: Callable[[], None]) -> Any:
        """In the intermediate process, before it forks the student process. Returns the state
        the student process's hooks receive. ``ask_worker()`` runs ``from_outside`` in the worker
        and returns once it is done (only when ``asks_worker``)."""
        return None

    def from_outside(self, pid: int) -> None:
        """In the worker, for the intermediate ``pid``: a step only the outside can take."""

    def confine(self, state: Any) -> None:
        """In the student process, first: what it may see."""

    def lock(self, state: Any) -> None:
        """In the student process, after the limits are set and before the student's code runs."""

    def describe(self) -> str:
        """One line for the run's first line: the technique and what it keeps apart."""
        return "unisolated (--no-sandbox: student code can read and change anything you can)"

    def processes_already(self, state: Any) -> int:
        """Processes the student's uid already runs, on top of which the process cap is counted."""
        return 0

    def keep_fds(self, state: Any) -> list[int]:
        """Descriptors the student process keeps open until ``lock`` (all others are closed first)."""
        return []

    def home(self, state: Any) -> str:
        """The student process's working and home folder, the one place it may write."""
        return "/tmp"

    def leave(self, state: Any) -> None:
        """In the intermediate process, once the student process has ended (or been killed)."""

    def kill(self, pid: int) -> None:
        """At the wall-clock limit: kill the student process ``pid`` and everything it started."""
        import os
        import signal

        for kill in (os.killpg, os.kill):  # its process group is the best an unisolated run can do
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
