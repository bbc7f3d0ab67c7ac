"""The built book in a real headless browser (Debian chromium via Playwright), offline.

Every page: no console errors, no request leaving the site, every plotly figure drawn with data,
and no serious or critical accessibility violation found by axe-core. The static explorer really
changes its figure when a control moves. At 390 px and 1280 px no figure's text overlaps or leaves
it; captions stay readable in dark mode; pages stay light; a reader's progress survives a reload.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from conftest import toc_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]

PAGES = toc_pages()


@pytest.fixture
def page_on(browser, site):
    """Open a page of the book with every non-local request blocked and recorded."""
    opened = []

    def open_page(path: str):
        context = browser.new_context()
        page = context.new_page()
        record = {"errors": [], "external": []}

        def route(r):
            host = urlparse(r.request.url).hostname
            if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                r.continue_()
            else:
                record["external"].append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and record["errors"].append(m.text))
        page.on("pageerror", lambda e: record["errors"].append(str(e)))
        page.goto(f"{site}/{path}.html", wait_until="load")
        page.wait_for_timeout(300)  # let plotly finish drawing
        opened.append(context)
        return page, record

    yield open_page
    for context in opened:
        context.close()


def serious_axe_violations(page, axe_source: str, context: str = "document") -> list[str]:
    """Serious and critical axe-core violations on the page, or inside the elements ``context`` selects."""
    page.add_script_tag(content=axe_source)
    return page.evaluate("""async (context) => {
        const r = await axe.run(context === 'document' ? document : context, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
    }""", context)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_offline(page_on, path):
    page, record = page_on(path)
    assert record["errors"] == [], f"console errors on {path}: {record['errors']}"
    assert record["external"] == [], f"{path} tried to reach outside the site: {record['external']}"


@pytest.mark.parametrize("path", PAGES)
def test_figures_are_drawn_with_data(page_on, path):
    page, _ = page_on(path)
    figures = page.locator(".plotly-graph-div, .explorer-plot")
    for i in range(figures.count()):
        fig = figures.nth(i)
        assert fig.locator("svg.main-svg").count() > 0, f"figure {i} on {path} has no SVG"
        marks = fig.locator(".scatterlayer .point, .barlayer .point, .scatterlayer path.js-line")
        assert marks.count() > 0, f"figure {i} on {path} is drawn empty"


@pytest.mark.parametrize("path", PAGES)
def test_accessibility_no_serious_violations(page_on, axe_source, path):
    page, _ = page_on(path)
    result = serious_axe_violations(page, axe_source)
    assert result == [], f"axe-core on {path}:\n" + "\n".join(result)


def test_static_explorer_switches_runs_without_a_kernel(page_on):
    page, record = page_on("book/how_to_use")
    explorer = page.locator("figure.explorer").first
    plot = explorer.locator(".explorer-plot")
    first_key = plot.get_attribute("data-run")
    max_before = page.evaluate("(el) => Math.max(...el.data.flatMap(t => Array.from(t.y)))", plot.element_handle())

    explorer.locator("select").first.select_option(index=1)  # new won -> old won
    page.wait_for_timeout(200)
    assert plot.get_attribute("data-run") != first_key
    max_after = page.evaluate("(el) => Math.max(...el.data.flatMap(t => Array.from(t.y)))", plot.element_handle())
    assert max_after == pytest.approx(max_before * 100), "old won prices must be 100 times new won"

    slider = explorer.locator("input[type=range]").first
    slider.evaluate("(el) => { el.value = el.max; el.dispatchEvent(new Event('input')); }")
    page.wait_for_timeout(200)
    assert explorer.locator("output").first.inner_text() == "2010"
    assert slider.get_attribute("aria-valuetext") == "2010"
    assert record["errors"] == []


LESSONS = [p for p in PAGES if p.startswith("notebooks/")]


@pytest.mark.parametrize("path", LESSONS)
def test_self_check_gives_feedback_right_and_wrong_without_a_kernel(page_on, axe_source, path):
    page, record = page_on(path)
    quiz = page.locator(".self-check")
    assert quiz.count() == 1, f"{path} should end with one self-check"
    mc = quiz.locator(".Quiz:has(.MCButton)")
    assert mc.count() >= 2 and quiz.locator(".Quiz").count() >= 4

    right = mc.nth(0).locator('.MCButton[data-correct="true"]')
    right.click()
    feedback = mc.nth(0).locator(".Feedback")
    assert "correct" in feedback.get_attribute("class").split()
    assert feedback.inner_text().strip() == right.get_attribute("data-feedback")

    wrong = mc.nth(1).locator('.MCButton[data-correct="false"]').first
    wrong.click()
    feedback = mc.nth(1).locator(".Feedback")
    assert "incorrect" in feedback.get_attribute("class").split()
    assert feedback.inner_text().strip() == wrong.get_attribute("data-feedback")
    assert feedback.get_attribute("aria-live") == "polite"

    numeric = quiz.locator(".Quiz:has(input.Input-text)")
    if numeric.count():
        box = numeric.first.locator("input.Input-text")
        assert numeric.first.locator(f'label[for="{box.get_attribute("id")}"]').count() == 1
        box.click()
        box.type("-12345")
        box.press("Enter")
        shown = numeric.first.locator(".Feedback")
        assert "incorrect" in shown.get_attribute("class").split() and shown.inner_text().strip()
        assert box.is_visible() and box.bounding_box()["height"] > 10
    assert record["errors"] == []
    # Answered questions (coloured buttons, feedback text) must stay readable.
    page.wait_for_timeout(900)  # the answer animations end
    result = serious_axe_violations(page, axe_source, ".self-check")
    assert result == [], f"axe-core on the answered self-check of {path}: {result}"


@pytest.mark.parametrize("path", LESSONS)
def test_every_explorer_on_a_lesson_switches_runs(page_on, path):
    page, record = page_on(path)
    explorers = page.locator("figure.explorer")
    for i in range(explorers.count()):
        explorer = explorers.nth(i)
        plot = explorer.locator(".explorer-plot")
        before = plot.get_attribute("data-run")
        control = explorer.locator("select, input[type=range]").first
        if control.evaluate("el => el.tagName") == "SELECT":
            n = control.locator("option").count()
            current = int(control.input_value())
            control.select_option(index=(current + 1) % n)
        else:
            control.evaluate("(el) => { el.value = (+el.value + 1) % (+el.max + 1); "
                             "el.dispatchEvent(new Event('input')); }")
        page.wait_for_timeout(150)
        assert plot.get_attribute("data-run") != before, f"explorer {i} on {path} did not switch"
        assert plot.locator("svg.main-svg").count() > 0
    assert record["errors"] == []


def test_scorecard_builder_computes_the_readers_own_profile_like_the_model(page_on):
    """The one client-side model: its arithmetic in JavaScript must agree with models.py."""
    from after_stalinism.course import models

    page, record = page_on("notebooks/01_stalinism")
    builder = page.locator("figure.explorer:has(.scorecard-controls)")
    assert builder.count() == 1
    mine = {"mass terror": 1, "party extinct as a movement": 4, "shapeless macro-politics": 0,
            "extreme mobilisation for growth and power": 2,
            "stratified values, uniform culture, extreme nationalism": 3,
            "revolutionary impulse ended; status quo": 4, "personal dictatorship": 4}
    for i, feature in enumerate(models.FEATURES):
        builder.locator(f"select[data-feature='{i}']").select_option(str(mine[feature]))
    preset = "USSR, Khrushchev-Brezhnev (1960s-70s)"
    builder.locator("select:not([data-feature])").select_option(preset)
    page.wait_for_timeout(200)

    top = models.compare_profiles(mine, models.preset_profile(preset)).iloc[0]
    expected = (f"Your index: {models.stalinism_index(mine):.2f} "
                f"({preset}: {models.stalinism_index(models.preset_profile(preset)):.2f}); "
                f"largest difference: {top['feature']} ({top['before']:g} vs {top['after']:g}).")
    assert builder.locator(".scorecard-result").inner_text() == expected
    plot = builder.locator(".explorer-plot")
    xs = page.evaluate("(el) => el.data.map(t => Array.from(t.x))", plot.element_handle())
    assert xs == [[mine[f] for f in models.FEATURES], [models.preset_profile(preset)[f] for f in models.FEATURES]]
    assert record["errors"] == []


# ---- every width: figures whose text fits, explorers that still switch ----------------------------

# The SVG text of a figure (titles, ticks, legend, labels): each piece must lie inside the figure
# and no two may overlap (1 px tolerance).
TEXT_PROBLEMS_JS = """(root) => {
  const box = root.getBoundingClientRect();
  const items = [...root.querySelectorAll("svg text")].filter(t => {
    const s = getComputedStyle(t);
    return t.textContent.trim() && s.display !== "none" && s.visibility !== "hidden" && +s.opacity !== 0;
  }).map(t => ({text: t.textContent.trim().slice(0, 40), r: t.getBoundingClientRect()}))
    .filter(x => x.r.width > 0 && x.r.height > 0);
  const tol = 1, problems = [];
  for (const a of items) {
    if (a.r.left < box.left - tol || a.r.right > box.right + tol
        || a.r.top < box.top - tol || a.r.bottom > box.bottom + tol)
      problems.push(`"${a.text}" leaves the figure`);
  }
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
    const a = items[i].r, b = items[j].r;
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left),
          h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > tol && h > tol) problems.push(`"${items[i].text}" overlaps "${items[j].text}"`);
  }
  return problems;
}"""

FIGURE_PAGES = ["book/how_to_use", "book/timeline", *LESSONS]


def _switch(explorer):
    control = explorer.locator("select, input[type=range]").first
    if control.evaluate("el => el.tagName") == "SELECT":
        control.select_option(index=(int(control.input_value()) + 1) % control.locator("option").count())
    else:
        control.evaluate("(el) => { el.value = (+el.value + 1) % (+el.max + 1); "
                         "el.dispatchEvent(new Event('input')); }")


@pytest.mark.parametrize("width", [390, 1280])
def test_figures_fit_phone_and_desktop_widths(browser, site, width):
    """At phone and desktop width, on every page with figures: no SVG text of a figure leaves it or
    overlaps other text, captions are HTML outside the plot, and every explorer switches runs."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    checked = 0
    try:
        for path in FIGURE_PAGES:
            page.goto(f"{site}/{path}.html", wait_until="load")
            page.wait_for_timeout(300)
            figures = page.locator(".js-plotly-plot")
            for i in range(figures.count()):
                problems = page.evaluate(TEXT_PROBLEMS_JS, figures.nth(i).element_handle())
                assert problems == [], f"{path}, figure {i}, at {width} px: {problems[:5]}"
                assert figures.nth(i).locator(".g-gtitle text").count() == 0, "the title belongs in the HTML caption"
                checked += 1
            explorers = page.locator("figure.explorer:not(:has(.scorecard-controls))")
            for i in range(explorers.count()):
                explorer = explorers.nth(i)
                plot = explorer.locator(".explorer-plot")
                before = plot.get_attribute("data-run")
                _switch(explorer)
                page.wait_for_timeout(150)
                assert plot.get_attribute("data-run") != before, f"explorer {i} on {path} did not switch at {width} px"
                assert explorer.locator(".figure-title").inner_text().strip(), "the run's title is shown"
                problems = page.evaluate(TEXT_PROBLEMS_JS, plot.element_handle())
                assert problems == [], f"{path}, explorer {i} after switching, at {width} px: {problems[:5]}"
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{path} scrolls sideways"
    finally:
        context.close()
    assert checked >= 10 and errors == []


