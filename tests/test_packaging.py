"""The course package as others install it: a wheel that holds every subpackage, the course data,
the static assets and the public checks (never the instructor's sources), and works on its own,
away from this checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "after_stalinism"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built the way `pip install .` builds it, from a copy of the sources (the checkout stays clean)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ["pyproject.toml", "README.md"]:
        shutil.copy(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for folder in ["after_stalinism", "data", "exercises"]:
        shutil.copytree(ROOT / folder, src / folder, ignore=skip)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            str(src), "-w", str(tmp / "dist")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (tmp / "dist").glob("after_stalinism-*.whl")
    return path


def test_wheel_holds_every_subpackage_asset_table_and_public_check(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in PACKAGE.rglob("__init__.py"):
        assert f"{init.relative_to(ROOT).as_posix()}" in names, f"subpackage {init.parent.name} is not in the wheel"
    for module in PACKAGE.rglob("*.py"):
        assert module.relative_to(ROOT).as_posix() in names, module
    for asset in (PACKAGE / "static").iterdir():
        assert f"after_stalinism/static/{asset.name}" in names, asset.name
    data = [p.name for p in (ROOT / "data").iterdir() if p.suffix in {".csv", ".json"}]
    assert "datapackage.json" in data
    for name in data:
        assert f"after_stalinism/_course/data/{name}" in names, name
    checks = [p.name for p in (ROOT / "exercises").glob("*.checks.json")]
    assert checks
    for name in checks:
        assert f"after_stalinism/_course/exercises/{name}" in names, name
    # Hidden tests and solutions stay with the instructor.
    assert not [n for n in names if n.endswith(".ipynb") or "/source/" in n]


def test_wheel_declares_runtime_dependencies_and_keeps_tools_in_extras(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        meta = Parser().parsestr(zf.read("after_stalinism-0.1.0.dist-info/METADATA").decode())
    requires = meta.get_all("Requires-Dist")
    runtime = {r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in requires if "extra ==" not in r}
    assert {"pandas", "jinja2", "plotly", "ipywidgets", "nbformat", "rich", "jupyterquiz"} <= runtime
    assert not runtime & {"jupyter-book", "pytest", "playwright", "frictionless", "ruff"}
    assert {"book", "test", "lab"} <= set(meta.get_all("Provides-Extra"))


def test_installed_wheel_works_away_from_the_checkout(wheel: Path, tmp_path: Path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere.mkdir()
    # A lesson's calls, a learner's check() and the instructor's `release` command (given the
    # instructor's own source notebook), all from the unpacked wheel, in a folder far from the checkout.
    script = textwrap.dedent(f"""
        import json, runpy, sys
        import after_stalinism as course
        from after_stalinism import _modes
        from after_stalinism.course import charts
        from after_stalinism.grading import Checker
        fig = charts.timeline_figure()
        out = {{
            "package": course.__file__, "root": str(_modes.course_root()),
            "rows": len(course.load("timeline")), "traces": len(fig.data),
            "checks": str(Checker("00_data_warmup").checks_path),
            "q1": [[ln.name, ln.status, ln.points] for ln in Checker("00_data_warmup")("q1").lines],
        }}
        sys.argv = ["grading", "release", {str(ROOT / "instructor" / "exercises" / "00_data_warmup.ipynb")!r},
                    "--out", "released"]
        try:
            runpy.run_module("after_stalinism.grading", run_name="__main__")
        except SystemExit as done:
            out["release_exit"] = done.code
        print(json.dumps(out))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTER_STALINISM_")}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(out["package"]).is_relative_to(site)
    assert Path(out["root"]) == site / "after_stalinism" / "_course"
    assert out["rows"] > 10 and out["traces"] >= 1
    assert Path(out["checks"]).is_relative_to(site)
    [(name, status, points)] = out["q1"]  # the learner's check() judged q1 (unanswered: no points)
    assert name == "q1" and status == "not yet" and points.endswith("when right")  # no score before an answer
    assert out.get("release_exit") in (None, 0)
    assert (elsewhere / "released" / "00_data_warmup.checks.json").read_text() == \
        (ROOT / "exercises" / "00_data_warmup.checks.json").read_text()
