"""Notebook prose that reads the same in the book and in JupyterLab (with jupyterlab-myst).

What jupyterlab-myst 2.7 renders, checked in JupyterLab 4 in Chromium:

* ``{term}`` roles, admonitions, tables, headings: as in the book (a term shows as its word);
* ``{doc}`` roles: a link to the target *without* its file extension, which JupyterLab cannot
  open. A Markdown link with the extension, ``[timeline](../book/timeline.ipynb)``, works in both:
  myst-parser turns it into the same cross-reference as ``{doc}``, and JupyterLab opens the file;
* ``{cite:p}``/``{cite:t}`` roles: the BibTeX key (``lankov2006``) flagged "Citation Not Found".
  jupyterlab-myst cannot read a ``.bib`` file (its citation table is always empty), and the book
  needs the roles for its bibliography links, so they stay; the keys are author + year, and the
  bibliography page lists them. Prose should name the author where it cites ("Lankov writes ...").

This module rewrites the ``{doc}`` roles of notebooks' Markdown cells into Markdown links.
Contributors (and the coordinator after merging lesson edits) run::

    .venv/bin/python -m after_stalinism.lab_markdown notebooks/*.ipynb book/*.ipynb exercises/source/*.ipynb

``--check`` only reports notebooks that still have a ``{doc}`` role.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from .notebook_format import write_notebook

DOC_ROLE = re.compile(r"\{doc\}`(?:(?P<title>[^`<]*?)\s*<(?P<target>[^`>]+)>|(?P<bare>[^`<>]+))`")


def _title(path: Path) -> str:
    """The first heading of a Markdown file or notebook."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return match.group(1).strip() if match else path.stem


def rewrite(text: str, folder: Path) -> str:
    """``text`` (Markdown in ``folder``) with each ``{doc}`` role as a Markdown link to the file."""
    def link(match: re.Match) -> str:
        target = (match.group("target") or match.group("bare")).strip()
        found = [folder / f"{target}{ext}" for ext in (".ipynb", ".md") if (folder / f"{target}{ext}").exists()]
        if not found:
            raise ValueError(f"{{doc}} target {target!r} does not exist next to {folder}")
        title = (match.group("title") or "").strip() or _title(found[0])
        return f"[{title}]({target}{found[0].suffix})"

    return DOC_ROLE.sub(link, text)


def rewrite_notebook(path: Path, check: bool = False) -> bool:
    """Rewrite ``path`` in place; True if it had ``{doc}`` roles (in ``check`` mode: nothing written)."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and DOC_ROLE.search(cell.source):
            changed = True
            if not check:
                cell.source = rewrite(cell.source, Path(path).parent)
    if changed and not check:
        write_notebook(nb, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m after_stalinism.lab_markdown", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="only list notebooks that still have {doc} roles")
    args = parser.parse_args(argv)
    changed = [p for p in args.paths if rewrite_notebook(p, check=args.check)]
    for path in changed:
        print(f"{'has {doc} roles' if args.check else 'rewrote'}: {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