def test_figure_captions_readable_in_dark_mode(page_on, axe_source):
    page, _ = page_on("notebooks/02_second_economy")
    page.evaluate("document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark'")
    page.wait_for_timeout(200)
    for selector in ("figure.course-figure", "figure.explorer"):
        result = serious_axe_violations(page, axe_source, selector)
        assert result == [], f"axe-core on {selector} in dark mode: {result}"


def test_figures_in_jupyterlab_keep_notes_off_legends(browser):
    """The same figures as JupyterLab draws them (title and source note inside the plot), at a
    notebook's width: no text overlaps or leaves the figure (the market counts' note once sat on its legend)."""
    import json

    import plotly.io as pio

    from after_stalinism.course import charts, explorers
    from conftest import ROOT

    figures = {name: getattr(charts, name)() for name in dir(charts) if name.endswith("_figure")}
    figures["dependence"] = explorers.dependence_explorer().figure()
    figures["diffusion"] = explorers.diffusion_explorer().figure()
    figures["cadre"] = explorers.cadre_explorer().figure()
    figures["scorecard"] = explorers.scorecard_explorer().figure()
    figures["predictions"] = explorers.predictions_explorer().figure()
    page = browser.new_page(viewport={"width": 820, "height": 900})
    try:
        page.set_content("<div id='fig' style='width:100%'></div>")
        page.add_script_tag(path=str(ROOT / "after_stalinism" / "static" / "plotly-cartesian.min.js"))
        for name, fig in figures.items():
            spec = json.loads(pio.to_json(fig.update_layout(template="plotly_white")))
            page.evaluate("(s) => Plotly.newPlot('fig', s.data, s.layout, {responsive: true})", spec)
            problems = page.evaluate(TEXT_PROBLEMS_JS, page.locator("#fig").element_handle())
            assert problems == [], f"{name} as JupyterLab draws it: {problems[:5]}"
            notes = [a for a in fig.layout.annotations if a.name == "source-note"]
            assert len(notes) == 1, f"{name} must carry one source note"
    finally:
        page.close()


