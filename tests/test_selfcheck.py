"""Self-check quizzes: stable ids, jupyterquiz patched for accessibility, bad questions refused."""

from __future__ import annotations

import pytest

from after_stalinism.display.selfcheck import multiple_choice, numeric, self_check


def quiz():
    return self_check("demo", [
        multiple_choice("Who listed the seven features?", correct="Bialer",
                        wrong={"Reichman": "He asked what the word means."}),
        numeric("How many features?", 7, tol=0, wrong={(0, 6.5): "Too few."}),
    ])


def test_same_questions_give_the_same_page_and_different_ones_do_not():
    assert quiz().html() == quiz().html()
    other = self_check("demo", [multiple_choice("Another?", correct="yes", wrong={"no": "why not"})])
    assert other._div_id() != quiz()._div_id()
    assert quiz()._div_id().isalpha()  # jupyterquiz uses it as a JavaScript identifier


def test_fragment_is_self_contained_and_patched():
    html = quiz().html()
    assert html.count("<script>") == 1 and "</script></section>" in html
    assert 'lab.htmlFor = id + "-0"' in html and "aria-live" in html
    assert "http://" not in html.split("<script>")[1] and "https://" not in html.split("<script>")[1]
    assert 'data-shuffleanswers="True"' in html
    assert quiz()._repr_html_() == html


def test_numeric_answers_are_ranges_with_feedback():
    q = numeric("How many?", 7, tol=0.5, wrong={(8, 9): "Too many."})
    right, too_many, default = q["answers"]
    assert right["correct"] and right["range"][0] == 6.5 and right["range"][1] > 7.5
    assert too_many == {"type": "range", "range": [8, 9], "correct": False, "feedback": "Too many."}
    assert default["type"] == "default"


def test_bad_questions_are_refused():
    with pytest.raises(ValueError, match="at least one wrong answer"):
        multiple_choice("Q?", correct="a", wrong={})
    with pytest.raises(ValueError, match="unsupported question type"):
        self_check("x", [{"type": "string", "question": "?"}])


def test_quiz_typesets_only_with_a_usable_mathjax():
    """JupyterLab's global MathJax has no ``version``: jupyterquiz must not touch it (issue 21)."""
    page = self_check("guard", [multiple_choice("Which?", "a", {"b": "no"}), numeric("How many?", 3, 0)]).html()
    assert "courseMathJaxUsable()" in page and "function courseMathJaxUsable()" in page
    assert "typeof MathJax != 'undefined'" not in page and "typeof MathJax !== 'undefined'" not in page
