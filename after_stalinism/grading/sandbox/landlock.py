"""Where user namespaces are refused (Docker, Gradescope, Kubernetes pods, Ubuntu 24.04): a sandbox
built only from what an unprivileged process may still do to itself.

* **Landlock** (Linux 5.13+, no privilege needed): the filesystem is an allow-list. The Python
  environment and the course package and data (``view``, the same paths the namespaces sandbox
  shows) can be read and executed, a private temporary folder can be written, a few devices used,
  and nothing else is reachable: not the hidden tests, the submissions, the output, ``/proc`` or
  ``.git``. Where the kernel has them, TCP bind and connect are denied (ABI 4, Linux 6.7) and
  signals and abstract UNIX sockets are scoped to the submission's own processes (ABI 6, 6.12).
* **seccomp** (through libseccomp, Debian's ``libseccomp2``, and the ``pyseccomp`` binding): no
  socket but AF_UNIX, no ptrace, no process_vm_readv/writev, no new namespaces, no io_uring, no
  bpf/perf/keyrings; without Landlock's signal scoping, signals only to the submission's own
  process group. Foreign architectures' system calls kill the process.
* ``PR_SET_NO_NEW_PRIVS``, the usual rlimits (memory, file size, processes, open files, CPU).
* The intermediate process is a **child subreaper**: whatever the submission starts, double-forked
  and detached or not, is re-parented to it, and once the student process ends (or is killed at
  the wall-clock limit) the intermediate kills every process left under it.
* When the grader is root (Gradescope), the student process runs under a dedicated unprivileged
  uid (one per submission, with no groups and no capabilities), so even outside Landlock's rules
  the hidden tests and the results stay the instructor's.

Usage::

    isolation = Landlock(allowed_paths([PACKAGE_DIR, data_dir()], course_root(), [source.parent, subs, out]))
    run_submission("subs/alice.ipynb", ["x"], isolation=isolation)
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from .isolation import Isolation, SandboxError

# Landlock (include/uapi/linux/landlock.h); the three system calls have the same numbers on every
# architecture (they came after the system call tables were unified).
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_FS = {"execute": 1, "write_file": 2, "read_file": 4, "read_dir": 8, "remove_dir": 16, "remove_file": 32,
       "make_char": 64, "make_dir": 128, "make_reg": 256, "make_sock": 512, "make_fifo": 1024,
       "make_block": 2048, "make_sym": 4096, "refer": 8192, "truncate": 16384, "ioctl_dev": 32768}
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2
_READ_DIR = _FS["read_file"] | _FS["read_dir"] | _FS["execute"]
_READ_FILE = _FS["read_file"] | _FS["execute"]
_DEVICE = _FS["read_file"] | _FS["write_file"] | _FS["truncate"] | _FS["ioctl_dev"]
_DEVICES = {"/dev/null": _DEVICE, "/dev/zero": _DEVICE, "/dev/full": _DEVICE,
            "/dev/random": _FS["read_file"], "/dev/urandom": _FS["read_file"]}

_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER = 1, 38, 36
_AF_UNIX = 1
_CLONE_NEW = (0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)  # NEWNS..NEWNET
STUDENT_UIDS = range(50000, 60000)  # as root: one unused uid of these per submission
_DENIED = ["ptrace", "process_vm_readv", "process_vm_writev", "unshare", "setns", "mount", "umount2",
           "pivot_root", "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
           "userfaultfd", "add_key", "request_key", "keyctl", "kexec_load", "init_module", "finit_module",
           "open_by_handle_at", "name_to_handle_at", "fanotify_init", "pidfd_getfd"]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi() -> int:
    """The kernel's Landlock ABI version: 0 where it has none (or it is disabled at boot)."""
    libc = _libc()
    abi = libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                       ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(abi), 0)


