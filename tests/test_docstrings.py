"""Every public function, method and class of the package has a docstring (CONTRIBUTING.md).

Public means a name without a leading underscore, at any depth: a method, or a function nested in
another (a callback, a ``walk``), counts like a module-level function.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "after_stalinism"
# Paths (relative to the checkout; a folder ends in "/") not checked yet: the grading subpackage,
# which a branch is refactoring as this check lands. It leaves this set once that branch is merged;
# an empty set checks the whole package.
NOT_YET_CHECKED = {
    "after_stalinism/grading/",
}


def public_without_docstring(node: ast.AST, prefix: str = ""):
    """(line, qualified name) of each public def or class in ``node``, at any depth, without a docstring."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = prefix + child.name
            if not child.name.startswith("_") and ast.get_docstring(child) is None:
                yield child.lineno, name
            yield from public_without_docstring(child, name + ".")
        else:
            yield from public_without_docstring(child, prefix)  # e.g. a def under an if or a with


def undocumented(top: Path, skip: set[str] = frozenset()) -> list[str]:
    """``file:line: Qualified.name`` of each public function, method or class under ``top`` without a
    docstring, leaving out the paths in ``skip`` (relative to ``top``'s parent)."""
    found = []
    for path in sorted(top.rglob("*.py")):
        relative = path.relative_to(top.parent).as_posix()
        if any(relative == s or (s.endswith("/") and relative.startswith(s)) for s in skip):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{relative}:{line}: {name}" for line, name in public_without_docstring(tree)]
    return found


def test_every_public_function_and_class_has_a_docstring():
    missing = undocumented(PACKAGE, NOT_YET_CHECKED)
    assert not missing, "public, no docstring (say what it returns or does, and why):\n" + "\n".join(missing)


def test_what_is_not_yet_checked_still_exists():
    for entry in NOT_YET_CHECKED:
        assert (ROOT / entry).exists(), f"{entry} is gone: take it out of NOT_YET_CHECKED"


def test_the_check_sees_every_kind_of_public_name_and_only_those(tmp_path):
    top = tmp_path / "pkg"
    (top / "skipped").mkdir(parents=True)
    (top / "mod.py").write_text(
        "def documented():\n"
        "    '''Has one.'''\n"
        "    def nested():\n"
        "        pass\n"
        "def _private():\n"
        "    def helper():\n"
        "        pass\n"
        "class Thing:\n"
        "    def method(self):\n"
        "        pass\n"
        "    def _hidden(self):\n"
        "        pass\n"
        "if True:\n"
        "    def conditional():\n"
        "        pass\n"
    )
    (top / "skipped" / "other.py").write_text("def bare():\n    pass\n")
    assert undocumented(top, {"pkg/skipped/"}) == [
        "pkg/mod.py:3: documented.nested", "pkg/mod.py:6: _private.helper", "pkg/mod.py:8: Thing",
        "pkg/mod.py:9: Thing.method", "pkg/mod.py:14: conditional"]
    assert undocumented(top) == undocumented(top, {"pkg/skipped/"}) + ["pkg/skipped/other.py:1: bare"]
