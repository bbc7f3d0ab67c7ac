"""Running one student's notebook in a sealed, short-lived Linux sandbox.

The grader's worker processes are started fresh (``spawn``), apart from the hidden tests, with
pandas and the course package already imported. They never receive a student's code: for each
submission a worker gets the notebook's *path* and forks

* an **intermediate** process that reads the notebook (with the grader's rights), opens the
  folders the code may see, and enters new user, PID, mount, network, IPC and UTS namespaces
  (the worker, still outside, writes its user-id map: the grader's own uid, or ``nobody`` when
  the grader is root, so the kernel's process cap applies);
* the **student process**, PID 1 of the new PID namespace, which builds a filesystem view that
  *allows* only the Python environment and the course package and data (read-only), a private
  ``/proc``, a few devices and an empty writable ``/tmp``; pivots into it and detaches everything
  else; closes every inherited file descriptor but its result pipe; drops all capabilities; caps
  address space, file size and processes; and runs the code cells one by one with a per-cell alarm.

Only JSON of plain values comes back. When the student process ends, or the worker kills it at the
wall-clock limit, the kernel kills everything else in its PID namespace, so nothing outlives a
submission, and nothing in it can see or signal the grader, the workers or other students.
Linux only (user namespaces); ``probe()`` says why when it cannot work, and ``view=None`` runs
unsandboxed (forked, limited, but able to see the machine) for an instructor who accepts that.
Anything that fails before the student's code starts is a ``grader error``, never the student's.

Usage::

    view = allowed_paths([PACKAGE_DIR, DATA_DIR], course_root, private=[source.parent, submissions, out])
    problem = probe(view)            # None, or why isolation is impossible here
    result = run_submission("subs/alice/homework.ipynb", ["peak_year"], view=view)
    result.status, result.values_json, result.errors
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .._modes import GRADING_ENV

# Linux constants (include/uapi/linux/sched.h, mount.h, prctl.h, capability.h).
_NEWNS, _NEWUTS, _NEWIPC, _NEWUSER, _NEWPID, _NEWNET = (0x20000, 0x4000000, 0x8000000, 0x10000000,
                                                        0x20000000, 0x40000000)
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 8, 32, 4096
_MS_REC, _MS_PRIVATE, _MNT_DETACH = 16384, 1 << 18, 2
# statvfs flag -> mount flag, kept when remounting a bind read-only (the kernel locks them).
_KEEP_FLAGS = {2: 2, 4: 4, 8: 8, 16: 16, 64: 64, 1024: 1024, 2048: 2048, 4096: 1 << 21}
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _CAP_VERSION_3 = 1, 24, 38, 0x20080522
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
_NOBODY = 65534
_DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
_STARTED = b"S"                   # written by the student process once the student's code starts
_GRADER_ERROR = 71                # exit code of a sandbox that failed before the student's code ran
_MAX_RESULT = 64 * 1024 * 1024    # bytes of values read back at most
_NOT_YOURS = "; this is not the student's doing: the instructor should look at the grader's set-up"


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


@dataclass
class RunResult:
    """What a submission's run sends back: a status, its values as plain JSON, errors and timing."""

    status: str                      # ok | timeout | crashed | grader error
    values_json: str = "{}"
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolated: bool = False           # ran in the namespaces sandbox (False with --no-sandbox)


class CellTimeout(BaseException):
    """Raised inside student code when one cell runs longer than the per-cell limit."""


class SandboxError(OSError):
    """The sandbox could not be set up: the grader's problem, never the student's."""


def warm_up() -> None:
    """Worker initializer: import what student code typically needs, once per worker."""
    os.environ[GRADING_ENV] = "1"
    import nbformat  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    import after_stalinism  # noqa: F401

    from . import notebook, values  # noqa: F401


# ---- the filesystem view ------------------------------------------------------------------