def _landlock(abi: int, rules: dict[int, int], home_fd: int) -> None:
    """Restrict this process (and all it starts) to ``rules`` (open descriptor -> access)."""
    libc = _libc()
    handled_fs = _FS_BY_ABI.get(abi, _FS_BY_ABI[5])
    attr = _RulesetAttr(handled_fs, (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise SandboxError(ctypes.get_errno(), f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for fd, access in [*rules.items(), (home_fd, handled_fs)]:
            rule = _PathBeneath(access & handled_fs, fd)
            if libc.syscall(ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                            ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                raise SandboxError(ctypes.get_errno(), f"landlock_add_rule: {os.strerror(ctypes.get_errno())}")
        if libc.syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise SandboxError(ctypes.get_errno(), f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)


def seccomp_binding():
    """The libseccomp binding, imported once per process (finding the library runs ldconfig)."""
    try:
        import pyseccomp
    except (ImportError, RuntimeError) as err:  # RuntimeError: libseccomp.so.2 itself is missing
        raise SandboxError(0, f"libseccomp is not available ({err}): install libseccomp2 and pyseccomp") from None
    return pyseccomp


def _seccomp(scoped_signals: bool, own_group: int) -> None:
    """Load the system-call filter (needs no_new_privs, set before)."""
    seccomp = seccomp_binding()
    refuse = seccomp.ERRNO(errno.EPERM)
    f = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in _DENIED:
        try:
            f.add_rule(refuse, name)
        except (OSError, ValueError):  # a system call this architecture does not have
            pass
    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.NE, _AF_UNIX))
    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socketpair", seccomp.Arg(0, seccomp.NE, _AF_UNIX))
    for bit in _CLONE_NEW:  # a thread or a fork, never a new namespace
        f.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, bit, bit))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # its flags are out of reach: libc falls back to clone
    # The student process is to its code what PID 1 of a namespace is: nothing in the submission can
    # kill it (kill(0), its pid or group, kill(-1)), so its answers always come back.
    mask = 0xFFFFFFFF
    if scoped_signals:  # Landlock keeps signals inside the submission; these protect its first process
        for target in (0, own_group, -own_group, -1):
            f.add_rule(refuse, "kill", seccomp.Arg(0, seccomp.MASKED_EQ, mask, target & mask))
    else:  # a kernel before 6.12: no signals to other processes at all
        f.add_rule(refuse, "kill")
    for name in ("tgkill", "tkill", "rt_tgsigqueueinfo", "rt_sigqueueinfo"):
        rule = (seccomp.Arg(0, seccomp.MASKED_EQ, mask, own_group) if scoped_signals
                else seccomp.Arg(0, seccomp.NE, own_group))  # without scoping: only to itself (raise())
        f.add_rule(refuse, name, rule)
    f.add_rule(refuse, "pidfd_send_signal")
    f.load()


def _student_uid() -> int:
    """An unprivileged uid no account uses, one per submission running at the same time."""
    import pwd

    start = os.getpid() % len(STUDENT_UIDS)
    for step in range(len(STUDENT_UIDS)):
        uid = STUDENT_UIDS[(start + step) % len(STUDENT_UIDS)]
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise SandboxError(0, "every uid set aside for student code belongs to an account")


def _out_of_reach(view: list[str]) -> list[str]:
    """The view's paths another uid could not read: a folder above without search permission for
    others (``/root``, mode 700, holding pyenv's Python), or the path itself not readable."""
    blocked = []
    for path in view:
        p = os.path.realpath(path)
        try:
            st = os.stat(p)
            ok = st.st_mode & (0o005 if os.path.isdir(p) else 0o004) == (0o005 if os.path.isdir(p) else 0o004)
            parent = os.path.dirname(p)
            while ok and parent != p:
                ok, p, parent = bool(os.stat(parent).st_mode & 0o001), parent, os.path.dirname(parent)
        except OSError:
            continue
        if not ok:
            blocked.append(path)
    return blocked


def _processes_of(uid: int) -> int:
    """How many processes ``uid`` runs now (the kernel's process cap counts them all)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


def _children(parent: int) -> list[int]:
    try:  # the kernel's own list, where it keeps one (CONFIG_PROC_CHILDREN: Debian's, Ubuntu's kernels)
        with open(f"/proc/{parent}/task/{parent}/children") as f:
            return [int(pid) for pid in f.read().split()]
    except OSError:
        pass
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == parent:
                        found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    return found


def kill_descendants() -> None:
    """As a child subreaper: kill every process left under this one, until none is left. Each
    killed process's children are re-parented here, so each round reaches the next generation."""
    me = os.getpid()
    for _ in range(10000):
        left = _children(me)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in left:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:  # any other that died meanwhile
                pass
        except ChildProcessError:
            if not left:
                return
        if not left:
            return


@dataclass
class _State:
    abi: int
    home: str
    home_fd: int
    rules: dict[int, int] = field(default_factory=dict)
    uid: int | None = None
    processes: int = 0


