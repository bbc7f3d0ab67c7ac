"""Sphinx extension that makes the HTML book work offline with plotly figures and explorers.

Listed in ``_config.yml`` under ``sphinx.extra_extensions``. It

* marks the build as static before any notebook is executed, so that the kernels myst-nb starts
  (which inherit this process's environment) render figures as HTML and explorers as their static
  twins (``AFTER_STALINISM_STATIC_HTML``, see ``_modes``);
* serves the course's static files (one local plotly.js bundle, the explorer script, course CSS);
* loads the figure/explorer script only on pages that contain a figure, keeping the other pages
  light, and the reader's progress script (``static/progress.js``) on every page. The figure script
  is deferred and fetches plotly.js itself (``static/explorer.js``), which a line in the head has
  already asked for at low priority right after the first paint (``PRELOAD_AFTER_PAINT``), so a
  lesson paints as soon as its text is there; until then each figure shows its summary and data;
* after the build, moves each explorer's precomputed runs out of its page into a JSON file
  (``_static/runs/``) that the page fetches when the reader first uses a control, copies the
  course's CSV files into the site (``data/``) for the figures' "download the data" links, and
  resolves links written relative to the site's root (``@root/``, see :func:`site_relative`);
* tells a reader of an exercise set's page how to work it (:func:`_exercise_note`): the book has
  no kernel, so the set's JupyterLab instructions (a ``remove-cell`` cell: "press Shift+Enter")
  give way to a note linking the How-to's section on running the notebooks and the repository;
* refuses (a warning, an error under ``-W``) launch buttons that point at the placeholder
  repository: ``repository.url`` in ``_config.yml`` is the one setting to make before publishing;
* after the build, draws the theme's icons as inline SVG and drops unused theme CSS
  (``lightpages.lighten``);
* empties myst-nb's execution cache when the course package or the data change. The cache is
  keyed on each notebook's own code, but every lesson's output also depends on this package and
  on the data folder the kernels read (``_modes.data_dir()``, so an ``AFTER_STALINISM_DATA``
  override is covered); without this, a rebuild after editing a model would show the old figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

from .. import __version__
from .._modes import PACKAGE_DIR, PLOTLY_BUNDLE, STATIC_DIR, STATIC_ENV, data_dir, inputs_digest
from .lightpages import lighten

FIGURE_MARKERS = ('class="plotly-graph-div"', 'class="explorer"')
DIGEST_FILE = "after_stalinism.digest"
PLACEHOLDER_REPOSITORY = "https://github.com/your-org/after-stalinism"
ROOT_MARK = "@root/"  # an href or src starting with this is relative to the site's root
RUNS_DIR = "_static/runs"
DATA_DIR = "data"  # the course's CSV files in the built site
EXERCISES_DIR = "exercises/"  # exercise sets: a notebook each (index.md is their list)
HOW_TO_EXERCISES = ("book/how_to_use", "doing-the-exercises")  # the page and section on working them
logger = logging.getLogger(__name__)


def invalidate_stale_cache(cache_dir: Path, folders: list[Path]) -> bool:
    """Empty ``cache_dir`` if ``folders`` changed since it was filled; True if it was emptied."""
    digest = inputs_digest(folders)
    stamp = cache_dir / DIGEST_FILE
    if stamp.exists() and stamp.read_text() == digest:
        return False
    emptied = stamp.exists() or cache_dir.exists()
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    return emptied


def _configure(app, config) -> None:
    os.environ[STATIC_ENV] = "1"
    if getattr(config, "nb_execution_mode", "") == "cache":
        # myst-nb's own default when no cache path is configured
        cache = getattr(config, "nb_execution_cache_path", "") or Path(app.outdir).parent / ".jupyter_cache"
        data = data_dir()  # the folder the kernels will read, which the build inherits
        app.course_inputs_changed = invalidate_stale_cache(
            Path(cache), [PACKAGE_DIR, *([data] if data.is_dir() else [])])
    config.html_static_path = [*config.html_static_path, str(STATIC_DIR)]
    # jupyter-book leaves the theme's default colour mode empty, which the theme's script reports
    # as a console error on every page; the figures are styled for a light page.
    config.html_context = {"default_mode": "light", **(config.html_context or {})}
    check_launch_buttons(getattr(config, "html_theme_options", None) or {})


def check_launch_buttons(theme_options: dict) -> bool:
    """Warn (an error under ``-W``) if launch buttons are on while the repository is the placeholder."""
    launch = theme_options.get("launch_buttons") or {}
    on = [k for k in ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url") if launch.get(k)]
    url = str(theme_options.get("repository_url") or "")
    if on and (not url or "your-org" in url):
        logger.warning(f"launch buttons ({', '.join(on)}) point at the placeholder repository {url!r}: "
                       "set repository.url in _config.yml to the course's public repository first",
                       type="after_stalinism", subtype="launch")
        return False
    return True


def _reread_notebooks(app, env, added, changed, removed) -> list[str]:
    """After the package or data changed, re-read (and so re-execute) every notebook page."""
    if not getattr(app, "course_inputs_changed", False):
        return []
    return sorted(doc for doc in env.found_docs
                  if str(env.doc2path(doc)).endswith(".ipynb") and doc not in added | changed | removed)


# A head script: right after the page's first frame (no frame is drawn before its stylesheets have
# arrived), a low-priority preload of plotly.js, which explorer.js's own <script> for it reuses.
PRELOAD_AFTER_PAINT = (
    '<script>requestAnimationFrame(function () { setTimeout(function () {'
    'var link = document.createElement("link"); link.rel = "preload"; link.as = "script";'
    'link.fetchPriority = "low"; link.href = "HREF"; document.head.appendChild(link);'
    '}, 0); });</script>\n')


def _page_assets(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body", "")
    if any(marker in body for marker in FIGURE_MARKERS):
        # explorer.js loads the plotly bundle itself once the deferred scripts have run; this asks
        # for it as soon as the page has painted, so the download neither delays the first paint
        # (it would share the line with the page's CSS) nor waits for those scripts.
        app.add_js_file("explorer.js", priority=401, loading_method="defer")
        context["metatags"] = context.get("metatags", "") + PRELOAD_AFTER_PAINT.replace(
            "HREF", context["pathto"]("_static/" + PLOTLY_BUNDLE, 1))
    # jupyter-book and sphinx-book-theme both set up some extensions (thebe, togglebutton), so
    # their inline scripts arrive twice; a repeated `const` declaration is a script error.
    scripts, seen = context.get("script_files", []), set()
    unique = []
    for script in scripts:
        key = (str(getattr(script, "filename", script) or ""),
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _repository(app) -> str:
    """The course's repository address (``repository.url`` in ``_config.yml``), or the placeholder."""
    return str((app.config.html_theme_options or {}).get("repository_url") or PLACEHOLDER_REPOSITORY)


