"""Running a class's submissions: finding and reading them, the result cache and the pool of warm
workers, giving one ``StudentResult`` per entry of the submissions folder. It writes nothing but
its cache; ``grade.py`` runs the whole ``grade`` command around it.

Submissions are read, never written, and nothing in them can stop the grading of the others:
every entry of the folder gets a row in the gradebook with its reason, whatever it is.

* A student is a folder (``submissions/alice/`` holding their notebook, whatever it is called) or
  a notebook file (``submissions/alice.ipynb``). The student's name is the entry's name shown safely
  (``results.safe_name``: bytes that are not UTF-8 and control characters become visible escapes).
* Only regular files inside the submissions folder are read: an entry or a notebook that is a
  link (to the instructor's source, a classmate, ``/dev/zero``, a folder), a FIFO, a socket or a
  device is **refused** (status ``refused``, the reason in the gradebook, report and console), and
  never opened. Files are opened with ``O_NOFOLLOW | O_NONBLOCK`` and read up to a size cap.
* Two entries for one student (``alice.ipynb`` and ``alice/``) are **refused together** (status
  ``duplicate``, both named): the grader does not guess which one the student meant, so the result
  is the same on every run. Keep one and grade again.
* Entries whose name starts with a dot are students like any other; system litter
  (``.DS_Store``, ``__MACOSX``, ``.ipynb_checkpoints``, ``._*`` ...) gets a row with status
  ``ignored``, and a file that is not a notebook (``bob.pdf``) is ``no notebook``.
* In a student's folder, the notebook whose metadata names this exercise set wins, else the
  newest (ties broken by path), looked for at most ``MAX_DEPTH`` folders deep.
* A notebook is parsed once, as plain JSON with the structure checked (no schema validation), so
  a notebook of 10^6 outputs costs seconds, not minutes; one nested too deeply or larger than
  ``MAX_NOTEBOOK_BYTES`` is ``unreadable``, blamed on the submission.

What runs is a copy of the notebook's code cells staged in the output's cache, so the sandbox
never opens the student's file again. Student code runs under the isolation that
``sandbox.choose`` picked, with a memory watchdog over all its processes (``memory.py``).
Results are cached by the code that ran, the tests, and the course package and ``data/``, so a
re-run grades only what changed; a run that ended in a grader error is never cached.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path

from .._modes import PACKAGE_DIR, data_dir, inputs_digest
from .checks import TESTS_MARK, Question, QuestionResult, grade_question
from .memory import Watchdog
from .notebook import META_KEY
from .results import Status, StudentResult, Submission, clean, safe_name
from .sandbox import Isolation, Limits, RunResult, run_submission, warm_up
from .values import MISSING, Unsupported, decode

GRADER_VERSION = "3"
WORKER_RETRIES = 2          # a submission whose worker died is tried again this many times
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024   # a notebook larger than this is not read
MAX_DEPTH = 6               # folders looked into below a student's folder
MAX_ENTRIES = 2000          # files and folders looked at in one student's folder
MAX_CANDIDATES = 20         # notebooks in one student's folder read at most (the newest)
IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".ipynb_checkpoints", ".git", ".gitkeep"}
SKIPPED_FOLDERS = {".ipynb_checkpoints", "__MACOSX", ".git"}


class NotRead(Exception):
    """A file the grader does not read: the message says why, in words for the gradebook, and
    ``status`` what that makes the entry (``REFUSED``: never opened; ``UNREADABLE``: not a notebook
    the grader can read)."""

    def __init__(self, message: str, status: Status = Status.UNREADABLE):
        super().__init__(message)
        self.status = status


@dataclass
class _Entry:
    key: str            # the student's name, made safe
    shown: str          # the entry as listed, e.g. "alice/" or "alice.ipynb"
    path: Path
    status: Status | None = None   # None: a notebook or a folder, to be read; else why not (REFUSED ...)
    reason: str = ""


def _kind_of(mode: int) -> str:
    for test, words in ((stat.S_ISLNK, "a link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device")):
        if test(mode):
            return words
    return "not a regular file"


def _link_target(path: Path) -> str:
    try:
        return f" to {clean(os.readlink(path))}"
    except OSError:
        return ""


def scan(folder: Path) -> list[_Entry]:
    """Every entry of the submissions folder, in a fixed order, with what it is (nothing opened)."""
    entries = []
    names = sorted(os.listdir(folder), key=os.fsencode)
    for name in names:
        path = Path(folder) / name
        shown = safe_name(name)
        try:
            mode = os.lstat(path).st_mode
        except OSError as err:
            entries.append(_Entry(shown, shown, path, Status.REFUSED,
                                  f"could not be looked at ({type(err).__name__})"))
            continue
        stem = safe_name(name[: -len(".ipynb")] if name.endswith(".ipynb") else name.rsplit(".", 1)[0] or name)
        if name in IGNORED or name.startswith("._"):
            entries.append(_Entry(shown, shown + ("/" if stat.S_ISDIR(mode) else ""), path, Status.IGNORED,
                                  "system or archive litter, not a submission"))
        elif stat.S_ISDIR(mode):
            entries.append(_Entry(shown, shown + "/", path))
        elif stat.S_ISREG(mode) and name.endswith(".ipynb"):
            entries.append(_Entry(stem, shown, path))
        elif stat.S_ISREG(mode):
            entries.append(_Entry(stem, shown, path, Status.NO_NOTEBOOK,
                                  f"{shown} was handed in, which is not a notebook (.ipynb)"))
        else:
            target = _link_target(path) if stat.S_ISLNK(mode) else ""
            entries.append(_Entry(stem, shown, path, Status.REFUSED,
                                  f"{shown} is {_kind_of(mode)}{target}, not a file of the student's own: "
                                  f"the grader does not follow or open it"))
    return entries


def student_names(folder: Path) -> set[str]:
    """The students' names the gradebook will have (for checking marks before grading)."""
    return {s.student for s in _students(scan(folder))}


