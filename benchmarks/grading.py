"""Benchmark batch grading: a synthetic class of 200 submissions of the warm-up set.

Run on demand:  .venv/bin/python benchmarks/grading.py [N] [--no-peer]
(``--gradescope-only`` times only Gradescope's path for one submission, cold, with the Python of
$GRADESCOPE_VENV standing in for setup.sh's venv if set, else this one; ``--isolation-only`` times
only what each isolation technique costs a one-line notebook.)
Mix: 60% right, 20% wrong answers, 15% raising exceptions, 5% endless loops (which run to the
timeout). Prints seconds per submission (excluding the timed-out ones' waiting), the peak memory of
the grader and its workers, and the total wall time; what isolation costs per submission (a trivial
notebook run under each technique this machine allows, and without one); then grades the same
submissions with nbgrader's ``autograde`` in the same run (see benchmarks/nbgrader_peer.py) for comparison.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "instructor" / "exercises" / "00_data_warmup.ipynb"
sys.path.insert(0, str(ROOT))

from after_stalinism.grading.grade import grade_folder  # noqa: E402
from after_stalinism.grading.notebook import reference_submission  # noqa: E402
from after_stalinism.grading.sandbox import Limits  # noqa: E402


def make_class(folder: Path, n: int) -> None:
    base = reference_submission(SOURCE)
    for i in range(n):
        nb = nbformat.from_dict(base)
        kind = i % 20
        extra = None
        if 12 <= kind < 16:      # wrong answers
            extra = "peak_year = 2011\nfall_pct = -44.49\nrice_factor = 0.068"
        elif 16 <= kind < 19:    # an exception
            extra = "raise ValueError('oops')"
        elif kind == 19:         # an endless loop that ignores the per-cell alarm
            extra = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True: pass"
        if extra:
            cell = nbformat.v4.new_code_cell(extra)
            cell.metadata["benchmark_extra"] = True  # so the peer benchmark can place it too
            nb.cells.append(cell)
        path = folder / f"student{i:03d}" / "warmup.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)


def learner_latency(repeats: int = 20) -> dict[str, float]:
    """Median seconds for one ``check("qN")`` in the learner's kernel, for each warm-up question."""
    import statistics

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    nb = nbformat.read(SOURCE, as_version=4)
    for cell in nb.cells:  # the source notebook: solutions, and its questions declared
        if cell.cell_type == "code" and not cell.source.startswith(("check(", "check.all")):
            shell.run_cell(cell.source, silent=True)
    check = shell.user_ns["check"]
    latency = {}
    for name in [f"q{i}" for i in range(1, 8)]:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            check(name)
            times.append(time.perf_counter() - start)
        latency[name] = statistics.median(times)
    return latency


def gradescope_cold(repeats: int = 3) -> list[tuple[float, float]]:
    """Seconds for Gradescope's path on one submission, cold: a fresh process runs ``run_autograder``
    from the unzipped bundle in Gradescope's layout (recreated in a temporary root), as Gradescope
    does for every submission. Python stands in for setup.sh's venv. Wall and CPU seconds per run
    (CPU time, summed over the processes, depends less on what else the machine is doing)."""
    import os
    import subprocess
    import zipfile

    from after_stalinism.grading.gradescope import ROOT_ENV, build_bundle

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        bundle = build_bundle(SOURCE, Path(tmp))
        for i in range(repeats):
            root = Path(tmp) / f"root{i}"
            with zipfile.ZipFile(bundle) as zf:
                zf.extractall(root / "source")
            (root / "venv" / "bin").mkdir(parents=True)
            python = root / "venv" / "bin" / "python"
            stand_in = os.environ.get("GRADESCOPE_VENV")
            python.write_text(f'#!/bin/sh\nexec "{stand_in + "/bin/python" if stand_in else sys.executable}" "$@"\n')
            python.chmod(0o755)
            (root / "submission").mkdir()
            nbformat.write(reference_submission(SOURCE), root / "submission" / "homework.ipynb")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            env[ROOT_ENV] = str(root)
            start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=True,
                           capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times.append((time.perf_counter() - start,
                          after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime))
    return times


