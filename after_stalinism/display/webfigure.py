"""How a plotly figure sits on a page of the HTML book: its title and source note as HTML.

In JupyterLab a figure carries its title and its source note (an annotation named
:data:`NOTE_NAME`) inside the plot. On a book page they move out of the SVG into HTML around it,
where the browser wraps them to any width: a phone screen gets the whole plot area, and a long
note can neither be clipped nor sit on a legend. The script ``static/explorer.js``
(``courseLayout``) then adapts the remaining layout to the width it is drawn at: side-by-side
panels stack, long category labels wrap and the legend goes above the plot.

Every figure also carries what a reader without a mouse or sight needs, in HTML that is there before
plotly.js is (and without it): a one-sentence summary of what is plotted (:func:`summary_text`,
the figure's accessible description) and a collapsible table of the plotted values
(:func:`data_table_html`), read from the same traces the plot draws, with a link to the course's CSV
file the figure comes from (``layout.meta["csv"]``, set by ``charts.data_note``).
"""

from __future__ import annotations

import hashlib
import html
import json
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

NOTE_NAME = "source-note"
NOTE_GROWTH = "source_note_growth"  # layout.meta key: pixels a figure grew by for its note (figures.source_note)
_KEPT_TAGS = re.compile(r"&lt;(/?(?:br|sub|sup|b|i|em))\s*/?&gt;")


def caption_html(text: str) -> str:
    """Plotly's rich text (``<br>``, ``<sub>``, ``<b>``, ``<i>``) as safe HTML; other markup is escaped."""
    return _KEPT_TAGS.sub(r"<\1>", html.escape(text or "", quote=False))


def title_text(layout: dict) -> str:
    """The title of a figure's layout, given as a string or as ``{"text": ...}``; "" if it has none."""
    title = layout.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else str(title or "")


def note_text(layout: dict) -> str:
    """The source note of a figure's layout, as one line of plain text with rich-text tags."""
    notes = [a.get("text", "") for a in layout.get("annotations", []) if a.get("name") == NOTE_NAME]
    return " ".join(n.replace("<br>", " ") for n in notes)


def split_captions(spec: dict) -> dict:
    """A figure's JSON (``data``, ``layout``) with its title and note moved into HTML fields.

    Returns ``{"data", "layout", "title", "note"}``: ``title`` and ``note`` are HTML, ``layout``
    has neither (and its margins no longer leave room for them).
    """
    layout = dict(spec.get("layout", {}))
    title, note = caption_html(title_text(layout)), caption_html(note_text(layout))
    layout.pop("title", None)
    layout["annotations"] = [a for a in layout.get("annotations", []) if a.get("name") != NOTE_NAME]
    margin = dict(layout.get("margin", {}))
    margin.update({"t": 16, "b": 16})  # the axes' automargin adds what their labels need
    layout["margin"] = margin
    meta = layout.get("meta")
    if isinstance(meta, dict) and meta.get(NOTE_GROWTH) and layout.get("height"):
        layout["height"] -= meta[NOTE_GROWTH]  # the note is HTML under the figure here
    return {"data": spec.get("data", []), "layout": layout, "title": title, "note": note}


MAX_TABLE_ROWS = 400
DATA_HREF = "@root/data/"  # resolved per page by the Sphinx extension (sphinxext.site_relative)


def _axis_title(fig: go.Figure, axis: str) -> str:
    title = getattr(fig.layout, axis).title.text
    return re.sub(r"<[^>]+>", " ", title or "").strip()


def _is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating))
                                                    and float(value).is_integer() and abs(value) < 1e15)


def _are_years(values: list) -> bool:
    """True if ``values`` read as years: all whole numbers from 1800 to 2100 (a price of 1,300 in a
    column that also holds 3,300 is not a year)."""
    numbers = [v for v in values if v is not None and not isinstance(v, str)]
    return bool(numbers) and all(_is_whole(v) and 1800 <= v <= 2100 for v in numbers)


def _cell(value, years: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (np.datetime64,)) or hasattr(value, "isoformat"):
        text = str(value)[:10]
        return text
    if _is_whole(value):
        return f"{int(value)}" if years else f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return f"{value:,.4g}" if abs(value) >= 1e-3 else f"{value:.3g}"
    text = re.sub(r"<br\s*/?>", " ", str(value))
    return re.sub(r"T00:00:00$", "", text)


def _values(trace, name: str) -> list:
    values = getattr(trace, name, None)
    return [] if values is None else list(values)


def table_rows(fig: go.Figure) -> tuple[list[str], list[list[str]]]:
    """The plotted values of ``fig``: a header and one row per point (series, x, y, label)."""
    x_title, y_title = _axis_title(fig, "xaxis") or "category", _axis_title(fig, "yaxis") or "category"
    rows, labelled = [], False
    for trace in fig.data:
        xs, ys = _values(trace, "x"), _values(trace, "y")
        if (not xs and not ys) or getattr(trace, "z", None) is not None:
            continue  # a surface (heatmap, contour) is a matrix: see matrix_html
        n = max(len(xs), len(ys))
        base = getattr(trace, "base", None)
        if trace.type == "bar" and base is not None:  # a bar from base to base + length: show the range
            bases = list(base) if isinstance(base, (list, tuple, np.ndarray)) else [base] * n
            horizontal = trace.orientation == "h"
            ends = xs if horizontal else ys
            spans = [f"{_cell(b)} to {_cell(b + e)}" for b, e in zip(bases, ends)]
            xs, ys = (spans, ys) if horizontal else (xs, spans)
        texts = _values(trace, "text")
        text = [texts[i] if i < len(texts) else "" for i in range(n)] if texts else [""] * n
        labelled = labelled or any(text)
        x_years, y_years = _are_years(xs), _are_years(ys)
        for i in range(n):
            rows.append([caption_html(str(trace.name or "")).replace("<br>", " "),
                         _cell(xs[i] if i < len(xs) else None, x_years),
                         _cell(ys[i] if i < len(ys) else None, y_years), _cell(text[i])])
    header = ["series", x_title, y_title, "label"]
    if not labelled:
        header, rows = header[:3], [r[:3] for r in rows]
    if all(not r[0] for r in rows):
        header, rows = header[1:], [r[1:] for r in rows]
    return header, rows[:MAX_TABLE_ROWS]


