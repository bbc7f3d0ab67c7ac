"""Benchmark the book: cold build, no-change rebuild, and the bytes each page loads.

Run on demand (not part of the tests):  .venv/bin/python benchmarks/book.py
Prints a Markdown table for the README. Page weight is what a browser downloads for the page with
an empty cache: the HTML plus every script, style, font and image it loads (raw bytes, and gzip
bytes as a web server that compresses would send them).
"""

from __future__ import annotations

import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from after_stalinism.booktools.printbook import serve  # noqa: E402
from conftest import CHROMIUM, ROOT, jupyter_book, toc_pages  # noqa: E402


def timed_build(book: Path) -> float:
    start = time.perf_counter()
    result = jupyter_book("build", "-W", "-n", "--keep-going", ".", cwd=book)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stdout[-3000:]}")
    return elapsed


def page_weights(html_dir: Path) -> dict[str, tuple[int, int]]:
    from playwright.sync_api import sync_playwright

    weights = {}
    with serve(html_dir) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for page_path in toc_pages():
            context = browser.new_context()
            page = context.new_page()
            bodies = []
            page.on("response", lambda r, bodies=bodies: bodies.append(r))
            page.goto(f"{base}/{page_path}.html", wait_until="networkidle")
            raw = gz = 0
            for response in bodies:
                try:
                    body = response.body()
                except Exception:  # a response with no body (redirect)
                    continue
                raw += len(body)
                gz += len(gzip.compress(body, 6))
            weights[page_path] = (raw, gz)
            context.close()
        browser.close()
    return weights


def execution_seconds(cache_dir: Path) -> dict[str, float]:
    """How long the cold build's kernel took to run each notebook (jupyter-cache records it)."""
    from jupyter_cache import get_cache

    return {Path(r.uri).relative_to(cache_dir.parent.parent).with_suffix("").as_posix():
            r.data.get("execution_seconds", float("nan")) for r in get_cache(cache_dir).list_cache_records()}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns(
            ".venv", "_build", "node_modules", ".git", "__pycache__", ".pytest_cache", ".peers"))
        cold = timed_build(book)
        seconds = execution_seconds(book / "_build" / ".jupyter_cache")
        rebuild = timed_build(book)
        weights = page_weights(book / "_build" / "html")

    mb = 1024 * 1024
    print(f"| cold build (fresh cache, executes every notebook) | {cold:.1f} s |")
    print(f"| no-change rebuild | {rebuild:.1f} s |")
    heaviest = max(weights, key=lambda p: weights[p][0])
    plain = [raw for path, (raw, _) in weights.items() if not path.startswith("notebooks/")
             and path not in ("book/how_to_use", "book/timeline")]
    print(f"| pages without figures | {min(plain) / mb:.2f}-{max(plain) / mb:.2f} MB raw (target < 0.5 MB) |")
    print(f"| heaviest page ({heaviest}) | {weights[heaviest][0] / mb:.2f} MB raw, "
          f"{weights[heaviest][1] / mb:.2f} MB gzip |")
    slowest = max(seconds, key=seconds.get)
    print(f"| slowest notebook to execute ({slowest}) | {seconds[slowest]:.1f} s |")
    print()
    print("| page | bytes loaded (raw) | gzip | execution s |")
    print("|---|---|---|---|")
    for path, (raw, gz) in weights.items():
        run = f"{seconds[path]:.1f}" if path in seconds else "-"
        print(f"| {path} | {raw:,} | {gz:,} | {run} |")


if __name__ == "__main__":
    main()
