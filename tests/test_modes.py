"""The contracts between processes (after_stalinism._modes) are read when used, not when imported:
setting a variable after `import after_stalinism` changes what figures, check() and the data do."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

import after_stalinism as course
from after_stalinism import _modes
from after_stalinism.booktools import sphinxext
from after_stalinism.course import data as course_data
from after_stalinism.display.figures import PLOTLY_MIME, figure_bundle
from after_stalinism.grading import Checker
from conftest import ROOT


def bar() -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))


def test_figures_follow_the_static_mode_set_after_import(monkeypatch):
    # Live, a figure goes to JupyterLab as plotly's own mime type.
    monkeypatch.delenv(_modes.STATIC_ENV, raising=False)
    live = figure_bundle(bar())
    assert PLOTLY_MIME in live and "text/html" not in live
    monkeypatch.setenv(_modes.STATIC_ENV, "1")  # as the book build does, after the import
    static = figure_bundle(bar())
    assert PLOTLY_MIME not in static
    assert "courseFigure(" in static["text/html"] and "<script src" not in static["text/html"]


def test_check_is_silent_only_inside_the_grader(monkeypatch):
    check = Checker("00_data_warmup")
    monkeypatch.delenv(_modes.GRADING_ENV, raising=False)
    assert check("q1") is not None
    monkeypatch.setenv(_modes.GRADING_ENV, "1")
    assert check("q1") is None and check.all() is None


@pytest.fixture
def data_copy(tmp_path):
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    course_data._descriptor.cache_clear()
    yield dest
    course_data._descriptor.cache_clear()


def test_data_folder_override_is_read_at_call_time(monkeypatch, data_copy):
    monkeypatch.delenv(_modes.ROOT_ENV, raising=False)
    monkeypatch.delenv(_modes.DATA_ENV, raising=False)
    assert course_data.DATA_DIR == ROOT / "data"
    (data_copy / "timeline.csv").unlink()
    monkeypatch.setenv(_modes.DATA_ENV, str(data_copy))
    assert course_data.DATA_DIR == data_copy
    with pytest.raises(course.DataError, match=f"{data_copy}.*timeline.csv.*missing"):
        course.load("timeline")


def test_course_root_override_moves_data_and_exercises(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no exercise set in the working folder
    monkeypatch.delenv(_modes.DATA_ENV, raising=False)
    monkeypatch.delenv(_modes.ROOT_ENV, raising=False)
    assert _modes.course_root() == ROOT  # a checkout: data/ and exercises/ at the repository root
    assert Checker("00_data_warmup").checks_path == ROOT / "exercises" / "00_data_warmup.checks.json"
    monkeypatch.setenv(_modes.ROOT_ENV, str(tmp_path))
    assert _modes.data_dir() == tmp_path / "data"
    assert _modes.exercises_dir() == tmp_path / "exercises"
    assert Checker("00_data_warmup").checks_path is None


def test_book_cache_digest_covers_the_overridden_data_folder(monkeypatch, tmp_path, data_copy):
    monkeypatch.setenv(_modes.STATIC_ENV, "0")  # restored after the test; the build sets it to 1
    monkeypatch.setenv(_modes.DATA_ENV, str(data_copy))
    app = SimpleNamespace(outdir=str(tmp_path / "_build" / "html"), srcdir=str(ROOT))
    config = SimpleNamespace(nb_execution_mode="cache", nb_execution_cache_path=str(tmp_path / "cache"),
                             html_static_path=[], html_context={})
    sphinxext._configure(app, config)
    assert _modes.static_mode()
    sphinxext._configure(app, config)
    assert app.course_inputs_changed is False  # nothing changed
    (data_copy / "timeline.csv").write_text((data_copy / "timeline.csv").read_text() + "\n")
    sphinxext._configure(app, config)
    assert app.course_inputs_changed is True  # an edit in the overridden folder empties the cache
