"""Lesson 6 (after the sources, 2016-2026): the predictions table quotes its sources verbatim, the
scoring model and its explorer behave as the lesson says, the 2020s preset states its disputes, and
set 06 is graded by the real batch grader with right, wrong and hostile answers."""

from __future__ import annotations

import math

import nbformat
import pytest

import after_stalinism as course
from after_stalinism.course import charts, explorers, models
from after_stalinism.course.models import ModelError
from after_stalinism.display.figures import BOOK_TRACE_TYPES, STATIC_ENV
from after_stalinism.display.twin import MAX_RUNS
from after_stalinism.grading.batch import grade_folder
from after_stalinism.grading.notebook import load_questions, reference_submission
from conftest import ROOT
from test_sources import SOURCE_FILES, SOURCES_DIR, found_in, normalise

SET = ROOT / "instructor" / "exercises" / "06_after_the_sources.ipynb"


# ---- the predictions table ---------------------------------------------------------------------

def test_every_passage_is_verbatim_in_its_source_text():
    if not SOURCES_DIR.is_dir():
        pytest.skip(f"the course's source texts are not here ({SOURCES_DIR})")
    texts = {k: normalise((SOURCES_DIR / f).read_text(encoding="utf-8")) for k, f in SOURCE_FILES.items()}
    table = models.predictions_table()
    wrong = [f"{row.id}: {row.passage!r}" for row in table.itertuples() if not found_in(row.passage, texts[row.work])]
    assert not wrong, "passages not verbatim in their source:\n" + "\n".join(wrong)
    assert not found_in("the system appears saved", texts["lankov2004"])  # the check can fail


def test_the_table_covers_every_source_and_teaches_the_disagreement():
    table = models.predictions_table()
    assert table["id"].is_unique and set(table["work"]) == set(SOURCE_FILES)
    for column in models.READINGS.values():
        assert set(table[column]) <= set(models.OUTCOMES)
    assert all(row.source.split("; ")[0] == row.work for row in table.itertuples())
    differ = table[table["rating_control"] != table["rating_adaptation"]]
    assert len(differ) >= 5  # the two readings part on many predictions, and the basis says where
    assert all(len(b) > 40 for b in table["basis"])


# ---- the scoring model ---------------------------------------------------------------------------

def scores(reading="the course's ratings", **rule):
    return models.prediction_scores(models.prediction_ratings(reading), **rule).set_index("author")["score"]


def test_the_verdicts_the_lesson_reports():
    course_left_out = scores()
    assert course_left_out.idxmax() == "One Free Korea 2015"  # resting on one counted prediction
    assert models.prediction_scores(models.prediction_ratings("the course's ratings")).set_index("author").loc[
        "One Free Korea 2015", "counted"] == 1
    assert scores(too_early="count as failed").idxmax() == "Jeong"
    assert scores("control restored (re-Stalinisation)").idxmax() == "Lankov 2004"
    adaptation = scores("adaptation to a market society")
    assert adaptation.idxmin() == "Lankov 2004" and adaptation["Jeong"] == 1


def test_more_credit_for_partly_never_lowers_a_score():
    for reading in models.READINGS:
        low, high = scores(reading, partly=0.0), scores(reading, partly=1.0)
        assert all(h >= lo for h, lo in zip(high, low)), reading


def test_a_source_with_nothing_counted_gets_no_score_not_zero():
    ratings = {pid: "too early to say" for pid in models.prediction_ratings()}
    result = models.prediction_scores(ratings)
    assert result["counted"].sum() == 0 and all(math.isnan(v) for v in result["score"])


@pytest.mark.parametrize("change, message", [
    (lambda r: r | {"P99": "held"}, "no prediction called 'P99'"),
    (lambda r: {k: v for k, v in r.items() if k != "P3"}, "missing: P3"),
    (lambda r: r | {"P1": "mostly"}, "rating for P1 must be one of"),
])
def test_bad_ratings_are_refused_naming_the_prediction(change, message):
    with pytest.raises(ModelError, match=message):
        models.prediction_scores(change(models.prediction_ratings()))


def test_bad_rules_are_refused():
    with pytest.raises(ModelError, match="partly must be between 0 and 1"):
        models.prediction_scores(models.prediction_ratings(), partly=2)
    with pytest.raises(ModelError, match="too_early must be one of"):
        models.prediction_scores(models.prediction_ratings(), too_early="ignore")
    with pytest.raises(ModelError, match="no reading called"):
        models.prediction_ratings("optimism")