def _exercise_note(app, doctree, docname) -> None:
    """Above an exercise set's set-up cell, tell a web reader how to work the set.

    The notebook's own instruction ("click it, then press Shift+Enter") is for JupyterLab and is
    tagged ``remove-cell``, so the book leaves it out; a web page has no kernel to run cells in."""
    if (app.builder.format != "html" or not docname.startswith(EXERCISES_DIR)
            or not str(app.env.doc2path(docname)).endswith(".ipynb")):
        return
    setup = next(doctree.findall(lambda n: isinstance(n, nodes.container) and n.get("nb_element") == "cell_code"),
                 None)
    if setup is None:
        return
    page, section = HOW_TO_EXERCISES
    if section not in app.env.get_doctree(page).ids:
        logger.warning(f"exercise pages link to {page}#{section}, which does not exist any more",
                       location=docname, type="after_stalinism", subtype="exercises")
    repository = _repository(app)
    howto = f"{app.builder.get_relative_uri(docname, page)}#{section}"
    note = nodes.note("", nodes.paragraph(
        "", "", nodes.strong(text="To work these exercises, open this notebook in JupyterLab"),
        nodes.Text(": a web page cannot run its cells. "),
        nodes.reference(text="How to use this course: doing the exercises", refuri=howto, internal=True),
        nodes.Text(" says how to get the notebooks from "),
        nodes.reference(text="the course's repository", refuri=repository),
        nodes.Text(" and run them.")), classes=["exercise-web-note"])
    setup.parent.insert(setup.parent.index(setup), note)


# Markup from the theme and Sphinx that axe-core reports as serious: accessible names that
# contradict the visible text (rule label-content-name-mismatch, WCAG 2.5.3), and a citation list
# whose role="list" requires list items its entries are not (aria-required-children), and the
# navigation's icon-only section toggles, which have no name at all (summary-name).
ACCESSIBILITY_FIXES = {
    '<summary><span class="toctree-toggle" role="presentation">':
        '<summary aria-label="Show or hide the pages of this section">'
        '<span class="toctree-toggle" role="presentation">',
    '<div role="list" class="citation-list">': '<div class="citation-list">',
    'search-button__button pst-js-only" title="Search" aria-label="Search"':
        'search-button__button pst-js-only" title="Search"',
    'theme-switch-button pst-js-only" aria-label="Color mode"':
        'theme-switch-button pst-js-only" aria-label="Color mode: Light, Dark or System Settings"',
    '<summary aria-label="Toggle hidden content">': "<summary>",
    # a deprecated role on every bibliography entry (axe: aria-deprecated-role, aria-allowed-role)
    ' role="doc-biblioentry"': "",
    # pandas' empty corner cell over the index (axe: empty-table-header)
    "<th></th>": '<th><span class="course-sr-only">row</span></th>',
}


