"""Benchmark the book: cold build, no-change rebuild, the bytes each page loads, and a slow phone.

Run on demand (not part of the tests):  .venv/bin/python benchmarks/book.py
                                        .venv/bin/python benchmarks/book.py --phone-only
Prints Markdown tables for the README. Page weight is what a browser downloads for the page with
an empty cache: the HTML plus every script, style, font and image it loads (raw bytes, and gzip
bytes as a web server that compresses would send them).

The slow-phone profile (:func:`slow_phone`) is Chromium's DevTools throttling: 1.6 Mbps down,
750 kbps up, 150 ms round trip, 4x CPU slowdown, 390 px touch screen, cold cache. For the glossary
(a text page), every lesson and a plain Jupyter Book page that shows one course figure with
plotly's own renderer ("notebook": plotly.js inline, as jupyter-book offline gives it), it records
first contentful paint, the first figure drawn and every figure drawn, and, in separate loads, how
soon the page's last figure is drawn when the reader jumps to it at first paint (as when following
a link to a section); the median of ``--runs`` cold loads (3), served both plainly (Python's
http.server) and gzip-compressed (as GitHub Pages serves the book). Goals: a lesson's first paint
within 1.5x the glossary's, and every figure drawn within 8 s.

Measured 2026-12-07 (``--phone-only``, median of 3 cold loads, on the 2-core machine at a load
average of about 1; plotly.js asked for right after the first paint, on-screen figures first):

| server | page | figures | first paint (FCP) | first figure | every figure | last figure, jumped to | load |
|---|---|---|---|---|---|---|---|
| plain | book/glossary | 0 | 2.2 s | - | - | - | 2.4 s |
| plain | notebooks/01_stalinism | 3 | 2.7 s | 12.5 s | 12.8 s | 12.3 s | 3.3 s |
| plain | notebooks/02_second_economy | 5 | 2.7 s | 13.1 s | 14.1 s | 12.5 s | 3.5 s |
| plain | notebooks/03_information_control | 3 | 2.8 s | 12.5 s | 13.0 s | 12.1 s | 3.1 s |
| plain | notebooks/04_elite_incentives | 2 | 2.7 s | 12.4 s | 12.6 s | 12.6 s | 3.2 s |
| plain | notebooks/05_synthesis | 1 | 2.6 s | 12.2 s | 12.2 s | - | 3.0 s |
| plain | notebooks/06_after_the_sources | 4 | 2.6 s | 12.5 s | 13.0 s | 12.3 s | 3.2 s |
| plain | a plain Jupyter Book page (plotly's renderer) | 1 | 7.6 s | 41.5 s | 41.5 s | - | 41.8 s |
| plain | slowest lesson / glossary, FCP (03_information_control) | | 1.23 (goal <= 1.5) | | | | |
| plain | every figure drawn, slowest lesson (02_second_economy) | | | | 14.1 s (goal <= 8 s) | | |
| gzip | book/glossary | 0 | 1.1 s | - | - | - | 1.3 s |
| gzip | notebooks/01_stalinism | 3 | 1.2 s | 5.7 s | 6.1 s | 5.8 s | 1.6 s |
| gzip | notebooks/02_second_economy | 5 | 1.2 s | 5.9 s | 6.8 s | 5.8 s | 1.5 s |
| gzip | notebooks/03_information_control | 3 | 1.1 s | 5.8 s | 6.1 s | 5.9 s | 1.4 s |
| gzip | notebooks/04_elite_incentives | 2 | 1.1 s | 5.7 s | 5.9 s | 5.6 s | 1.5 s |
| gzip | notebooks/05_synthesis | 1 | 1.2 s | 5.6 s | 5.6 s | - | 1.5 s |
| gzip | notebooks/06_after_the_sources | 4 | 1.1 s | 5.8 s | 6.2 s | 5.9 s | 5.6 s |
| gzip | a plain Jupyter Book page (plotly's renderer) | 1 | 1.9 s | 17.0 s | 17.0 s | - | 17.2 s |
| gzip | slowest lesson / glossary, FCP (05_synthesis) | | 1.08 (goal <= 1.5) | | | | |
| gzip | every figure drawn, slowest lesson (02_second_economy) | | | | 6.8 s (goal <= 8 s) | | |

On the review's build (2026-12-01: plotly.js in the page's head, every explorer run inline) lesson 4
painted at 17.4-19.6 s and lesson 2 at 16.3-19.3 s against 2.7-2.8 s for the glossary (a ratio of
about 6-7), its last figure drawn at 22-28 s. Served as published (compressed, as GitHub Pages
does), every lesson now paints with the glossary and draws every figure within 7 s. An
uncompressed server cannot reach 8 s: plotly.js alone is 1.5 MB, about 7.5 s at 1.6 Mbps.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from after_stalinism.booktools.printbook import QuietHandler, serve  # noqa: E402
from after_stalinism.course.lessons import LESSONS  # noqa: E402
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


# ---- the slow phone ---------------------------------------------------------------------------

RUNS = 3
TEXT_PAGE = "book/glossary"
# Every lesson: each has figures (02 the most, five), so the slowest sets the goal.
PHONE_PAGES = [TEXT_PAGE] + [f"notebooks/{lesson.stem}" for lesson in LESSONS]
PLAIN_CODE = ("import plotly.io as pio\n"
              "pio.renderers.default = 'notebook'  # plotly's own renderer: plotly.js inline in the page\n"
              "from after_stalinism.course.charts import rice_price_figure\n"
              "rice_price_figure().show()")
# Records when each figure of the page first has its SVG (course figures and plotly's own alike),
# and when every figure has.
DRAWN_JS = """(() => {
  window.__drawnAt = {};
  const check = () => {
    const plots = [...document.querySelectorAll('.plotly-graph-div, .explorer-plot')];
    plots.forEach((p, i) => {
      if (!(i in window.__drawnAt) && p.querySelector('svg.main-svg .cartesianlayer .trace')) {
        window.__drawnAt[i] = performance.now();
      }
    });
    if (plots.length && plots.every((p, i) => i in window.__drawnAt)) {
      window.__allDrawn = performance.now(); clearInterval(timer);
    }
  };
  const timer = setInterval(check, 50);
})();"""
# The reader jumps to the page's last figure as soon as the text shows (as a reader following a
# link to a section does); the load records when that figure is drawn.
JUMP_JS = """async () => {
  while (!performance.getEntriesByName('first-contentful-paint').length) {
    await new Promise(r => setTimeout(r, 20));
  }
  const plots = [...document.querySelectorAll('.plotly-graph-div, .explorer-plot')];
  const last = plots.length - 1;
  window.__jumpedAt = performance.now();
  plots[last].scrollIntoView();
  while (!(last in window.__drawnAt)) { await new Promise(r => setTimeout(r, 20)); }
  return {jumped: window.__jumpedAt, drawn: window.__drawnAt[last]};
}"""


class _Gzip(QuietHandler):
    """Like a static host that compresses (GitHub Pages): text files gzip-encoded."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if (path.suffix in (".html", ".js", ".css", ".json", ".svg") and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            body = gzip.compress(path.read_bytes(), 6)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            import io
            return io.BytesIO(body)
        return super().send_head()


