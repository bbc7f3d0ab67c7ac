"""Every exercise set: well formed, released up to date, and graded right by the real grader.

For each set: the reference solution scores full marks and the untouched release scores zero
(both graded by the batch grader, in separate processes, like a class), and every plausible wrong
answer written into the tests gets its own feedback.
"""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml

from after_stalinism.course.lessons import exercise_sets
from after_stalinism.grading import checks as C
from after_stalinism.grading.grade import grade_folder
from after_stalinism.grading.notebook import load_questions, reference_submission, release
from after_stalinism.grading.sandbox import Limits
from after_stalinism.grading.values import decode
from conftest import ROOT

SOURCES = sorted((ROOT / "instructor" / "exercises").glob("*.ipynb"))
LESSON_SETS = [s for s in SOURCES if not s.stem.startswith("00_")]


def test_there_is_a_set_for_every_lesson_and_each_is_in_the_book():
    assert [s.stem for s in SOURCES] == exercise_sets()  # the warm-up, then one per lesson
    toc = (ROOT / "_toc.yml").read_text()
    for source in SOURCES:
        assert f"exercises/{source.stem}" in toc, source.stem
    yaml.safe_load(toc)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_release_matches_the_source(source, tmp_path):
    release(source, tmp_path)
    for name in [f"{source.stem}.ipynb", f"{source.stem}.checks.json"]:
        assert (tmp_path / name).read_text() == (ROOT / "exercises" / name).read_text(), \
            f"exercises/{name} is stale: run `python -m after_stalinism.grading release {source.relative_to(ROOT)}`"


@pytest.mark.parametrize("source", LESSON_SETS, ids=lambda p: p.stem)
def test_set_shape_rising_difficulty_and_a_rubric(source):
    questions = load_questions(source)
    assert len(questions) >= 8
    points = [q.points for q in questions]
    assert points == sorted(points), "difficulty (points) should rise through the set"
    manual = [q for q in questions if q.manual]
    assert manual and all(len(q.rubric) > 100 for q in manual)
    kinds = {c["check"] for q in questions for c in q.public + q.hidden}
    assert {"choice", "value"} <= kinds  # close reading and computed answers
    text = (ROOT / "exercises" / f"{source.stem}.ipynb").read_text()
    assert "course.load(" in text and "models." in text  # the course data and the lesson's model
    assert "check.all()" in text


def _plausible_wrong_answers(question):
    """(variable, wrong value, expected feedback) for every wrong answer the tests anticipate."""
    for check in question.public + question.hidden:
        for wrong, feedback in check.get("wrong", []):
            yield check, decode(wrong), feedback


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_anticipated_wrong_answer_gets_its_own_feedback(source):
    for question in load_questions(source):
        if question.manual:
            continue
        cases = list(_plausible_wrong_answers(question))
        assert cases or any(c.get("message") for c in question.hidden + question.public), \
            f"{question.name} anticipates no wrong answer"
        for check, wrong, feedback in cases:
            outcome = C.evaluate(check, {check["name"]: wrong})
            assert not outcome.passed, (question.name, wrong)
            if feedback:
                assert outcome.message == feedback, (question.name, wrong, outcome.message)


@pytest.mark.parametrize("source", LESSON_SETS + SOURCES[:1], ids=lambda p: p.stem)
def test_reference_scores_full_marks_and_untouched_release_scores_zero(source, tmp_path):
    folder = tmp_path / "submissions"
    (folder / "reference").mkdir(parents=True)
    nbformat.write(reference_submission(source), folder / "reference" / "work.ipynb")
    (folder / "untouched").mkdir(parents=True)
    (folder / "untouched" / "work.ipynb").write_bytes((ROOT / "exercises" / f"{source.stem}.ipynb").read_bytes())
    book = grade_folder(source, folder, tmp_path / "out", jobs=2, limits=Limits(timeout=60, cell_timeout=20),
                        progress=False).set_index("student")
    questions = load_questions(source)
    auto = sum(q.points for q in questions if not q.manual)
    assert book.loc["reference", "total"] == auto and book.loc["reference", "status"] == "ok", \
        (tmp_path / "out" / "feedback" / "reference.md").read_text()
    assert book.loc["untouched", "total"] == 0
    feedback = (tmp_path / "out" / "feedback" / "untouched.md").read_text()
    assert "Traceback" not in feedback and "still `...`" in feedback
    results = json.loads((tmp_path / "out" / "results" / "reference" / "results.json").read_text())
    assert results["score"] == auto
