"""Sphinx extension that makes the HTML book work offline with plotly figures and explorers.

Listed in ``_config.yml`` under ``sphinx.extra_extensions``. It

* marks the build as static before any notebook is executed, so that the kernels myst-nb starts
  (which inherit this process's environment) render figures as HTML and explorers as their static
  twins (``AFTER_STALINISM_STATIC_HTML``, see ``_modes``);
* serves the course's static files (one local plotly.js bundle, the explorer script, course CSS);
* loads plotly.js and the figure/explorer script only on pages that contain a figure, keeping the
  other pages light, and the reader's progress script (``static/progress.js``) on every page;
* after the build, draws the theme's icons as inline SVG and drops unused theme CSS
  (``lightpages.lighten``);
* empties myst-nb's execution cache when the course package or the data change. The cache is
  keyed on each notebook's own code, but every lesson's output also depends on this package and
  on the data folder the kernels read (``_modes.data_dir()``, so an ``AFTER_STALINISM_DATA``
  override is covered); without this, a rebuild after editing a model would show the old figures.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .. import __version__
from .._modes import PACKAGE_DIR, PLOTLY_BUNDLE, STATIC_DIR, STATIC_ENV, data_dir, inputs_digest
from .lightpages import lighten

FIGURE_MARKERS = ('class="plotly-graph-div"', 'class="explorer"')
DIGEST_FILE = "after_stalinism.digest"


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


def _reread_notebooks(app, env, added, changed, removed) -> list[str]:
    """After the package or data changed, re-read (and so re-execute) every notebook page."""
    if not getattr(app, "course_inputs_changed", False):
        return []
    return sorted(doc for doc in env.found_docs
                  if str(env.doc2path(doc)).endswith(".ipynb") and doc not in added | changed | removed)


def _page_assets(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body", "")
    if any(marker in body for marker in FIGURE_MARKERS):
        app.add_js_file(PLOTLY_BUNDLE, priority=400)
        app.add_js_file("explorer.js", priority=401)
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
}


def _fix_theme_markup(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        html = original = page.read_text(encoding="utf-8")
        for old, new in ACCESSIBILITY_FIXES.items():
            html = html.replace(old, new)
        if html != original:
            page.write_text(html, encoding="utf-8")

    lighten(Path(app.outdir))


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("env-get-outdated", _reread_notebooks)
    app.connect("html-page-context", _page_assets, priority=900)
    app.connect("build-finished", _fix_theme_markup)
    app.add_css_file("course.css")
    app.add_js_file("progress.js", loading_method="defer")  # the reader's progress, in their browser
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
