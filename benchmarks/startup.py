"""How long a learner waits when a lesson or exercise set starts, in a fresh real kernel.

    .venv/bin/python benchmarks/startup.py [COURSE_ROOT] [REPEATS]

For each lesson: the first code cell (the imports), and the cells up to the first figure drawn;
for the warm-up exercise set: its set-up cell. Each is timed from the kernel's side (the
``execute_reply`` timestamps), median over REPEATS fresh kernels (default 3). COURSE_ROOT (default:
this checkout) lets you time another checkout of the course for a before/after comparison.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def timed_cells(cwd: Path, cells: list[str]) -> float:
    """Seconds to run ``cells`` one after another in a fresh kernel (kernel start not included)."""
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(cwd), env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        start = time.perf_counter()
        for code in cells:
            reply = kc.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
            assert reply["content"]["status"] == "ok", code
        return time.perf_counter() - start
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def up_to_first_figure(nb) -> list[str]:
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for i, source in enumerate(code):
        if "charts." in source or "explorers." in source:
            return code[: i + 1]
    return code


def main() -> None:
    rows = []
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb"))[:2]:
        nb = nbformat.read(path, as_version=4)
        first = [next(c.source for c in nb.cells if c.cell_type == "code")]
        rows.append((f"{path.stem}: first cell (imports)", [timed_cells(path.parent, first) for _ in range(REPEATS)]))
        rows.append((f"{path.stem}: up to the first figure",
                     [timed_cells(path.parent, up_to_first_figure(nb)) for _ in range(REPEATS)]))
    setup = next(c.source for c in nbformat.read(ROOT / "exercises" / "00_data_warmup.ipynb", as_version=4).cells
                 if c.cell_type == "code")
    rows.append(("exercises/00_data_warmup: set-up cell",
                 [timed_cells(ROOT / "exercises", [setup]) for _ in range(REPEATS)]))
    print(f"| cell(s), fresh kernel, median of {REPEATS} | seconds |\n|---|---|")
    for label, times in rows:
        print(f"| {label} | {statistics.median(times):.2f} (range {min(times):.2f}-{max(times):.2f}) |")


if __name__ == "__main__":
    main()
