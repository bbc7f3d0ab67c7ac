"""Lesson 2's famine chart and stacked dependence model as a reader sees them, in the built book.

At 390 px with touch every estimate shows a mark and its value (a single figure is a marker, not a
2 px bar), no value label is cut at any width, a tapped mark's label stays on the screen, and the
dependence model's two panels, stacked on a phone, leave no empty band between them. The figure's
data table gives each estimate as the CSV has it (that test needs no browser).
"""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from after_stalinism import load
from after_stalinism.course.charts import _estimate_label, famine_estimates_figure
from after_stalinism.display import webfigure
from test_browser import TEXT_PROBLEMS_JS, _device, figures_drawn

LESSON = "notebooks/02_second_economy"
FAMINE = "figure.course-figure:has(.figure-title:text('famine of the 1990s'))"
DEPENDENCE = "figure.explorer:has(.explorer-title:text('The dependence model'))"


def _famine_rows():
    return load("famine_estimates")


def _open(browser, site, width: int):
    context = _device(browser, width)
    page = context.new_page()
    page.goto(f"{site}/{LESSON}.html", wait_until="load")
    figures_drawn(page)
    return context, page


# The value labels of the traces (bar values, marker labels), each with its box and the box it is
# cut to: the plot area when the label or a group around it has a clip path, else the figure's SVG.
LABELS_JS = """(gd) => {
  const svg = gd.querySelector('svg.main-svg').getBoundingClientRect();
  const area = gd.querySelector('.draglayer .nsewdrag').getBoundingClientRect();
  const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
                     height: r.height});
  return [...gd.querySelectorAll('.barlayer text, .scatterlayer text')].map(t => {
    let clipped = false;
    for (let el = t; el && el !== gd; el = el.parentElement) {
      const clip = el.getAttribute('clip-path');
      if (clip && clip !== 'none') { clipped = true; }
    }
    const s = getComputedStyle(t);
    return {text: t.textContent.trim(), box: box(t.getBoundingClientRect()),
            visible: s.display !== 'none' && s.visibility !== 'hidden' && +s.opacity > 0,
            limit: box(clipped ? area : svg), clipped};
  });
}"""

