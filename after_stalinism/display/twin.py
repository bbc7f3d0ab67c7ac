"""The static twin: one model display that is live in JupyterLab and still explorable in the HTML book.

A lesson describes a model once, as a drawing function and a grid of parameter values::

    Explorer(
        draw=dependence_figure,   # dependence_figure(distribution, market, repression_cost) -> Figure
        controls={"distribution": Slider("State distribution", [1, .75, .5, .25, 0], fmt="{:.0%}"),
                  "market": Slider("Market supplies", [0, .5, 1], fmt="{:.0%}"),
                  "repression_cost": Choice("Cost of repression", {"low": 0.25, "high": 0.75})},
        title="The dependence model",
    )

and shows it as the last expression of a cell. What the reader gets depends on where it runs:

* in a kernel (JupyterLab, tests) it is an ipywidgets panel: sliders and drop-downs that redraw the
  figure by calling ``draw`` again;
* in the book build (``_modes.static_mode()``) it is HTML: the same controls as native, labelled
  form elements, and every run of ``draw`` over the grid precomputed and stored in the page, so the
  reader's browser switches between runs with plotly.js and no kernel. No widget state is created,
  so the page carries no widget manager and nothing frozen.

The grid is the honest limit of the static page: it shows exactly the runs computed at build time.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from .figures import PLOTLY_CONFIG, check_book_compatible, static_mode
from .webfigure import data_table_html, split_captions, summary_text, table_html

MAX_RUNS = 400  # precomputed runs per explorer; beyond this the page gets heavy


@dataclass(frozen=True)
class Slider:
    """A numeric parameter, stepped through ``values`` (the same steps live and in the book).

    Usage::

        Slider("Market supplies", [0, 0.25, 0.5, 0.75, 1], default=0.25, fmt="{:.0%}")

    ``fmt`` formats each value for its label; ``default`` is one of ``values`` (else the first).
    """

    label: str
    values: Sequence[float]
    default: float | None = None
    fmt: str = "{}"

    def options(self) -> list[tuple[str, Any]]:
        """(label, value) for each step, in order, the label formatted with ``fmt``."""
        return [(self.fmt.format(v), v) for v in self.values]

    def html(self, cid: str, start: int) -> str:
        """The book's control: a labelled range input over the steps' indices, at step ``start``, whose
        ``<output>`` and ``aria-valuetext`` show the step's label (``id`` ``cid``)."""
        labels = [label for label, _ in self.options()]
        return (f'<div class="explorer-control"><label for="{cid}">{html.escape(self.label)}</label> '
                f'<input type="range" id="{cid}" min="0" max="{len(labels) - 1}" step="1" '
                f'value="{start}" aria-valuetext="{html.escape(labels[start])}" '
                f"data-labels='{html.escape(json.dumps(labels))}'> "
                f'<output for="{cid}" id="{cid}-value">{html.escape(labels[start])}</output></div>')


@dataclass(frozen=True)
class Choice:
    """A categorical parameter: ``options_map`` maps what the reader sees to the value ``draw`` gets.

    Usage::

        Choice("Cost of repression", {"low (25%)": 0.25, "high (75%)": 0.75}, default="high (75%)")

    ``default`` names an option by its label or its value; without it the first option is shown.
    """

    label: str
    options_map: Mapping[str, Any]
    default: str | None = None

    def options(self) -> list[tuple[str, Any]]:
        """(label, value) for each option, in the order given."""
        return list(self.options_map.items())

    def html(self, cid: str, start: int) -> str:
        """The book's control: a labelled ``<select>`` of the options' labels, valued by index, with option
        ``start`` selected (``id`` ``cid``)."""
        options = "".join(f'<option value="{j}"{" selected" if j == start else ""}>{html.escape(label)}'
                          f"</option>" for j, (label, _) in enumerate(self.options()))
        return (f'<div class="explorer-control"><label for="{cid}">{html.escape(self.label)}</label> '
                f'<select id="{cid}">{options}</select></div>')


Control = Slider | Choice


# Widget state is not saved with a notebook, so a reopened notebook would show "Error displaying
# widget: model not found" where an explorer was. A note is displayed just above each live panel;
# its style rules (kept by JupyterLab in a trusted notebook, which a learner's own saved notebook
# is) hide the note while the live panel is there, and hide the dead panel's error once it is not.
# After a kernel restart the panel stays but is dead (ipywidgets marks it disconnected): the note shows.
REOPEN_NOTE = ("This explorer needs its kernel: the kernel was restarted or the notebook reopened, so run "
               "this cell again (or Run > Run All Cells) to bring the controls and the figure back.")
