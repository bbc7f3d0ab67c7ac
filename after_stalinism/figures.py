"""Plotly figures that work both in JupyterLab and in the static HTML book.

In a live kernel plotly uses its usual renderer. During the book build (the Sphinx extension in
``after_stalinism.sphinxext`` sets ``STATIC_ENV``) figures are emitted as plain HTML that calls the
one shared copy of plotly.js the book loads, instead of plotly's default mime type, which the book
cannot show, or an inline 4.8 MB copy of plotly.js per figure.
"""

from __future__ import annotations

import os

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

STATIC_ENV = "AFTER_STALINISM_STATIC_HTML"
STATIC_RENDERER = "after_stalinism_static"

# The book ships plotly.js's "cartesian" bundle (1.5 MB instead of 4.8 MB). These are the trace
# types it contains; a figure using another type would draw nothing in the book.
BOOK_TRACE_TYPES = frozenset(
    {"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
     "image", "pie", "scatter", "scatterternary", "violin"}
)

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
COURSE_TEMPLATE = "plotly_white"


def static_mode() -> bool:
    """True while the HTML book is being built (no kernel will exist for the reader)."""
    return os.environ.get(STATIC_ENV) == "1"


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


class _StaticHTMLRenderer(MimetypeRenderer):
    def to_mimebundle(self, fig_dict):
        return {"text/html": figure_html(go.Figure(fig_dict))}


def use_course_renderer() -> None:
    """Choose the renderer for this process: static HTML in the book build, plotly's default otherwise."""
    pio.templates.default = COURSE_TEMPLATE
    if STATIC_RENDERER not in pio.renderers:
        pio.renderers[STATIC_RENDERER] = _StaticHTMLRenderer()
    if static_mode():
        pio.renderers.default = STATIC_RENDERER
