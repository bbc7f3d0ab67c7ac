"""A self-paced learner's ``check()``, in a real kernel, through the committed releases.

For each set: the reference answers pass; every anticipated wrong answer fails with its own
feedback; the classroom release lets no wrong value pass; nothing printed before the other answers
are right shows a rubric. Also: the learner's import path needs no POSIX-only module, and the
checks file does not show answers at a glance.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from jupyter_client.manager import start_new_kernel

from after_stalinism.grading import checks as C
from after_stalinism.grading.notebook import load_questions, reference_submission, release
from after_stalinism.grading.values import decode, encode
from conftest import ROOT

SOURCES = sorted((ROOT / "instructor" / "exercises").glob("*.ipynb"))


class Kernel:
    """A real ipykernel; ``run(code)`` returns the text of the last expression (errors raise)."""

    def __init__(self, cwd):
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))

    def run(self, code: str, allow_error: bool = False) -> str:
        out: list[str] = []

        def hook(msg):
            content = msg["content"]
            if msg["msg_type"] in ("execute_result", "display_data"):
                out.append(content["data"].get("text/plain", ""))
            elif msg["msg_type"] == "stream":
                out.append(content["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{content['ename']}: {content['evalue']}")

        reply = self.kc.execute_interactive(code, output_hook=hook, timeout=60)
        assert allow_error or reply["content"]["status"] == "ok", (code, out)
        return "\n".join(out)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def anticipated_mistakes(question):
    """(variable, wrong value, its feedback) for every mistake the set's checks anticipate."""
    for check in question.public + question.hidden:
        for wrong, feedback in check.get("wrong", []):
            wrong = decode(wrong)
            yield check["name"], list(wrong) if isinstance(wrong, tuple) else wrong, feedback  # as a learner types it
        for mistake, feedback in check.get("mistakes", []):
            compute, _, default = C.MISTAKES[mistake]
            key = decode(check["expected"])
            wrong = compute(key)
            yield check["name"], int(wrong) if isinstance(key, int) and not check.get("decimals") else wrong, \
                (feedback or default).format(name=check["name"])
        if check["check"] == "frame" and check["values"] and check["message"]:  # the last row left out
            import pandas as pd
            yield check["name"], pd.DataFrame({k: decode(v)[:-1] for k, v in check["values"].items()}), check["message"]


