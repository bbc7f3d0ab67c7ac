"""Plotly figures that work both in JupyterLab and in the static HTML book.

The course displays figures itself (``use_course_renderer`` registers it with IPython), deciding at
each display where it runs:

* in a live kernel, plotly's own mime type (``application/vnd.plotly.v1+json``), which JupyterLab's
  plotly extension draws; unlike plotly's renderer machinery (``plotly.io._renderers``), this
  does not import nbformat and jsonschema, which cost about 3 s on a lesson's first figure;
* during the book build (the Sphinx extension in ``after_stalinism.booktools.sphinxext`` sets
  ``STATIC_ENV``), plain HTML that calls the one shared copy of plotly.js the book loads, instead
  of the mime type, which the book cannot show, or an inline 4.8 MB copy of plotly.js per figure.
"""

from __future__ import annotations

import json
import sys

import plotly.graph_objects as go
import plotly.io as pio

from .._modes import STATIC_ENV, static_mode  # noqa: F401  (STATIC_ENV: re-exported for callers)

PLOTLY_MIME = "application/vnd.plotly.v1+json"

# The book ships plotly.js's "cartesian" bundle (1.5 MB instead of 4.8 MB). These are the trace
# types it contains; a figure using another type would draw nothing in the book.
BOOK_TRACE_TYPES = frozenset(
    {"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
     "image", "pie", "scatter", "scatterternary", "violin"}
)

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
COURSE_TEMPLATE = "plotly_white"


def check_book_compatible(fig: go.Figure) -> None:
    """Refuse a figure the book's plotly.js bundle cannot draw, naming the trace type."""
    for trace in fig.data:
        if trace.type not in BOOK_TRACE_TYPES:
            raise ValueError(
                f"trace type {trace.type!r} is not in the book's plotly.js bundle; "
                f"use one of: {', '.join(sorted(BOOK_TRACE_TYPES))}"
            )


def figure_html(fig: go.Figure) -> str:
    """The figure as an HTML fragment that relies on the page's shared plotly.js (see ``webfigure``)."""
    from .webfigure import figure_html as page_figure

    check_book_compatible(fig)
    return page_figure(fig, PLOTLY_CONFIG)


def figure_bundle(fig: go.Figure) -> dict:
    """What a display of ``fig`` sends: static HTML in the book build, plotly's mime type live."""
    title = fig.layout.title.text or "a plotly figure"
    if static_mode():
        return {"text/html": figure_html(fig), "text/plain": f"Figure: {title}"}
    spec = json.loads(fig.to_json())
    return {PLOTLY_MIME: {**spec, "config": PLOTLY_CONFIG}, "text/plain": f"Figure: {title}"}


def _display_figure(fig: go.Figure) -> None:
    from IPython.display import display

    display(figure_bundle(fig), raw=True)


def use_course_renderer() -> None:
    """Set the course template, and display figures through ``figure_bundle`` in IPython."""
    pio.templates.default = COURSE_TEMPLATE
    ipython = sys.modules.get("IPython")  # already imported wherever a kernel runs
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:  # plotly's figures would display through _ipython_display_ otherwise
        shell.display_formatter.ipython_display_formatter.for_type(go.Figure, _display_figure)