def print_gradescope_cold() -> None:
    runs = gradescope_cold()
    wall, cpu = [w for w, _ in runs], [c for _, c in runs]
    print(f"| Gradescope `run_autograder`, one submission, cold (fresh process) | wall {min(wall):.1f}-"
          f"{max(wall):.1f} s, CPU {min(cpu):.1f}-{max(cpu):.1f} s over {len(runs)} runs |")


def isolation_cost(folder: Path, repeats: int = 20) -> dict[str, float | str]:
    """Median seconds to run a one-line notebook under each isolation technique and without one, in
    a warm process; for a technique this machine cannot use, why not."""
    import os
    import statistics

    from after_stalinism.grading import sandbox

    path = folder / "trivial" / "x.ipynb"
    path.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    techniques: dict[str, object] = {}
    for name in ("namespaces", "landlock"):
        os.environ[sandbox.ISOLATION_ENV] = name
        try:
            techniques[name] = sandbox.choose(SOURCE, path.parent, folder / "out-trivial")
        except sandbox.SandboxUnavailable as err:
            techniques[name] = str(err).splitlines()[1].strip()
        finally:
            del os.environ[sandbox.ISOLATION_ENV]
    techniques["unisolated"] = sandbox.Unisolated()
    medians: dict[str, float | str] = {}
    for label, used in techniques.items():
        if isinstance(used, str):
            medians[label] = used
            continue
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            assert sandbox.run_submission(str(path), ["x"], isolation=used).status == "ok"
            times.append(time.perf_counter() - start)
        medians[label] = statistics.median(times)
    return medians


def print_isolation_cost() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o755)
        cost = isolation_cost(Path(tmp))
    shown = [f"{label} {value * 1000:.1f} ms" if isinstance(value, float) else f"{label}: not here ({value})"
             for label, value in cost.items()]
    print(f"| one-line notebook, median per run | {'; '.join(shown)} |")


def main() -> None:
    if "--gradescope-only" in sys.argv:
        print_gradescope_cold()
        return
    if "--isolation-only" in sys.argv:
        print_isolation_cost()
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 200
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        make_class(subs, n)
        timeout = 10
        start = time.perf_counter()
        book = grade_folder(SOURCE, subs, out, jobs=2, limits=Limits(timeout=timeout), progress=False)
        wall = time.perf_counter() - start
        peer = None
        if "--no-peer" not in sys.argv:
            from nbgrader_peer import grade_with_nbgrader

            from after_stalinism.grading.notebook import load_questions
            peer = grade_with_nbgrader(SOURCE, load_questions(SOURCE), subs, Path(tmp), cell_timeout=timeout)
    timed_out = int((book["status"] == "timeout").sum())
    run_seconds = book.loc[book["status"] != "timeout", "seconds"]
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"| submissions | {n} ({timed_out} endless loops, stopped at {timeout} s each) |")
    print(f"| wall time, 2 workers | {wall:.1f} s |")
    print(f"| mean run time per submission (excl. timed-out) | {run_seconds.mean():.3f} s |")
    print(f"| wall time per submission excl. timed-out (2 workers) | "
          f"{(wall - timed_out * timeout / 2) / (n - timed_out):.3f} s |")
    print(f"| peak memory: grader / largest worker | {peak_self:.0f} MB / {peak_children:.0f} MB |")
    print(f"| statuses | {book['status'].value_counts().to_dict()} |")
    print_gradescope_cold()
    print_isolation_cost()
    latency = learner_latency()
    print(f"| learner `check(...)`, median per question | {min(latency.values()) * 1000:.1f}-"
          f"{max(latency.values()) * 1000:.1f} ms (slowest: {max(latency, key=latency.get)}) |")
    if peer:
        loops = timed_out * timeout  # nbgrader also waits out each endless loop, one at a time
        print(f"| nbgrader 0.9.6 autograde, same submissions (sequential) | {peer['wall']:.1f} s wall; "
              f"{(peer['wall'] - loops) / max(n - timed_out, 1):.3f} s per submission excl. the loops' "
              f"{timeout} s waits; {peer['autograded']} of {peer['students']} autograded; "
              f"exit code {peer['returncode']} |")
        right = [s for s in peer["scores"].values()]
        if right:
            print(f"| nbgrader scores | max {max(right)}, min {min(right)}, {len(right)} students exported |")
        if peer["returncode"] != 0:
            print(peer["log_tail"])


if __name__ == "__main__":
    main()