def allowed_paths(course_dirs: list[Path], course_root: Path, private: list[Path]) -> list[str]:
    """What student code may read: the system's libraries, the Python environment and
    ``course_dirs`` (the course package and data). A ``sys.path`` entry that is the course root or
    holds it or a ``private`` folder (sources, submissions, output), or lies inside a private
    folder, is left out; the course package is then reached through ``course_dirs`` alone."""
    private = [Path(p).resolve() for p in private]
    hidden = [Path(course_root).resolve(), *private]
    candidates = ["/usr", "/lib", "/lib32", "/lib64", "/bin", "/etc/ld.so.cache", "/etc/localtime",
                  sys.prefix, sys.base_prefix + "/lib", *sys.path]
    view = [str(Path(p).resolve()) for p in course_dirs]
    for entry in candidates:
        if not entry or not os.path.isabs(entry) or not os.path.exists(entry):
            continue
        for path in sorted({os.path.normpath(entry), os.path.realpath(entry)}):
            where = Path(os.path.realpath(path))
            if not any(where == h or where in h.parents for h in hidden) and \
                    not any(p in where.parents for p in private):
                view.append(path)
    kept: list[str] = []
    for path in sorted(set(view), key=lambda p: (p.count("/"), p)):  # parents first
        if not any(path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SandboxError(errno, f"{what}: {os.strerror(errno)}")


def _build_view(libc, sources: dict[str, int | str]) -> None:
    """Mount the allowed paths read-only on a fresh tmpfs, add /proc, /dev, /tmp; pivot into it."""
    stage = "/tmp"  # a mount point for the new root; the sources are already open as descriptors
    _check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make mounts private")
    _check(libc.mount(b"tmpfs", stage.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, b"mode=755,size=1m"),
           "mount the new root")
    # /proc and the empty /tmp first: an allowed path inside /tmp (a course kept there) is bound on top.
    for name, fstype, flags, options in [("proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None),
                                         ("tmp", b"tmpfs", _MS_NOSUID | _MS_NODEV, b"mode=1777,size=64m")]:
        os.makedirs(f"{stage}/{name}", exist_ok=True)
        _check(libc.mount(fstype, f"{stage}/{name}".encode(), fstype, flags, options), f"mount /{name}")
    for path, source in sources.items():
        target = stage + path
        if isinstance(source, str):  # a symbolic link such as /lib -> usr/lib
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.lexists(target):
                os.symlink(source, target)
            continue
        if os.path.isdir(f"/proc/self/fd/{source}"):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        _check(libc.mount(f"/proc/self/fd/{source}".encode(), target.encode(), None, _MS_BIND, None),
               f"bind {path}")
        if path in _DEVICES:
            continue
        kept = sum(ms for st, ms in _KEEP_FLAGS.items() if os.statvfs(target).f_flag & st)
        _check(libc.mount(None, target.encode(), None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | kept, None),
               f"make {path} read-only")
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise SandboxError(0, f"pivot_root is not known on {os.uname().machine}")
    os.chdir(stage)
    _check(libc.syscall(number, b".", b"."), "pivot into the new root")
    _check(libc.umount2(b".", _MNT_DETACH), "detach the old root")  # the rest of the disk is gone
    os.chdir("/")


def _drop_privileges(libc) -> None:
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    for cap in range(64):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly past the last capability
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "drop capabilities")


# ---- the student's code -------------------------------------------------------------------

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


def _limit(memory_mb: int, max_processes: int) -> None:
    import resource

    limits = [(resource.RLIMIT_FSIZE, 50 * 1024 * 1024), (resource.RLIMIT_NPROC, max_processes),
              (resource.RLIMIT_CORE, 0)]
    if os.path.exists("/proc/self/status"):  # Linux: the cap is on top of what is already mapped
        vm_kb = next((int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize")), 0)
        limits.append((resource.RLIMIT_AS, vm_kb * 1024 + memory_mb * 1024 * 1024))
    for which, value in limits:
        resource.setrlimit(which, (value, value))


def _run_cells(cells: list[str], names: list[str], write_fd: int, cell_timeout: float) -> None:
    """Run the cells, recording each exception and carrying on; send back the named values."""
    os.environ.clear()  # the grader's environment (tokens, paths) is none of the student's business
    _wipe_environment_block()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", GRADING_ENV: "1"})
    os.chdir("/tmp")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)

    def on_alarm(signum, frame):
        raise CellTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    namespace: dict = {"__name__": "__main__"}
    errors = []
    os.write(write_fd, _STARTED)
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
    _write_all(write_fd, json.dumps({"values": values, "errors": errors}).encode())


def _wipe_environment_block() -> None:
    """Zero the environment strings the worker was started with (what /proc/self/environ shows)."""
    if not os.path.exists("/proc/self/stat"):
        return
    fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
    start, end = int(fields[47]), int(fields[48])  # env_start, env_end (fields 50 and 51 of stat)
    if 0 < start < end:
        ctypes.memset(start, 0, end - start)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _close_other_fds(keep: int) -> None:
    """The worker's pipes to the grader carry other students' work: the student gets none of them."""
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)


def _student(cells, names, write_fd, sources, limits, isolate: bool) -> None:
    os.setsid()  # its own session and process group: a kill(0) reaches only its own processes
    libc = _libc()
    if isolate:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _build_view(libc, sources)
        for fd in sources.values():
            if isinstance(fd, int):
                os.close(fd)
    _close_other_fds(write_fd)
    _limit(limits["memory_mb"], limits["max_processes"])
    if isolate:
        _drop_privileges(libc)
    _run_cells(cells, names, write_fd, limits["cell_timeout"])


def _intermediate(notebook: str, names, view, write_fd, ready_fd, go_fd, limits, isolate: bool) -> None:
    """Read the notebook, open the view's sources, enter the namespaces, fork the student process."""
    from .notebook import code_cells

    cells = code_cells(Path(notebook))
    sources: dict[str, int | str] = {}
    if isolate:
        if _real_root():
            os.setgroups([])  # no supplementary group of root's comes along
        flags = _NEWUSER | _NEWNS | _NEWPID | _NEWNET | _NEWIPC | _NEWUTS
        if _libc().unshare(flags) != 0:
            errno = ctypes.get_errno()
            why = {1: "this user may not create user namespaces (EPERM)",
                   28: "the limit on user namespaces is reached or 0 (user.max_user_namespaces)",
                   22: "this kernel does not support the namespaces needed (EINVAL)"}
            raise SandboxError(errno, "cannot create the user, PID, mount and network namespaces: "
                               + why.get(errno, os.strerror(errno)))
        os.write(ready_fd, b"u")
        if os.read(go_fd, 1) != b"g":
            raise SandboxError(0, "the worker could not map the sandbox's user")
        # Opened in the new mount namespace and still with the grader's own uid, so that a Python
        # under a private home (/root/.pyenv) is reachable; the student process binds these.
        for path in [*view, *_DEVICES]:
            if os.path.islink(path) and path in view:
                sources[path] = os.readlink(path)
            elif os.path.exists(path):
                sources[path] = os.open(path, os.O_PATH)
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
    pid = os.fork()
    if pid == 0:
        try:
            _student(cells, names, write_fd, sources, limits, isolate)
            os._exit(0)
        except BaseException as err:
            _report(write_fd, err)
        finally:
            os._exit(_GRADER_ERROR)
    os.close(write_fd)
    os.write(ready_fd, f"{pid}\n".encode())
    _stay_with_the_worker(pid, go_fd)


def _stay_with_the_worker(pid: int, worker_fd: int) -> None:
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
                os._exit(os.waitstatus_to_exitcode(status) % 256)
        if pidfd in ready:
            break
        if worker_fd in ready and not os.read(worker_fd, 1):
            os.kill(pid, signal.SIGKILL)
            break
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) % 256)


