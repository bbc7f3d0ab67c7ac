"""Every public function, method and class of the whole package, every subpackage included, has a
docstring (CONTRIBUTING.md).

Public means a name without a leading underscore, at any depth: a method, or a function nested in
another (a callback, a ``walk``), counts like a module-level function.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "after_stalinism"


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


def undocumented(top: Path) -> list[str]:
    """``file:line: Qualified.name`` (relative to ``top``'s parent) of each public function, method
    or class under ``top``, in any subfolder, without a docstring."""
    found = []
    for path in sorted(top.rglob("*.py")):
        relative = path.relative_to(top.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{relative}:{line}: {name}" for line, name in public_without_docstring(tree)]
    return found


def test_every_public_function_and_class_has_a_docstring():
    missing = undocumented(PACKAGE)
    assert not missing, "public, no docstring (say what it returns or does, and why):\n" + "\n".join(missing)


def test_the_check_sees_every_kind_of_public_name_and_only_those(tmp_path):
    top = tmp_path / "pkg"
    (top / "sub").mkdir(parents=True)
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
    (top / "sub" / "other.py").write_text("def bare():\n    pass\n")
    assert undocumented(top) == [
        "pkg/mod.py:3: documented.nested", "pkg/mod.py:6: _private.helper", "pkg/mod.py:8: Thing",
        "pkg/mod.py:9: Thing.method", "pkg/mod.py:14: conditional", "pkg/sub/other.py:1: bare"]
