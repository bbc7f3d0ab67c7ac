"""How a plotly figure sits on a page of the HTML book: its title and source note as HTML.

In JupyterLab a figure carries its title and its source note (an annotation named
:data:`NOTE_NAME`) inside the plot. On a book page they move out of the SVG into HTML around it,
where the browser wraps them to any width: a phone screen gets the whole plot area, and a long
note can neither be clipped nor sit on a legend. The script ``static/explorer.js``
(``courseLayout``) then adapts the remaining layout to the width it is drawn at: side-by-side
panels stack, long category labels wrap and the legend goes above the plot.
"""

from __future__ import annotations

import hashlib
import html
import json
import re

import plotly.graph_objects as go
import plotly.io as pio

NOTE_NAME = "source-note"
NOTE_GROWTH = "source_note_growth"  # layout.meta key: pixels a figure grew by for its note (figures.source_note)
_KEPT_TAGS = re.compile(r"&lt;(/?(?:br|sub|sup|b|i|em))\s*/?&gt;")


def caption_html(text: str) -> str:
    """Plotly's rich text (``<br>``, ``<sub>``, ``<b>``, ``<i>``) as safe HTML; other markup is escaped."""
    return _KEPT_TAGS.sub(r"<\1>", html.escape(text or "", quote=False))


def title_text(layout: dict) -> str:
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


def figure_payload(fig: go.Figure) -> dict:
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
    return (f'<figure class="course-figure" id="{uid}">'
            f'<figcaption class="figure-title">{payload["title"]}</figcaption>'
            f'<div class="plotly-graph-div" id="{uid}-plot" style="min-height:{int(height)}px"></div>{note}'
            f'<script type="application/json" id="{uid}-spec">{data}</script>'
            f'<script>courseFigure("{uid}");</script></figure>')
