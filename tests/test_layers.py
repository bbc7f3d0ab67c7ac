"""The package's layout is a rule, not a habit: which side may import which, and no import circle.

Sides (CONTRIBUTING.md, "Map of the package"): the root modules (``_modes``, ``notebook_format``)
<- ``display`` (figures, explorers' twin, self-checks) <- ``course`` (data, models, charts,
explorers, lessons) <- ``booktools`` (the book's build and publishing). ``grading`` imports the root
only: never the course, the display engine or the book's tools. Every import counts, at module level
or inside a function, so a lazy import cannot hide an arrow the layout forbids.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "after_stalinism"
ROOT_MODULES = {"after_stalinism._modes", "after_stalinism.notebook_format"}
# What each side may import besides itself (the package's __init__ is the public facade, exempt).
ALLOWED = {
    "root": {"root"},
    "display": {"root"},
    "course": {"root", "display"},
    "booktools": {"root", "display", "course"},
    "grading": {"root"},
}


def module_name(path: Path, top: Path) -> str:
    parts = path.relative_to(top).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def side(module: str) -> str | None:
    if module in ROOT_MODULES:
        return "root"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def graph(top: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (relative imports resolved), for the package in ``top``."""
    files = [p for p in (top / "after_stalinism").rglob("*.py") if "_course" not in p.parts]
    modules = {module_name(p, top) for p in files}
    edges = {}
    for path in files:
        name = module_name(path, top)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        edges[name] = {m for m in found if m in modules and m != name}
    return edges


def crossings(edges: dict[str, set[str]]) -> list[str]:
    """Imports that cross the layout: a side importing one it may not, or the grader the facade."""
    bad = []
    for module, targets in edges.items():
        if module == "after_stalinism":
            continue
        for target in targets:
            if target == "after_stalinism":
                if side(module) == "grading":  # the facade pulls in the course and the display engine
                    bad.append(f"{module} -> {target}")
            elif side(target) != side(module) and side(target) not in ALLOWED.get(side(module), ()):
                bad.append(f"{module} -> {target}")
    return sorted(bad)


def circles(edges: dict[str, set[str]]) -> list[str]:
    edges = {m: t for m, t in edges.items() if m != "after_stalinism"}  # the facade imports its sides
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(edges.get(module, ())):
            if target in path:
                found.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in done:
                visit(target, path + [target])
        done.add(module)

    for module in sorted(edges):
        if module not in done:
            visit(module, [module])
    return found


def test_every_module_belongs_to_a_side():
    strays = [m for m in graph() if side(m) is None and m != "after_stalinism"]
    assert strays == [], f"put these in course/, display/, booktools/ or grading/ (or name them root): {strays}"


def test_each_side_imports_only_the_sides_below_it():
    assert crossings(graph()) == []


def test_no_import_circle():
    assert circles(graph()) == []


def test_the_checks_see_a_forbidden_arrow_and_a_circle(tmp_path):
    """The checks themselves: a planted grader -> course arrow, grader -> facade and a circle are found."""
    for folder, files in {"after_stalinism": {"__init__.py": "from .course import models\n"},
                          "after_stalinism/course": {"__init__.py": "", "models.py": "from . import charts\n",
                                                     "charts.py": "from .models import x\n"},
                          "after_stalinism/grading": {"__init__.py": "", "bad.py": "from ..course import models\n",
                                                      "lazy.py": "def f():\n    import after_stalinism\n"}}.items():
        (tmp_path / folder).mkdir(parents=True)
        for name, text in files.items():
            (tmp_path / folder / name).write_text(text)
    edges = graph(tmp_path)
    assert crossings(edges) == ["after_stalinism.grading.bad -> after_stalinism.course",
                                "after_stalinism.grading.bad -> after_stalinism.course.models",
                                "after_stalinism.grading.lazy -> after_stalinism"]
    assert circles(edges) == ["after_stalinism.course.charts -> after_stalinism.course.models -> "
                              "after_stalinism.course.charts"]
