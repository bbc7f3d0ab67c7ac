"""Charts of the course data. Each returns a plotly Figure whose caption names its source."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from .data import load
from .lessons import lesson

REDENOMINATION = pd.Timestamp("2009-11-30")
OLD_WON_PER_NEW_WON = 100


def source_note(fig: go.Figure, text: str, width: int = 100, bottom: int = 110) -> go.Figure:
    """A caption under the plot naming the source; ``width`` is characters per line, ``bottom``
    the margin in pixels that leaves room for it."""
    fig.add_annotation(text="<br>".join(textwrap.wrap(text, width)), xref="paper", yref="paper", x=0, y=-0.22, showarrow=False,
                       xanchor="left", yanchor="top", font={"size": 11, "color": "#444"}, align="left")
    fig.update_layout(margin={"b": bottom})
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
    return source_note(fig, "Data: scattered reports (Nautilus 2004, Daily NK, Good Friends, RFA, "
                             "Asiapress); see the rice_prices table. Not a continuous series.")


def defector_arrivals_figure(series: str = "arrivals_latest_vintage_seen") -> go.Figure:
    """Annual arrivals of North Korean defectors in South Korea."""
    frame = load("defector_arrivals")
    frame = frame[frame["row_type"] == "annual"].dropna(subset=[series])
    fig = go.Figure(go.Bar(x=frame["year"], y=frame[series], marker_color="#08519c",
                           name="arrivals", hovertemplate="%{x}: %{y:,} people<extra></extra>"))
    fig.update_layout(title="North Korean defectors arriving in South Korea, by year",
                      yaxis_title="people", xaxis_title="year", height=420)
    return source_note(fig, "Data: Ministry of Unification figures as reported in the press "
                             "(defector_arrivals table; values are revised between vintages).")


def timeline_figure() -> go.Figure:
    """Events of the timeline table on a time axis, one row per lesson that has events."""
    frame = load("timeline")
    rows = [lesson(n).label for n in sorted({int(v) for v in frame["lesson"]})]
    fig = go.Figure(go.Scatter(
        x=frame["year"], y=[lesson(int(v)).label for v in frame["lesson"]], mode="markers",
        marker={"size": 11, "color": "#08519c", "line": {"width": 1, "color": "white"}},
        text=frame["date_as_reported"] + ": " + frame["event"],
        hovertemplate="%{text}<extra></extra>", name="events",
    ))
    fig.update_layout(title="Timeline, 1945–2016 (hover for each event and its date)",
                      xaxis_title="year", yaxis={"categoryorder": "array",
                                                 "categoryarray": rows[::-1]},
                      height=380, showlegend=False)
    return source_note(fig, "Data: timeline table; each event names its source.")


def market_counts_figure() -> go.Figure:
    """Official-market counts, one series per counter: the counters measure different things."""
    frame = load("official_markets").dropna(subset=["year"])
    fig = go.Figure()
    symbols = ["circle", "square", "diamond", "triangle-up", "x"]
    for (counter, part), symbol in zip(frame.groupby("counter", sort=True), symbols):
        fig.add_trace(go.Scatter(
            x=part["year"], y=part["count"], mode="markers", name=counter,
            marker={"size": 11, "symbol": symbol}, text=part["what_is_counted"],
            hovertemplate="%{x}: %{y} markets<br>%{text}<extra>" + counter + "</extra>",
        ))
    fig.update_layout(title="Counts of North Korea's official markets, by who counted",
                      xaxis={"title": "year of the count", "dtick": 1}, yaxis={"title": "markets", "range": [0, 500]},
                      height=440, legend={"orientation": "h", "y": -0.25, "x": 0})
    return source_note(fig, "Data: official_markets table (RFA, Hankyung, Yonhap, SBS, Daily NK Japan). Counters "
                            "use different definitions; counts whose year was not shown are left out.", bottom=170)


def famine_estimates_figure() -> go.Figure:
    """Each famine death estimate as a range, grouped by the wave it belongs to."""
    frame = load("famine_estimates").iloc[::-1]
    colours = {"official": "#525252", "contemporaneous": "#8c2d04", "pre-census demographic": "#08519c",
               "census-based": "#41ab5d", "later summary": "#6a51a3"}
    fig = go.Figure()
    for wave, colour in colours.items():
        part = frame[frame["wave"] == wave]
        fig.add_trace(go.Bar(
            y=part["who"].str.slice(0, 48), x=(part["high"] - part["low"]).where(part["high"] > part["low"], 8000),
            base=part["low"], orientation="h", name=wave, marker_color=colour,
            text=part["estimate"], hovertemplate="%{text}<br>%{y}<extra>" + wave + "</extra>",
        ))
    fig.update_layout(title="Estimates of excess deaths in the famine of the 1990s",
                      xaxis={"title": "deaths", "tickformat": ",", "range": [0, 3_600_000]},
                      yaxis={"automargin": True}, height=480, barmode="overlay",
                      legend={"orientation": "h", "y": 1.1, "x": 0})
    return source_note(fig, "Data: famine_estimates table (Haggard & Noland 2007, pp. 73-74; Goodkind & West 2001; "
                             "Noland, PIIE blog 2013 and 2015). Census-based rows seen only in Noland's summary.")


def income_shares_figure() -> go.Figure:
    frame = load("income_shares")
    labels = frame["country"] + ", " + frame["period"] + " (" + frame["study"] + ")"
    fig = go.Figure(go.Bar(
        y=labels, x=frame["share_pct"], orientation="h",
        marker_color=["#08519c" if c == "North Korea" else "#8c2d04" for c in frame["country"]],
        text=[("at least " if low else "") + f"{v:.0f}%" for v, low in zip(frame["share_pct"], frame["at_least"])],
        textposition="outside", customdata=frame["measure"],
        hovertemplate="%{y}: %{text}<br>%{customdata}<extra></extra>",
    ))
    fig.update_layout(title="How much of households' income came from outside the state?",
                      xaxis={"title": "per cent (the measures differ: see hover)", "range": [0, 100]},
                      yaxis={"automargin": True, "autorange": "reversed"}, height=380, showlegend=False)
    return source_note(fig, "Data: income_shares table (Kim & Song 2008; Kim & Kim 2016, citing Grossman 1987 and "
                             "Kim 2003). The Soviet 23% is a share of spending, not income.")


def mobile_subscribers_figure() -> go.Figure:
    """Subscribers of North Korea's two mobile networks, one series each: nothing was counted during the 2004-08 ban."""
    frame = load("mobile_subscribers")
    fig = go.Figure()
    for network, colour, symbol in (("Sunnet", "#969696", "square"), ("Koryolink", "#08519c", "circle")):
        rows = frame[frame["network"] == network]
        fig.add_trace(go.Scatter(
            x=rows["date_as_reported"], y=rows["subscribers"], mode="lines+markers", name=network,
            marker={"size": 9, "color": colour, "symbol": symbol}, line={"color": colour},
            text=rows["network"] + ", " + rows["source"], hovertemplate="%{x}: %{y:,}<br>%{text}<extra></extra>",
        ))
    fig.update_layout(title="Mobile phone subscribers in North Korea, 2003-2013: two separate networks",
                      xaxis={"title": "date of the count (uneven intervals)", "type": "category"},
                      yaxis={"title": "subscribers", "tickformat": ","}, height=420, showlegend=True,
                      legend={"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"})
    return source_note(fig, "Data: mobile_subscribers table (38 North; Orascom via the press). Sunnet was banned in 2004 "
                             "after the Ryongchon explosion; Koryolink opened in December 2008. No counts exist for the ban.")


def purge_claims_figure() -> go.Figure:
    """INSS's claimed yearly numbers of executed or purged executives, labelled as claims."""
    frame = load("purge_claims")
    frame = frame[frame["measure"].str.startswith("executed or purged executives, ")]
    years = frame["measure"].str.slice(-4)
    fig = go.Figure(go.Bar(x=years, y=frame["count"], marker_color="#8c2d04",
                           hovertemplate="%{x}: %{y} (INSS claim)<extra></extra>", name="claimed"))
    fig.update_layout(title="Executions and purges of officials claimed by INSS (South Korean intelligence), 2012-15",
                      xaxis_title="year", yaxis_title="officials executed or purged (claimed)", height=400)
    return source_note(fig, "CLAIMS, not confirmed figures: INSS white paper (Dec 2016) via Korea Times and Daily NK; "
                             "see the purge_claims table. Some earlier execution claims were later contradicted.")