def _students(entries: list[_Entry]) -> list[Submission]:
    """One Submission per student name: entries sharing a name are refused together."""
    by_key: dict[str, list[_Entry]] = {}
    for e in entries:
        by_key.setdefault(e.key, []).append(e)
    subs = []
    for key, group in by_key.items():
        if len(group) > 1:
            named = " and ".join(f"'{e.shown}'" for e in group)
            subs.append(Submission(key, None, f"two submissions for this student ({named}); the grader does not "
                                              f"choose between them: keep one and grade again",
                                   entry=", ".join(e.shown for e in group), status=Status.DUPLICATE))
            continue
        e = group[0]
        subs.append(Submission(key, e.path if e.status is None else None, e.reason, entry=e.shown,
                               status=e.status))
    return subs


def find_submissions(folder: Path, exercise_set: str) -> list[Submission]:
    """Every student of the submissions folder, read (or with the reason it cannot be)."""
    root = os.path.realpath(folder)
    subs = []
    for sub in _students(scan(folder)):
        if sub.status is not None:
            subs.append(sub)
            continue
        try:
            subs.append(_read_entry(sub, root, exercise_set))
        except Exception as err:  # the grader's own slip on one entry: that student only
            sub.path, sub.status = None, Status.GRADER_ERROR
            sub.problem = f"the grader could not read this submission ({type(err).__name__}: {clean(err)[:200]})"
            subs.append(sub)
    return subs


