"""The student edition: the repository a graded class gets (the GitHub Classroom / nbgitpuller
pattern), written from the instructor's private course repository.

The course repository holds ``instructor/exercises/`` (solutions and hidden tests) and the
self-paced releases in ``exercises/``, whose checks files carry every check, sealed but not secret.
A class that is graded must not get either. ``student_edition`` writes a folder to publish as the
students' repository:

* the lessons (``notebooks/``), ``data/``, the book (``book/``, ``_config.yml``, ``_toc.yml``), the
  course package and its install files, ``README.md``;
* ``exercises/``: the sets released to the class, each a **classroom** release (no solution, no
  hidden check, no multiple-choice answer, no rubric); a set not released yet is a page with its
  title and "not released yet" (so the book's contents and the lessons' links still work);
* not ``instructor/``, ``tests/``, ``benchmarks/`` or ``.ci/``, and no git history.

It then checks what it wrote (``check_edition``): no notebook with a solution marker or a TESTS
cell, no checks file that is sealed or holds values, no instructor folder; an edition that fails is
removed and the command says why. A wheel built from the edition carries only the classroom checks.

Usage::

    python -m after_stalinism.grading student-edition --out ../after-stalinism-class \\
        --sets 00_data_warmup 02_second_economy --repo https://github.com/my-class/after-stalinism
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

MARKER = ".student-edition"        # in an edition's root: the command may replace that folder's contents
LEFT_OUT = ("instructor", "tests", "benchmarks", ".ci", "exercises", ".github")
SKIP = {".git", ".venv", "_build", "node_modules", "__pycache__", ".pytest_cache", ".ipynb_checkpoints",
        "grading-output", "submissions"}


class EditionError(ValueError):
    """The student edition could not be written safely; the message says why."""


def _course_files(root: Path) -> list[Path]:
    """The course's files, relative to ``root``: git's tracked files in a checkout, else a walk."""
    if (root / ".git").exists():
        try:
            listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True,
                                    check=True).stdout
            return [Path(os.fsdecode(p)) for p in listed.split(b"\0") if p]
        except (OSError, subprocess.CalledProcessError):
            pass
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP and not d.endswith(".egg-info")]
        found += [Path(folder, f).relative_to(root) for f in files]
    return found


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise EditionError(f"{out} is not empty and is not a student edition (no {MARKER}): "
                               f"give an empty or new folder")
        for child in out.iterdir():  # a previous edition: replaced, its git history kept
            if child.name == ".git":
                continue
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def student_edition(root: Path, out: Path, sets: list[str] | None = None, repo: str | None = None) -> list[str]:
    """Write the student edition of the course at ``root`` into ``out``; return the sets released.
    ``sets``: the names of the sets released to the class (default: every set)."""
    from .notebook import release

    root, out = Path(root).resolve(), Path(out).resolve()
    if root == out or root in out.parents:
        raise EditionError("write the student edition outside the course repository")
    sources = {p.stem: p for p in sorted((root / "instructor" / "exercises").glob("*.ipynb"))}
    chosen = sorted(sources) if not sets else sets
    unknown = [s for s in chosen if s not in sources]
    if unknown:
        raise EditionError(f"no such exercise set: {', '.join(unknown)} (sets: {', '.join(sources)})")
    _prepare(out)
    for relative in _course_files(root):
        if relative.parts[0] in LEFT_OUT or any(part in SKIP for part in relative.parts):
            continue
        source = root / relative
        if source.is_symlink() or not source.is_file():
            continue
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    exercises = out / "exercises"
    for name in chosen:
        release(sources[name], exercises, classroom=True)
    if (root / "exercises" / "index.md").exists():
        shutil.copy2(root / "exercises" / "index.md", exercises / "index.md")
    for name in sorted(set(sources) - set(chosen)):
        _placeholder(sources[name], exercises / f"{name}.ipynb")
    if repo:
        _set_repository(out / "_config.yml", repo)
    (out / MARKER).write_text("Written by `python -m after_stalinism.grading student-edition`; do not edit here.\n"
                              f"Exercise sets released: {', '.join(chosen)}\n", encoding="utf-8")
    try:
        check_edition(out)
    except EditionError:
        for child in out.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        raise
    return chosen


def _placeholder(source: Path, target: Path) -> None:
    """A page for a set not released yet: its title and a sentence, so the book's contents and the
    lessons' links still work, and nothing of the set's questions or checks."""
    import nbformat

    from ..notebook_format import write_notebook

    cells = nbformat.read(source, as_version=4).cells
    first = next((c.source.strip().splitlines()[0] for c in cells
                  if c.cell_type == "markdown" and c.source.strip()), "")
    title = first if first.startswith("# ") else f"# Exercise set {source.stem}"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"{title}\n\nYour instructor has not released this set to the class "
                                              f"yet. When they do, it appears here.")]
    write_notebook(nb, target)


def _set_repository(config: Path, repo: str) -> None:
    """Point ``repository.url`` (the launch buttons, nbgitpuller links) at the students' repository."""
    text = config.read_text(encoding="utf-8")
    new, count = re.subn(r"(?m)^(repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*)\S.*$",
                         lambda m: m.group(1) + repo, text, count=1)
    if not count:
        new = text + f"\nrepository:\n  url: {repo}\n  branch: main\n"
    config.write_text(new, encoding="utf-8")


def check_edition(folder: Path) -> None:
    """EditionError naming every file of ``folder`` a class must not get: an instructor folder, a
    notebook with a solution marker or a TESTS cell, a checks file that is sealed or holds a value."""
    from .checks import TESTS_MARK
    from .notebook import MARKER_LIKE

    folder = Path(folder)
    problems = [f"{folder / name}/ is there" for name in ("instructor", "tests") if (folder / name).exists()]
    for path in sorted(folder.rglob("*")):
        if ".git" in path.relative_to(folder).parts or not path.is_file():
            continue
        if path.suffix == ".ipynb":
            try:
                cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            except (ValueError, OSError, AttributeError) as err:
                problems.append(f"{path}: could not be read ({type(err).__name__})")
                continue
            for index, cell in enumerate(cells):
                source = "".join(cell.get("source", ""))
                if MARKER_LIKE.search(source):
                    problems.append(f"{path}, cell {index + 1}: a solution marker")
                if cell.get("cell_type") == "code" and source.lstrip().startswith(TESTS_MARK):
                    problems.append(f"{path}, cell {index + 1}: a TESTS cell")
        elif path.name.endswith(".checks.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, OSError) as err:
                problems.append(f"{path}: could not be read ({type(err).__name__})")
                continue
            questions = data.get("questions", [])
            if data.get("release") != "classroom" or any("sealed" in q or q.get("rubric") for q in questions):
                problems.append(f"{path}: not a classroom release (sealed checks or a rubric)")
            elif any(c.get("check") == "choice" for q in questions for c in q.get("public", [])):
                problems.append(f"{path}: a multiple-choice answer in a public check")
    if problems:
        raise EditionError("The student edition would give students what they must not have; nothing was kept:\n"
                           + "\n".join(f"  {p}" for p in problems))
