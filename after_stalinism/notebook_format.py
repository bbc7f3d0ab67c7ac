"""Notebooks stored exactly as JupyterLab saves them, so opening and saving one changes nothing.

JupyterLab writes nbformat's canonical JSON (sorted keys, indent 1, trailing newline) with the
running kernel's kernelspec and full ``language_info``. A notebook stored any other way is
rewritten on the learner's first save, leaving their clone dirty and their next ``git pull`` in
conflict. Cells tagged ``hide-input`` (hidden in the book) are also collapsed in JupyterLab
(``metadata.jupyter.source_hidden``), so a self-check's answers are not shown above the quiz.

Usage (contributors, after editing a notebook by script or by hand)::

    .venv/bin/python -m after_stalinism.notebook_format notebooks/*.ipynb     # rewrite in place
    .venv/bin/python -m after_stalinism.notebook_format --check $(git ls-files '*.ipynb')

``release`` writes student notebooks through ``write_notebook`` too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HIDDEN_TAG = "hide-input"


def kernel_metadata() -> dict:
    """The kernelspec and language_info that the course's kernel (ipykernel) reports."""
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict

    spec = get_kernel_dict()
    return {"kernelspec": {"display_name": spec["display_name"], "language": spec["language"], "name": KERNEL_NAME},
            "language_info": dict(IPythonKernel.language_info)}


def canonical(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with the kernel's metadata and hidden cells collapsed (changed in place, returned)."""
    nb.metadata.update(kernel_metadata())
    for cell in nb.cells:
        if HIDDEN_TAG in cell.metadata.get("tags", []):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    return nb


def canonical_text(nb: nbformat.NotebookNode) -> str:
    """The text JupyterLab would save for ``nb``, ending in a newline (``nb`` is made canonical in place)."""
    text = nbformat.writes(canonical(nb))
    return text if text.endswith("\n") else text + "\n"


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` to ``path`` exactly as JupyterLab would save it."""
    Path(path).write_text(canonical_text(nb), encoding="utf-8")


def is_canonical(path: Path) -> bool:
    """Whether the notebook at ``path`` is stored exactly as JupyterLab would save it."""
    text = Path(path).read_text(encoding="utf-8")
    return text == canonical_text(nbformat.reads(text, as_version=4))


def main(argv: list[str] | None = None) -> int:
    """The command line: rewrite the notebooks given that are not canonical; the exit status.

    With ``--check`` nothing is written: each such notebook is reported and the status is 1 if there is any.
    """
    parser = argparse.ArgumentParser(prog="python -m after_stalinism.notebook_format", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="only report notebooks that are not canonical")
    args = parser.parse_args(argv)
    stale = [p for p in args.paths if not is_canonical(p)]
    for path in stale:
        if args.check:
            print(f"not canonical: {path}", file=sys.stderr)
        else:
            write_notebook(nbformat.read(path, as_version=4), path)
            print(f"rewrote {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
