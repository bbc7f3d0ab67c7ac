"""The lessons' interactive models: a figure for each model, and the Explorer a lesson shows.

Each ``*_explorer()`` returns an :class:`~after_stalinism.display.twin.Explorer`: sliders in JupyterLab,
the same controls over precomputed runs in the HTML book. Every figure carries a note that it
shows a model, not data.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..display.figures import PLOTLY_CONFIG
from ..display.twin import Choice, Explorer, Slider, TwinDisplay
from ..display.webfigure import DATA_HREF, figure_payload
from . import models
from .charts import legend_on_top, source_note

MODEL_NOTE = "MODEL, not data: illustrative settings chosen by the course (see the lesson text). "
COLOURS = {"state": "#8c2d04", "market": "#08519c", "rent": "#6baed6", "unmet": "#bdbdbd",
           "a": "#8c2d04", "b": "#08519c"}


def _pct(x: float) -> str:
    return f"{x:.0%}"


# ---- lesson 1 ----------------------------------------------------------------------------------

def scorecard_figure(first: str | Mapping[str, float], second: str | Mapping[str, float],
                     first_name: str = "your profile", second_name: str = "your profile") -> go.Figure:
    """Two rating profiles on Bialer's seven features, side by side. Give preset names or dicts."""
    profiles = []
    for profile, name in ((first, first_name), (second, second_name)):
        if isinstance(profile, str):
            profiles.append((profile, models.preset_profile(profile)))
        else:
            profiles.append((name, models.check_profile(profile)))
    fig = go.Figure()
    for (name, ratings), colour in zip(profiles, (COLOURS["a"], COLOURS["b"])):
        index = models.stalinism_index(ratings)
        fig.add_trace(go.Bar(
            y=list(models.FEATURES), x=[ratings[f] for f in models.FEATURES], orientation="h",
            name=f"{name}: index {index:.2f}", marker_color=colour,
            hovertemplate="%{y}: %{x} of 4<extra>" + name + "</extra>",
        ))
    moves = models.compare_profiles(profiles[0][1], profiles[1][1])
    top = moves.iloc[0]
    summary = ("the two profiles are identical" if top["change"] == 0 else
               f"largest difference: {top['feature']} ({top['before']:g} vs {top['after']:g})")
    fig.update_layout(
        barmode="group", height=560,
        title=f"Bialer's seven features, rated 0 (absent) to 4 (extreme)<br><sub>{summary}</sub>",
        xaxis={"range": [0, 4], "dtick": 1, "title": "rating"}, margin={"t": 150},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "v", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},
    )
    fig = source_note(fig, "The course's interpretation of the sources, not a measurement: the lesson "
                           "gives the source for each preset rating. Index = mean rating / 4.", width=80)
    if isinstance(first, str) or isinstance(second, str):  # a preset's ratings are a table of the course data
        fig.update_layout(meta={**(fig.layout.meta or {}), "csv": "scorecard_presets.csv"})
    return fig


def scorecard_explorer() -> Explorer:
    """Lesson 1's explorer: ``scorecard_figure`` of two preset regimes, each chosen by the reader."""
    names = list(models.PRESETS)
    return Explorer(
        draw=scorecard_figure,
        controls={"first": Choice("First regime", {n: n for n in names}, default=names[0]),
                  "second": Choice("Compare with", {n: n for n in names}, default=names[2])},
        title="A Bialer scorecard: how Stalinist was each regime?",
        note="Choose two regimes. Each rating is the course's reading of the sources (see the table below).",
    )


