"""The built book in a real headless browser (Debian chromium via Playwright), offline.

Every page: no console errors, no request leaving the site, every plotly figure drawn with data,
and no serious or critical accessibility violation found by axe-core. The static explorer really
changes its figure when a control moves.
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
            control.evaluate("(el) => { el.value = (+el.value + 1) % (+el.max + 1); el.dispatchEvent(new Event('input')); }")
        page.wait_for_timeout(150)
        assert plot.get_attribute("data-run") != before, f"explorer {i} on {path} did not switch"
        assert plot.locator("svg.main-svg").count() > 0
    assert record["errors"] == []


def test_scorecard_builder_computes_the_readers_own_profile_like_the_model(page_on):
    """The one client-side model: its arithmetic in JavaScript must agree with models.py."""
    from after_stalinism import models

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
