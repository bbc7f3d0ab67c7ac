"""Self-check questions that work in JupyterLab and in the static HTML book, with no kernel.

The quiz engine is jupyterquiz (its JavaScript runs in the reader's browser). This module packs a
quiz into one self-contained HTML fragment instead of jupyterquiz's two separate outputs, so the
book page gets it as ordinary HTML, and fixes five details on the way:

* the element id is derived from the questions, so rebuilding the book gives the same page;
* the numeric answer box gets a real ``<label for=...>`` (screen readers announce it) and says
  that Enter submits the answer;
* feedback is an ARIA live region, so a screen reader reads it out when it appears;
* the keyboard answers only on purpose: arrow keys move through a question's choices without
  answering (a radio's own click on each move would submit, and store, every choice passed), Space
  or Enter answers, and focus stays on the answer box after Enter (jupyterquiz dropped it);
* it never fetches MathJax from a CDN (the book must work offline; the quizzes use no mathematics).

Questions are jupyterquiz dictionaries. Use the helpers to write them::

    self_check("lesson1", [
        multiple_choice("Who listed seven features of mature Stalinism?",
                        correct="Seweryn Bialer", wrong={"Henry Reichman": "Reichman asked what ..."}),
        numeric("How many features are there?", 7, tol=0, wrong={(8, 9): "Count again ..."}),
    ])
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass

from jupyterquiz.dynamic.loader import load_questions_script
from jupyterquiz.dynamic.renderer import build_script, build_styles, render_div

# Colours with enough contrast (WCAG AA) both ways they are used: the correct/incorrect colours
# are the text colour of feedback on the white page and the background of a clicked answer under
# white text.
COLOURS = {
    "--jq-multiple-choice-bg": "#2c3e6b",
    "--jq-numeric-bg": "#2c3e6b",
    "--jq-many-choice-bg": "#7a2e0e",
    "--jq-string-bg": "#4c1a57",
    "--jq-mc-button-bg": "#fafafa",
    "--jq-mc-button-border": "#767676",
    "--jq-mc-button-inset-shadow": "#555555",
    "--jq-numeric-input-bg": "#f4f4f4",
    "--jq-numeric-input-label": "#1a1a1a",
    "--jq-numeric-input-shadow": "#999999",
    "--jq-incorrect-color": "#a40000",
    "--jq-correct-color": "#1b6e20",
    "--jq-text-color": "#ffffff",
    "--jq-link-color": "#cfe0ff",
}

# Small, checked patches to jupyterquiz's JavaScript (before -> after).
_PATCHES = {
    'lab.innerHTML = "Type numeric answer here:";':
        'lab.innerHTML = "Type your answer, then press Enter:"; lab.htmlFor = id + "-0";',
    "this.fbDiv.className = 'Feedback';":
        "this.fbDiv.className = 'Feedback'; this.fbDiv.setAttribute('aria-live', 'polite');",
    "script.src = 'https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js';": "return;",
    # Focus stays on the answer box after Enter: jupyterquiz blurred it (focus fell to <body>) and,
    # after a right answer, moved it to the next box, which emptied that box.
    "ths.blur();": "",
    "nextInput.focus();": "",
}
# jupyterquiz typesets with any global ``MathJax`` it finds. JupyterLab's has no ``version`` (a
# TypeError on render and on every answer) and jupyter-book's may lack ``typeset``: typeset only
# with a MathJax that can (the quizzes hold no mathematics, so nothing is lost otherwise).
_MATHJAX_TESTS = ("typeof MathJax != 'undefined'", "typeof MathJax !== 'undefined'")
_MATHJAX_GUARD = ("function courseMathJaxUsable() { var M = window.MathJax; "
                  "return typeof M !== 'undefined' && M !== null && typeof M.version === 'string' && "
                  "(M.version[0] === '2' ? !!(M.Hub && M.Hub.Queue) : typeof M.typeset === 'function'); }\n")

# Choices are radio buttons inside labels that answer on click, and the browser clicks the radio an
# arrow key moves to: those clicks are stopped before the label (and the reader's stored progress)
# sees them, and Space or Enter answers the focused choice. One listener on the document, installed
# once, serves every quiz (in JupyterLab a quiz's element may not exist yet when its script runs).
_KEYBOARD_GUARD = """(function () {
  if (window.courseQuizKeys) { return; }
  window.courseQuizKeys = true;
  var moving = false;
  document.addEventListener("keydown", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches(".self-check .MCButton input[type=radio]")) { return; }
    moving = event.key.indexOf("Arrow") === 0;  // the browser then clicks the choice it moves to
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();  // Space would click only an unchecked radio, and on key up
      radio.checked = true;
      radio.closest(".MCButton").click();
    }
  }, true);
  document.addEventListener("keyup", function () { moving = false; }, true);
  document.addEventListener("click", function (event) {
    if (moving && event.target.closest && event.target.closest(".self-check")) {
      moving = false;
      event.stopPropagation();
    }
  }, true);
})();
"""


def multiple_choice(question: str, correct: str, wrong: Mapping[str, str],
                    right_feedback: str = "Correct!") -> dict:
    """One right answer and wrong answers, each wrong answer with the feedback it deserves."""
    if not wrong:
        raise ValueError("a multiple-choice question needs at least one wrong answer")
    answers = [{"answer": correct, "correct": True, "feedback": right_feedback}]
    answers += [{"answer": text, "correct": False, "feedback": feedback} for text, feedback in wrong.items()]
    return {"question": question, "type": "multiple_choice", "answers": answers}


def numeric(question: str, answer: float, tol: float, right_feedback: str = "Correct!",
            wrong: Mapping[tuple[float, float], str] | None = None,
            otherwise: str = "Not quite. Reread the section and try again.") -> dict:
    """A number accepted within ``answer ± tol``; ``wrong`` maps (low, high) ranges to feedback."""
    answers = [{"type": "range", "range": [answer - tol, answer + tol + 1e-9], "correct": True,
                "feedback": right_feedback}]
    for (low, high), feedback in (wrong or {}).items():
        answers.append({"type": "range", "range": [low, high], "correct": False, "feedback": feedback})
    answers.append({"type": "default", "feedback": otherwise})
    return {"question": question, "type": "numeric", "answers": answers}


@dataclass(frozen=True)
class SelfCheck:
    """A quiz shown as one HTML fragment, in JupyterLab and in the book alike; made by ``self_check()``."""

    name: str
    questions: list

    def _div_id(self) -> str:
        digest = hashlib.sha1((self.name + json.dumps(self.questions, sort_keys=True)).encode()).hexdigest()
        # jupyterquiz uses the id as a JavaScript identifier too: letters only.
        return "quiz" + "".join(chr(ord("a") + int(c, 16)) for c in digest[:12])

    def html(self) -> str:
        """The self-check as one HTML section: jupyterquiz's questions (patched, see ``_PATCHES``), its
        styles in the course's colours, the folded answer key and the script that runs the quiz."""
        div_id = self._div_id()
        prefix, static, url = load_questions_script(self.questions, div_id)
        script = build_script(prefix, static, url, div_id, load_js=True)
        for before, after in _PATCHES.items():
            if before not in script:
                raise RuntimeError(f"jupyterquiz changed: cannot apply the patch for {before!r}")
            script = script.replace(before, after)
        if not any(test in script for test in _MATHJAX_TESTS):
            raise RuntimeError("jupyterquiz changed: cannot guard its use of MathJax")
        for test in _MATHJAX_TESTS:
            script = script.replace(test, "courseMathJaxUsable()")
        script = _MATHJAX_GUARD + _KEYBOARD_GUARD + script
        script = script.replace("</", "<\\/")  # keep the script from closing its own tag
        # Answers are shuffled in the reader's browser, so the right one is not always first.
        div = render_div(div_id, shuffle_questions=False, shuffle_answers=True, preserve_responses=False,
                         num=1_000_000, max_width=700, border_radius=10, question_alignment="left")
        return (f'<section class="self-check" aria-label="Self-check: {self.name}">'
                f"{div}</div>{build_styles(div_id, COLOURS)}{self.answer_key_html()}"
                f"<script>{script}</script></section>")

    def answer_key_html(self) -> str:
        """The right answers, hidden on the web page; the print edition shows them in an appendix."""
        items = []
        for q in self.questions:
            right = [a for a in q["answers"] if a.get("correct")]
            if q["type"] == "numeric":
                low, high = right[0]["range"]
                middle, tol = (low + high) / 2, (high - low) / 2
                answer = f"{middle:g}" + (f" (± {tol:.2g})" if tol > 1e-6 else "")
            else:
                answer = "; ".join(a["answer"] for a in right)
            feedback = right[0].get("feedback", "") if right else ""
            items.append(f"<li><p>{html.escape(q['question'])}</p><p><strong>Answer:</strong> {html.escape(answer)}"
                         + (f" {html.escape(feedback)}" if feedback and feedback != "Correct!" else "") + "</p></li>")
        return f'<div class="self-check-key" hidden><ol>{"".join(items)}</ol></div>'


    def _repr_html_(self) -> str:
        return self.html()


def self_check(name: str, questions: list) -> SelfCheck:
    """A quiz to show as the last expression of a cell (rendered by JupyterLab and the book alike)."""
    for q in questions:
        if q.get("type") not in ("multiple_choice", "numeric"):
            raise ValueError(f"unsupported question type {q.get('type')!r}; use multiple_choice() or numeric()")
    return SelfCheck(name, list(questions))
