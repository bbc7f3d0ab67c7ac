"""Charts of the course data. Each returns a plotly Figure whose caption names its source."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from .data import load

REDENOMINATION = pd.Timestamp("2009-11-30")
OLD_WON_PER_NEW_WON = 100


def _source_note(fig: go.Figure, text: str) -> go.Figure:
    fig.add_annotation(text="<br>".join(textwrap.wrap(text, 100)), xref="paper", yref="paper", x=0, y=-0.22, showarrow=False,
                       xanchor="left", yanchor="top", font={"size": 11, "color": "#444"}, align="left")
    fig.update_layout(margin={"b": 110})
    return fig


def rice_prices_in(unit: str, prices: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rice prices with a ``price`` column in one unit ("old won" or "new won"), rows with a year only.

    The redenomination of 30 Nov 2009 made 100 old won into 1 new won, so prices on either side
    are comparable only after conversion.
    """
    if unit not in ("old won", "new won"):
        raise ValueError(f"unit must be 'old won' or 'new won', not {unit!r}")
    prices = load("rice_prices") if prices is None else prices
    frame = prices.dropna(subset=["year"]).copy()
    factor = {("old won", "new won"): 1 / OLD_WON_PER_NEW_WON,
              ("new won", "old won"): OLD_WON_PER_NEW_WON}
    frame["price"] = [
        value * factor.get((given, unit), 1.0)
        for value, given in zip(frame["rice_won_per_kg"], frame["currency_unit"])
    ]
    frame["date"] = pd.to_datetime(frame["date_as_reported"].str.slice(0, 7), format="%Y-%m")
    return frame.sort_values("date")


def rice_price_figure(unit: str = "new won", scale: str = "log", start_year: int = 2002) -> go.Figure:
    """Rice price observations, state and market, in one currency unit."""
    frame = rice_prices_in(unit)
    frame = frame[frame["year"] >= start_year]
    fig = go.Figure()
    for kind, style in (("state", {"symbol": "square", "color": "#8c2d04"}),
                        ("market", {"symbol": "circle", "color": "#08519c"})):
        part = frame[frame["price_type"].str.contains(kind)]
        fig.add_trace(go.Scatter(
            x=part["date"], y=part["price"], mode="markers", name=f"{kind} price",
            marker={"size": 9, **style},
            text=part["place"] + " — " + part["source"],
            hovertemplate="%{x|%b %Y}: %{y:,.2f} " + unit + "/kg<br>%{text}<extra></extra>",
        ))
    fig.add_vline(x=REDENOMINATION, line_dash="dash", line_color="#555")
    fig.add_annotation(x=REDENOMINATION, y=1, yref="paper", text="redenomination, 30 Nov 2009",
                       showarrow=False, xanchor="left", yanchor="bottom", font={"size": 11})
    fig.update_layout(
        title=f"Rice in North Korea, won per kg (all prices in {unit})",
        yaxis={"title": f"{unit} per kg", "type": scale},
        xaxis={"title": "date of the report"}, height=460, legend={"orientation": "h", "y": 1.1, "x": 0},
    )
    return _source_note(fig, "Data: scattered reports (Nautilus 2004, Daily NK, Good Friends, RFA, "
                             "Asiapress); see the rice_prices table. Not a continuous series.")


def defector_arrivals_figure(series: str = "arrivals_latest_vintage_seen") -> go.Figure:
    """Annual arrivals of North Korean defectors in South Korea."""
    frame = load("defector_arrivals")
    frame = frame[frame["row_type"] == "annual"].dropna(subset=[series])
    fig = go.Figure(go.Bar(x=frame["year"], y=frame[series], marker_color="#08519c",
                           name="arrivals", hovertemplate="%{x}: %{y:,} people<extra></extra>"))
    fig.update_layout(title="North Korean defectors arriving in South Korea, by year",
                      yaxis_title="people", xaxis_title="year", height=420)
    return _source_note(fig, "Data: Ministry of Unification figures as reported in the press "
                             "(defector_arrivals table; values are revised between vintages).")


def timeline_figure() -> go.Figure:
    """Events of the timeline table on a time axis, one row per lesson."""
    frame = load("timeline")
    lesson_names = {1: "1 Stalinism", 2: "2 Second economy", 3: "3 Information", 4: "4 Elite"}
    fig = go.Figure(go.Scatter(
        x=frame["year"], y=[lesson_names[int(v)] for v in frame["lesson"]], mode="markers",
        marker={"size": 11, "color": "#08519c", "line": {"width": 1, "color": "white"}},
        text=frame["date_as_reported"] + ": " + frame["event"],
        hovertemplate="%{text}<extra></extra>", name="events",
    ))
    fig.update_layout(title="Timeline, 1945–2016 (hover for each event and its date)",
                      xaxis_title="year", yaxis={"categoryorder": "array",
                                                 "categoryarray": list(lesson_names.values())[::-1]},
                      height=380, showlegend=False)
    return _source_note(fig, "Data: timeline table; each event names its source.")