def _read_entry(sub: Submission, root: str, exercise_set: str) -> Submission:
    if sub.path is None:
        return sub
    if not os.path.isdir(sub.path) or os.path.islink(sub.path):
        try:
            parsed = _load(sub.path, root)
        except NotRead as err:
            return _not_read(sub, err)
        return _take(sub, sub.path, parsed)
    candidates, notes = _folder_notebooks(Path(sub.path))
    sub.notes = notes
    if not candidates:
        sub.path = None
        if notes:
            sub.status, sub.problem = Status.REFUSED, "no notebook the grader may read: " + "; ".join(notes)
        else:
            sub.status, sub.problem = Status.NO_NOTEBOOK, "no notebook (.ipynb) was found in the submission"
        return sub
    first_problem, first_parsed = None, None
    for path in candidates[:MAX_CANDIDATES]:
        try:
            parsed = _load(path, root)
        except NotRead as err:
            first_problem = first_problem or (path, err)
            continue
        if parsed["exercise_set"] == exercise_set:
            return _take(sub, path, parsed)
        first_parsed = first_parsed or (path, parsed)
    if first_parsed is not None:
        return _take(sub, *first_parsed)
    sub.path = first_problem[0]
    return _not_read(sub, first_problem[1])


def _not_read(sub: Submission, err: NotRead) -> Submission:
    sub.status, sub.problem = err.status, str(err)
    return sub


def _take(sub: Submission, path: Path, parsed: dict) -> Submission:
    sub.path, sub.cells, sub.notebook = path, parsed["cells"], parsed["notebook"]
    sub.digest = hashlib.sha256(json.dumps(sub.cells).encode("utf-8", "surrogatepass")).hexdigest()
    if not any(c.strip() for c in sub.cells):
        sub.status, sub.problem = Status.EMPTY, "the notebook has no code in it"
    return sub


def _folder_notebooks(folder: Path) -> tuple[list[Path], list[str]]:
    """The regular .ipynb files in a student's folder, newest first (ties by path), and what was
    set aside (links, special files). Links to folders are not entered."""
    found, notes, seen = [], [], 0
    stack = [(folder, 0)]
    while stack:
        current, depth = stack.pop()
        try:
            with os.scandir(current) as listing:
                children = sorted(listing, key=lambda e: os.fsencode(e.name))
        except OSError:
            continue
        for child in children:
            seen += 1
            if seen > MAX_ENTRIES:
                notes.append(f"more than {MAX_ENTRIES} files: the rest were not looked at")
                return _newest(found), notes
            where = safe_name(os.path.relpath(child.path, folder))
            mode = child.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                if child.name not in SKIPPED_FOLDERS and depth < MAX_DEPTH:
                    stack.append((Path(child.path), depth + 1))
            elif child.name.endswith(".ipynb"):
                if stat.S_ISREG(mode):
                    found.append(Path(child.path))
                else:
                    target = _link_target(Path(child.path)) if stat.S_ISLNK(mode) else ""
                    notes.append(f"{where} is {_kind_of(mode)}{target}: not followed or opened")
            elif stat.S_ISLNK(mode):
                notes.append(f"{where} is a link{_link_target(Path(child.path))}: not followed")
    return _newest(found), notes


def _newest(paths: list[Path]) -> list[Path]:
    def key(p: Path):
        """Newest first (by ``lstat``: a link is not followed), ties by the path's bytes; a file
        gone meanwhile sorts as the oldest rather than failing the listing."""
        try:
            return (-os.lstat(p).st_mtime_ns, os.fsencode(str(p)))
        except OSError:
            return (0, os.fsencode(str(p)))
    return sorted(paths, key=key)