def essay_notebook(source, folder, text: str):
    """A copy of the set's release whose free-response answer cells hold ``text`` (as a learner saves it)."""
    nb = json.loads((ROOT / "exercises" / f"{source.stem}.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).strip() == "*Your answer here.*":
            cell["source"] = text
    path = folder / f"{source.stem}.ipynb"
    path.write_text(json.dumps(nb))
    return path


ESSAY = ("Two explanations fit the sources. The Ministry of Unification said in 2013 that border control "
         "tightened after Kim Jong Il's death, and the border closure of the pandemic years cut crossings "
         "further; arrivals by year of crossing, not of arrival, would tell them apart.")


@pytest.fixture(scope="module")
def kernel():
    k = Kernel(ROOT / "exercises")
    yield k
    k.close()


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_release_judges_answers_and_mistakes(source, kernel, tmp_path):
    questions = load_questions(source)
    auto = [q for q in questions if not q.manual]
    manual = [q for q in questions if q.manual]
    kernel.run("%reset -f")
    # The committed release, untouched: nothing passes, and no rubric is shown yet.
    setup = next(c.source for c in reference_submission(source).cells if c.source.startswith("# SETUP"))
    kernel.run(setup)
    assert kernel.run("sorted(n for n in dir() if n in ('question', 'kind', 'value', 'choice', 'text', 'frame', "
                      "'figure'))") == "[]", "only `check` should join the learner's namespace"
    untouched = kernel.run("check.all()")
    assert "PASSED" not in untouched and f"Progress: 0 of {len(auto)} questions pass" in untouched
    assert f"written answers: 0 of {len(manual)} written" in untouched
    for q in manual:
        assert q.rubric not in untouched and "free response" in untouched
    # The reference answers (every code cell of the source but its TESTS cells) all pass.
    for cell in reference_submission(source).cells:
        if cell.cell_type == "code":
            kernel.run(cell.source)
    done = kernel.run("check.all()")
    assert f"Progress: {len(auto)} of {len(auto)} questions pass" in done and "NOT YET" not in done, done
    # A free response is never PASSED. An essay whose saved answer cell is still the placeholder is
    # "not yet written", whatever `answered_qN` says, and its marking guide stays hidden.
    essays = [q for q in manual if any(c["name"].startswith("answered_") for c in q.public)]
    for q in essays:
        assert q.rubric not in done and "as last saved, is empty" in done, done
    for q in manual:
        if q not in essays:  # a short answer, written by the reference: its key points show
            assert q.rubric in done and f"{q.name}: PASSED" not in done
    # Once the answer is written and saved (the kernel's session names the notebook), the guide shows.
    kernel.run(f"__session__ = {str(essay_notebook(source, tmp_path, ESSAY))!r}")
    written = kernel.run("check.all()")
    assert f"written answers: {len(manual)} of {len(manual)} written" in written, written
    for q in manual:
        assert q.rubric in written and "Key points, to assess your answer yourself" in written
        assert f"{q.name}: PASSED" not in written
    for q in essays:
        flag = next(c["name"] for c in q.public if c["name"].startswith("answered_"))
        kernel.run(f"{flag} = False")
        assert q.rubric not in kernel.run(f"check({q.name!r})")
        kernel.run(f"{flag} = True")
    kernel.run(f"__session__ = {str(essay_notebook(source, tmp_path, 'I do not know.'))!r}")
    for q in essays:
        text = kernel.run(f"check({q.name!r})")
        assert q.rubric not in text and "does not try an answer yet" in text, text
    kernel.run("del __session__")
    # Each anticipated mistake fails, with its own feedback, and leaves no rubric on screen.
    classroom_dir = tmp_path / "classroom"
    release(source, classroom_dir, classroom=True)
    kernel.run("from after_stalinism.grading import Checker\n"
               f"classroom = Checker({source.stem!r}, folder={str(classroom_dir)!r})")
    for q in auto:
        cases = list(anticipated_mistakes(q))
        assert cases, f"{q.name} anticipates no mistake"
        for name, wrong, feedback in cases:
            kernel.run(f"_saved = {name}\nimport json\nfrom after_stalinism.grading.values import decode\n"
                       f"{name} = decode(json.loads({json.dumps(json.dumps(encode(wrong)))}))")
            text = kernel.run(f"check({q.name!r})")
            assert f"{q.name}: NOT YET" in text and feedback in text, (q.name, wrong, text)
            assert not any(m.rubric in text for m in manual)
            judged = kernel.run(f"classroom({q.name!r})")
            assert "PASSED" not in judged, (q.name, wrong, judged)
            kernel.run(f"{name} = _saved")
        assert f"{q.name}: PASSED" in kernel.run(f"check({q.name!r})")
        judged = kernel.run(f"classroom({q.name!r})")
        assert "format OK, value not checked yet" in judged and "PASSED" not in judged, judged


def test_a_cell_that_raised_is_reported_and_the_tests_cells_declare_in_a_source(kernel):
    kernel.run("%reset -f")
    kernel.run("# SETUP\nfrom after_stalinism.grading import Checker\ncheck = Checker('00_data_warmup')")
    kernel.run("import numpy as np\npeak_year = int(np.arnge(3)[0])", allow_error=True)
    text = kernel.run("check('q1')")
    assert "The cell that sets `peak_year` stopped with an error (AttributeError" in text, text
    assert "not answered yet" not in text and "could not find" not in text
    kernel.run("peak_year = 2011")
    assert "2011 was the last high year" in kernel.run("check('q1')")
    kernel.run("fall_pct = float(44.49", allow_error=True)
    assert "stopped with an error (SyntaxError" in kernel.run("check('q2')")
    # A TESTS cell run in the kernel declares its question without adding names to the notebook.
    kernel.run("# TESTS\nquestion('q1', points=1, public=[kind('peak_year', 'integer')], "
               "hidden=[value('peak_year', 2011)])")
    assert "q1: PASSED" in kernel.run("check('q1')")
    assert kernel.run("'question' in dir() or 'value' in dir()") == "False"
    assert 'run check("q1")' in kernel.run("check")  # a friendly repr, not an object address
    # Neither the checker's attributes nor a question's repr print an expected value.
    kernel.run("peak_year = 2009")
    assert kernel.run("sorted(vars(check))") == "['checks_path', 'exercise_set']"
    shown = kernel.run("check._questions()")
    assert "expected" not in shown and "$int" not in shown and "wrong" not in shown and "rubric" not in shown, shown


def test_checks_files_do_not_show_answers_at_a_glance():
    for source in SOURCES:
        text = (ROOT / "exercises" / f"{source.stem}.checks.json").read_text()
        assert '"answer"' not in text and '"expected"' not in text and '"rubric"' not in text
        for q in load_questions(source):
            for check in q.hidden:
                if check["check"] == "value":
                    assert json.dumps(check["expected"]) not in text
                for _, feedback in check.get("wrong", []):
                    assert feedback[:40] not in text


def test_the_learner_path_imports_nothing_posix_only():
    code = ("import sys\nsys.modules['resource'] = None\nsys.modules['fcntl'] = None\n"
            "from after_stalinism.grading import Checker\n"
            "print(Checker('00_data_warmup').checks_path is not None,"
            " 'after_stalinism.grading.sandbox' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def test_one_registry_and_one_wire_format():
    assert set(C.DSL) | C.RELEASE_ONLY == set(C.CHECKS)
    check = C.value("x", {1, 2}, wrong={(1,): "a tuple"})
    assert check["expected"] == encode({1, 2}) and C.evaluate(check, {"x": {2, 1}}).passed
    assert C.unseal(C.seal({"a": [1.5]}, "set"), "set") == {"a": [1.5]}


# Right, rounded, wrong and empty answers per set, as a learner types them (issue 21). "PASSED" means
# the question passes; any other marker must appear in a NOT YET report. A value rounded as the
# lessons print it passes; rounded further, it is told it is right but too rounded, never plain
# wrong; a common mistake (x100, /100, +-1, a neighbouring preset) gets its own feedback.
KEEP = "is right, but rounded too far"
TABLE = {
    "00_data_warmup": [
        ("q1", "peak_year = 2009", "PASSED"),
        ("q1", "peak_year = 2010", "the year after the peak"),
        ("q2", "fall_pct = 44.5", "PASSED"),
        ("q2", "fall_pct = 44.49", "PASSED"),
        ("q2", "fall_pct = 44", KEEP + ": keep 1 decimal"),
        ("q2", "fall_pct = 0.4449", "multiply by 100 for a percentage"),
        ("q2", "fall_pct = 46.0", "is not right yet"),
        ("q3", "market_growth = -3", "the wrong way round"),
        ("q4", "rice_factor = 6.8", "PASSED"),
        ("q4", "rice_factor = 6.82", "PASSED"),
        ("q4", "rice_factor = 7", KEEP),
        ("q4", "rice_factor = 681.8", "the factor times 100"),
        ("q4", "rice_factor = 6.9", "is not right yet"),
        ("q7", "recent = recent.sort_values('year', ascending=False)", "not in order of year"),
    ],
    "01_stalinism": [
        ("q4", "n_lesson1 = 7", "one too few"),
        ("q4", "n_lesson1 = 9", "one too many"),
        ("q5", "years_between = 9", "One year too many"),
        ("q6", "index_2000s = 0.71", "PASSED"),
        ("q6", "index_2000s = 0.714", "PASSED"),
        ("q6", "index_2000s = 0.7", KEEP + ": keep 2 decimals"),
        ("q6", "index_2000s = 71.4", "as a percentage"),
        ("q6", "index_2000s = 71.43", "as a percentage"),
        ("q6", "index_2000s = 0.89", "USSR under Stalin"),
        ("q6", "index_2000s = 0.75", "is not right yet"),
        ("q8", "index_table = index_table.set_index(index_table.index + 1)", "keeps the old index"),
        ("q8", "index_table = index_table.sort_values('index')", "not in the order the question asks for"),
    ],
    "02_second_economy": [
        ("q4", "rise_factor = 11.7", "PASSED"),
        ("q4", "rise_factor = 12", KEEP),
        ("q4", "rise_factor = 1170.7", "the factor times 100"),
        ("q5", "gap_points = 45.0", "PASSED"),
        ("q5", "gap_points = 0.45", "as a fraction"),
        ("q5", "gap_points = -45.0", "Subtract the Soviet share"),
        ("q6", "famine_ratio = 14.58", "PASSED"),
        ("q6", "famine_ratio = 14.6", KEEP + ": keep 2 decimals"),
        ("q6", "famine_ratio = 1.25", "largest lower bound"),
        ("q7", "household_dependence = 0.5", "famine setting"),
        ("q7", "household_dependence = 25.0", "as a percentage"),
        ("q8", "fitted_distribution = 0.74", "PASSED"),
        ("q8", "fitted_distribution = 0.7", KEEP),
        ("q8", "fitted_distribution = 0.75", "'At most' includes 0.78"),
        ("q8", "fitted_distribution = 0.78", "Kim & Song's market share"),
    ],
    "03_information_control": [
        ("q4", "peak_to_2021 = 46.25", "PASSED"),
        ("q4", "peak_to_2021 = 46.3", KEEP),
        ("q5", "months = 14", "One month too few"),
        ("q6", "with_numbers = with_numbers.set_index(with_numbers.index + 3)", "keeps the old index"),
        ("q7", "border_years = 15", "One year too few"),
        ("q7", "border_years = 3", "media and crackdown swapped"),
        ("q8", "holding_crackdown = 0.8", "PASSED"),
        ("q8", "holding_crackdown = 0.75", "Try the next step"),
    ],
    "04_elite_incentives": [
        ("q4", "claimed_total = 473", "five-year total"),
        ("q4", "claimed_total = 4", "counted the rows"),
        ("q5", "growth_pct = 50.0", "PASSED"),
        ("q5", "growth_pct = 0.5", "as a fraction"),
        ("q6", "china_advantage = 0.1", "PASSED"),
        ("q7", "nk_threshold = 0.69", "PASSED"),
        ("q7", "nk_threshold = 0.693", "PASSED"),
        ("q7", "nk_threshold = 0.7", KEEP + ": keep 2 decimals"),
        ("q7", "nk_threshold = 69.3", "as a percentage"),
        ("q7", "nk_threshold = 0.31", "Eastern Europe 1989"),
    ],
    "05_synthesis": [
        ("q4", "north_share_pct = 10.0", "PASSED"),
        ("q4", "north_share_pct = 0.1", "multiply by 100"),
        ("q5", "index_fall = 0.21", "PASSED"),
        ("q5", "index_fall = 0.2", KEEP),
        ("q5", "index_fall = 0.22", "rounded indices"),
        ("q5", "index_fall = 21.43", "as a percentage"),
        ("q6", "unchanged = 1", "one too few"),
        ("q7", "household_dependence = (1.0, 0.5, 0.25)", "should be a list (it is a tuple)"),
    ],
    "06_after_the_sources": [
        ("q3", "fall_2020_pct = 80.7", "PASSED"),
        ("q3", "fall_2020_pct = 81", KEEP + ": keep 1 decimal"),
        ("q3", "fall_2020_pct = 0.80677", "That is a fraction"),
        ("q3", "fall_2020_pct = 88.602", "the fall to 2021"),
        ("q4", "recovery = 0.82", "PASSED"),
        ("q4", "recovery = 0.8", KEEP),
        ("q4", "recovery = 82.437", "not a percentage"),
        ("q5", "fewer = 4174", "PASSED"),
        ("q5", "fewer = 555", "the 2020-2023 total"),
        ("q6", "held_count = 7", "the adaptation reading"),
        ("q7", "lankov2004_adaptation = 0.33", "PASSED"),
        ("q7", "lankov2004_adaptation = 0.66667", "the course's ratings"),
        ("q8", "jeong_if_p10_held = 0.875", "PASSED"),
        ("q8", "jeong_if_p10_held = 0.83333", "too early, left out"),
    ],
}
# Empty or non-answers to free text, per set: never PASSED, never the key points or the guide.
EMPTY = {
    "00_data_warmup": [("q6", "why_not_join = ''"), ("q6", "why_not_join = 'idk'"),
                       ("q6", "why_not_join = 'I do not know what the answer is, other than that.'"),
                       ("q8", "answered_q8 = True")],
    **{stem: [("q9", "answered_q9 = True")] for stem in TABLE
       if stem not in ("00_data_warmup", "06_after_the_sources")},
    "06_after_the_sources": [("q10", "answered_q10 = True")],
}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_right_rounded_wrong_and_empty_answers(source, kernel):
    questions = {q.name: q for q in load_questions(source)}
    kernel.run("%reset -f")
    # forget what an earlier test's TESTS cell declared
    kernel.run("import after_stalinism.grading.learner as _l\n_l._declared.clear()\ndel _l")
    for cell in reference_submission(source).cells:
        if cell.cell_type == "code":
            kernel.run(cell.source)
    rows = TABLE[source.stem] + [(q, code, None) for q, code in EMPTY[source.stem]]
    for qname, code, marker in rows:
        name = code.split("=")[0].strip()
        kernel.run(f"_saved = {name}\n{code}")
        text = kernel.run(f"check({qname!r})")
        if marker == "PASSED":
            assert f"{qname}: PASSED" in text, (code, text)
        elif marker is None:  # free text left empty: no marks, nothing to assess against yet
            assert "PASSED" not in text and questions[qname].rubric not in text, (code, text)
            assert "not yet written" in text, (code, text)
        else:
            assert f"{qname}: NOT YET" in text and marker in text, (code, text)
            assert (KEEP in text) == marker.startswith(KEEP), (code, text)  # plain wrong is never "right"
            assert "/" not in text.splitlines()[0], text  # no score for a form alone
        kernel.run(f"{name} = _saved")
    # The correct explanations the review's learner wrote are written answers (key points shown), not PASSED.
    if source.stem == "00_data_warmup":
        for answer in ["Melvin counted market sites on satellite pictures; KINU counted only official markets, "
                       "using defector testimony too.",
                       "Melvin and KINU do not count the same thing: satellite-visible sites versus official markets."]:
            kernel.run(f"why_not_join = {answer!r}")
            text = kernel.run("check('q6')")
            assert "q6: free response" in text and questions["q6"].rubric in text and "PASSED" not in text, text
