"""Running a class's submissions: finding and reading them, the result cache and the pool of warm
workers, giving one ``StudentResult`` per student. It writes nothing but its cache; ``grade.py``
runs the whole ``grade`` command around it.

Submissions are read, never written. Each student is either a folder (``submissions/alice/``
holding their notebook, whatever it is called) or a notebook file (``submissions/alice.ipynb``).
Every student found gets a row in the gradebook, whatever went wrong with their notebook, and
even when a worker process dies (the pool is rebuilt and the unfinished submissions regraded).
Student code runs under the isolation that ``sandbox.choose`` picked.
Results are cached by the content of the submission, of the tests, and of the course package and
``data/``, so a re-run grades only what changed.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

import nbformat

from .._modes import PACKAGE_DIR, data_dir, inputs_digest
from .checks import Question, QuestionResult, grade_question
from .notebook import META_KEY, is_tests_cell
from .results import StudentResult, Submission
from .sandbox import Isolation, RunResult, run_submission, warm_up
from .values import Unsupported, decode

GRADER_VERSION = "2"
WORKER_RETRIES = 2   # a submission whose worker died is tried again this many times


def find_submissions(folder: Path, exercise_set: str) -> list[Submission]:
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            notebooks = sorted(entry.rglob("*.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True)
            notebooks = [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
            if not notebooks:
                found.append(Submission(entry.name, None, "no notebook (.ipynb) was found in the submission"))
                continue
            found.append(Submission(entry.name, _pick(notebooks, exercise_set)))
        elif entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, entry))
    return [_read(s) for s in found]


def _pick(notebooks: list[Path], exercise_set: str) -> Path:
    """The notebook of this exercise set if one says so in its metadata, else the newest."""
    for path in notebooks:
        try:
            meta = json.loads(path.read_bytes()).get("metadata", {}).get(META_KEY, {})
        except (ValueError, OSError, AttributeError):
            continue
        if meta.get("exercise_set") == exercise_set:
            return path
    return notebooks[0]


def _read(sub: Submission) -> Submission:
    if sub.path is None:
        return sub
    try:
        raw = sub.path.read_bytes()
    except OSError as err:
        sub.problem = f"the notebook could not be read ({type(err).__name__})"
        return sub
    sub.digest = hashlib.sha256(raw).hexdigest()
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as err:  # truncated JSON, wrong encoding, not a notebook at all
        sub.problem = f"the notebook could not be opened ({type(err).__name__}); it may be damaged or incomplete"
        return sub
    sub.cells = [c.source for c in nb.cells if c.cell_type == "code" and not is_tests_cell(c)]
    if not any(c.strip() for c in sub.cells):
        sub.problem = "the notebook has no code in it"
    return sub


def _result_for(sub: Submission, run: RunResult | None, questions: list[Question]) -> StudentResult:
    if run is None:
        status = ("no notebook" if sub.path is None else
                  "empty" if sub.problem == "the notebook has no code in it" else "unreadable")
        values, errors, seconds, isolated = {}, [sub.problem], 0.0, False
    else:
        status, errors, seconds, isolated = run.status, run.errors, run.seconds, run.isolated
        values = _decoded(run.values_json)
    graded = [_graded(q, values) for q in questions]
    return StudentResult(sub.student, status, graded, errors, seconds, isolated, values)


def _decoded(values_json: str) -> dict:
    """The student's values. They come from student code, which may have forged them: a value
    that cannot be decoded is marked unreadable, never allowed to stop the grader."""
    try:
        raw = json.loads(values_json)
    except (ValueError, RecursionError):
        return {}
    values = {}
    for name, data in (raw.items() if isinstance(raw, dict) else []):
        try:
            values[name] = decode(data)
        except Exception:
            values[name] = Unsupported("value that could not be read")
    return values


def _graded(q: Question, values: dict) -> QuestionResult:
    try:
        return grade_question(q, values)
    except Exception as err:  # a value built to trip the checks: no marks for it, and go on
        return QuestionResult(q.name, 0.0, q.points, [(False, f"Your answer could not be checked "
                                                              f"({type(err).__name__}).")])


def _tests_digest(questions: list[Question]) -> str:
    blob = json.dumps([asdict(q) for q in questions], sort_keys=True) + GRADER_VERSION
    return hashlib.sha256(blob.encode()).hexdigest()


def run_class(subs: list[Submission], questions: list[Question], isolation: Isolation, cache_dir: Path, *,
              jobs: int, progress: bool, timeout: float, cell_timeout: float, memory_mb: int) -> list[StudentResult]:
    """Run every readable submission not already cached (under ``isolation``) and grade it: one
    result per entry of ``subs``, in order."""
    names = sorted({n for q in questions for n in q.names()})
    base_key = _tests_digest(questions) + inputs_digest([PACKAGE_DIR, data_dir()]) + isolation.name
    cache_dir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, RunResult | None] = {}
    todo = []
    for sub in subs:
        cached = cache_dir / f"{hashlib.sha256(sub.student.encode()).hexdigest()[:16]}.json"
        key = hashlib.sha256((sub.digest + base_key).encode()).hexdigest()
        if sub.problem or sub.path is None:
            runs[sub.student] = None
        elif (previous := _cached_run(cached, key)) is not None:
            runs[sub.student] = previous
        else:
            todo.append((sub, cached, key))
    run = dict(names=names, isolation=isolation, timeout=timeout, cell_timeout=cell_timeout, memory_mb=memory_mb)
    _run_all(todo, run, runs, jobs, progress)
    return [_result_for(sub, runs[sub.student], questions) for sub in subs]


def _cached_run(path: Path, key: str) -> RunResult | None:
    """The cached run for ``key``; a missing, stale or damaged entry is None (graded again)."""
    try:
        previous = json.loads(path.read_text())
        return RunResult(**previous["run"]) if previous["key"] == key else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _run_all(todo: list, run: dict, runs: dict, jobs: int, progress: bool) -> None:
    """Run each submission in a pool of warm workers. If a worker dies, its pool breaks and every
    unfinished submission with it: those run again in a fresh pool, and any broken again then run
    one at a time, so a worker that keeps dying is pinned on its own submission (``grader error``
    after WORKER_RETRIES more tries)."""
    from rich.progress import Progress

    with Progress(disable=not progress or len(todo) < 10, transient=True) as bar:
        task = bar.add_task("grading", total=len(todo))

        def record(item, result: RunResult) -> None:
            sub, cached, key = item
            runs[sub.student] = result
            if result.status not in ("crashed", "grader error"):
                cached.write_text(json.dumps({"key": key, "run": asdict(result)}))
            bar.advance(task)

        broken = _run_pool(todo, run, jobs, record)
        if broken:  # most likely one culprit, or the machine killed a worker: all again, together
            broken = _run_pool(broken, run, jobs, record)
        for item in broken:
            for _ in range(WORKER_RETRIES):
                if not _run_pool([item], run, 1, record):
                    break
            else:
                record(item, RunResult("grader error", errors=[
                    "the grader's worker process died each time it ran this notebook; "
                    "the instructor should look at the notebook and the machine's logs"]))


def _run_pool(items: list, run: dict, jobs: int, record) -> list:
    """Run ``items`` in a new pool; return those left unfinished because a worker died."""
    context = multiprocessing.get_context("spawn")  # fresh workers: nothing of the grader's memory
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(items))), mp_context=context,
                               initializer=warm_up)
    pending = {pool.submit(run_submission, str(item[0].path), **run): item for item in items}
    broken = []
    try:
        for future in as_completed(pending):
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append(pending[future])
                continue
            except Exception as err:  # the grader's own failure, never the student's
                result = RunResult("grader error", errors=[
                    f"the grader could not run this notebook ({type(err).__name__}: {err})"])
            record(pending[future], result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return broken
