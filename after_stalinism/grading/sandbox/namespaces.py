"""The strongest technique: each submission in its own user, PID, mount, network, IPC and UTS
namespaces, seeing an allow-list of the filesystem.

The intermediate process reads the notebook, opens the folders the code may see, and enters the
new namespaces (the worker, still outside, writes its user-id map: the grader's own uid, or
``nobody`` when the grader is root, so the kernel's process cap applies). The student process is
PID 1 of the new PID namespace: it builds a filesystem view that *allows* only the Python
environment and the course package and data (read-only), a private ``/proc``, a few devices and an
empty writable ``/tmp``; pivots into it and detaches everything else; and drops all capabilities.
When it ends, or is killed at the wall-clock limit, the kernel kills everything else in its PID
namespace, so nothing outlives a submission, and nothing in it can see or signal the grader, the
workers or other students. Needs Linux with unprivileged user namespaces (``choose`` probes it).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from .isolation import Isolation, SandboxError

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


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]



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



def real_root() -> bool:
    """Root of the machine, not merely uid 0 inside a user namespace."""
    with open("/proc/self/uid_map") as f:
        return os.geteuid() == 0 and f.read().split()[:3] == ["0", "0", "4294967295"]


def _map_user(pid: int) -> None:
    """From outside: map uid/gid 0 inside the sandbox to the grader's, or, for the machine's real
    root, to nobody (the kernel never applies the process cap to real root)."""
    uid, gid = (_NOBODY, _NOBODY) if real_root() else (os.geteuid(), os.getegid())
    for name, text in [("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")]:
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write(text)




class Namespaces(Isolation):
    """Linux namespaces and a pivoted, read-only filesystem view (``view``: the allowed paths)."""

    name = "namespaces"
    isolated = True
    asks_worker = True

    def __init__(self, view: list[str]):
        self.view = view

    def describe(self) -> str:
        """The run's first line: the namespaces each submission gets and its read-only view."""
        return ("namespaces (each submission in its own user, PID, mount and network namespaces, "
                "seeing only the Python environment and the course, read-only)")

    def enter(self, ask_worker: Callable[[], None]) -> dict[str, int | str]:
        """Enter the namespaces, have the worker map the user, open the view's sources."""
        if real_root():
            os.setgroups([])  # no supplementary group of root's comes along
        flags = _NEWUSER | _NEWNS | _NEWPID | _NEWNET | _NEWIPC | _NEWUTS
        if _libc().unshare(flags) != 0:
            errno = ctypes.get_errno()
            why = {1: "this user may not create user namespaces (EPERM)",
                   28: "the limit on user namespaces is reached or 0 (user.max_user_namespaces)",
                   22: "this kernel does not support the namespaces needed (EINVAL)"}
            raise SandboxError(errno, "cannot create the user, PID, mount and network namespaces: "
                               + why.get(errno, os.strerror(errno)))
        ask_worker()
        # Opened in the new mount namespace and still with the grader's own uid, so that a Python
        # under a private home (/root/.pyenv) is reachable; the student process binds these.
        sources: dict[str, int | str] = {}
        for path in [*self.view, *_DEVICES]:
            if os.path.islink(path) and path in self.view:
                sources[path] = os.readlink(path)
            elif os.path.exists(path):
                sources[path] = os.open(path, os.O_PATH)
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
        return sources

    def from_outside(self, pid: int) -> None:
        """In the worker, outside the new user namespace: write the intermediate ``pid``'s uid and
        gid maps: root inside is the grader's uid or, for the machine's root, ``nobody``, a map
        only a process with rights outside the namespace may write."""
        _map_user(pid)

    def confine(self, sources: dict[str, int | str]) -> None:
        """In the student process (PID 1 of its namespace), first: die with the intermediate, build
        the read-only view from the sources ``enter`` opened and pivot into it, the rest of the disk
        detached; then close those descriptors."""
        libc = _libc()
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _build_view(libc, sources)
        for fd in sources.values():
            if isinstance(fd, int):
                os.close(fd)

    def lock(self, sources) -> None:
        """Just before the student's code: no new privileges, and every capability dropped (the
        bounding set too), so being uid 0 inside the namespaces grants no power, even after an exec."""
        _drop_privileges(_libc())

    def kill(self, pid: int) -> None:
        """As the PID namespace's init, everything inside dies with the student process."""
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
