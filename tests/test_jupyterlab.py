"""A self-paced learner's JupyterLab, for real: JupyterLab 4 in Debian's chromium, offline.

One lesson and one exercise set, copied to a temporary folder that a real ``jupyter lab`` serves on
a free loopback port with a token (its settings and runtime in temporary folders; every request
leaving 127.0.0.1 is blocked and counted). Checked: open + save changes no byte; the lesson's
MyST renders (no raw ``{term}``, admonitions drawn), its self-check source is collapsed; Run All
gives live explorers whose controls move the figure; reopened after a save, an explorer asks to be
re-run instead of showing a widget error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

LESSON = "notebooks/01_stalinism.ipynb"
EXERCISE = "exercises/00_data_warmup.ipynb"
TOKEN = "course-test-token"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A real JupyterLab serving copies of a lesson and an exercise set; killed at the end."""
    root = tmp_path_factory.mktemp("lab")
    for rel in [LESSON, EXERCISE, EXERCISE.replace(".ipynb", ".checks.json")]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, root / rel)
    state = tmp_path_factory.mktemp("lab-state")
    settings = state / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_CONFIG_DIR": str(state / "config"),
           "JUPYTER_RUNTIME_DIR": str(state / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces")}
    env.pop("AFTER_STALINISM_STATIC_HTML", None)
    log = open(state / "lab.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
         f"--config={ROOT / 'jupyter_lab_config.json'}"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (state / "lab.log").read_text()
                time.sleep(0.5)
        yield url, root
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def page(browser, lab):
    url, _ = lab
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.blocked = []

    def route(r):
        if r.request.url.startswith(url):
            r.continue_()
        else:
            tab.blocked.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    yield tab
    assert tab.blocked == [], f"JupyterLab tried to reach the network: {tab.blocked[:5]}"
    context.close()


def open_notebook(page, lab, rel: str):
    url, _ = lab
    page.goto(f"{url}/lab/tree/{rel}?reset&token={TOKEN}")  # reset: no tabs restored from earlier tests
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", state="attached", timeout=90_000)
    wait_idle(page)
    page.wait_for_timeout(2000)  # JupyterLab finishes restoring the panel


def wait_idle(page, timeout: float = 120):
    """Until the kernel is idle and no cell is queued or running."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = page.evaluate(r"""() => {
            const indicator = document.querySelector(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
            const status = indicator ? indicator.getAttribute('data-status') : null;
            const running = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]
                .some(p => p.textContent.includes('[*]'));
            const bar = document.querySelector('#jp-main-statusbar');
            const kernelIdle = bar && /\(ipykernel\)\s*\|\s*Idle/.test(bar.innerText);
            return status !== 'idle' || running || !kernelIdle;
        }""")
        if not busy:
            return
        page.wait_for_timeout(500)
    raise AssertionError("the kernel did not become idle")


def menu(page, top: str, item: str):
    page.click(f".lm-MenuBar-itemLabel:text-is('{top}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


def save(page, path: Path):
    before = path.stat().st_mtime_ns
    menu(page, "File", "Save Notebook")
    deadline = time.time() + 30
    while path.stat().st_mtime_ns == before and time.time() < deadline:
        page.wait_for_timeout(200)  # (not time.sleep: the route handler must keep running)
    assert path.stat().st_mtime_ns != before, f"{path.name} was not saved"
    page.wait_for_timeout(500)


@pytest.mark.parametrize("rel", [EXERCISE, LESSON])
def test_open_and_save_changes_nothing(page, lab, rel):
    open_notebook(page, lab, rel)
    save(page, lab[1] / rel)
    assert (lab[1] / rel).read_bytes() == (ROOT / rel).read_bytes(), \
        f"JupyterLab rewrote {rel}: run `python -m after_stalinism.notebook_format {rel}`"


def test_lesson_reads_and_runs_in_jupyterlab(page, lab):
    open_notebook(page, lab, LESSON)
    notebook = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
    text = page.inner_text(notebook)
    assert not re.search(r"\{(term|doc|admonition)\}", text), "raw MyST roles in JupyterLab"
    source = nbformat.read(ROOT / LESSON, as_version=4)
    if any("```{admonition}" in c.source or "```{note}" in c.source for c in source.cells):
        assert page.locator(f"{notebook} aside.myst-admonition").count() >= 1
    # A self-check (hidden in the book) is collapsed here too: its answers are not on screen.
    hidden = [c for c in source.cells if "hide-input" in c.metadata.get("tags", [])]
    assert hidden and page.locator(f"{notebook} .jp-InputPlaceholder").count() >= len(hidden)
    for cell in hidden:
        for answer in re.findall(r'correct="([^"]{12,})"', cell.source)[:3]:
            assert answer not in page.inner_text(notebook)

    menu(page, "Run", "Run All Cells")
    wait_idle(page)
    page.wait_for_selector(f"{notebook} .{'course-explorer-live'}", timeout=60_000)
    stderr = f"{notebook} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    assert page.locator(stderr).count() == 0
    assert "Error displaying widget" not in page.inner_text(notebook)
    assert not page.locator(f"{notebook} .course-reopen-note").first.is_visible()

    # A control moves the figure: what the first explorer's plot draws changes when a control is set.
    explorer = page.locator(f"{notebook} .course-explorer-live").first
    explorer.scroll_into_view_if_needed()
    drawing = ("el => [...el.querySelectorAll('.js-plotly-plot svg text, .js-plotly-plot svg path')]"
               ".map(n => n.textContent + (n.getAttribute('d') || '')).join('|')")
    page.wait_for_function(f"el => ({drawing})(el).length > 0", arg=explorer.element_handle(), timeout=30_000)
    before = explorer.evaluate(drawing)
    choice = explorer.locator("select").first
    choice.select_option(index=len(choice.locator("option").all()) - 1)
    page.wait_for_function(f"([el, old]) => ({drawing})(el) !== old", arg=[explorer.element_handle(), before],
                           timeout=30_000)

    # Saved with its outputs and reopened with a new kernel (as the next day, after autosave), the
    # explorer asks to be re-run instead of showing "Error displaying widget: model not found".
    save(page, lab[1] / LESSON)
    menu(page, "Kernel", "Shut Down Kernel")
    page.wait_for_function("() => /No Kernel/.test(document.querySelector('#jp-main-statusbar').innerText)",
                           timeout=30_000)
    page.reload()
    page.wait_for_selector(f"{notebook} .jp-Cell", state="attached", timeout=90_000)
    note = page.locator(f"{notebook} .course-reopen-note").first
    note.scroll_into_view_if_needed(timeout=60_000)
    page.wait_for_timeout(3000)  # let the widget manager give up on the missing models
    assert note.is_visible() and "run this cell again" in note.inner_text()
    assert page.locator(f"{notebook} :text('Error displaying widget')").count() == 0 or \
        not page.locator(f"{notebook} :text('Error displaying widget')").first.is_visible()


def test_glossary_terms_open_their_definition_and_the_timeline_is_labelled(page, lab):
    """Issue 21: in Lab a term is no longer a dead "term-..." link: the lesson carries its terms'
    definitions (a generated glossary under the title, hidden in the book) and a term's hover names
    the term; lesson 1's timeline, whose source note sits inside the figure in Lab, still has room
    to label every lesson's row. Also: the repository's jupyter_lab_config.json turns the news off."""
    url = lab[0]
    assert '"news": {"disabled": true}' in urllib.request.urlopen(f"{url}/lab?token={TOKEN}").read().decode(), \
        "jupyter_lab_config.json should turn JupyterLab's news feed off"
    open_notebook(page, lab, LESSON)
    notebook = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
    page.wait_for_timeout(3000)
    term = page.locator(f"{notebook} a.hover-link:text-is('Stalinism')").first
    term.scroll_into_view_if_needed()
    term.hover()
    page.wait_for_timeout(3000)
    popups = page.evaluate("() => [...document.querySelectorAll('[data-state=open], [data-state=delayed-open], "
                           "[data-radix-popper-content-wrapper]')].map(e => e.innerText).join(' | ')")
    assert "Stalinism" in popups and "term-stalinism" not in popups, popups

    menu(page, "Run", "Run All Cells")
    wait_idle(page)
    timeline = page.locator(f"{notebook} .js-plotly-plot:has(text.gtitle:text-matches('Timeline'))").first
    timeline.scroll_into_view_if_needed(timeout=60_000)
    rows = sorted({int(v) for v in __import__("after_stalinism").load("timeline")["lesson"]})
    labels = timeline.locator(".ytick text").all_text_contents()
    assert len([t for t in labels if t.strip()]) == len(rows), labels
    box = timeline.locator(".nsewdrag").first.bounding_box()
    assert box and box["height"] >= 200, box  # the plot area, not a 30 px band
