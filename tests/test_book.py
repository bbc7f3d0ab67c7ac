"""The HTML book: it builds with warnings as errors, has every page, loads nothing from outside,
and refuses to build from broken input."""

from __future__ import annotations

import re
import subprocess
from html import unescape
from pathlib import Path

import nbformat
import pytest
import yaml

from after_stalinism.course.lessons import LESSONS
from conftest import ROOT, jupyter_book, toc_pages

pytestmark = pytest.mark.book


def test_every_toc_page_is_built(built_book: Path):
    for page in toc_pages():
        assert (built_book / f"{page}.html").is_file(), f"{page} is in _toc.yml but was not built"


def test_pages_reference_nothing_outside_the_site(built_book: Path):
    # Scripts, styles, images and frames must all be local; plain links (<a href>) may point out.
    external = re.compile(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//[^"]*"', re.I)
    for page in toc_pages():
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert not external.findall(html), f"{page} loads from outside the site: {external.findall(html)[:3]}"


def test_links_with_query_strings_survive_the_build(built_book: Path):
    """An address with "&" (Daily NK, KBS) is escaped once in its href, never as "&amp;amp;"."""
    broken = {page: re.findall(r'href="[^"]*&amp;amp;[^"]*"', (built_book / f"{page}.html").read_text(encoding="utf-8"))
              for page in toc_pages()}
    assert {page: links for page, links in broken.items() if links} == {}
    bibliography = (built_book / "book" / "bibliography.html").read_text(encoding="utf-8")
    assert 'Seq_Code=66609&amp;lang=g"' in bibliography  # the KBS report's address, in its href


def test_plotly_is_one_shared_local_copy_that_blocks_nothing(built_book: Path):
    """Figure pages load the figure script deferred (it fetches the one local plotly.js, which the
    head preloads at low priority once the page has painted); no page has a render-blocking plotly
    script; explorer runs are files."""
    html = (built_book / "book" / "how_to_use.html").read_text(encoding="utf-8")
    assert re.search(r'<script defer="defer" src="\.\./_static/explorer\.js', html)
    assert not re.search(r"<script[^>]*plotly-cartesian", html), "plotly.js is not a script tag of the page"
    # the head asks for it at low priority as soon as the page has painted (after its stylesheets)
    head = html[:html.index("</head>")]
    assert re.search(r'<script>requestAnimationFrame\(.*link\.rel = "preload".*'
                     r'link\.href = "\.\./_static/plotly-cartesian\.min\.js"', head)
    assert len(html) < 500_000, "plotly.js must not be embedded in the page"
    assert (built_book / "_static" / "plotly-cartesian.min.js").is_file()
    static_js = (built_book / "_static" / "explorer.js").read_text(encoding="utf-8")
    assert "plotly-cartesian.min.js" in static_js
    # Pages without figures load neither.
    glossary = (built_book / "book" / "glossary.html").read_text(encoding="utf-8")
    assert "plotly-cartesian" not in glossary and "explorer.js" not in glossary
    # Explorer runs: the page keeps its default run, the rest is a file in _static/runs.
    for lesson in ("notebooks/02_second_economy", "notebooks/04_elite_incentives"):
        page = (built_book / f"{lesson}.html").read_text(encoding="utf-8")
        assert len(page) < 300_000, f"{lesson} is {len(page)} bytes"
        for src in re.findall(r'"src":"(runs/explorer-[\w-]+\.json)"', page):
            assert (built_book / "_static" / src).is_file()
    assert len(list((built_book / "_static" / "runs").glob("explorer-*.json"))) >= 5


def test_web_pages_show_readers_text_not_notebook_aids(built_book: Path):
    """The JupyterLab-only key list stays out of the book, ratings read as whole numbers, and About
    the data names each source once, with works cited by author and year instead of their keys."""
    from pybtex.database import parse_file

    for lesson in LESSONS:
        page = (built_book / "notebooks" / f"{lesson.stem}.html").read_text(encoding="utf-8")
        assert "JupyterLab shows a citation as its key only" not in page, lesson.stem
    synthesis = (built_book / "notebooks" / "05_synthesis.html").read_text(encoding="utf-8")
    assert not re.search(r">-?\d\.0{6}<", synthesis), "a rating printed as 3.000000"
    about = (built_book / "book" / "about_data.html").read_text(encoding="utf-8")
    keys = set(parse_file(str(ROOT / "book" / "references.bib"), bib_format="bibtex").entries)
    lines = re.findall(r"<strong>Sources:</strong>(.*?)</p>", about, re.S)
    assert len(lines) >= 10
    for line in lines:
        items = [item.strip() for item in unescape(re.sub(r"<[^>]+>", "", line)).split("; ")]
        assert len(items) == len(set(items)), f"a source named twice: {line[:200]}"
        assert not keys & set(items), f"citation keys shown as sources: {sorted(keys & set(items))[:5]}"


def test_course_data_published_beside_the_book(built_book: Path):
    for csv in (ROOT / "data").glob("*.csv"):
        assert (built_book / "data" / csv.name).read_bytes() == csv.read_bytes()
    page = (built_book / "book" / "how_to_use.html").read_text(encoding="utf-8")
    assert 'href="../data/rice_prices.csv"' in page


def test_no_widget_state_or_widget_manager_in_pages(built_book: Path):
    for page in toc_pages():
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" not in html, page
        assert "html-manager" not in html and "require.min.js" not in html, page


def test_download_button_present_and_no_launch_button_into_the_placeholder(built_book: Path):
    """Launch buttons stay off while repository.url is the placeholder (sphinxext refuses them)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    html = (built_book / "book" / "how_to_use.html").read_text(encoding="utf-8")
    assert "Download source file" in html or "download" in html.lower()
    assert (built_book / "_sources" / "book" / "how_to_use.ipynb").is_file()
    if "your-org" in config["repository"]["url"]:
        for page in toc_pages():
            text = (built_book / f"{page}.html").read_text(encoding="utf-8")
            assert "mybinder.org/v2" not in text and "colab.research.google.com/github" not in text, page


def test_how_to_links_the_repository_and_says_how_to_run_the_exercises(built_book: Path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    html = (built_book / "book" / "how_to_use.html").read_text(encoding="utf-8")
    assert f'href="{config["repository"]["url"]}"' in html
    assert f'href="{config["repository"]["url"]}#readme"' in html
    assert "exercises/NN_name.ipynb" in html and "JupyterLab" in html


def test_launch_buttons_into_the_placeholder_fail_a_strict_build():
    from after_stalinism.booktools.sphinxext import check_launch_buttons

    placeholder = {"repository_url": "https://github.com/your-org/after-stalinism",
                   "launch_buttons": {"binderhub_url": "https://mybinder.org", "colab_url": ""}}
    assert check_launch_buttons(placeholder) is False
    assert check_launch_buttons({**placeholder, "launch_buttons": {"binderhub_url": ""}}) is True
    assert check_launch_buttons({**placeholder, "repository_url": "https://github.com/course/after-stalinism"})


def test_a_strict_build_refuses_launch_buttons_into_the_placeholder(book_copy: Path):
    config = (book_copy / "_config.yml").read_text()
    (book_copy / "_config.yml").write_text(config.replace('binderhub_url: ""', 'binderhub_url: "https://mybinder.org"'))
    _write_toc(book_copy, "book/glossary")
    output = _build_fails(book_copy)
    assert "placeholder repository" in output and "repository.url" in output


# ---- publishing: one GitHub Actions workflow --------------------------------------------------

WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def _lint_workflow(path: Path) -> subprocess.CompletedProcess:
    import sys

    exe = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True)


def test_publishing_workflow_passes_the_workflow_linter():
    result = _lint_workflow(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_linter_catches_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest", 1))
    assert _lint_workflow(broken).returncode != 0


def test_workflow_builds_with_the_readme_command_and_deploys_the_html():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["build"]["steps"]
    build = next(s for s in steps if "README" in s.get("name", ""))
    extract = build["run"].splitlines()[0].split("$(", 1)[1].rsplit(")", 1)[0]
    command = subprocess.run(["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert "jupyter-book build -W -n --keep-going ." in command
    assert command == re.search(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S).group(1)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["steps"][0]["uses"].startswith("actions/deploy-pages")
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"


def test_stored_notebooks_have_no_outputs():
    """Every notebook the repository stores (tracked by git), not local tools' files."""
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    paths = [ROOT / p for p in listed.stdout.split()] if listed.returncode == 0 else [
        p for p in ROOT.glob("**/*.ipynb")
        if not any(part.startswith(".") or part in {"_build", "node_modules"} for part in p.relative_to(ROOT).parts)]
    assert len(paths) >= 14
    for path in sorted(paths):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path} is stored with outputs"


