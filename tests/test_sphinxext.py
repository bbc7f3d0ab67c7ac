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