# Each row of a horizontal chart (a y tick label): its centre, and the marks drawn on it.
ROWS_JS = """(gd) => {
  const centre = r => (r.top + r.bottom) / 2;
  const rows = [...gd.querySelectorAll('.yaxislayer-above .ytick text, .yaxislayer-below .ytick text')]
    .map(t => ({label: t.textContent, y: centre(t.getBoundingClientRect())}));
  const marks = [...gd.querySelectorAll('.barlayer .point path, .scatterlayer .point')].map(m => {
    const r = m.getBoundingClientRect();
    return {y: centre(r), width: r.width, height: r.height};
  });
  return {rows, marks};
}"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.book
@pytest.mark.browser
def test_every_famine_estimate_shows_a_mark_and_its_value(browser, site, width):
    context, page = _open(browser, site, width)
    try:
        plot = page.locator(f"{FAMINE} .js-plotly-plot")
        plot.scroll_into_view_if_needed()
        found = page.evaluate(ROWS_JS, plot.element_handle())
        labels = [label for label in page.evaluate(LABELS_JS, plot.element_handle())
                  if label["visible"] and label["box"]["width"] > 0]
        rows = _famine_rows()
        assert len(found["rows"]) == len(rows), found["rows"]
        half_row = (found["rows"][0]["y"] - found["rows"][1]["y"]) / 2
        for row in found["rows"]:
            here = [m for m in found["marks"] if abs(m["y"] - row["y"]) < abs(half_row)]
            assert any(min(m["width"], m["height"]) >= 4 for m in here), \
                f"{row['label']!r} has no visible mark at {width} px: {here}"
            values = [x["text"] for x in labels
                      if abs((x["box"]["top"] + x["box"]["bottom"]) / 2 - row["y"]) < 12]
            assert len(values) == 1 and any(ch.isdigit() for ch in values[0]), \
                f"{row['label']!r} shows no value at {width} px: {values}"
        # the values are the CSV's, in millions ("0.22 m" on a phone, "0.22 million" wider), an upper
        # bound as such ("up to 1 million")
        expected = sorted(_estimate_label(*row) for row in zip(rows["estimate"], rows["low"], rows["high"]))
        if width < 640:
            expected = sorted(text.replace(" million", " m") for text in expected)
        assert sorted(x["text"] for x in labels) == expected
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 768, 1280, 1920])
@pytest.mark.book
@pytest.mark.browser
def test_no_famine_label_is_cut(browser, site, width):
    """A label is cut where it crosses the box it is clipped to (the plot area, or the figure)."""
    context, page = _open(browser, site, width)
    try:
        plot = page.locator(f"{FAMINE} .js-plotly-plot")
        labels = page.evaluate(LABELS_JS, plot.element_handle())
        assert len(labels) == len(_famine_rows())
        for label in labels:
            box, limit = label["box"], label["limit"]
            inside = (box["left"] >= limit["left"] - 1 and box["right"] <= limit["right"] + 1
                      and box["top"] >= limit["top"] - 1 and box["bottom"] <= limit["bottom"] + 1)
            where = "plot area" if label["clipped"] else "figure"
            assert inside, f"{label['text']!r} is cut at the {where}'s edge at {width} px: {box} in {limit}"
        problems = page.evaluate(TEXT_PROBLEMS_JS, plot.element_handle())
        assert problems == [], f"at {width} px: {problems[:5]}"
    finally:
        context.close()


@pytest.mark.book
@pytest.mark.browser
def test_a_tapped_famine_estimate_shows_its_label_on_the_screen(browser, site):
    context, page = _open(browser, site, 390)
    try:
        plot = page.locator(f"{FAMINE} .js-plotly-plot")
        marks = plot.locator(".barlayer .point path, .scatterlayer .point")
        assert marks.count() == len(_famine_rows())
        for i in range(marks.count()):
            marks.nth(i).scroll_into_view_if_needed()
            box = marks.nth(i).bounding_box()
            page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(450)  # two taps within plotly's 300 ms are a double-tap (reset the axes)
            shown = page.evaluate("""() => [...document.querySelectorAll('.hoverlayer .hovertext')].map(h => {
                const r = h.getBoundingClientRect();
                return {text: h.textContent, left: r.left, right: r.right};
            })""")
            assert len(shown) == 1, f"tapping mark {i} shows {len(shown)} labels"
            assert shown[0]["left"] >= 0 and shown[0]["right"] <= 390, \
                f"mark {i}'s label leaves the screen: {shown}"
    finally:
        context.close()


@pytest.mark.book
@pytest.mark.browser
def test_stacked_dependence_panels_leave_no_empty_band(browser, site):
    """At 390 px the two panels stack; between them only the first's tick labels and the second's title."""
    context, page = _open(browser, site, 390)
    try:
        plot = page.locator(f"{DEPENDENCE} .js-plotly-plot")
        areas = sorted((a.bounding_box() for a in plot.locator(".draglayer .nsewdrag").all()),
                       key=lambda b: b["y"])
        assert len(areas) == 2 and areas[0]["width"] > 250, "the panels stack, each with the full width"
        upper, lower = areas
        gap = lower["y"] - (upper["y"] + upper["height"])
        assert 30 <= gap <= 100, f"{gap:.0f} px between the stacked panels"
        assert min(upper["height"], lower["height"]) >= 150, "each panel keeps a readable height"
        problems = page.evaluate(TEXT_PROBLEMS_JS, plot.element_handle())
        assert problems == [], problems[:5]
    finally:
        context.close()


def test_famine_figure_gives_each_estimate_as_the_data_has_it():
    """Ranges are bars from low to high, single figures are markers at their value: the data table
    and the summary built from the traces say so (a single figure was once a bar 8,000 wide)."""
    fig = famine_estimates_figure()
    header, table = webfigure.table_rows(fig)
    assert header == ["series", "deaths", "category", "label"]
    rows = _famine_rows()
    expected = sorted((r.wave, f"{r.low:,}" if r.low == r.high else f"{r.low:,} to {r.high:,}")
                      for r in rows.itertuples())
    assert sorted((series, deaths) for series, deaths, _, _ in table) == expected
    for trace in fig.data:
        if trace.type == "bar":
            assert all(length > 0 for length in trace.x), "a bar is a range"
    labels = {deaths: label for _, deaths, _, label in table}
    assert labels["1,000,000"] == "up to 1 million", "Haggard & Noland (2011): 'as many as one million'"
    assert labels["220,000"] == "0.22 million"
    summary = webfigure.summary_text(fig)
    assert f"of {len(rows)} values" in summary
    assert all(wave in summary for wave in set(rows["wave"]))


def test_data_tables_give_prices_as_numbers_and_months_as_reported():
    """The rice chart's table: a price of 1,300 new won is a number, not the year 1300; dates keep
    the month precision of the reports; the hover gives 0.0008 as such, not rounded to 0.00."""
    from after_stalinism.course.charts import rice_price_figure

    fig = rice_price_figure()
    _, rows = webfigure.table_rows(fig)
    prices = [row[2] for row in rows]
    assert "1,300" in prices and "1300" not in prices
    assert all(len(row[1]) == 7 for row in rows), "dates as YYYY-MM, as the reports give them"
    assert "0.0008" in fig.data[0].customdata
    # a column of years stays a column of years
    years = webfigure.table_rows(go.Figure(go.Bar(x=[2015, 2016], y=[1300, 3300])))[1]
    assert [row[0] for row in years] == ["2015", "2016"] and [row[1] for row in years] == ["1,300", "3,300"]
