"""Every notebook in the repository is stored exactly as JupyterLab saves it, and its prose uses
forms that read in JupyterLab too (see ``after_stalinism.notebook_format`` and ``lab_markdown``).
The real-browser check that open + save changes nothing is in ``test_jupyterlab.py``."""

from __future__ import annotations

import subprocess

import nbformat
import pytest

from after_stalinism.booktools.lab_markdown import DOC_ROLE, rewrite
from after_stalinism.notebook_format import canonical_text, is_canonical, kernel_metadata
from conftest import ROOT

NOTEBOOKS = sorted(ROOT / p for p in subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True,
                                                     text=True, check=True).stdout.split())


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 15


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_canonical(path):
    assert is_canonical(path), f"run: .venv/bin/python -m after_stalinism.notebook_format {path.relative_to(ROOT)}"
    nb = nbformat.read(path, as_version=4)
    assert all(c.get("outputs", []) == [] for c in nb.cells), "notebooks are stored without outputs"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not DOC_ROLE.search(cell.source), \
                f"run: .venv/bin/python -m after_stalinism.booktools.lab_markdown {path.relative_to(ROOT)}"


def test_canonical_form_is_what_the_kernel_reports_and_collapses_hidden_cells():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", metadata={"tags": ["hide-input"]})])
    text = canonical_text(nb)
    back = nbformat.reads(text, as_version=4)
    assert back.metadata.kernelspec == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    assert back.metadata.language_info == kernel_metadata()["language_info"]
    assert back.cells[0].metadata.jupyter.source_hidden is True
    assert text.endswith("}\n") and text == canonical_text(back)


def test_doc_roles_become_links_that_both_renderers_open():
    folder = ROOT / "notebooks"
    assert rewrite("see {doc}`timeline <../book/timeline>`.", folder) == "see [timeline](../book/timeline.ipynb)."
    assert rewrite("{doc}`../book/glossary`", folder) == "[Glossary](../book/glossary.md)"
    with pytest.raises(ValueError, match="does not exist"):
        rewrite("{doc}`../book/no_such_page`", folder)