@dataclass
class ScorecardBuilder(TwinDisplay):
    """Rate a regime of your own choice on Bialer's features and compare it with a preset.

    Seven ratings of five levels each make 78,125 combinations, too many to precompute, but the
    scorecard is simple arithmetic: in the book the reader's browser redraws the chart itself
    (``courseScorecard`` in ``static/explorer.js``: index = mean rating / 4, largest difference
    first, as in ``models``). In a kernel it is seven ipywidgets sliders redrawing with Python.
    """

    start: str = "DPRK, Kim Jong Il (mid-2000s)"
    compare_with: str = "DPRK, Kim Il Sung (1961-86)"
    title: str = "Rate a regime of your choice"

    def _figure(self, profile: Mapping[str, float], preset: str) -> go.Figure:
        return scorecard_figure(profile, preset, first_name="your profile")

    def widget(self):
        """The builder in a kernel: a slider per feature and the preset to compare with, over a chart that
        Python redraws on every change."""
        import ipywidgets as widgets
        from IPython.display import display

        start = models.preset_profile(self.start)
        sliders = {f: widgets.IntSlider(value=int(start[f]), min=0, max=models.RATING_MAX, description=f,
                                        continuous_update=False, style={"description_width": "22em"},
                                        layout=widgets.Layout(width="40em")) for f in models.FEATURES}
        preset = widgets.Dropdown(options=list(models.PRESETS), value=self.compare_with,
                                  description="Compare with", style={"description_width": "initial"})
        out = widgets.Output()

        def redraw(_change=None):
            """Draw the chart of the sliders' profile against the chosen preset in place of the last one."""
            with out:
                out.clear_output(wait=True)
                display(self._figure({f: w.value for f, w in sliders.items()}, preset.value))

        for w in [*sliders.values(), preset]:
            w.observe(redraw, names="value")
        redraw()
        return widgets.VBox([widgets.HTML(f"<strong>{html.escape(self.title)}</strong>"),
                             *sliders.values(), preset, out])

    def static_html(self) -> str:
        """The builder in the book: a ``<select>`` per feature and for the preset, the starting chart and its
        spec as JSON, which ``courseScorecard`` (``static/explorer.js``) redraws in the reader's browser."""
        uid = "scorecard-" + hashlib.sha1((self.start + self.compare_with).encode()).hexdigest()[:10]
        start = models.preset_profile(self.start)
        figure = figure_payload(self._figure(start, self.compare_with))
        payload = {
            "features": list(models.FEATURES), "max": models.RATING_MAX,
            "presets": {name: [models.preset_profile(name)[f] for f in models.FEATURES] for name in models.PRESETS},
            "title": "Bialer's seven features, rated 0 (absent) to 4 (extreme)",
            "figure": {"data": figure["data"], "layout": figure["layout"]}, "config": PLOTLY_CONFIG,
        }
        levels = ["0 absent", "1 weak", "2 partial", "3 strong", "4 extreme"]
        controls = []
        for i, feature in enumerate(models.FEATURES):
            options = "".join(f'<option value="{v}"{" selected" if v == start[feature] else ""}>{label}</option>'
                              for v, label in enumerate(levels))
            controls.append(f'<div class="explorer-control"><label for="{uid}-c{i}">{html.escape(feature)}</label> '
                            f'<select id="{uid}-c{i}" data-feature="{i}">{options}</select></div>')
        presets = "".join(f'<option value="{html.escape(n)}"{" selected" if n == self.compare_with else ""}>'
                          f"{html.escape(n)}</option>" for n in models.PRESETS)
        controls.append(f'<div class="explorer-control"><label for="{uid}-preset">Compare with</label> '
                        f'<select id="{uid}-preset">{presets}</select></div>')
        data = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
        return (f'<figure class="explorer" id="{uid}" aria-labelledby="{uid}-title" aria-describedby="{uid}-result">'
                f'<figcaption class="explorer-title">{html.escape(self.title)}'
                f'</figcaption><p class="explorer-note">Rate each feature; the chart and index update in your '
                f'browser. The ratings you choose are your interpretation.</p>'
                f'<form class="explorer-controls scorecard-controls" onsubmit="return false">{"".join(controls)}</form>'
                f'<p class="scorecard-result" id="{uid}-result" aria-live="polite"></p>'
                f'<p class="figure-title" id="{uid}-title">{figure["title"]}</p>'
                f'<div class="explorer-plot" id="{uid}-plot"></div><p class="figure-note">{figure["note"]}</p>'
                f'{self._table_html(uid, start)}'
                f'<script type="application/json" id="{uid}-spec">{data}</script>'
                f'<script>courseScorecard("{uid}");</script></figure>')

    def _table_html(self, uid: str, start: Mapping[str, float]) -> str:
        """The two profiles the chart draws, as a folded table (``courseScorecard`` keeps it current)."""
        preset = models.preset_profile(self.compare_with)
        rows = "".join(f'<tr><th scope="row">{html.escape(f)}</th><td>{start[f]:g}</td><td>{preset[f]:g}</td></tr>'
                       for f in models.FEATURES)
        return (f'<details class="figure-data" id="{uid}-data"><summary>Data of this figure</summary>'
                f'<div class="figure-data-table" tabindex="0" role="region" aria-label="Data of this figure">'
                f'<table class="scorecard-table"><thead><tr><th scope="col">feature</th>'
                f'<th scope="col">your rating</th><th scope="col" id="{uid}-preset-head">'
                f'{html.escape(self.compare_with)}</th></tr></thead><tbody>{rows}</tbody></table></div>'
                f'<p class="figure-data-source">The ratings the chart draws, 0 (absent) to 4 (extreme). '
                f'<a class="figure-csv" href="{DATA_HREF}scorecard_presets.csv" download>'
                f'Download the presets\' ratings (scorecard_presets.csv)</a></p></details>')