def _report(write_fd: int, err: BaseException) -> None:
    try:
        _write_all(write_fd, b"\0" + f"{type(err).__name__}: {err}".encode()[:2000])
    except OSError:
        pass


def _real_root() -> bool:
    """Root of the machine, not merely uid 0 inside a user namespace."""
    with open("/proc/self/uid_map") as f:
        return os.geteuid() == 0 and f.read().split()[:3] == ["0", "0", "4294967295"]


def _map_user(pid: int) -> None:
    """From outside: map uid/gid 0 inside the sandbox to the grader's, or, for the machine's real
    root, to nobody (the kernel never applies the process cap to real root)."""
    uid, gid = (_NOBODY, _NOBODY) if _real_root() else (os.geteuid(), os.getegid())
    for name, text in [("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")]:
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write(text)


def run_submission(notebook: str, names: list[str], *, view: list[str] | None, timeout: float = 20,
                   cell_timeout: float = 5, memory_mb: int = 512, max_processes: int = 64) -> RunResult:
    """Run the code cells of ``notebook`` in the sandbox (``view=None``: forked but unisolated);
    return the exported values and what went wrong."""
    start = time.perf_counter()
    isolate = view is not None
    limits = {"memory_mb": memory_mb, "max_processes": max_processes, "cell_timeout": cell_timeout}
    read_fd, write_fd = os.pipe()
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (read_fd, ready_r, go_w):
                os.close(fd)
            _intermediate(notebook, names, view, write_fd, ready_w, go_r, limits, isolate)
        except BaseException as err:
            _report(write_fd, err)
        finally:
            os._exit(_GRADER_ERROR)
    for fd in (write_fd, ready_w, go_r):
        os.close(fd)
    deadline = start + timeout
    student, problem = None, None
    try:
        if isolate and _read_line(ready_r, deadline, 1) == "u":
            _map_user(pid)
            os.write(go_w, b"g")
        line = _read_line(ready_r, deadline)
        student = int(line) if line.isdigit() else None
    except OSError as err:
        problem = f"{type(err).__name__}: {err}"
    finally:
        os.close(ready_r)
    data, timed_out = _read_until(read_fd, deadline)
    os.close(read_fd)
    if timed_out:
        for target in (student, pid):
            _kill(target, group=not isolate)
    os.close(go_w)  # the intermediate process outlives its worker by no more than this
    _, status = os.waitpid(pid, 0)
    return _result(data, status, timed_out, problem, isolate, time.perf_counter() - start, timeout)


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


