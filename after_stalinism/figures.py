"""Plotly figures that work both in JupyterLab and in the static HTML book.

In a live kernel plotly uses its usual renderer. During the book build (the Sphinx extension in
``after_stalinism.sphinxext`` sets ``STATIC_ENV``) figures are emitted as plain HTML that calls the
one shared copy of plotly.js the book loads, instead of plotly's default mime type, which the book
cannot show, or an inline 4.8 MB copy of plotly.js per figure. The course renderer decides for each
figure it draws, so it agrees with the explorers (``twin.TwinDisplay``), which also decide at display
time.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

from ._modes import STATIC_ENV, static_mode  # noqa: F401  (STATIC_ENV: re-exported for callers)

COURSE_RENDERER = "after_stalinism"

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


def figure_html(fig: go.Figure, div_id: str | None = None) -> str:
    """The figure as an HTML fragment that relies on the page's shared plotly.js."""
    check_book_compatible(fig)
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, config=PLOTLY_CONFIG,
                       div_id=div_id, validate=False)


class _CourseRenderer(MimetypeRenderer):
    """Static HTML while the book is built; otherwise the renderers plotly chose for this place (``live``)."""

    def __init__(self, live: str):
        self.live = live

    def to_mimebundle(self, fig_dict):
        if static_mode():
            return {"text/html": figure_html(go.Figure(fig_dict))}
        if not self.live:
            return {}
        # The same call plotly's own Figure._repr_mimebundle_ makes for the default renderers.
        return pio.renderers._build_mime_bundle(fig_dict, self.live)


def use_course_renderer() -> None:
    """Make the course renderer plotly's default in this process (it picks the mode per figure).

    Renderers outside the page (``browser`` in a plain Python session) are kept beside it.
    """
    pio.templates.default = COURSE_TEMPLATE
    if COURSE_RENDERER in pio.renderers:
        return
    chosen = [name for name in (pio.renderers.default or "").split("+") if name]
    inline = [name for name in chosen if isinstance(pio.renderers[name], MimetypeRenderer)]
    pio.renderers[COURSE_RENDERER] = _CourseRenderer("+".join(inline))
    pio.renderers.default = "+".join([COURSE_RENDERER, *(n for n in chosen if n not in inline)])
