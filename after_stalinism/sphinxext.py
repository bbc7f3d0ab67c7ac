"""Sphinx extension that makes the HTML book work offline with plotly figures and explorers.

Listed in ``_config.yml`` under ``sphinx.extra_extensions``. It

* marks the build as static before any notebook is executed, so that the kernels myst-nb starts
  (which inherit this process's environment) render figures as HTML and explorers as their static
  twins (see ``figures.static_mode``);
* serves the course's static files (one local plotly.js bundle, the explorer script, course CSS);
* loads plotly.js and the explorer script only on pages that contain a figure, keeping the other
  pages light.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import __version__
from .figures import STATIC_ENV

STATIC_DIR = Path(__file__).parent / "static"
PLOTLY_BUNDLE = "plotly-cartesian.min.js"
FIGURE_MARKERS = ('class="plotly-graph-div"', 'class="explorer"')


def _configure(app, config) -> None:
    os.environ[STATIC_ENV] = "1"
    config.html_static_path = [*config.html_static_path, str(STATIC_DIR)]
    # jupyter-book leaves the theme's default colour mode empty, which the theme's script reports
    # as a console error on every page; the figures are styled for a light page.
    config.html_context = {"default_mode": "light", **(config.html_context or {})}


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


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("html-page-context", _page_assets, priority=900)
    app.connect("build-finished", _fix_theme_markup)
    app.add_css_file("course.css")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