class Landlock(Isolation):
    """Landlock, seccomp, no_new_privs, rlimits, a subreaper and, as root, a student uid."""

    name = "landlock"
    isolated = True

    def __init__(self, view: list[str]):
        self.view = view
        self._import_binding()

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):  # in a worker: import the binding there once, not per submission
        self.__dict__.update(state)
        self._import_binding()

    @staticmethod
    def _import_binding() -> None:
        try:
            seccomp_binding()
        except SandboxError:
            pass  # said when a submission runs

    def describe(self) -> str:
        """The run's first line: what Landlock restricts on this kernel (files; TCP from ABI 4;
        signals and abstract sockets from ABI 6), seccomp, and the uid student code runs as."""
        abi = landlock_abi()
        parts = ["files" if abi else "no Landlock"] + (["TCP"] if abi >= 4 else []) + \
                (["signals and abstract sockets"] if abi >= 6 else [])
        who = "a dedicated unprivileged uid" if os.geteuid() == 0 else "your uid"
        return (f"landlock (Landlock ABI {abi}: {', '.join(parts)}; seccomp; student code runs as {who}; "
                "user namespaces are not available here)")

    def enter(self, ask_worker: Callable[[], None]) -> _State:
        """In the intermediate: become the subreaper, make the private folder, open the view."""
        abi = landlock_abi()
        if abi < 1:
            raise SandboxError(0, "this kernel has no Landlock (Linux 5.13 or later, with lsm=landlock)")
        seccomp_binding()  # missing: said now, as the grader's problem
        _libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        uid = None
        if os.geteuid() == 0:
            blocked = _out_of_reach(self.view)
            if blocked:
                raise SandboxError(0, "student code runs under its own unprivileged uid, which cannot read "
                                   f"{blocked[0]} (a folder above it is closed to other users); make the "
                                   "Python environment readable by all, or install it outside /root")
            uid = _student_uid()
        home = tempfile.mkdtemp(prefix="submission-")
        if uid is not None:
            os.chown(home, uid, uid)
        state = _State(abi, home, os.open(home, os.O_PATH | os.O_DIRECTORY), uid=uid,
                       processes=0 if uid is not None else _processes_of(os.getuid()))
        for path in self.view:
            if os.path.exists(path):
                state.rules[os.open(path, os.O_PATH)] = _READ_DIR if os.path.isdir(path) else _READ_FILE
        for path, access in _DEVICES.items():
            if os.path.exists(path):
                state.rules[os.open(path, os.O_PATH)] = access
        return state

    def processes_already(self, state: _State) -> int:
        """The processes the grader's uid ran when ``enter`` counted them, since the student's code
        runs under that uid and the kernel's cap counts them all; 0 under a dedicated student uid."""
        return state.processes

    def keep_fds(self, state: _State) -> list[int]:
        """The view's paths, the devices and the private folder, opened by ``enter``: ``lock``
        makes the Landlock rules from them, then closes them."""
        return [*state.rules, state.home_fd]

    def home(self, state: _State) -> str:
        """The private temporary folder ``enter`` made: the only folder Landlock lets it write."""
        return state.home

    def confine(self, state: _State) -> None:
        """In the student process, first: die with the intermediate; as root, become the student."""
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:
            os._exit(1)
        if state.uid is not None:
            os.setgroups([])
            os.setresgid(state.uid, state.uid, state.uid)
            os.setresuid(state.uid, state.uid, state.uid)  # every capability goes with root
            if os.geteuid() != state.uid or os.getegid() != state.uid:
                raise SandboxError(0, "could not switch to the student's uid")

    def lock(self, state: _State) -> None:
        """In the student process, after the limits: no new privileges, Landlock, then seccomp."""
        from .cells import wipe_environment_block

        wipe_environment_block()  # before /proc is out of reach
        libc = _libc()
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise SandboxError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        _landlock(state.abi, state.rules, state.home_fd)
        for fd in [*state.rules, state.home_fd]:
            os.close(fd)
        _seccomp(scoped_signals=state.abi >= 6, own_group=os.getpgrp())

    def leave(self, state: _State) -> None:
        """In the intermediate, once the student process has ended: kill all it left, clean up."""
        kill_descendants()
        shutil.rmtree(state.home, ignore_errors=True)

    def kill(self, pid: int) -> None:
        """Kill the student process; the intermediate, its subreaper, then kills all it started."""
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
