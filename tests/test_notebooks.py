"""Every notebook in the book runs top to bottom in a real Jupyter kernel, as a learner's would."""

from __future__ import annotations

import functools
import json

import nbformat
import pytest
from nbclient import NotebookClient

from after_stalinism.course.lessons import LESSONS
from conftest import ROOT, toc_pages

NOTEBOOKS = [p for p in toc_pages() if (ROOT / f"{p}.ipynb").exists()]
LESSONS_WITH_A_MODEL = {f"notebooks/{lesson.stem}" for lesson in LESSONS if lesson.model}


@functools.cache  # each notebook runs once per session, whichever test asks first
def execute(path):
    nb = nbformat.read(ROOT / f"{path}.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str((ROOT / path).parent)}}).execute()
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_runs_in_a_kernel_with_every_model_live(path):
    nb = execute(path)  # raises CellExecutionError, with the failing cell, on any error
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    # Every explorer a page shows is an ipywidgets panel in the kernel, never the static twin.
    explorer_cells = [c for c in code if any(k in c.source for k in ("_explorer()", "Explorer(", "Builder("))]
    widgets = [o["data"] for c in explorer_cells for o in c.outputs if o.output_type == "execute_result"
               and "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == len(explorer_cells)
    assert all("text/html" not in bundle for bundle in widgets)
    if path in LESSONS_WITH_A_MODEL:
        assert explorer_cells, f"lesson {path} has no interactive model"


def test_explorer_is_a_live_widget_in_a_kernel():
    """In JupyterLab the explorer is ipywidgets (one display), not the static HTML twin."""
    nb = execute("book/how_to_use")
    bundles = [o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "execute_result"]
    widget_bundles = [b for b in bundles if "application/vnd.jupyter.widget-view+json" in b]
    assert len(widget_bundles) == 1
    assert "text/html" not in widget_bundles[0]
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = json.dumps(state)
    assert "SelectionSliderModel" in models and "DropdownModel" in models