# ---- the explorer and the chart -------------------------------------------------------------------

def test_explorer_precomputes_every_run_and_each_reading_draws_differently(monkeypatch):
    explorer = explorers.predictions_explorer()
    assert explorer.n_runs <= MAX_RUNS
    bars = {r: list(explorers.predictions_figure(r).data[0].x) for r in models.READINGS}
    assert len({tuple(v) for v in bars.values()}) == 3
    fig = explorer.figure()
    assert all(trace.type in BOOK_TRACE_TYPES for trace in fig.data)
    monkeypatch.setenv(STATIC_ENV, "1")
    html = explorer._repr_mimebundle_()["text/html"]
    assert html.count("<select") == 2 and "MODEL, not data" in html


def test_explorer_is_live_in_a_kernel(monkeypatch):
    monkeypatch.delenv(STATIC_ENV, raising=False)
    panel = explorers.predictions_explorer().widget()
    reading = panel.children[1]
    assert [label for label, _ in reading.options] == list(models.READINGS)


def test_trade_chart_keeps_the_two_series_apart():
    fig = charts.china_trade_figure()
    customs, kotra = fig.data
    assert list(customs.x) == [2019, 2020, 2021, 2022, 2023] and list(kotra.x) == [2022]
    assert customs.y[1] < customs.y[0] / 4  # the closed border
    table = course.load("trade_with_china")
    assert set(table["series"]) == {"China customs", "KOTRA estimate"}


# ---- the 2020s preset ------------------------------------------------------------------------------

def test_2020s_preset_states_its_disputes_and_sits_between_the_2010s_and_kim_il_sung():
    preset = models.PRESETS["DPRK, Kim Jong-un (2020s)"]
    for feature in ["mass terror", "stratified values, uniform culture, extreme nationalism"]:
        assert "disputed" in preset[feature].certainty
        assert "could keep" in preset[feature].basis or "would stay" in preset[feature].basis
    index = {n: models.stalinism_index(models.preset_profile(n)) for n in models.PRESETS}
    assert (index["DPRK, Kim Jong-un (2010s)"] < index["DPRK, Kim Jong-un (2020s)"]
            < index["DPRK, Kim Il Sung (1961-86)"])


# ---- set 06 graded by the real grader ----------------------------------------------------------------

def _submit(folder, name, replace=None, extra=()):
    nb = reference_submission(SET)
    for cell in nb.cells:
        for old, new in (replace or {}).items():
            cell.source = cell.source.replace(old, new)
    nb.cells += [nbformat.v4.new_code_cell(src) for src in extra]
    (folder / name).mkdir(parents=True)
    nbformat.write(nb, folder / name / "work.ipynb")


def test_set_06_right_wrong_and_hostile_answers(tmp_path):
    folder = tmp_path / "submissions"
    _submit(folder, "right")
    _submit(folder, "wrong", {
        "fall_2020_pct = float((1 - customs[2020] / customs[2019]) * 100)":
            "fall_2020_pct = float(customs[2020] / customs[2019] * 100)",
        'too_early="count as half")\nlankov2004_adaptation': 'too_early="leave out")\nlankov2004_adaptation',
        'best_control = "b"': 'best_control = "d"'})
    patcher = ("import after_stalinism.grading.checks as C\n"
               "C.evaluate = lambda check, values: C.Outcome(True, 'patched')\n")
    _submit(folder, "hostile", {'law = "c"': 'law = "a"'}, extra=[patcher, "held_count = 'all of them'"])
    book = grade_folder(SET, folder, tmp_path / "out", jobs=2, timeout=60, cell_timeout=20,
                        progress=False).set_index("student")
    auto = sum(q.points for q in load_questions(SET) if not q.manual)
    assert book.loc["right", "total"] == auto and book.loc["right", "manual_pending"] == "q10"
    feedback = (tmp_path / "out" / "feedback" / "wrong.md").read_text()
    assert "That is what remained of the 2019 trade" in feedback
    assert "That leaves 'too early to say' out" in feedback
    assert "One Free Korea scores 0.5 with one prediction counted" in feedback
    assert book.loc["wrong", "q3"] < 1 and book.loc["wrong", "q7"] < 3 and book.loc["wrong", "q9"] == 0
    assert book.loc["hostile", "q1"] == 0 and book.loc["hostile", "q6"] == 0  # patching the grader buys nothing
    assert book.loc["hostile", "total"] == auto - 1 - 2
