"""The static-twin pattern: one Explorer, live widgets in a kernel, precomputed runs in the book."""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import pytest

from after_stalinism import Choice, Explorer, Slider
from after_stalinism.display.figures import STATIC_ENV, figure_html


def line(slope, style="lines"):
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[0, slope, 2 * slope], mode=style))


def make():
    return Explorer(draw=line,
                    controls={"slope": Slider("Slope", [1, 2, 3], default=2),
                              "style": Choice("Style", {"lines": "lines", "dots": "markers"})},
                    title="A line <with> a slope", note="A toy model for tests.")


def test_static_html_holds_every_run_with_native_labelled_controls(monkeypatch):
    monkeypatch.setenv(STATIC_ENV, "1")
    explorer = make()
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}  # no widget view: nothing frozen
    html = bundle["text/html"]
    payload = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S).group(1))
    figures = payload["runs"]["figures"]
    assert sorted(figures) == ["0-0", "0-1", "1-0", "1-1", "2-0", "2-1"]
    assert figures["2-1"]["data"][0]["mode"] == "markers"
    assert payload["runs"]["template"] is not None
    assert all("template" not in f["layout"] for f in figures.values())  # stored once
    assert 'value="1"' in html  # the slider starts at its default (index 1 = slope 2)
    assert re.search(r'<label for="(explorer-\w+-c0)">Slope</label>.*id="\1"', html)
    assert "A line &lt;with&gt; a slope" in html  # titles are escaped


def test_live_mode_gives_one_widget_and_redraws_on_change(monkeypatch):
    monkeypatch.delenv(STATIC_ENV, raising=False)
    explorer = make()
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    panel = explorer.widget()
    slope = panel.children[1]
    assert slope.value == 2 and [label for label, _ in slope.options] == ["1", "2", "3"]
    slope.value = 3
    assert explorer.figure(slope=3, style="lines").data[0].y[-1] == 6


def test_bad_configurations_are_refused_clearly():
    with pytest.raises(ValueError, match="at least one control"):
        Explorer(draw=line, controls={}, title="t")
    with pytest.raises(ValueError, match="default 9 of 'Slope' is not one of its options"):
        Explorer(draw=line, controls={"slope": Slider("Slope", [1, 2], default=9)}, title="t")
    with pytest.raises(ValueError, match="would precompute 900 runs"):
        Explorer(draw=lambda a, b: line(a), title="big",
                 controls={"a": Slider("a", list(range(30))), "b": Slider("b", list(range(30)))})
    with pytest.raises(TypeError, match="must return a plotly Figure"):
        Explorer(draw=lambda slope: [slope], controls={"slope": Slider("s", [1])}, title="t").figure()


def test_figures_the_book_cannot_draw_are_refused():
    polar = go.Figure(go.Scatterpolar(r=[1, 2], theta=[0, 90]))
    with pytest.raises(ValueError, match="'scatterpolar' is not in the book's plotly.js bundle"):
        figure_html(polar)
    assert "courseFigure(" in figure_html(line(1)) and "<script src" not in figure_html(line(1))


def test_sliders_run_low_to_high_and_a_restarted_kernel_shows_the_note():
    from after_stalinism.course import explorers
    from after_stalinism.display import twin

    for name in [n for n in dir(explorers) if n.endswith("_explorer")]:
        for control in getattr(explorers, name)().controls.values():
            if isinstance(control, Slider):
                assert list(control.values) == sorted(control.values), (name, control.label)
    assert ".jp-OutputArea:has(.jupyter-widgets-disconnected) .course-reopen-note{display:block}" in twin._REOPEN_HTML
    assert "restarted" in twin.REOPEN_NOTE


def test_each_control_kind_writes_its_own_native_labelled_markup_with_labels_escaped():
    # The exact markup static/explorer.js and the print edition read (as static_html wrote it before
    # each control kind got its own html()).
    slider = Slider("Slope <&'\">", [1, 2, 3], default=2, fmt="{} 'q' <b>")
    assert slider.html("x-c0", 1) == (
        '<div class="explorer-control"><label for="x-c0">Slope &lt;&amp;&#x27;&quot;&gt;</label> '
        '<input type="range" id="x-c0" min="0" max="2" step="1" value="1" '
        'aria-valuetext="2 &#x27;q&#x27; &lt;b&gt;" '
        "data-labels='[&quot;1 &#x27;q&#x27; &lt;b&gt;&quot;, &quot;2 &#x27;q&#x27; &lt;b&gt;&quot;, "
        "&quot;3 &#x27;q&#x27; &lt;b&gt;&quot;]'> "
        '<output for="x-c0" id="x-c0-value">2 &#x27;q&#x27; &lt;b&gt;</output></div>')
    choice = Choice('Style & "co"', {"l<i>n'es": "lines", "dots": "markers"}, default="markers")
    assert choice.html("x-c1", 1) == (
        '<div class="explorer-control"><label for="x-c1">Style &amp; &quot;co&quot;</label> '
        '<select id="x-c1"><option value="0">l&lt;i&gt;n&#x27;es</option>'
        '<option value="1" selected>dots</option></select></div>')
    explorer = Explorer(draw=line, controls={"slope": slider, "style": choice}, title="t")
    uid = explorer._uid()
    assert (f'<form class="explorer-controls" onsubmit="return false">{slider.html(f"{uid}-c0", 1)}'
            f'{choice.html(f"{uid}-c1", 1)}</form>') in explorer.static_html()
