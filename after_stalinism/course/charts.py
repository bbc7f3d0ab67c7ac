"""Charts of the course data. Each returns a plotly Figure whose caption names its source."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
import plotly.graph_objects as go

from ..display.webfigure import NOTE_GROWTH, NOTE_NAME
from . import data
from .data import load
from .lessons import lesson

REDENOMINATION = pd.Timestamp("2009-11-30")
OLD_WON_PER_NEW_WON = 100


def source_note(fig: go.Figure, text: str, width: int = 100, below: int = 64, grow: bool = False) -> go.Figure:
    """A note under the plot naming the source: ``width`` characters per line, ``below`` pixels
    under the plot area (clear of the x axis's labels and title), with the bottom margin it needs.

    The note is an annotation named ``webfigure.NOTE_NAME``: the HTML book shows it as a caption
    under the figure instead. ``grow``: the figure grows by the note's margin (recorded in
    ``layout.meta``, which the book takes off again), so a long note does not squash the plot."""
    lines = textwrap.wrap(text, width)
    # Anchored at the plot's right edge: a wide left margin (long bar labels) cannot push it off.
    fig.add_annotation(text="<br>".join(lines), name=NOTE_NAME, xref="paper", yref="paper", x=1, y=0,
                       yshift=-below, showarrow=False, xanchor="right", yanchor="top",
                       font={"size": 11, "color": "#444"}, align="left")
    bottom = below + 15 * len(lines) + 12
    if grow:
        fig.update_layout(height=(fig.layout.height or 450) + bottom, meta={NOTE_GROWTH: bottom})
    fig.update_layout(margin={"b": bottom})
    return fig


def data_note(fig: go.Figure, table: str, lead: str = "", remark: str = "", width: int = 100,
              grow: bool = False) -> go.Figure:
    """A source note built from ``table``'s sources and certainty in data/datapackage.json; the
    figure also names its CSV file (``layout.meta["csv"]``: the book links to it under the figure)."""
    fig = source_note(fig, " ".join(part for part in (lead, data.citation(table), remark) if part), width=width,
                      grow=grow)
    fig.update_layout(meta={**(fig.layout.meta or {}), "csv": f"{table}.csv"})
    return fig


def legend_on_top(fig: go.Figure, rows: int = 1, title_lines: int = 1, above: int = 0) -> go.Figure:
    """Title at the top, then the legend in ``rows`` horizontal rows, then the plot: the legend
    never meets the axis labels or the source note under the plot. ``above``: pixels to leave
    between legend and plot (for subplot titles)."""
    height = fig.layout.height or 450
    fig.update_layout(title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12 + 8 * (title_lines - 1)}},
                      legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.01 + above / height,
                              "yanchor": "bottom"},
                      margin={"t": 24 + 26 * title_lines + 24 * rows + above})
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


def _won(value: float) -> str:
    """A price as a reader would write it: "6,000", "26", "20.5", "0.43", "0.0008" (not "0.00")."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value >= 0.1 else f"{value:.2g}"


def rice_price_figure(unit: str = "new won", scale: str = "log", start_year: int = 2002) -> go.Figure:
    """Rice price observations, state and market, in one currency unit."""
    frame = rice_prices_in(unit)
    frame = frame[frame["year"] >= start_year]
    fig = go.Figure()
    for kind, style in (("state", {"symbol": "square", "color": "#8c2d04"}),
                        ("market", {"symbol": "circle", "color": "#08519c"})):
        part = frame[frame["price_type"].str.contains(kind)]
        fig.add_trace(go.Scatter(
            # month precision, as the reports give it (a full date would invent a day)
            x=part["date"].dt.strftime("%Y-%m"), y=part["price"], mode="markers", name=f"{kind} price",
            marker={"size": 9, **style},
            text=part["place"] + " — " + part["source"], customdata=[_won(v) for v in part["price"]],
            hovertemplate="%{x|%b %Y}: %{customdata} " + unit + "/kg<br>%{text}<extra></extra>",
        ))
    # The line's own label, not an annotation: plotly widens the x-axis to fit an annotation's text
    # (on a phone, to 2020, in several slow layout passes); a shape's label stays on the line.
    fig.add_vline(x=REDENOMINATION, line_dash="dash", line_color="#555",
                  label={"text": "redenomination,<br>30 Nov 2009", "textposition": "end", "textangle": 0,
                         "xanchor": "right", "yanchor": "top", "font": {"size": 11}})
    fig.update_layout(
        title=f"Rice in North Korea, won per kg (all prices in {unit})",
        yaxis={"title": f"{unit} per kg", "type": scale},
        xaxis={"title": "date of the report"}, height=540,
    )
    converted = "Prices reported in old won are divided" if unit == "new won" else "Prices in new won are multiplied"
    return data_note(legend_on_top(fig), "rice_prices", remark=(
        f"Not a continuous series. {converted} by 100: the redenomination made 100 old won into 1 new won."))


