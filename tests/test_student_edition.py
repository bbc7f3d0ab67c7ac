"""The student edition: what a graded class gets holds no solution, no hidden value, no sealed
self-paced check and no instructor folder, and its nbgitpuller links clone it, not the course."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from after_stalinism.grading.edition import EditionError, check_edition
from after_stalinism.grading.links import nbgitpuller_links
from after_stalinism.grading.notebook import load_questions
from conftest import ROOT
from test_grading import SETS, _hidden_secrets, _split_source

RELEASED = ["00_data_warmup", "02_second_economy"]
REPO = "https://github.com/my-class/after-stalinism-class"


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "class"
    result = subprocess.run([sys.executable, "-m", "after_stalinism.grading", "student-edition", "--out", str(out),
                             "--sets", *RELEASED, "--repo", REPO, "--course", str(ROOT)],
                            capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return out


def test_the_edition_has_the_course_and_only_the_released_sets(edition):
    for part in ["notebooks", "data/datapackage.json", "book/instructor_guide.md", "after_stalinism/grading",
                 "_config.yml", "_toc.yml", "pyproject.toml", "requirements.txt"]:
        assert (edition / part).exists(), part
    for part in ["instructor", "tests", "benchmarks", ".ci", ".git"]:
        assert not (edition / part).exists(), part
    assert sorted(p.name for p in (edition / "exercises").glob("*.checks.json")) == \
        [f"{s}.checks.json" for s in RELEASED]
    unreleased = (edition / "exercises" / "01_stalinism.ipynb").read_text()
    assert "not released this set" in unreleased and "check(" not in unreleased
    assert sorted(p.stem for p in (edition / "exercises").glob("*.ipynb")) == [s.stem for s in SETS]


def test_no_solution_no_hidden_value_and_no_sealed_check_anywhere(edition):
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in edition.rglob("*")
             if p.is_file() and p.suffix in (".ipynb", ".json", ".md", ".py", ".yml", ".toml", ".txt", ".csv")}
    for path, text in texts.items():
        if path.suffix == ".ipynb":
            assert "SOLUTION" not in text and "# TESTS" not in text, path
        if path.name.endswith(".checks.json"):
            data = json.loads(text)
            assert data["release"] == "classroom" and not any("sealed" in q for q in data["questions"]), path
            assert "choice" not in {c["check"] for q in data["questions"] for c in q["public"]}, path
    # Files copied from the course must be its public files, byte for byte; what the command made
    # (the releases, the placeholders, the configuration) must hold nothing hidden, even where the
    # public course happens to hold the same words (a data table's label that a check expects).
    made = {"exercises", "_config.yml", "_toc.yml", ".student-edition"}
    for path in edition.rglob("*"):
        relative = path.relative_to(edition)
        if path.is_file() and relative.parts[0] not in made:
            assert relative.parts[0] not in ("instructor", "tests", "benchmarks", ".ci"), relative
            assert path.read_bytes() == (ROOT / relative).read_bytes(), relative
    everything = "\n".join(text for path, text in texts.items() if path.relative_to(edition).parts[0] in made)
    for source in SETS:
        inside, public_text = _split_source(source)
        leaked = [line for line in inside if len(line) >= 16 and line not in public_text and line in everything]
        assert not leaked, f"{source.name}: solution lines {leaked[:3]}"
        for question in load_questions(source):
            leaks = [s for s in _hidden_secrets(question, public_text) if s in everything]
            assert not leaks, f"{source.name} {question.name}: hidden {leaks[:2]}"
            if question.rubric:
                assert question.rubric[:40] not in everything, f"{source.name} {question.name}: rubric"


def test_links_point_at_the_students_repository(edition):
    links = nbgitpuller_links(edition / "_config.yml", hub="https://hub.example.edu")
    assert sorted(links) == [s.stem for s in SETS]
    assert all("my-class%2Fafter-stalinism-class" in url for url in links.values())
    warned = subprocess.run([sys.executable, "-m", "after_stalinism.grading", "links", "--hub", "https://hub.example.edu",
                             "--config", str(ROOT / "_config.yml")], capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert warned.returncode == 0 and "student-edition" in warned.stderr


def test_a_leaky_edition_is_refused_and_a_foreign_folder_is_never_replaced(edition, tmp_path):
    sealed = tmp_path / "leaky"
    (sealed / "exercises").mkdir(parents=True)
    (sealed / "exercises" / "x.checks.json").write_text(json.dumps(
        {"release": "self-paced", "questions": [{"name": "q1", "sealed": "abc"}]}))
    (sealed / "x.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": "### BEGIN SOLUTION\n"}]}))
    with pytest.raises(EditionError, match="not a classroom release") as refused:
        check_edition(sealed)
    assert "solution marker" in str(refused.value)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine")
    result = subprocess.run([sys.executable, "-m", "after_stalinism.grading", "student-edition", "--out", str(foreign),
                             "--course", str(ROOT)], capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and (foreign / "thesis.tex").read_text() == "mine"