# ---- broken input stops the build and names the culprit ------------------------------------

def _write_toc(book: Path, *files: str) -> None:
    (book / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "book/intro", "chapters": [{"file": f} for f in files]}))


def _build_fails(book: Path, **env) -> str:
    result = jupyter_book("build", "-W", "-n", "--keep-going", ".", cwd=book, extra_env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"build should have failed:\n{output[-3000:]}"
    return output


def test_broken_notebook_stops_the_build(book_copy: Path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken"), nbformat.v4.new_code_cell("1 / 0")]
    nbformat.write(nb, book_copy / "notebooks" / "broken.ipynb")
    _write_toc(book_copy, "notebooks/broken")
    output = _build_fails(book_copy)
    assert "broken" in output and "ZeroDivisionError" in output


def test_missing_data_file_stops_the_build(book_copy: Path):
    (book_copy / "data" / "timeline.csv").unlink()
    _write_toc(book_copy, "book/timeline")
    output = _build_fails(book_copy, AFTER_STALINISM_DATA=str(book_copy / "data"))
    assert "timeline.csv" in output and "missing" in output


def test_bad_toc_entry_stops_the_build(book_copy: Path):
    _write_toc(book_copy, "notebooks/no_such_lesson")
    output = _build_fails(book_copy)
    assert "no_such_lesson" in output


# ---- every lesson page has the parts a lesson promises ---------------------------------------

@pytest.mark.parametrize("lesson", [lesson.stem for lesson in LESSONS])
def test_lesson_page_has_every_part(built_book: Path, lesson: str):
    page = (built_book / "notebooks" / f"{lesson}.html").read_text()
    for section in ["learning-objectives", "check-your-understanding", "summary", "further-reading"]:
        assert f'id="{section}"' in page, f"{lesson} lacks the section {section}"
    assert len(set(re.findall(r'glossary\.html#term-[\w-]+', page))) >= 2, f"{lesson}: too few glossary links"
    assert len(set(re.findall(r'bibliography\.html#id\d+', page))) >= 3, f"{lesson}: too few citations"
    assert page.count('class="self-check"') == 1
    before = page[:page.index('class="self-check"')]
    assert "Show code cell source" not in before[before.rindex('<div class="cell'):], \
        f"{lesson}: the self-check's code, with its answers, is offered on the web page"
    assert 'class="plotly-graph-div"' in page or 'class="explorer"' in page
    assert "MODEL, not data" in page or "interpretation of the sources" in page  # every model says what it is
    assert f"exercises/{lesson}.html" in page  # and points to its exercise set