# ---- light pages ---------------------------------------------------------------------------------

def _bytes_loaded(browser, url: str) -> tuple[int, list[str]]:
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto(url, wait_until="networkidle")
    total = sum(len(r.body()) for r in responses if r.status == 200)
    urls = [r.url for r in responses]
    context.close()
    return total, urls


def test_pages_are_light_with_only_the_icons_they_use(browser, site, page_on):
    plain, urls = _bytes_loaded(browser, f"{site}/book/glossary.html")
    assert plain < 500_000, f"a page without figures loads {plain} bytes"
    assert not any("fontawesome.js" in u or "plotly" in u for u in urls)
    for lesson in LESSONS:
        weight, urls = _bytes_loaded(browser, f"{site}/{lesson}.html")
        assert weight < 2_500_000, f"{lesson} loads {weight} bytes"
        assert sum("plotly-cartesian.min.js" in u for u in urls) == 1
    page, record = page_on("book/glossary")
    icons = page.locator("svg.svg-inline--fa")
    assert icons.count() >= 8 and page.locator("i[class*='fa-']").count() == 0
    box = page.locator(".theme-switch-button svg:visible").first.bounding_box()
    assert box and 8 <= box["width"] <= 40 and 8 <= box["height"] <= 40, "the theme icon is drawn at icon size"