def defector_arrivals_figure(series: str = "arrivals_latest_vintage_seen") -> go.Figure:
    """Annual arrivals of North Korean defectors in South Korea."""
    frame = load("defector_arrivals")
    frame = frame[frame["row_type"] == "annual"].dropna(subset=[series])
    fig = go.Figure(go.Bar(x=frame["year"], y=frame[series], marker_color="#08519c",
                           name="arrivals", hovertemplate="%{x}: %{y:,} people<extra></extra>"))
    fig.update_layout(title="North Korean defectors arriving in South Korea, by year",
                      yaxis_title="people", xaxis_title="year", height=500)
    return data_note(fig, "defector_arrivals")


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
    fig.update_layout(title="Timeline, 1945–2025 (tap or hover on a dot for its event and date)",
                      xaxis_title="year", yaxis={"categoryorder": "array", "categoryarray": rows[::-1],
                                                 "ticklabelstandoff": 14},  # the bottom row's label clears "1940"
                      height=440, showlegend=False)
    # The source note is long: grow the figure by its margin, so that in JupyterLab (where the note
    # sits inside the figure) the plot keeps its 440 px and every lesson's row is labelled.
    return data_note(fig, "timeline", grow=True)


def market_counts_figure() -> go.Figure:
    """Market counts, one series per counter: the counters measure different things.

    A counter named with a report's author in brackets ("KINU (Hong Min)") is drawn with its
    institution ("KINU") when that institution is also a counter: one counter, one series."""
    frame = load("official_markets").dropna(subset=["year"])
    names = set(frame["counter"])
    frame = frame.assign(counter=[
        base if (base := re.sub(r"\s*\([^)]*\)$", "", name)) in names else name for name in frame["counter"]])
    fig = go.Figure()
    symbols = ["circle", "square", "diamond", "triangle-up", "x"]
    for (counter, part), symbol in zip(frame.groupby("counter", sort=True), symbols):
        fig.add_trace(go.Scatter(
            x=part["year"], y=part["count"], mode="markers", name=counter,
            marker={"size": 11, "symbol": symbol}, text=part["what_is_counted"],
            hovertemplate="%{x}: %{y} markets<br>%{text}<extra>" + counter + "</extra>",
        ))
    fig.update_layout(title="Counts of North Korea's markets, by who counted",
                      xaxis={"title": "year of the count", "dtick": 1}, yaxis={"title": "markets", "range": [0, 500]},
                      height=560)
    legend_on_top(fig, rows=3).update_layout(legend={"entrywidth": 0.5, "entrywidthmode": "fraction"})  # two columns
    return data_note(fig, "official_markets",
                     remark="Counters use different definitions; counts whose year was not shown are left out.")


def _millions(low: float, high: float) -> str:
    """A death-toll range in millions, short enough to print beside its bar: "0.6-1 million"."""
    low_m, high_m = f"{low / 1e6:.2g}", f"{high / 1e6:.2g}"
    return f"{high_m} million" if low_m == high_m else f"{low_m}-{high_m} million"


def _estimate_label(estimate: str, low: float, high: float) -> str:
    """The short label of an estimate: its range in millions, and "up to" where the source gives only
    an upper bound ("as many as one million" is not a point estimate of one million)."""
    bound = "up to " if estimate.lower().startswith(("as many as", "up to")) else ""
    return bound + _millions(low, high)


def famine_estimates_figure() -> go.Figure:
    """Each famine death estimate, grouped by the wave it belongs to: a range as a bar from its low to
    its high figure, a single figure as a marker (a bar would be too thin to see)."""
    frame = load("famine_estimates").iloc[::-1]
    colours = {"official": "#525252", "contemporaneous": "#8c2d04", "pre-census demographic": "#08519c",
               "census-based": "#41ab5d", "later summary": "#6a51a3"}
    frame = frame.assign(row=["<br>".join(textwrap.wrap(who, 40)) for who in frame["who"]],
                         label=[_estimate_label(text, low, high)
                                for text, low, high in zip(frame["estimate"], frame["low"], frame["high"])],
                         hover=["<br>".join(textwrap.wrap(text, 30)) for text in frame["estimate"]])
    fig, rows = go.Figure(), []
    for wave, colour in colours.items():
        part = frame[frame["wave"] == wave]
        rows += list(part["row"])  # from the bottom up: the waves in order
        ranges, points = part[part["high"] > part["low"]], part[part["high"] <= part["low"]]
        # A short hover label (the row already names who): it fits beside a mark on a phone.
        shared = {"name": wave, "legendgroup": wave, "cliponaxis": False,
                  "hovertemplate": "%{customdata}<br><i>" + wave + "</i><extra></extra>"}
        if len(ranges):
            fig.add_trace(go.Bar(y=ranges["row"], x=ranges["high"] - ranges["low"], base=ranges["low"],
                                 orientation="h", marker_color=colour, text=ranges["label"],
                                 textposition="outside", customdata=ranges["hover"], **shared))
        if len(points):
            fig.add_trace(go.Scatter(y=points["row"], x=points["low"], mode="markers+text",
                                     marker={"symbol": "diamond", "size": 13, "color": colour,
                                             "line": {"width": 1, "color": "white"}},
                                     text=points["label"], textposition="middle right",
                                     customdata=points["hover"], showlegend=not len(ranges), **shared))
    fig.update_layout(title="Estimates of excess deaths in the famine of the 1990s",
                      xaxis={"title": "deaths", "tickformat": "~s", "range": [0, 4_200_000]},  # "1M": fits
                      yaxis={"automargin": True, "categoryorder": "array", "categoryarray": rows},
                      height=640, barmode="overlay")
    return data_note(legend_on_top(fig, rows=2), "famine_estimates")