def serve_gzip(folder: Path):
    """Serve ``folder`` compressed, as a real web host would (see ``_Gzip``)."""
    return serve(folder, handler=_Gzip)


def plain_jupyter_book(tmp: Path) -> Path:
    """A one-page Jupyter Book showing a course figure with plotly's own renderer; its HTML folder."""
    book = tmp / "plain"
    book.mkdir()
    (book / "_config.yml").write_text('title: Plain\nexecute:\n  execute_notebooks: force\n')
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A plain page\n\nOne course figure, plotly's own renderer."),
                nbformat.v4.new_code_cell(PLAIN_CODE)]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, book / "page.ipynb")
    result = jupyter_book("build", ".", cwd=book, extra_env={"PYTHONPATH": str(ROOT)})
    if result.returncode != 0:
        sys.exit(f"the plain book did not build:\n{result.stdout[-3000:]}")
    return book / "_build" / "html"


def slow_phone(browser, url: str, jump: bool = False) -> dict:
    """One cold load of ``url`` on the slow-phone profile, in seconds from navigation start: first
    contentful paint, first figure drawn, every figure drawn and the load event; with ``jump``, the
    reader instead jumps to the last figure at first paint, and the time that figure is drawn."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150,
                                                  "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.add_init_script(DRAWN_JS)
    if jump:
        page.goto(url, wait_until="commit", timeout=180_000)
        times = page.evaluate(JUMP_JS)
        context.close()
        return {"jump_drawn": times["drawn"] / 1000}
    page.goto(url, wait_until="load", timeout=180_000)
    figures = page.evaluate("document.querySelectorAll('.plotly-graph-div, .explorer-plot').length")
    if figures:
        page.wait_for_function("window.__allDrawn !== undefined", timeout=180_000, polling=200)
    times = page.evaluate("""() => ({
      fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
      first: Object.keys(window.__drawnAt).length ? Math.min(...Object.values(window.__drawnAt)) : null,
      drawn: window.__allDrawn, load: performance.timing.loadEventEnd - performance.timing.navigationStart})""")
    context.close()
    return {"figures": figures, **{k: (v / 1000 if v is not None else None) for k, v in times.items()}}


def phone_report(html_dir: Path, plain_html: Path | None, runs: int = RUNS) -> None:
    """Print the slow-phone table: every page of ``PHONE_PAGES`` (and the plain Jupyter Book page),
    plainly served and gzip-compressed, the median of ``runs`` cold loads each."""
    from playwright.sync_api import sync_playwright

    def median(rows, key):
        values = [r[key] for r in rows if r.get(key) is not None]
        return statistics.median(values) if values else None

    fmt = lambda v: "-" if v is None else f"{v:.1f} s"  # noqa: E731
    print("| server | page | figures | first paint (FCP) | first figure | every figure | last figure, jumped to | "
          "load |")
    print("|---|---|---|---|---|---|---|---|")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for server_name, server in (("plain", serve), ("gzip", serve_gzip)):
            targets = []
            with contextlib.ExitStack() as stack:
                base = stack.enter_context(server(html_dir))
                targets += [(p, f"{base}/{p}.html") for p in PHONE_PAGES]
                if plain_html is not None:
                    plain_base = stack.enter_context(server(plain_html))
                    targets.append(("a plain Jupyter Book page (plotly's renderer)", f"{plain_base}/page.html"))
                results = {}
                for name, url in targets:
                    rows = [slow_phone(browser, url) for _ in range(runs)]
                    if rows[0]["figures"] > 1:
                        rows += [slow_phone(browser, url, jump=True) for _ in range(runs)]
                    r = {k: median(rows, k) for k in ("fcp", "first", "drawn", "jump_drawn", "load")}
                    results[name] = r
                    print(f"| {server_name} | {name} | {rows[0]['figures']} | {fmt(r['fcp'])} | {fmt(r['first'])} | "
                          f"{fmt(r['drawn'])} | {fmt(r['jump_drawn'])} | {fmt(r['load'])} |", flush=True)
                text = results[TEXT_PAGE]["fcp"]
                worst = max(PHONE_PAGES[1:], key=lambda p: results[p]["fcp"])
                slowest = max(PHONE_PAGES[1:], key=lambda p: results[p]["drawn"] or 0)
                print(f"| {server_name} | slowest lesson / glossary, FCP ({worst.split('/')[-1]}) | | "
                      f"{results[worst]['fcp'] / text:.2f} (goal <= 1.5) | | | | |")
                print(f"| {server_name} | every figure drawn, slowest lesson ({slowest.split('/')[-1]}) | | | | "
                      f"{fmt(results[slowest]['drawn'])} (goal <= 8 s) | | |", flush=True)
        browser.close()


def execution_seconds(cache_dir: Path) -> dict[str, float]:
    """How long the cold build's kernel took to run each notebook (jupyter-cache records it)."""
    from jupyter_cache import get_cache

    return {Path(r.uri).relative_to(cache_dir.parent.parent).with_suffix("").as_posix():
            r.data.get("execution_seconds", float("nan")) for r in get_cache(cache_dir).list_cache_records()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phone-only", action="store_true",
                        help="only the slow-phone table, on the book already built in _build/html")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"cold loads per page (median; {RUNS})")
    args = parser.parse_args()
    if args.phone_only:
        with tempfile.TemporaryDirectory() as tmp:
            phone_report(ROOT / "_build" / "html", plain_jupyter_book(Path(tmp)), args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns(
            ".venv", "_build", "node_modules", ".git", "__pycache__", ".pytest_cache", ".peers"))
        cold = timed_build(book)
        seconds = execution_seconds(book / "_build" / ".jupyter_cache")
        rebuild = timed_build(book)
        weights = page_weights(book / "_build" / "html")
        print("Slow phone (1.6 Mbps, 150 ms RTT, 4x CPU), median of", args.runs, "cold loads:")
        phone_report(book / "_build" / "html", plain_jupyter_book(Path(tmp)), args.runs)
        print()

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
