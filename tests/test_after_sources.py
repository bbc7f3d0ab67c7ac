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
from after_stalinism.grading.grade import grade_folder
from after_stalinism.grading.notebook import load_questions, reference_submission
from after_stalinism.grading.sandbox import Limits
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
    book = grade_folder(SET, folder, tmp_path / "out", jobs=2, limits=Limits(timeout=60, cell_timeout=20),
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


# ---- sentences of lesson 6 and set 06 about the scoring rule (fact-check pass B) ---------------------

def test_the_scoring_rule_is_the_one_the_lesson_states():
    """'held' earns 1, 'failed' 0, 'partly' the chosen credit (default 0.5); 'too early to say' is left
    out, or counted as failed or as half; a source's score is its credit over the predictions counted."""
    ids = list(models.prediction_ratings())
    jeong = [pid for pid, author in zip(ids, models.predictions_table()["author"]) if author == "Jeong"]
    assert len(jeong) == 4
    ratings = {pid: "held" for pid in ids}
    ratings.update(dict(zip(jeong, ["held", "partly", "failed", "too early to say"])))
    row = {rule: models.prediction_scores(ratings, too_early=rule).set_index("author").loc["Jeong"]
           for rule in models.TOO_EARLY}
    assert (row["leave out"]["counted"], row["leave out"]["credit"]) == (3, 1.5)
    assert row["leave out"]["score"] == pytest.approx(0.5)
    assert (row["count as failed"]["counted"], row["count as failed"]["credit"]) == (4, 1.5)
    assert (row["count as half"]["counted"], row["count as half"]["credit"]) == (4, 2.0)
    low = models.prediction_scores(ratings, partly=0.2).set_index("author")
    assert low.loc["Jeong", "credit"] == pytest.approx(1.2)
    default = models.prediction_scores(ratings).set_index("author").loc["Jeong", "score"]
    assert default == row["leave out"]["score"]  # the defaults are partly=0.5, too early left out


def test_the_rule_treats_every_source_alike_and_scores_the_inss_quote_with_the_post():
    """'The scoring rule treats every source alike': the score depends on the ratings only."""
    table = models.predictions_table()
    ratings = {pid: ("held" if i % 2 else "failed") for i, pid in enumerate(table["id"])}
    result = models.prediction_scores(ratings).set_index("author")
    assert list(result.index) == ["Lankov 2006", "Lankov 2004", "Jeong", "One Free Korea 2015"]
    assert result["predictions"].sum() == len(table)
    for author, group in table.groupby(table["author"].str.split(" \\(").str[0]):
        held = sum(ratings[pid] == "held" for pid in group["id"])
        assert result.loc[author, "score"] == pytest.approx(held / len(group))


def test_the_numbers_the_lesson_and_set_06_quote():
    course_rule = models.prediction_scores(models.prediction_ratings()).set_index("author")
    ofk = course_rule.loc["One Free Korea 2015"]
    assert (ofk["predictions"], ofk["counted"], ofk["score"]) == (2, 1, 1.0)  # 'only one of its two ... held'
    control = scores("control restored (re-Stalinisation)")
    assert control.idxmin() == "Lankov 2006"  # 'scores lowest under this reading'
    assert control["Jeong"] == pytest.approx(0.5) and control["One Free Korea 2015"] == pytest.approx(0.5)
    assert models.prediction_ratings("control restored (re-Stalinisation)")["P7"] == "failed"
    assert models.prediction_ratings("control restored (re-Stalinisation)")["P10"] == "failed"
    mine = models.prediction_ratings()
    mine["P10"] = "held"  # the lesson's example cell
    assert models.prediction_scores(mine).set_index("author").loc["Jeong", "score"] == pytest.approx(0.875)
    index = {n: round(models.stalinism_index(models.preset_profile(n)), 2)
             for n in ["DPRK, Kim Jong-un (2010s)", "DPRK, Kim Jong-un (2020s)"]}
    assert index == {"DPRK, Kim Jong-un (2010s)": 0.71, "DPRK, Kim Jong-un (2020s)": 0.82}  # 'rises from 0.71 to 0.82'
    now, before = models.PRESETS["DPRK, Kim Jong-un (2020s)"], models.PRESETS["DPRK, Kim Jong-un (2010s)"]
    raised = [f for f in now if now[f].score > before[f].score]
    assert len(raised) == 3  # 'the course raises three ratings'
    assert sum("disputed" in now[f].certainty for f in raised) == 2


def test_the_trade_and_arrival_figures_the_lesson_states():
    trade = course.load("trade_with_china")
    customs = trade[trade["series"] == "China customs"].set_index("year")["trade_usd_million"]
    assert round(100 * (1 - customs[2020] / customs[2019])) == 81
    assert round(100 * (1 - customs[2021] / customs[2019])) == 89
    assert round(100 * customs[2023] / customs[2019]) == 82
    arrivals = course.load("defector_arrivals")
    annual = arrivals[arrivals["row_type"] == "annual"].set_index("year")["arrivals_latest_vintage_seen"]
    assert (annual[2019], annual[2021], annual[2023]) == (1047, 63, 196)
