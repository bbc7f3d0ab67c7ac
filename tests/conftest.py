"""Shared fixtures: the repository, the built book, a local web server and a headless browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from after_stalinism._modes import STATIC_ENV
from after_stalinism.booktools.printbook import serve
from after_stalinism.course.lessons import toc_pages  # noqa: F401  (the tests import it from here)

ROOT = Path(__file__).resolve().parent.parent
BUILD_HTML = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def jupyter_book(*args: str, cwd: Path = ROOT, timeout: int = 900,
                 extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real jupyter-book CLI from this environment."""
    exe = Path(sys.executable).parent / "jupyter-book"
    env = {k: v for k, v in os.environ.items() if k != STATIC_ENV}
    env.update(extra_env or {})
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book once per test session, exactly as the README does (-W: warnings are errors)."""
    result = jupyter_book("build", "-W", "-n", "--keep-going", ".")
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return BUILD_HTML


@pytest.fixture(scope="session")
def site(built_book: Path):
    """Serve the built book on a loopback port (the browser blocks every other address)."""
    with serve(built_book) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian chromium is needed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is needed at {AXE_JS}: run `npm ci` in the repository")
    return AXE_JS.read_text()


@pytest.fixture
def book_copy(tmp_path: Path) -> Path:
    """A copy of the book's sources to break on purpose (no venv, no build, no cache)."""
    dest = tmp_path / "book"
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".venv", "_build", "node_modules", ".git", "__pycache__", ".pytest_cache"))
    return dest
