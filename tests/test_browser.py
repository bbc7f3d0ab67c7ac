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
        figures_drawn(page)
        opened.append(context)
        return page, record

    yield open_page
    for context in opened:
        context.close()


def figures_drawn(page) -> None:
    """Wait until explorer.js has drawn every figure of the page (plotly.js arrives after the page)."""
    page.evaluate("async () => { if (window.courseReady) { await window.courseReady; } }")
    page.wait_for_timeout(50)


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
    # the folded table gives the same ratings as text (keyboard, screen reader), and the CSV is there
    builder.locator("details.figure-data > summary").click()  # open it, as a reader would
    table = builder.locator("details.figure-data table")
    assert table.locator("thead th").all_inner_texts() == ["feature", "your rating", preset]
    rows = [row.locator("th, td").all_inner_texts() for row in table.locator("tbody tr").all()]
    assert rows == [[f, str(mine[f]), f"{models.preset_profile(preset)[f]:g}"] for f in models.FEATURES]
    assert builder.get_attribute("aria-describedby") == builder.locator(".scorecard-result").get_attribute("id")
    assert page.request.get(builder.locator("a.figure-csv").evaluate("a => a.href")).ok
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
            figures_drawn(page)
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
        figures_drawn(page)
        first = page.locator(".self-check .Quiz:has(.MCButton)").first
        assert "correct" in first.locator(".Feedback").get_attribute("class").split(), "the answer is kept"
        chosen = first.locator(".MCButton.correctButton, .MCButton[data-correct='true']").first.inner_text().strip()
        assert chosen == text
        page.goto(f"{site}/book/glossary.html", wait_until="load")
        link = page.locator(f".bd-links a[href='../{lesson}.html']")
        assert link.locator(".course-done").count() == 1 and "(finished)" in link.inner_text()
        assert page.locator(".course-progress-count").inner_text() == f"1 of {len(LESSONS)} lessons finished"
        assert page.locator(".course-progress progress").get_attribute("value") in ("1", None)

        page.once("dialog", lambda dialog: dialog.dismiss())  # "Erase every answer...?" No:
        page.locator(".course-progress-reset").click()
        assert page.locator(".course-done").count() == 1, "nothing is erased without a yes"
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator(".course-progress-reset").click()
        assert page.locator(".course-done").count() == 0
        page.goto(f"{site}/{lesson}.html", wait_until="load")
        figures_drawn(page)
        first = page.locator(".self-check .Quiz:has(.MCButton)").first
        assert "correct" not in (first.locator(".Feedback").get_attribute("class") or "").split()
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('after-stalinism'))") == []
    finally:
        context.close()
    assert external == [], "progress must not be sent anywhere"


# ---- navigation on every device ------------------------------------------------------------------

WIDTHS = [360, 390, 768, 1280, 1920]


def _device(browser, width: int):
    """A browser context as a reader at ``width`` px has it: phones and tablets touch."""
    touch = width < 1000
    return browser.new_context(viewport={"width": width, "height": 800}, is_mobile=touch, has_touch=touch,
                               device_scale_factor=2 if touch else 1)


def test_phone_reader_taps_the_menu_and_reaches_a_lesson(browser, site):
    """390 px, touch: tapping ☰ opens the table of contents, and tapping a lesson there opens it."""
    context = _device(browser, 390)
    page = context.new_page()
    try:
        page.goto(f"{site}/book/glossary.html", wait_until="load")
        lesson = page.locator("#pst-primary-sidebar-modal a.reference.internal[href*='notebooks/02_second_economy']")
        assert lesson.count() == 0 or not lesson.first.is_visible(), "the contents are closed at first"
        toggle = page.locator(".primary-toggle:visible")
        assert toggle.count() == 1
        toggle.tap()
        link = page.locator("dialog[open] a.reference.internal[href*='notebooks/02_second_economy']")
        link.wait_for(state="visible", timeout=3000)
        link.tap()
        page.wait_for_url("**/notebooks/02_second_economy.html", timeout=5000)
        assert page.locator("h1").first.inner_text().strip()
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_sidebars_open_by_tap_click_and_keyboard(browser, site, width):
    """☰ and "On this page" do something visible at every width, by pointer and by keyboard:
    below the theme's desktop width they open a dialog; on a desktop ☰ hides and shows the sidebar
    (and the page's contents are always shown there)."""
    context = _device(browser, width)
    page = context.new_page()
    try:
        page.goto(f"{site}/notebooks/02_second_economy.html", wait_until="load")
        figures_drawn(page)
        toggle = page.locator(".primary-toggle:visible")
        assert toggle.count() == 1, f"one visible ☰ at {width} px"
        sidebar = page.locator("#pst-primary-sidebar")
        next_lesson = "a.reference.internal[href='03_information_control.html']"
        for how in ("pointer", "keyboard"):
            if how == "keyboard":
                toggle.focus()
                page.keyboard.press("Enter")
            elif width < 1000:
                toggle.tap()
            else:
                toggle.click()
            page.wait_for_timeout(200)
            if width < 992:
                dialog = page.locator("#pst-primary-sidebar-modal")
                assert dialog.get_attribute("open") is not None, f"☰ by {how} opens the contents at {width} px"
                assert page.locator(f"dialog[open] {next_lesson}").is_visible()
                page.keyboard.press("Escape")
                page.wait_for_timeout(100)
                assert dialog.get_attribute("open") is None
            else:
                assert "pst-sidebar-hidden" in sidebar.get_attribute("class"), f"☰ by {how} hides the sidebar"
                toggle.click()
                page.wait_for_timeout(100)
                assert "pst-sidebar-hidden" not in sidebar.get_attribute("class")
                assert page.locator(f".bd-sidebar-primary {next_lesson}").is_visible()
        secondary = page.locator(".secondary-toggle:visible")
        if width < 1200 and secondary.count():
            secondary.first.click()
            page.wait_for_timeout(200)
            dialog = page.locator("#pst-secondary-sidebar-modal")
            assert dialog.get_attribute("open") is not None, f"'On this page' opens at {width} px"
            assert page.locator("dialog[open] a[href='#summary']").count() == 1
        else:  # wide screens show the page's contents beside the text
            assert page.locator(".bd-sidebar-secondary a[href='#summary']").is_visible()
    finally:
        context.close()