def read_regular(path: Path, root: str, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file inside ``root`` and no larger than ``limit``;
    NotRead otherwise. Never follows a link, never blocks on a FIFO or a device."""
    real = os.path.realpath(path)
    if not (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
        raise NotRead("it lies outside the submissions folder (reached through a link)", Status.REFUSED)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        if os.path.islink(path):
            raise NotRead(f"it is a link{_link_target(Path(path))}: not followed", Status.REFUSED) from None
        raise NotRead(f"the notebook could not be read ({type(err).__name__})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRead(f"it is {_kind_of(info.st_mode)}, not a file: not read", Status.REFUSED)
        if info.st_size > limit:
            raise NotRead(f"the notebook is larger than the grader reads ({info.st_size / 2**20:.0f} MB; "
                          f"at most {limit / 2**20:.0f} MB): save it without outputs and hand it in again")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise NotRead(f"the notebook is larger than the grader reads (at most {limit / 2**20:.0f} MB)")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _source(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    raise ValueError("a cell's source is not text")


def parse_notebook(raw: bytes) -> dict:
    """A notebook's cells from its bytes, parsed once as plain JSON with its structure checked:
    {"cells": code that runs, "notebook": [(cell type, source)], "exercise_set": ...}. NotRead
    (with the reason in words) if it is not a notebook."""
    damaged = "the notebook could not be opened ({}); it may be damaged or incomplete"
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except RecursionError:
        raise NotRead(damaged.format("nested too deeply to read")) from None
    except (UnicodeDecodeError, ValueError) as err:
        raise NotRead(damaged.format(type(err).__name__)) from None
    try:
        if not isinstance(data, dict):
            raise ValueError
        cells = data.get("cells")
        if cells is None and isinstance(data.get("worksheets"), list):  # nbformat 3
            cells = [dict(c, source=c.get("input", "")) if isinstance(c, dict) and c.get("cell_type") == "code"
                     else c for w in data["worksheets"] if isinstance(w, dict) for c in w.get("cells", [])]
        if not isinstance(cells, list):
            raise ValueError
        notebook = []
        for cell in cells:
            if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
                raise ValueError
            notebook.append((cell["cell_type"], _source(cell.get("source", ""))))
        meta = data.get("metadata")
        meta = meta.get(META_KEY) if isinstance(meta, dict) else None
        exercise_set = meta.get("exercise_set") if isinstance(meta, dict) else None
    except (ValueError, AttributeError, TypeError):
        raise NotRead(damaged.format("not a notebook's structure")) from None
    code = [s for kind, s in notebook if kind == "code" and not s.lstrip().startswith(TESTS_MARK)]
    return {"cells": code, "notebook": notebook, "exercise_set": exercise_set}


def _load(path: Path, root: str) -> dict:
    return parse_notebook(read_regular(path, root))


NOT_GRADED = {Status.REFUSED: "the submission was refused",       # "Not graded: ..." under each question
              Status.DUPLICATE: "two submissions for one student", Status.IGNORED: "not a submission",
              Status.EMPTY: "the notebook has no code in it", Status.NO_NOTEBOOK: "no notebook was found",
              Status.UNREADABLE: "the notebook could not be read"}


def _result_for(sub: Submission, run: RunResult | None, questions: list[Question],
                isolation: str) -> StudentResult:
    """A student's result: from the run, or, for an entry that did not run, from the status its
    reading set. ``isolation``: the technique's name, for the gradebook's column."""
    if run is None:
        status = sub.status or Status.GRADER_ERROR  # (an entry that did not run always has its status)
        errors = [clean(sub.problem)] + [f"set aside: {n}" for n in sub.notes]
        reason = NOT_GRADED.get(status, status)
        graded = [_not_reached(q, f"Not graded: {reason} (see the top of this page).") for q in questions]
        return StudentResult(sub.student, status, graded, errors, 0.0, False, {}, isolation=isolation)
    values = _decoded(run.values_json)
    errors = [clean(e) for e in run.errors] + [f"set aside: {n}" for n in sub.notes]
    graded = []
    for q in questions:
        names = q.names()
        if (run.status is not Status.OK and not q.manual and names
                and all(values.get(n, MISSING) is MISSING for n in names)):
            graded.append(_not_reached(q, f"Not reached: your notebook stopped ({run.status}) "
                                          f"before this answer was set."))
        else:
            graded.append(_graded(q, values))
    return StudentResult(sub.student, run.status, graded, errors, run.seconds, run.isolated, values,
                         isolation=isolation)


def _not_reached(q: Question, message: str) -> QuestionResult:
    if q.manual:
        return _awaiting(q)
    return QuestionResult(q.name, 0.0, q.points, [(False, message)])


def _awaiting(q: Question) -> QuestionResult:
    """A free-response question before the instructor marks it: no rubric, which may hold answers."""
    return QuestionResult(q.name, 0.0, q.points, [(False, f"Awaiting your instructor's mark ({q.points:g} points).")],
                          manual=True)


def _decoded(values_json: str) -> dict:
    """The student's values. They come from student code, which may have forged them: a value
    that cannot be decoded is marked unreadable, never allowed to stop the grader."""
    try:
        raw = json.loads(values_json)
    except (ValueError, RecursionError, TypeError):
        return {}
    values = {}
    for name, data in (raw.items() if isinstance(raw, dict) else []):
        try:
            values[name] = decode(data)
        except Exception:
            values[name] = Unsupported("value that could not be read")
    return values


def _graded(q: Question, values: dict) -> QuestionResult:
    if q.manual:
        return _awaiting(q)
    try:
        return grade_question(q, values)
    except Exception as err:  # a value built to trip the checks: no marks for it, and go on
        return QuestionResult(q.name, 0.0, q.points, [(False, f"Your answer could not be checked "
                                                              f"({type(err).__name__}).")])


def _tests_digest(questions: list[Question]) -> str:
    blob = json.dumps([asdict(q) for q in questions], sort_keys=True) + GRADER_VERSION
    return hashlib.sha256(blob.encode()).hexdigest()


def _stage(sub: Submission, folder: Path) -> Path:
    """The code cells that run, as a small notebook of the grader's own: the sandbox reads this
    copy, never the student's file (which could change, or be a link, by then)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sub.digest}.ipynb"
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c}
             for c in sub.cells]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}),
                    encoding="utf-8", errors="backslashreplace")
    return path