def summary_text(fig: go.Figure) -> str:
    """One sentence saying what the figure plots, for its accessible description."""
    names = [re.sub(r"<[^>]+>", " ", str(t.name)).strip() for t in fig.data if t.name and t.showlegend is not False]
    _, rows = table_rows(fig)
    kinds = sorted({t.type for t in fig.data})
    kind = {"bar": "bar chart", "scatter": "chart"}.get(kinds[0], "chart") if len(kinds) == 1 else "chart"
    parts = [f"A {kind} of {len(rows)} value{'s' if len(rows) != 1 else ''}"]
    surface = next((t for t in fig.data if getattr(t, "z", None) is not None), None)
    if surface is not None:
        cells = f"{len(_values(surface, 'y'))} by {len(_values(surface, 'x'))}"
        parts = [f"A heatmap of {cells} values" + (f" with {len(rows)} marked point{'s' if len(rows) != 1 else ''}"
                                                  if rows else "")]
    axes = [t for t in (_axis_title(fig, "xaxis"), _axis_title(fig, "yaxis")) if t]
    if axes:
        parts.append(" against ".join(reversed(axes)) if len(axes) == 2 else axes[0])
    if names:
        parts.append(f"series: {', '.join(names[:8])}")
    return "; ".join(parts) + ". The table of its data follows the figure."


def matrix_html(fig: go.Figure) -> str:
    """The first surface (heatmap) of ``fig`` as a table: a row per y value, a column per x value."""
    trace = next((t for t in fig.data if getattr(t, "z", None) is not None), None)
    if trace is None:
        return ""
    xs, ys, z = _values(trace, "x"), _values(trace, "y"), [list(row) for row in trace.z]
    x_title, y_title = _axis_title(fig, "xaxis") or "x", _axis_title(fig, "yaxis") or "y"
    x_years, y_years = _are_years(xs), _are_years(ys)  # once per axis, not once per cell
    head = (f'<th scope="col">{html.escape(y_title)} (rows), {html.escape(x_title)} (columns)</th>'
            + "".join(f'<th scope="col">{_cell(x, x_years)}</th>' for x in xs))
    body = "".join(f'<tr><th scope="row">{_cell(y, y_years)}</th>'
                   + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for y, row in zip(ys, z))
    return f'<table class="figure-matrix"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def table_html(fig: go.Figure) -> str:
    """The figure's plotted values as HTML tables (cells are escaped rich text): one row per point,
    and a surface (heatmap) as a matrix."""
    header, rows = table_rows(fig)
    points = ""
    if rows:
        head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        points = f'<table class="figure-points"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return points + matrix_html(fig)


def data_table_html(fig: go.Figure, uid: str) -> str:
    """A collapsible table of the figure's plotted values, with the CSV file it comes from."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    csv = meta.get("csv")
    name = html.escape(csv or "")
    link = f' <a class="figure-csv" href="{DATA_HREF}{name}" download>Download the data ({name})</a>' if csv else ""
    return (f'<details class="figure-data" id="{uid}-data"><summary>Data of this figure</summary>'
            f'<div class="figure-data-table" tabindex="0" role="region" aria-label="Data of this figure">'
            f'{table_html(fig)}</div>'
            f'<p class="figure-data-source">The values plotted, as the figure draws them.{link}</p></details>')


def figure_payload(fig: go.Figure) -> dict:
    """``fig`` as JSON for a page's script, its title and note moved into HTML fields (``split_captions``)."""
    return split_captions(json.loads(pio.to_json(fig, validate=False)))


def figure_html(fig: go.Figure, config: dict) -> str:
    """A figure as a book page shows it: title, plot and source note, drawn by ``courseFigure``."""
    payload = figure_payload(fig)
    payload["config"] = config
    data = json.dumps(payload, separators=(",", ":"))
    uid = "figure-" + hashlib.sha1(data.encode()).hexdigest()[:10]
    data = data.replace("</", "<\\/")  # keep the JSON from closing its script tag
    height = payload["layout"].get("height") or 450
    note = f'<p class="figure-note">{payload["note"]}</p>' if payload["note"] else ""
    summary = html.escape(summary_text(fig))
    return (f'<figure class="course-figure" id="{uid}" aria-labelledby="{uid}-title" aria-describedby="{uid}-summary">'
            f'<figcaption class="figure-title" id="{uid}-title">{payload["title"]}</figcaption>'
            f'<p class="figure-summary" id="{uid}-summary">{summary}</p>'
            f'<div class="plotly-graph-div" id="{uid}-plot" style="min-height:{int(height)}px"></div>{note}'
            f'{data_table_html(fig, uid)}'
            f'<script type="application/json" id="{uid}-spec">{data}</script>'
            f'<script>courseFigure("{uid}");</script></figure>')