def test_landing_page_lists_every_lesson_and_exercise_set(page_on):
    page, _ = page_on("book/intro")
    hrefs = page.eval_on_selector_all("article a.reference.internal", "els => els.map(e => e.getAttribute('href'))")
    for target in [*LESSONS, *[p for p in PAGES if p.startswith("exercises/")]]:
        assert any(h.split("#")[0].endswith(target.split("/")[-1] + ".html") and target.split("/")[0] in h
                   for h in hrefs), f"the landing page does not link to {target}"


# ---- every page, every width: no sideways scrolling ---------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(browser, site, width):
    context = _device(browser, width)
    page = context.new_page()
    wide = []
    try:
        for path in PAGES:
            page.goto(f"{site}/{path}.html", wait_until="load")
            figures_drawn(page)
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                wide.append(f"{path}: {scroll} > {inner}")
    finally:
        context.close()
    assert wide == [], f"pages wider than the screen at {width} px: {wide}"


# ---- links: every internal link of every page, footers included ----------------------------------

def test_every_internal_link_resolves(browser, site):
    import urllib.request

    context = browser.new_context()
    page = context.new_page()
    checked, broken = set(), []
    try:
        for path in PAGES:
            page.goto(f"{site}/{path}.html", wait_until="domcontentloaded")
            footer = page.locator("footer a:has-text('the course data')")
            assert footer.count() >= 1, f"{path} has no footer link to the course data"
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            for url in links:
                url = url.split("#")[0]
                if not url.startswith(site) or url in checked:
                    continue
                checked.add(url)
                try:
                    with urllib.request.urlopen(url) as response:
                        assert response.status == 200
                except Exception as error:  # noqa: BLE001  (a 404 raises)
                    broken.append(f"{path} -> {url}: {error}")
    finally:
        context.close()
    assert broken == [] and len(checked) > 30, broken[:10]


# ---- figures: readable without a mouse or sight ------------------------------------------------

def test_every_figure_has_a_name_a_summary_and_its_data(page_on):
    for path in FIGURE_PAGES:
        page, _ = page_on(path)
        figures = page.locator("figure.course-figure, figure.explorer:not(:has(.scorecard-controls))")
        assert figures.count() >= 1
        for i in range(figures.count()):
            fig = figures.nth(i)
            label = fig.get_attribute("aria-labelledby")
            assert label and page.locator(f"#{label}").inner_text().strip(), f"{path} figure {i} has no name"
            summary = page.locator(f"#{fig.get_attribute('aria-describedby')}")
            assert "value" in summary.inner_text(), f"{path} figure {i} has no summary"
            assert fig.locator("details.figure-data tbody tr").count() >= 1, f"{path} figure {i} has no data table"
            rows = fig.locator("details.figure-data table.figure-points tbody tr")
            # the table holds the values the plot draws
            plot = fig.locator(".js-plotly-plot")
            points = page.evaluate("(el) => el._fullData.filter(t => !t.z).reduce((n, t) => n + t._length, 0)",
                                   plot.element_handle())
            assert rows.count() == points, f"{path} figure {i}: {rows.count()} rows for {points} points"
            assert plot.locator("svg.main-svg:not([aria-hidden='true'])").count() == 0
            tabbable = plot.locator(".modebar a:not([tabindex='-1']), .modebar button:not([tabindex='-1'])")
            assert tabbable.count() == 0, f"{path} figure {i}: the toolbar is in the tab order"
        for link in page.locator("a.figure-csv").all():
            assert page.request.get(link.evaluate("a => a.href")).ok