# ---- lesson 2 ----------------------------------------------------------------------------------

def dependence_figure(distribution: float, market: float, repression_cost: float) -> go.Figure:
    """The dependence model (lesson 2) for one setting: each group's income by source, stacked as shares of
    its need, beside each group's dependence on the centre."""
    table = models.dependence(distribution, market, repression_cost)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.12,
                        subplot_titles=("Income by source (share of need)", "Dependence on the centre"))
    labels = {"state": "state supply", "market": "market", "rent": "cadres' rent from markets",
              "unmet": "unmet need"}
    for part, label in labels.items():
        fig.add_trace(go.Bar(x=table["group"], y=table[part], name=label, marker_color=COLOURS[part],
                             hovertemplate="%{x}: %{y:.0%} of need<extra>" + label + "</extra>"),
                      row=1, col=1)
    fig.add_trace(go.Bar(x=table["group"], y=table["dependence"], name="dependence index",
                         marker_color="#252525", showlegend=False, text=[f"{v:.2f}" for v in table["dependence"]],
                         textposition="outside", hovertemplate="%{x}: %{y:.2f}<extra>dependence</extra>"),
                  row=1, col=2)
    fig.update_layout(barmode="stack", height=560, legend={"traceorder": "normal"},
                      title=(f"State supplies {_pct(distribution)} of needs; the market fills {_pct(market)} "
                             f"of the gap;<br>repressing markets costs {_pct(repression_cost)}"),
                      )
    legend_on_top(fig, rows=1, title_lines=2, above=28)
    fig.update_xaxes(tickangle=0, row=1, col=1)
    fig.update_xaxes(tickangle=0, tickfont={"size": 10}, row=1, col=2)  # three labels in a narrow panel
    fig.update_yaxes(range=[0, 1.6], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(range=[0, 1.15], row=1, col=2)
    return source_note(fig, MODEL_NOTE + "The centre serves cadres, then enterprises, then households; "
                            "dependence = the share of a group's income the centre could take away.", width=90)


def dependence_explorer() -> Explorer:
    """Lesson 2's explorer: ``dependence_figure`` over state distribution, market and repression cost."""
    return Explorer(
        draw=dependence_figure,
        controls={
            "distribution": Slider("State distribution (share of needs)", [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                                   default=1.0, fmt="{:.0%}"),
            "market": Slider("Market supplies (share of the gap)", [0.0, 0.25, 0.5, 0.75, 1.0],
                             default=0.25, fmt="{:.0%}"),
            "repression_cost": Choice("Cost of repressing markets",
                                      {"low (25%)": 0.25, "medium (50%)": 0.5, "high (75%)": 0.75}),
        },
        title="The dependence model: what holds each group to the centre?",
        note="Move state distribution down from 100% and watch households, then enterprises, "
             "turn to the market. A model, not data.",
    )


# ---- lesson 3 ----------------------------------------------------------------------------------

def diffusion_figure(border: float, radios: float, media: float, crackdown: float) -> go.Figure:
    """The diffusion model (lesson 3) for one setting: the informed share year by year, beside the same
    channels without a crackdown, and the year half the people are informed."""
    path = models.diffusion(border, radios, media, crackdown)
    free = models.diffusion(border, radios, media, 0.0)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=free["year"], y=free["informed"], name="same channels, no crackdown",
                             line={"dash": "dot", "color": "#969696"},
                             hovertemplate="year %{x}: %{y:.0%}<extra>no crackdown</extra>"))
    fig.add_trace(go.Scatter(x=path["year"], y=path["informed"], name="with this crackdown",
                             line={"width": 3, "color": COLOURS["b"]},
                             hovertemplate="year %{x}: %{y:.0%} informed<extra></extra>"))
    fig.add_hline(y=0.5, line_dash="dash", line_color="#555")
    year = models.years_to_reach(path)
    verdict = f"half informed after {year} years" if year is not None else "never half informed in 30 years"
    fig.update_layout(title=f"Share who know the outside world is richer: {verdict}", height=440,
                      xaxis_title="years after the blockade starts to leak",
                      yaxis={"title": "share of population", "range": [0, 1], "tickformat": ".0%"},
                      xaxis={"ticklabelstandoff": 6},  # keeps the "0" of years off the "0%" of shares
                      )
    legend_on_top(fig)
    return source_note(fig, MODEL_NOTE + "Channels and crackdown are on 0-1 scales; the weights are "
                             "illustrative, not estimated.")


