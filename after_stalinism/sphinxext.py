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


def _mark_static(app, config) -> None:
    os.environ[STATIC_ENV] = "1"
    config.html_static_path = [*config.html_static_path, str(STATIC_DIR)]


def _add_figure_scripts(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body", "")
    if any(marker in body for marker in FIGURE_MARKERS):
        app.add_js_file(PLOTLY_BUNDLE, priority=400)
        app.add_js_file("explorer.js", priority=401)


def setup(app):
    app.connect("config-inited", _mark_static)
    app.connect("html-page-context", _add_figure_scripts)
    app.add_css_file("course.css")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