LIVE_CLASS = "course-explorer-live"
# JupyterLab shows a widget it cannot find as an output node with only that error text in it.
_DEAD_WIDGET = ".jp-OutputArea-output.jupyter-widgets:not(:has(*))"  # (:has cannot nest in :has)
_REOPEN_HTML = (
    "<style>"
    f".jp-OutputArea:has(.{LIVE_CLASS}) .course-reopen-note{{display:none}}"
    f".jp-OutputArea:has(.course-reopen-note) {_DEAD_WIDGET}{{display:none}}"
    # after Kernel > Restart the live panel stays, but ipywidgets marks it disconnected: say so
    ".jp-OutputArea:has(.jupyter-widgets-disconnected) .course-reopen-note{display:block}"
    "</style>"
    f'<p class="course-reopen-note"><em>{html.escape(REOPEN_NOTE)}</em></p>'
)


class TwinDisplay:
    """One display, two renderings: ``widget()`` in a kernel, ``static_html()`` in the book build.

    Subclasses provide both methods and a ``title`` (the plain-text fallback)."""

    def _repr_mimebundle_(self, include=None, exclude=None):
        if static_mode():
            return {"text/html": self.static_html(), "text/plain": self.title}
        from IPython.display import display

        display({"text/html": _REOPEN_HTML, "text/plain": REOPEN_NOTE}, raw=True)
        return self.widget().add_class(LIVE_CLASS)._repr_mimebundle_(include=include, exclude=exclude)


def _default_index(control: Control) -> int:
    options = control.options()
    if control.default is None:
        return 0
    for i, (label, value) in enumerate(options):
        if control.default in (label, value):
            return i
    raise ValueError(f"default {control.default!r} of {control.label!r} is not one of its options")