def income_shares_figure() -> go.Figure:
    """Each study's share of households' income from outside the state, North Korea beside the USSR: one bar
    per study, a lower bound labelled "at least", the measure (which differs between studies) on hover."""
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
                      xaxis={"title": "per cent (measures differ: tap or hover)", "range": [0, 100]},
                      yaxis={"automargin": True, "autorange": "reversed"}, height=440, showlegend=False)
    return data_note(fig, "income_shares", remark="The Soviet 23% is a share of spending, not income.")


def mobile_subscribers_figure() -> go.Figure:
    """Subscribers of North Korea's two mobile networks, one series each: nothing was counted during the 2004-08 ban."""
    frame = load("mobile_subscribers")
    fig = go.Figure()
    for network, colour, symbol in (("Sunnet", "#969696", "square"), ("Koryolink", "#08519c", "circle")):
        rows = frame[frame["network"] == network]
        fig.add_trace(go.Scatter(
            x=[date.replace(" 20", "<br>20") for date in rows["date_as_reported"]], y=rows["subscribers"],
            mode="lines+markers", name=network, marker={"size": 9, "color": colour, "symbol": symbol},
            line={"color": colour}, text=rows["network"] + ", " + rows["source"],
            hovertemplate="%{x}: %{y:,}<br>%{text}<extra></extra>",
        ))
    fig.update_layout(title="Mobile phone subscribers in North Korea, 2003-2013: two separate networks",
                      xaxis={"title": "date of the count (uneven intervals)", "type": "category", "tickangle": 0},
                      yaxis={"title": "subscribers", "tickformat": ","}, height=480, showlegend=True)
    return data_note(legend_on_top(fig, rows=1), "mobile_subscribers",
                     remark="Sunnet was banned in 2004 after the Ryongchon explosion; Koryolink opened in "
                            "December 2008. No counts exist for the ban.")


def purge_claims_figure() -> go.Figure:
    """INSS's claimed yearly numbers of executed or purged executives, labelled as claims."""
    frame = load("purge_claims")
    frame = frame[frame["measure"].str.startswith("executed or purged executives, ")]
    years = frame["measure"].str.slice(-4)
    fig = go.Figure(go.Bar(x=years, y=frame["count"], marker_color="#8c2d04",
                           hovertemplate="%{x}: about %{y} (INSS claim, an estimate)<extra></extra>", name="claimed"))
    fig.update_layout(title="Executions and purges of officials claimed by INSS<br>"
                            "(South Korean intelligence), 2012-15",
                      margin={"t": 90},
                      xaxis_title="year", yaxis_title="officials executed or purged (claimed)", height=540)
    return data_note(fig, "purge_claims",
                     lead=("CLAIMS, not confirmed figures: estimates from the INSS white paper (Dec 2016), "
                           "as the press reported them."),
                     remark="Some earlier execution claims were later contradicted.")


def china_trade_figure() -> go.Figure:
    """North Korea's trade with China, 2019-2023: China's customs series, with KOTRA's 2022 estimate apart."""
    frame = load("trade_with_china")
    customs = frame[frame["series"] == "China customs"].sort_values("year")
    kotra = frame[frame["series"] == "KOTRA estimate"]
    fig = go.Figure(go.Bar(x=customs["year"], y=customs["trade_usd_million"], name="China customs",
                           marker_color="#08519c", text=[f"{v:,.0f}" for v in customs["trade_usd_million"]],
                           textposition="outside", hovertemplate="%{x}: US$%{y:,} million<extra>China customs</extra>"))
    fig.add_trace(go.Scatter(x=kotra["year"], y=kotra["trade_usd_million"], mode="markers", name="KOTRA estimate",
                             marker={"size": 13, "symbol": "diamond", "color": "#8c2d04"},
                             hovertemplate="%{x}: US$%{y:,} million<extra>KOTRA estimate</extra>"))
    fig.update_layout(title="North Korea's trade with China, US$ million: the closed border and after",
                      xaxis={"title": "year", "dtick": 1}, yaxis={"title": "US$ million", "range": [0, 3300]},
                      height=480)
    legend_on_top(fig)
    return data_note(fig, "trade_with_china", remark="The border was closed from late January 2020; "
                                                "freight trains resumed in 2022 and passenger flights in August 2023.")