@dataclass(frozen=True)
class Run:
    """What every submission of a class runs with: the variables the checks read, the isolation
    and the limits (sent to each worker with a submission's path)."""

    names: tuple[str, ...]
    isolation: Isolation
    limits: Limits


@dataclass(frozen=True)
class Job:
    """One submission to run: the staged copy of its code the sandbox reads, and the cache entry
    its run is kept in under ``key``."""

    student: str
    notebook: Path
    cache_path: Path
    key: str


def run_class(subs: list[Submission], questions: list[Question], isolation: Isolation, cache_dir: Path, *,
              jobs: int, progress: bool, limits: Limits) -> list[StudentResult]:
    """Run every readable submission not already cached (under ``isolation``, within ``limits``)
    and grade it: one result per entry of ``subs``, in order."""
    run = Run(tuple(sorted({n for q in questions for n in q.names()})), isolation, limits)
    course = json.dumps({"tests": _tests_digest(questions), "course": inputs_digest([PACKAGE_DIR, data_dir()]),
                         "isolation": isolation.name, "limits": asdict(limits)}, sort_keys=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staged = cache_dir / "staged"
    runs: dict[str, RunResult] = {}
    todo: list[Job] = []
    try:
        for sub in subs:
            if sub.status is not None or sub.path is None:
                continue
            name = hashlib.sha256(sub.student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
            key = hashlib.sha256((sub.digest + course).encode()).hexdigest()
            if (previous := _cached_run(cache_dir / f"{name}.json", key)) is not None:
                runs[sub.student] = previous
            else:
                todo.append(Job(sub.student, _stage(sub, staged), cache_dir / f"{name}.json", key))
        runs.update(_run_all(todo, run, jobs, progress, total=len(subs)))
    finally:
        for path in staged.glob("*.ipynb") if staged.is_dir() else []:
            path.unlink(missing_ok=True)
    results = []
    for sub in subs:
        try:
            results.append(_result_for(sub, runs.get(sub.student), questions, isolation.name))
        except Exception as err:  # never lose the class for one student's result
            graded = [_not_reached(q, "Not graded: the grader failed on this submission.") for q in questions]
            results.append(StudentResult(sub.student, Status.GRADER_ERROR, graded,
                                         [f"the grader could not grade this submission ({type(err).__name__})"],
                                         isolation=isolation.name))
    return results


def _cached_run(path: Path, key: str) -> RunResult | None:
    """The cached run for ``key``; a missing, stale or damaged entry is None (graded again)."""
    try:
        previous = json.loads(path.read_text())
        result = RunResult(**previous["run"]) if previous["key"] == key else None
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    return result if result is not None and result.status.keeps_a_run else None


def _store(job: Job, result: RunResult) -> None:
    """Keep a finished run in the cache (unless its ending says to run it again next time)."""
    if result.status.keeps_a_run:
        try:
            job.cache_path.write_text(json.dumps({"key": job.key, "run": asdict(result)}, ensure_ascii=True))
        except (OSError, ValueError, TypeError):
            pass  # no cache entry: graded again next time


def run_watched(notebook: str, run: Run) -> RunResult:
    """``run_submission`` under a memory watchdog over all the submission's processes together
    (in the worker: it runs one submission at a time)."""
    with Watchdog(run.limits.memory_mb) as dog:
        result = run_submission(notebook, list(run.names), isolation=run.isolation, limits=run.limits)
    if dog.fired:
        result.status = Status.MEMORY
        result.errors = [*result.errors, dog.message]
    return result


def _run_all(jobs: list[Job], run: Run, workers: int, progress: bool, total: int = 0) -> dict[str, RunResult]:
    """Run each job in a pool of warm workers; return each student's run. If a worker dies, its
    pool breaks and every unfinished job with it: those run again in a fresh pool, and any broken
    again then run one at a time, so a worker that keeps dying is pinned on its own submission
    (``grader error`` after WORKER_RETRIES more tries)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    runs: dict[str, RunResult] = {}
    done_before = total - len(jobs)
    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[student]}")]
    with Progress(*columns, disable=not progress or not jobs, transient=True, console=_console()) as bar:
        task = bar.add_task("grading", total=max(total, len(jobs)), completed=done_before,
                            student=f"({done_before} unchanged since the last run)" if done_before else "")

        def record(job: Job, result: RunResult) -> None:
            """Keep ``job``'s run, store it in the results cache and advance the progress bar."""
            runs[job.student] = result
            _store(job, result)
            bar.update(task, advance=1, student=f"last: {job.student[:40]}")

        broken = _run_pool(jobs, run, workers, record)
        if broken:  # most likely one culprit, or the machine killed a worker: all again, together
            broken = _run_pool(broken, run, workers, record)
        for job in broken:
            for _ in range(WORKER_RETRIES):
                if not _run_pool([job], run, 1, record):
                    break
            else:
                record(job, RunResult(Status.GRADER_ERROR, errors=[
                    "the grader's worker process died each time it ran this notebook; "
                    "the instructor should look at the notebook and the machine's logs"]))
    return runs


def _console():
    from rich.console import Console

    return Console(file=sys.stderr)


def _run_pool(jobs: list[Job], run: Run, workers: int, record) -> list[Job]:
    """Run ``jobs`` in a new pool of at most ``workers``; return those left unfinished because a
    worker died."""
    context = multiprocessing.get_context("spawn")  # fresh workers: nothing of the grader's memory
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), mp_context=context,
                               initializer=warm_up)
    pending = {pool.submit(run_watched, str(job.notebook), run): job for job in jobs}
    broken = []
    try:
        for future in as_completed(pending):
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append(pending[future])
                continue
            except Exception as err:  # the grader's own failure, never the student's
                result = RunResult(Status.GRADER_ERROR, errors=[
                    f"the grader could not run this notebook ({type(err).__name__}: {clean(err)[:300]})"])
            record(pending[future], result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return broken