@dataclass
class Explorer(TwinDisplay):
    """A model's figure with controls: live ipywidgets in a kernel, precomputed runs in the HTML book.

    Usage::

        import plotly.graph_objects as go
        from after_stalinism import Choice, Explorer, Slider

        def draw(slope, style):
            return go.Figure(go.Scatter(x=[0, 1, 2], y=[0, slope, 2 * slope], mode=style))

        Explorer(draw=draw, title="A line and its slope", note="A toy model.",
                 controls={"slope": Slider("Slope", [1, 2, 3], default=2),
                           "style": Choice("Style", {"line": "lines", "dots": "markers"})})

    Show it as the last expression of a cell. ``draw(**params)`` gets one keyword per control and
    returns a plotly ``Figure`` whose traces the book's plotly.js bundle can draw
    (``figures.BOOK_TRACE_TYPES``). In the book every combination of control values is drawn once at
    build time, so the grid is limited to ``MAX_RUNS`` runs; a bad default, an empty control or too
    large a grid raises ``ValueError`` when the Explorer is made.

    ``figure(**params)`` draws one run (missing parameters take their defaults), ``widget()`` is the
    live panel, ``static_html()`` the book's fragment and ``runs()`` every precomputed run as JSON.
    """

    draw: Callable[..., go.Figure]
    controls: Mapping[str, Control]
    title: str
    note: str = ""
    _runs_cache: dict | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.controls:
            raise ValueError("an Explorer needs at least one control")
        for name, control in self.controls.items():
            if not control.options():
                raise ValueError(f"control {name!r} has no values")
            _default_index(control)
        if self.n_runs > MAX_RUNS:
            raise ValueError(
                f"{self.title!r} would precompute {self.n_runs} runs for the static page "
                f"(limit {MAX_RUNS}); use fewer grid values"
            )

    @property
    def n_runs(self) -> int:
        """How many runs the grid makes (and the book precomputes): the product of the controls' sizes."""
        n = 1
        for control in self.controls.values():
            n *= len(control.options())
        return n

    def defaults(self) -> dict[str, Any]:
        """Each control's default value by parameter name: the run shown first, live and in the book."""
        return {name: c.options()[_default_index(c)][1] for name, c in self.controls.items()}

    def figure(self, **params: Any) -> go.Figure:
        """One run: ``draw`` with ``params``, missing ones at their defaults; TypeError if it is no Figure."""
        fig = self.draw(**{**self.defaults(), **params})
        if not isinstance(fig, go.Figure):
            raise TypeError(f"draw() must return a plotly Figure, got {type(fig).__name__}")
        return fig

    # ---- live: ipywidgets ------------------------------------------------------------------
    def widget(self):
        """The live panel: title and note, a slider per ``Slider`` and a drop-down per ``Choice``, over the
        figure, which ``draw`` redraws whenever a control moves."""
        import ipywidgets as widgets
        from IPython.display import display

        inputs = {}
        for name, control in self.controls.items():
            options = control.options()
            value = options[_default_index(control)][1]
            kwargs = dict(options=options, value=value, description=control.label,
                          style={"description_width": "initial"},
                          layout=widgets.Layout(width="32em"))
            if isinstance(control, Slider):
                inputs[name] = widgets.SelectionSlider(continuous_update=False, **kwargs)
            else:
                inputs[name] = widgets.Dropdown(**kwargs)
        out = widgets.Output()

        def redraw(_change=None):
            """Draw the run of the controls' current values in place of the last one."""
            fig = self.figure(**{name: w.value for name, w in inputs.items()})
            with out:
                out.clear_output(wait=True)
                display(fig)

        for w in inputs.values():
            w.observe(redraw, names="value")
        redraw()
        header = widgets.HTML(f"<strong>{html.escape(self.title)}</strong>"
                              + (f"<br><em>{html.escape(self.note)}</em>" if self.note else ""))
        return widgets.VBox([header, *inputs.values(), out])

    # ---- static: precomputed runs + native controls ------------------------------------------
    def runs(self) -> dict:
        """Every run over the grid as plotly JSON, keyed by the control indices ("0-2-1")."""
        if self._runs_cache is not None:
            return self._runs_cache
        names = list(self.controls)
        option_lists = [self.controls[n].options() for n in names]
        figures, template = {}, None
        for combo in itertools.product(*(range(len(o)) for o in option_lists)):
            params = {n: option_lists[i][j][1] for i, (n, j) in enumerate(zip(names, combo))}
            fig = self.figure(**params)
            check_book_compatible(fig)
            spec = json.loads(fig.to_json())
            # The template is identical in every run: store it once.
            template = spec.get("layout", {}).pop("template", template)
            run = split_captions(spec)  # title and note as HTML
            run["table"], run["summary"] = table_html(fig), summary_text(fig)  # the same values, as text
            figures["-".join(map(str, combo))] = run
        self._runs_cache = {"template": template, "figures": figures}
        return self._runs_cache

    def _uid(self) -> str:
        digest = hashlib.sha1(
            (self.title + repr([(n, c.options()) for n, c in self.controls.items()])).encode()
        ).hexdigest()
        return "explorer-" + digest[:10]

    def static_html(self) -> str:
        """The book's fragment: native labelled controls, the default run's title, summary, note and data
        table in the page, and every run as JSON, between which ``courseExplorer`` (``static/explorer.js``)
        switches in the reader's browser."""
        uid = self._uid()
        controls_html = [control.html(f"{uid}-c{i}", _default_index(control))
                         for i, control in enumerate(self.controls.values())]
        default_key = "-".join(str(_default_index(c)) for c in self.controls.values())
        # The book's build moves the runs into a file fetched on first use (sphinxext.externalise_runs).
        payload = json.dumps({"runs": self.runs(), "config": PLOTLY_CONFIG, "default": default_key,
                              "controls": len(self.controls)}, separators=(",", ":"))
        payload = payload.replace("</", "<\\/")  # keep the JSON from closing its script tag
        note = f'<p class="explorer-note">{html.escape(self.note)}</p>' if self.note else ""
        # The default run's title, note, summary and data are in the page itself (readers without
        # JavaScript or sight, print, and everyone until plotly.js has arrived).
        default = self.runs()["figures"][default_key]
        table = data_table_html(self.figure(), uid)
        return (
            f'<figure class="explorer" id="{uid}" aria-labelledby="{uid}-caption" aria-describedby="{uid}-summary">'
            f'<figcaption class="explorer-title" id="{uid}-caption">{html.escape(self.title)}</figcaption>{note}'
            f'<form class="explorer-controls" onsubmit="return false">{"".join(controls_html)}</form>'
            f'<p class="figure-title" id="{uid}-title" aria-live="polite">{default["title"]}</p>'
            f'<p class="figure-summary" id="{uid}-summary">{html.escape(default["summary"])}</p>'
            f'<div class="explorer-plot" id="{uid}-plot"></div>'
            f'<p class="figure-note" id="{uid}-note">{default["note"]}</p>{table}'
            f'<script type="application/json" id="{uid}-runs">{payload}</script>'
            f'<script>courseExplorer("{uid}");</script>'
            f"</figure>"
        )
