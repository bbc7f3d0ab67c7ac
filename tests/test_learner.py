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
            yield check["name"], decode(wrong), feedback
        if check["check"] == "text":
            yield check["name"], "I do not know.", check["message"]
        if check["check"] == "frame" and check["values"] and check["message"]:  # the last row left out
            import pandas as pd
            yield check["name"], pd.DataFrame({k: decode(v)[:-1] for k, v in check["values"].items()}), check["message"]


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
    for q in manual:
        assert q.rubric not in untouched and "free response" in untouched
    # The reference answers (every code cell of the source but its TESTS cells) all pass.
    for cell in reference_submission(source).cells:
        if cell.cell_type == "code":
            kernel.run(cell.source)
    done = kernel.run("check.all()")
    assert f"Progress: {len(auto)} of {len(auto)} questions pass" in done and "NOT YET" not in done, done
    for q in manual:
        assert "Marking guide" in done and q.rubric in done
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