def diffusion_explorer() -> Explorer:
    """Lesson 3's explorer: ``diffusion_figure`` over the three channels and the crackdown."""
    return Explorer(
        draw=diffusion_figure,
        controls={
            "border": Slider("Border permeability (traders, refugees)", [0.0, 0.5, 1.0], default=0.5, fmt="{:.0%}"),
            "radios": Slider("Radios and TVs modified", [0.0, 0.25, 0.5], default=0.0, fmt="{:.0%}"),
            "media": Slider("Smuggled DVDs and USB sticks", [0.0, 0.5, 1.0], default=0.5, fmt="{:.0%}"),
            "crackdown": Slider("Crackdown intensity", [0.0, 0.25, 0.5, 0.75, 1.0], default=0.5, fmt="{:.0%}"),
        },
        title="Information diffusion: can repression hold the blockade?",
        note="Open the channels and raise the crackdown. A model, not data.",
    )


# ---- lesson 4 ----------------------------------------------------------------------------------

def cadre_figure(preset: str, purge_risk: float) -> go.Figure:
    """Reform's advantage over the status quo across survival chances and exit options."""
    if preset not in models.CADRE_PRESETS:
        raise models.ModelError(f"no preset {preset!r}; the presets are: {', '.join(models.CADRE_PRESETS)}")
    base = models.CADRE_PRESETS[preset] | {"purge_risk": purge_risk}
    axis = np.round(np.linspace(0, 1, 21), 2)
    z = [[models.cadre_payoffs(**(base | {"survive_reform": float(s), "exit_value": float(e)}))["advantage"]
          for s in axis] for e in axis]
    fig = go.Figure(go.Heatmap(
        x=axis, y=axis, z=z, zmin=-1, zmax=1, colorscale="RdBu", zmid=0,
        colorbar={"title": {"text": "reform minus status quo", "side": "right"}},
        hovertemplate="survive reform %{x:.0%}, exit value %{y:.0%}: %{z:+.2f}<extra></extra>",
    ))
    fig.add_trace(go.Contour(x=axis, y=axis, z=z, showscale=False, contours={"start": 0, "end": 0, "size": 1,
                             "coloring": "none"}, line={"color": "black", "width": 2}, hoverinfo="skip",
                             name="reform pays above/right of this line"))
    here = models.cadre_payoffs(**base)
    fig.add_trace(go.Scatter(x=[base["survive_reform"]], y=[base["exit_value"]], mode="markers+text",
                             marker={"size": 14, "color": "#ffd92f", "line": {"color": "black", "width": 2},
                                     "symbol": "diamond"},
                             text=[preset], textposition="top center", name=preset,
                             hovertemplate=f"{preset}: advantage {here['advantage']:+.2f}<extra></extra>"))
    verdict = "reform pays" if here["advantage"] > 0 else "the status quo pays"
    fig.update_layout(
        title=f"{preset}, purge risk {purge_risk:.0%}: {verdict} ({here['advantage']:+.2f})",
        xaxis={"title": "chance the regime survives reform", "tickformat": ".0%"},
        yaxis={"title": "value of life after a collapse (exit option)", "tickformat": ".0%"},
        height=520, showlegend=False,
    )
    return source_note(fig, MODEL_NOTE + "Today's privileges = 1. Blue: backing reform pays; red: the "
                            "status quo pays; the black line is where they are equal. The other "
                            "parameters are the preset's.", width=90)