def _kill(pid: int | None, group: bool) -> None:
    """Kill the student process: as the PID namespace's init, everything inside dies with it.
    Unsandboxed, its process group is the best we can do."""
    try:
        if pid and group:
            os.killpg(pid, signal.SIGKILL)
        if pid:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _result(data: bytes, status: int, timed_out: bool, problem: str | None, isolate: bool,
            seconds: float, timeout: float) -> RunResult:
    started = data.startswith(_STARTED)
    if not started:
        reason = problem or data.lstrip(b"\0").decode(errors="replace") or (
            f"the sandbox stopped before the notebook ran (exit status {os.waitstatus_to_exitcode(status)})")
        return RunResult("grader error", seconds=seconds, isolated=isolate,
                         errors=[f"the grader could not run this notebook ({reason}){_NOT_YOURS}"])
    if timed_out:
        return RunResult("timeout", seconds=seconds, isolated=isolate,
                         errors=[f"your notebook did not finish within {timeout:g} seconds "
                                 f"(an endless loop, or a very slow computation?)"])
    try:
        payload = json.loads(data[len(_STARTED):])
        json.loads(payload["values"])
        return RunResult("ok", payload["values"], [str(e) for e in payload["errors"]], seconds, isolate)
    except (ValueError, KeyError, TypeError, RecursionError):
        code = os.waitstatus_to_exitcode(status)
        how = f"was stopped by signal {-code}" if code < 0 else f"exited with code {code}"
        return RunResult("crashed", seconds=seconds, isolated=isolate,
                         errors=[f"your notebook's code {how} before it finished "
                                 f"(it may have used too much memory or called exit())"])


def probe(view: list[str]) -> str | None:
    """None if student code can be sandboxed here; else why not, and what to do."""
    import tempfile

    import nbformat

    if sys.platform != "linux":
        return f"the sandbox needs Linux namespaces, and this is {sys.platform}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import after_stalinism\nx = 1")]),
                       path)
        result = run_submission(str(path), ["x"], view=view, timeout=30)
    if result.status == "ok" and not result.errors and json.loads(result.values_json).get("x") is not None:
        return None
    reason = "; ".join(result.errors) or result.status
    return reason.removeprefix("the grader could not run this notebook (").removesuffix(f"){_NOT_YOURS}")