# ---- progress kept in the reader's browser -------------------------------------------------------

def test_progress_sticks_across_reloads_and_resets(browser, site):
    context = browser.new_context()
    page = context.new_page()
    external = []
    page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url or r.request.url.startswith("data:")
               else (external.append(r.request.url), r.abort()))
    lesson = LESSONS[0]
    try:
        page.goto(f"{site}/{lesson}.html", wait_until="load")
        summary = page.locator(".course-progress-count")
        assert summary.inner_text() == f"0 of {len(LESSONS)} lessons finished"
        first = page.locator(".self-check .Quiz:has(.MCButton)").first
        answer = first.locator('.MCButton[data-correct="true"]')
        text = answer.inner_text().strip()
        answer.click()
        page.locator(".course-finish button").click()
        assert page.locator(".course-finish button").get_attribute("aria-pressed") == "true"

        page.reload(wait_until="load")
        page.wait_for_timeout(300)
        first = page.locator(".self-check .Quiz:has(.MCButton)").first
        assert "correct" in first.locator(".Feedback").get_attribute("class").split(), "the answer is kept"
        chosen = first.locator(".MCButton.correctButton, .MCButton[data-correct='true']").first.inner_text().strip()
        assert chosen == text
        page.goto(f"{site}/book/glossary.html", wait_until="load")
        link = page.locator(f".bd-links a[href='../{lesson}.html']")
        assert link.locator(".course-done").count() == 1 and "(finished)" in link.inner_text()
        assert page.locator(".course-progress-count").inner_text() == f"1 of {len(LESSONS)} lessons finished"
        assert page.locator(".course-progress progress").get_attribute("value") in ("1", None)

        page.locator(".course-progress-reset").click()
        assert page.locator(".course-done").count() == 0
        page.goto(f"{site}/{lesson}.html", wait_until="load")
        page.wait_for_timeout(300)
        first = page.locator(".self-check .Quiz:has(.MCButton)").first
        assert "correct" not in (first.locator(".Feedback").get_attribute("class") or "").split()
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('after-stalinism'))") == []
    finally:
        context.close()
    assert external == [], "progress must not be sent anywhere"
