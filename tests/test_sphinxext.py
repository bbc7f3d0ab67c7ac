"""The book's execution cache is emptied when the course package or data change, and only then."""

from __future__ import annotations

from after_stalinism._modes import inputs_digest
from after_stalinism.booktools.sphinxext import DIGEST_FILE, invalidate_stale_cache


def test_cache_survives_no_change_and_is_emptied_when_an_input_changes(tmp_path):
    package, data, cache = tmp_path / "pkg", tmp_path / "data", tmp_path / "cache"
    package.mkdir()
    data.mkdir()
    (package / "models.py").write_text("RATE = 0.5\n")
    (data / "t.csv").write_text("a\n1\n")

    invalidate_stale_cache(cache, [package, data])          # first build: stamp written
    (cache / "global.db").write_text("executed outputs")
    assert invalidate_stale_cache(cache, [package, data]) is False
    assert (cache / "global.db").exists()                   # nothing changed: cache kept

    (package / "models.py").write_text("RATE = 0.6\n")      # a model changed
    assert invalidate_stale_cache(cache, [package, data]) is True
    assert not (cache / "global.db").exists() and (cache / DIGEST_FILE).exists()

    (cache / "global.db").write_text("executed again")
    (data / "t.csv").write_text("a\n2\n")                   # a data file changed
    assert invalidate_stale_cache(cache, [package, data]) is True
    assert not (cache / "global.db").exists()


def test_digest_ignores_bytecode_but_not_renames(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    before = inputs_digest([tmp_path])
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\x00")
    assert inputs_digest([tmp_path]) == before
    (tmp_path / "a.py").rename(tmp_path / "b.py")
    assert inputs_digest([tmp_path]) != before


# ---- the build's post-processing of pages ----------------------------------------------------

def test_site_relative_links_resolve_from_every_depth(tmp_path):
    from after_stalinism.booktools.sphinxext import site_relative

    html = "<a href='@root/book/about_data.html'>data</a> <a href=\"@root/data/x.csv\">csv</a>"
    (tmp_path / "notebooks").mkdir()
    assert site_relative(html, tmp_path / "index.html", tmp_path) == \
        "<a href='book/about_data.html'>data</a> <a href=\"data/x.csv\">csv</a>"
    assert "href='../book/about_data.html'" in site_relative(html, tmp_path / "notebooks" / "a.html", tmp_path)


def test_explorer_runs_move_to_a_file_and_the_page_keeps_the_default(tmp_path):
    import json
    import re

    from after_stalinism.booktools.sphinxext import RUNS_DIR, externalise_runs

    runs = {"template": {"t": 1}, "figures": {"0-0": {"data": [1]}, "0-1": {"data": [2]}, "1-0": {"data": [3]}}}
    payload = {"runs": runs, "config": {}, "default": "0-1", "controls": 2}
    page = f'<script type="application/json" id="explorer-abc123-runs">{json.dumps(payload)}</script>'
    out = externalise_runs(page, tmp_path)
    kept = json.loads(re.search(r">(.*)</script>", out).group(1))
    assert kept["runs"]["figures"] == {"0-1": {"data": [2]}} and kept["runs"]["template"] == {"t": 1}
    written = json.loads((tmp_path / "_static" / kept["src"]).read_text())
    assert written == runs and kept["src"].startswith(RUNS_DIR.removeprefix("_static/"))
    assert externalise_runs(out, tmp_path) == out, "a page already done is left as it is (rebuilds)"


def test_figure_calls_join_the_queue_the_deferred_script_reads():
    from after_stalinism.booktools.sphinxext import INLINE_CALL, QUEUED_CALL

    call = INLINE_CALL.sub(QUEUED_CALL, '<script>courseFigure("figure-1a2b");</script>')
    assert call == '<script>(self.courseQueue=self.courseQueue||[]).push(["courseFigure","figure-1a2b"]);</script>'


def test_doubly_escaped_ampersands_in_links_are_escaped_once():
    """myst-parser writes a link's "&" as "&amp;amp;"; the build mends hrefs only, not the page's text."""
    from after_stalinism.booktools.sphinxext import undouble_ampersands

    page = '<a href="view.php?a=1&amp;amp;b=2&amp;amp;c=3">Tom &amp;amp; Jerry</a><a href="x?y=1&amp;z=2">'
    assert undouble_ampersands(page) == ('<a href="view.php?a=1&amp;b=2&amp;c=3">Tom &amp;amp; Jerry</a>'
                                         '<a href="x?y=1&amp;z=2">')