def test_explorer_table_follows_its_run(page_on):
    page, _ = page_on("book/how_to_use")
    explorer = page.locator("figure.explorer").first
    plot = explorer.locator(".explorer-plot")
    first, key = explorer.locator("details.figure-data tbody").inner_html(), plot.get_attribute("data-run")
    explorer.locator("select").first.select_option(index=1)  # new won -> old won: runs fetched now
    for _ in range(30):
        if plot.get_attribute("data-run") != key:
            break
        page.wait_for_timeout(100)
    assert plot.get_attribute("data-run") != key
    assert explorer.locator("details.figure-data tbody").inner_html() != first


def test_touch_screens_get_no_toolbar_over_the_legend(browser, site):
    context = _device(browser, 390)
    page = context.new_page()
    try:
        for path in ("book/how_to_use", "notebooks/02_second_economy"):
            page.goto(f"{site}/{path}.html", wait_until="load")
            figures_drawn(page)
            assert page.locator(".js-plotly-plot").count() >= 1
            assert page.locator(".modebar:visible").count() == 0, f"{path}: plotly's toolbar shows on a phone"
    finally:
        context.close()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_explorer_layout_follows_the_screen_not_the_theme(page_on, mode):
    """At 1280 px the explorers get the wide layout in both colour modes (the theme's dark-mode
    padding once made them narrow)."""
    page, _ = page_on("notebooks/02_second_economy")
    page.evaluate(f"document.documentElement.dataset.theme = '{mode}'; window.dispatchEvent(new Event('resize'))")
    page.wait_for_timeout(200)
    plots = page.locator("figure.explorer .js-plotly-plot")
    assert plots.count() >= 1
    for i in range(plots.count()):
        size = page.evaluate("(el) => el._fullLayout.font.size", plots.nth(i).element_handle())
        assert size != 11, f"explorer {i} drawn with the phone layout at 1280 px in {mode} mode"


@pytest.mark.parametrize("path", PAGES)
def test_accessibility_in_dark_mode(page_on, axe_source, path):
    page, _ = page_on(path)
    page.evaluate("document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark'")
    page.wait_for_timeout(200)
    result = serious_axe_violations(page, axe_source)
    assert result == [], f"axe-core on {path} in dark mode:\n" + "\n".join(result)


def test_typed_answer_is_readable_while_typing(page_on):
    """A numeric self-check shows what the reader types (it was white on light grey)."""
    page, _ = page_on(LESSONS[0])
    box = page.locator(".self-check input.Input-text").first
    box.click()
    box.type("1234")
    colours = box.evaluate("""(el) => {
      const s = getComputedStyle(el);
      const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
      const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      const lum = ([r, g, b]) => 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      const a = lum(rgb(s.color)), b = lum(rgb(s.backgroundColor));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""")
    assert colours >= 4.5, f"typed text contrast {colours:.1f}:1"


def test_browser_print_cuts_no_code_and_hides_buttons(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{site}/notebooks/01_stalinism.html", wait_until="load")
        figures_drawn(page)
        page.emulate_media(media="print")
        cut = page.evaluate("""() => [...document.querySelectorAll('article pre')]
            .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent.slice(0, 60))""")
        assert cut == [], f"code cut at the right edge in print: {cut[:3]}"
        for selector in (".course-finish", ".copybtn", ".toggle-details__summary", ".modebar-container"):
            assert page.locator(f"{selector}:visible").count() == 0, f"{selector} is printed"
        breaks = page.evaluate("""() => [...document.querySelectorAll('figure.course-figure, figure.explorer')]
            .map(f => getComputedStyle(f).breakInside)""")
        assert breaks and set(breaks) == {"avoid"}
    finally:
        context.close()


def test_the_figure_a_reader_jumps_to_is_drawn_first_and_every_figure_in_the_end(browser, site):
    """plotly.js is held back while a phone reader jumps to the lesson's last figure: once it
    arrives, that figure is drawn before the ones above it, and then every other figure is drawn."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    held = []
    page.route("**/plotly-cartesian.min.js", lambda route: held.append(route))  # answered after the jump
    page.goto(f"{site}/notebooks/02_second_economy.html", wait_until="domcontentloaded")
    uids = page.evaluate("[...document.querySelectorAll('figure.explorer, figure.course-figure')].map(f => f.id)")
    assert len(uids) >= 3, uids
    page.evaluate("""async (uid) => {
        document.getElementById(uid).scrollIntoView();
        for (let i = 0; i < 3; i++) { await new Promise(r => requestAnimationFrame(r)); }
    }""", uids[-1])
    assert held, "the page asked for plotly.js"
    assert page.evaluate("!window.Plotly && !document.querySelector('.main-svg')"), "nothing is drawn yet"
    for route in held:
        route.continue_()
    figures_drawn(page)
    drawn = page.evaluate("performance.getEntriesByType('mark').map(m => m.name)"
                          ".filter(n => n.startsWith('course:drawn:')).map(n => n.slice(13))")
    assert drawn[0] == uids[-1], f"the figure on screen was drawn after others: {drawn}"
    assert sorted(drawn) == sorted(uids)
    assert page.evaluate("""(uids) => uids.every(uid =>
        document.getElementById(uid).querySelector('svg.main-svg .cartesianlayer .trace'))""", uids)
    context.close()