# A self-check's code cell holds its answers: the web page shows the questions only.
SELF_CHECK_SOURCE = re.compile(r'<details class="[^"]*\bhide above-input">(?:(?!</details>).)*</details>\s*'
                               r'(?=<div class="cell_output docutils container">\s*<div class="output text_html">\s*'
                               r'<section class="self-check")', re.S)
# The figures' inline calls run before the deferred explorer.js exists: they join a queue it reads.
INLINE_CALL = re.compile(r'<script>(course(?:Figure|Explorer|Scorecard))\("([\w-]+)"\);</script>')
QUEUED_CALL = r'<script>(self.courseQueue=self.courseQueue||[]).push(["\1","\2"]);</script>'
RUNS_SCRIPT = re.compile(r'<script type="application/json" id="(explorer-[0-9a-f]+)-runs">(.*?)</script>', re.S)


def site_relative(html: str, page: Path, outdir: Path) -> str:
    """``html`` with every ``@root/`` link made relative to ``page`` (a file in ``outdir``)."""
    prefix = posixpath.relpath(".", page.parent.relative_to(outdir).as_posix())
    prefix = "" if prefix == "." else prefix + "/"
    return html.replace(f'="{ROOT_MARK}', f'="{prefix}').replace(f"='{ROOT_MARK}", f"='{prefix}")


def externalise_runs(html: str, outdir: Path) -> str:
    """Move each explorer's precomputed runs into ``_static/runs/``, keeping only its default run.

    The page keeps the default run (drawn first, and shown to readers without JavaScript) and the
    site-relative address of the file with every run, which explorer.js fetches on first use."""
    def move(match: re.Match) -> str:
        """The runs script of one explorer, with its runs written to a file and only the default kept."""
        uid, payload = match.group(1), json.loads(match.group(2))
        if "src" in payload:  # a page an earlier build wrote and this one left as it was
            return match.group(0)
        runs = payload["runs"]
        text = json.dumps(runs, separators=(",", ":"))
        name = f"{uid}-{hashlib.sha1(text.encode()).hexdigest()[:8]}.json"
        (outdir / RUNS_DIR).mkdir(parents=True, exist_ok=True)
        (outdir / RUNS_DIR / name).write_text(text, encoding="utf-8")
        default = payload["default"]
        payload["runs"] = {"template": runs["template"], "figures": {default: runs["figures"][default]}}
        payload["src"] = f"{RUNS_DIR.removeprefix('_static/')}/{name}"  # explorer.js: relative to _static/
        inline = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
        return f'<script type="application/json" id="{uid}-runs">{inline}</script>'
    return RUNS_SCRIPT.sub(move, html)


def publish_data(outdir: Path) -> None:
    """Copy the course's CSV files (and their sources, datapackage.json) into the site."""
    source = data_dir()
    if not source.is_dir():
        return
    target = outdir / DATA_DIR
    target.mkdir(parents=True, exist_ok=True)
    for path in [*source.glob("*.csv"), *source.glob("datapackage.json")]:
        shutil.copy2(path, target / path.name)


# myst-parser escapes the "&" of a link's query string twice ("&amp;amp;"), so every link to a
# page such as "view.php?a=1&b=2" (Daily NK, KBS) would break; un-double it in href attributes.
DOUBLED_AMPERSAND = re.compile(r'(href="[^"]*?)&amp;amp;')


def undouble_ampersands(html: str) -> str:
    """``html`` with each href's doubly escaped "&" (``&amp;amp;``) escaped once (``&amp;``)."""
    while DOUBLED_AMPERSAND.search(html):
        html = DOUBLED_AMPERSAND.sub(r"\1&amp;", html)
    return html


def _fix_theme_markup(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    repository = _repository(app)
    publish_data(outdir)
    for page in outdir.rglob("*.html"):
        html = original = page.read_text(encoding="utf-8")
        for old, new in ACCESSIBILITY_FIXES.items():
            html = html.replace(old, new)
        html = SELF_CHECK_SOURCE.sub("", html)
        html = INLINE_CALL.sub(QUEUED_CALL, html)
        html = externalise_runs(html, outdir)
        html = site_relative(html, page, outdir)
        html = undouble_ampersands(html)
        html = html.replace(f'href="{PLACEHOLDER_REPOSITORY}', f'href="{repository}')
        if html != original:
            page.write_text(html, encoding="utf-8")

    lighten(Path(app.outdir))


def setup(app):
    """Register the extension with Sphinx: its event handlers, the course's CSS and progress script."""
    app.connect("config-inited", _configure)
    app.connect("env-get-outdated", _reread_notebooks)
    app.connect("doctree-resolved", _exercise_note)
    app.connect("html-page-context", _page_assets, priority=900)
    app.connect("build-finished", _fix_theme_markup)
    app.add_css_file("course.css")
    app.add_js_file("progress.js", loading_method="defer")  # the reader's progress, in their browser
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