def cadre_explorer() -> Explorer:
    """Lesson 4's explorer: ``cadre_figure`` over the preset setting and the purge risk."""
    presets = list(models.CADRE_PRESETS)
    return Explorer(
        draw=cadre_figure,
        controls={"preset": Choice("Setting", {p: p for p in presets}, default="North Korea 2000s"),
                  "purge_risk": Slider("Purge risk under the status quo", [0.0, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8],
                                       default=0.05, fmt="{:.0%}")},
        title="The cadre's choice: when does backing reform pay?",
        note="Pick a setting, then raise the purge risk. A model, not data.",
    )


# ---- lesson 6 ----------------------------------------------------------------------------------

def predictions_figure(reading: str = "the course's ratings", partly: float = 0.5,
                       too_early: str = "leave out") -> go.Figure:
    """Each source's score under one reading of the record and one scoring rule (lesson 6)."""
    scores = models.prediction_scores(models.prediction_ratings(reading), partly=partly, too_early=too_early)
    labels = [f"{a} ({c} of {n} counted)"
              for a, c, n in zip(scores["author"], scores["counted"], scores["predictions"])]
    values = [0 if math.isnan(v) else v for v in scores["score"]]
    best = scores.dropna(subset=["score"])
    top = best[best["score"] == best["score"].max()]["author"].tolist() if not best.empty else []
    fig = go.Figure(go.Bar(
        y=labels, x=values, orientation="h", marker_color=[COLOURS["b"] if a in top else "#9ecae1"
                                                            for a in scores["author"]],
        text=[f"{v:.0%}" if not math.isnan(v) else "nothing counted" for v in scores["score"]],
        textposition="outside", hovertemplate="%{y}: %{x:.0%} of the credit<extra></extra>", name="score",
    ))
    fig.update_layout(
        title=(f"Which source's predictions fared best? {' and '.join(top) or 'none'}"
               f"<br><sub>reading: {reading}; 'partly' earns {partly:.0%}; 'too early to say': {too_early}</sub>"),
        xaxis={"range": [0, 1.15], "tickformat": ".0%", "title": "score: share of the credit earned"},
        yaxis={"autorange": "reversed", "automargin": True}, height=440, margin={"t": 110}, showlegend=False,
    )
    fig = source_note(fig, MODEL_NOTE + "A scoring rule applied to ratings that are the course's and two "
                           "readings' interpretation of the record (data/predictions.csv): 'held' earns 1, "
                           "'failed' 0. Read the counts: a score resting on one prediction says little.", width=90)
    fig.update_layout(meta={**(fig.layout.meta or {}), "csv": "predictions.csv"})  # the ratings it scores
    return fig


def predictions_explorer() -> Explorer:
    """Lesson 6's explorer: ``predictions_figure`` over the reading of the record and the scoring rule."""
    return Explorer(
        draw=predictions_figure,
        controls={
            "reading": Choice("Reading of the record", {r: r for r in models.READINGS}),
            "partly": Slider("Credit for 'partly'", [0.0, 0.25, 0.5, 0.75, 1.0], default=0.5, fmt="{:.0%}"),
            "too_early": Choice("'Too early to say' counts as", {t: t for t in models.TOO_EARLY}),
        },
        title="The sources' predictions against 2016-2025: which thesis stands best?",
        note="Switch the reading of the record, then change how 'partly' and 'too early to say' count. "
             "A model (a scoring rule) over interpretations, not data.",
    )
