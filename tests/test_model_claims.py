"""What the prose says about a model holds for the model as coded.

Every sentence in a lesson (notebooks/) or an exercise source that states how one of the four models
behaves is quoted here, with the file it stands in, and checked against the model. Each test first
asserts that the file still says the sentence (whitespace aside): when a sentence is reworded, its
test fails and must be brought up to date with the new wording, and the claim checked again. Then
it asserts the behaviour the sentence describes.

Sentences that only restate an exercise's key or a numeric wrong answer are left to the tests of
the answer keys; sentences about the widgets (what a slider or a line on the chart shows) are left
to the explorer tests.
"""

from __future__ import annotations

import inspect
import itertools
import json
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from after_stalinism.course import models
from conftest import ROOT

EXERCISES = ROOT / "instructor" / "exercises"


def _path(name: str) -> Path:
    """A lesson (notebooks/NAME) or an exercise source (exercises:NAME, in instructor/exercises/)."""
    if name.startswith("exercises:"):
        return EXERCISES / name.split(":", 1)[1]
    return ROOT / "notebooks" / name


@cache
def _text(name: str) -> str:
    cells = json.loads(_path(name).read_text(encoding="utf-8"))["cells"]
    return " ".join(re.sub(r"\s+", " ", "".join(cell["source"])) for cell in cells)


def says(name: str, sentence: str) -> None:
    """The file still contains the sentence this test checks (whitespace normalised)."""
    wanted = re.sub(r"\s+", " ", sentence).strip()
    assert wanted in _text(name), (
        f"{name} no longer says {wanted!r}. Update this test to quote the new sentence, and check that "
        "the model still does what it says.")


def informed(**params) -> np.ndarray:
    return models.diffusion(**params)["informed"].to_numpy()


def profile(name: str) -> dict[str, float]:
    return models.preset_profile(name)


L1, L2, L3, L4, L5 = ("01_stalinism.ipynb", "02_second_economy.ipynb", "03_information_control.ipynb",
                      "04_elite_incentives.ipynb", "05_synthesis.ipynb")
X1, X2, X3, X4, X5 = (f"exercises:{name}" for name in (L1, L2, L3, L4, L5))
KIS, KJI, KJU = "DPRK, Kim Il Sung (1961-86)", "DPRK, Kim Jong Il (mid-2000s)", "DPRK, Kim Jong-un (2010s)"
STALIN, KHRUSHCHEV = "USSR under Stalin (1930s-1953)", "USSR, Khrushchev-Brezhnev (1960s-70s)"
MOBILISATION = "extreme mobilisation for growth and power"
NATIONALISM = "stratified values, uniform culture, extreme nationalism"
STATUS_QUO = "revolutionary impulse ended; status quo"
TOP = ("personal dictatorship", "party extinct as a movement")


def change(before: str, after: str) -> dict[str, float]:
    table = models.compare_profiles(profile(before), profile(after))
    return dict(zip(table["feature"], table["change"]))


# ---- lesson 1 and exercise set 1: the Bialer scorecard ------------------------------------------

def test_the_index_is_the_mean_rating_over_four():
    says(L1, "a **Stalinism index** is the mean rating divided by 4, so that 1 means "
             '"every feature at full strength"')
    says(X5, "The index divides the mean rating by 4.")
    full = {feature: models.RATING_MAX for feature in models.FEATURES}
    assert models.stalinism_index(full) == 1
    for name in models.PRESETS:
        assert models.stalinism_index(profile(name)) == pytest.approx(np.mean(list(profile(name).values())) / 4)


def test_kim_il_sung_scores_above_stalin_because_of_mobilisation_and_nationalism():
    says(L1, "the index of Kim Il Sung's North Korea (0.93) is slightly *higher* than that of "
             "Stalin's own USSR (0.89). Five of the seven ratings differ, and they net out at one step: "
             "the scorecard follows Lankov in rating North Korean mobilisation and nationalism above "
             "their Soviet models (one step each), and rates the conservative status quo one step higher "
             "(4 against 3, a course judgement); it rates mass terror and shapeless macro-politics one step "
             "*lower* (3 against 4)")
    kis, stalin = profile(KIS), profile(STALIN)
    assert round(models.stalinism_index(kis), 2) == 0.93 and round(models.stalinism_index(stalin), 2) == 0.89
    assert kis[MOBILISATION] > stalin[MOBILISATION] and kis[NATIONALISM] > stalin[NATIONALISM]
    # "because": rated like their Soviet models on those two features, Kim Il Sung's profile would fall below Stalin's.
    as_soviet = kis | {MOBILISATION: stalin[MOBILISATION], NATIONALISM: stalin[NATIONALISM]}
    assert models.stalinism_index(as_soviet) < models.stalinism_index(stalin)
    differ = {f: kis[f] - stalin[f] for f in kis if kis[f] != stalin[f]}
    assert len(differ) == 5 and sum(differ.values()) == 1
    assert differ[MOBILISATION] == differ[NATIONALISM] == differ[STATUS_QUO] == 1
    assert differ["mass terror"] == differ["shapeless macro-politics"] == -1
    assert (kis[STATUS_QUO], stalin[STATUS_QUO], kis["mass terror"], stalin["mass terror"]) == (4, 3, 3, 4)


def test_after_khrushchev_terror_and_dictatorship_fall_while_the_status_quo_hardens():
    says(L1, "Compare the USSR before and after Khrushchev: mass terror and personal "
             "dictatorship fall sharply, while the conservative status quo, if anything, hardens.")
    moved = change(STALIN, KHRUSHCHEV)
    assert moved["mass terror"] <= -2 and moved["personal dictatorship"] <= -2
    assert moved[STATUS_QUO] >= 0


def test_compare_profiles_lists_the_largest_move_first():
    says(L1, "`models.compare_profiles` lists the features that moved most, largest first")
    says(X1, "compare_profiles sorts the biggest move first.")
    for before, after in itertools.permutations(models.PRESETS, 2):
        sizes = models.compare_profiles(profile(before), profile(after))["change"].abs().tolist()
        assert sizes == sorted(sizes, reverse=True), (before, after)


def test_the_mid_2000s_profile_sits_between_kim_il_sung_and_khrushchev():
    says(L1, "The course's mid-2000s profile scores 0.71, well below Kim Il Sung's 0.93 but "
             "still far above the Khrushchev–Brezhnev USSR (0.54).")
    assert [round(models.stalinism_index(profile(n)), 2) for n in (KJI, KIS, KHRUSHCHEV)] == [0.71, 0.93, 0.54]


def test_in_the_mid_2000s_the_features_of_the_top_did_not_move():
    says(L1, "while on the course's scorecard the features describing the **top** (personal "
             "dictatorship, a conservative elite) did not move.")
    moved = change(KIS, KJI)
    assert moved["personal dictatorship"] == 0 and moved[STATUS_QUO] == 0


def test_exercise_1_feedback_on_what_moved_from_kim_il_sung_to_the_2000s():
    says(X1, "Mass terror fell by one step; another feature fell by three.")
    says(X1, "Personal dictatorship did not move at all (4 in both).")
    moved = change(KIS, KJI)
    assert moved["mass terror"] == -1 and moved[MOBILISATION] == -3
    assert profile(KIS)["personal dictatorship"] == profile(KJI)["personal dictatorship"] == 4


# ---- lesson 5 and exercise set 5: the scorecard from Kim Il Sung to the 2010s --------------------

def test_synthesis_what_moved_since_kim_il_sung():
    says(L5, "mobilisation by plan (from 4 to 2), mass terror and cultural uniformity (one point each). "
             "The status quo also fell one point")
    says(L5, 'So did "shapeless macro-politics" (from 3 to 2)')
    says(L5, "Two features that describe the **top** did not move at all: personal dictatorship, "
             "and a party that is an apparatus and not a movement. On a simple average the index "
             "falls from 0.93 to 0.71.")
    says(L5, "Personal dictatorship stayed at 4 in both profiles.")
    says(X5, "Five features changed; the question asks how many did not.")
    kis, kju = profile(KIS), profile(KJU)
    moved = change(KIS, KJU)
    assert (kis[MOBILISATION], kju[MOBILISATION]) == (4, 2)
    assert moved["mass terror"] == moved[NATIONALISM] == moved[STATUS_QUO] == -1
    assert (kis["shapeless macro-politics"], kju["shapeless macro-politics"]) == (3, 2)
    assert all(moved[feature] == 0 for feature in TOP)
    assert kis["personal dictatorship"] == kju["personal dictatorship"] == 4
    assert sum(1 for value in moved.values() if value != 0) == 5
    assert (round(models.stalinism_index(kis), 2), round(models.stalinism_index(kju), 2)) == (0.93, 0.71)


def test_mobilisation_rated_1_would_move_most_and_rated_3_no_more_than_the_rest():
    says(L5, 'The course first rated 2010s mobilisation at 1, which made it the feature that '
             '"moved most" by far.')
    says(L5, "a reader who rates it 3 would see mobilisation move no more than the rest")
    kis = profile(KIS)
    at_1 = models.compare_profiles(kis, profile(KJU) | {MOBILISATION: 1})
    assert at_1.iloc[0]["feature"] == MOBILISATION and at_1.iloc[0]["change"] == -3
    assert at_1.iloc[1:]["change"].abs().max() <= 1
    at_3 = models.compare_profiles(kis, profile(KJU) | {MOBILISATION: 3})
    assert at_3["change"].abs().max() == 1


def test_both_later_north_korean_presets_score_0_71():
    says(X5, "Both mid-2000s and 2010s presets score 0.71")
    assert round(models.stalinism_index(profile(KJI)), 2) == round(models.stalinism_index(profile(KJU)), 2) == 0.71


def test_the_verdict_depends_on_whether_society_or_summit_is_weighed():
    says(L5, '| 1 | Bialer scorecard | the verdict "Stalinist or not" depends on which features you '
             "weigh: society or summit |")
    kju = profile(KJU)
    summit = {f: kju[f] for f in TOP}
    society = {f: kju[f] for f in models.FEATURES if f not in TOP}
    assert np.mean(list(summit.values())) / 4 == 1
    assert np.mean(list(society.values())) / 4 < 0.65


# ---- lesson 2 and exercise sets 2 and 5: the dependence model -----------------------------------

def test_the_centre_serves_cadres_then_enterprises_then_households():
    says(L2, "serves its priorities first: cadres, then enterprises, then households' rations.")
    says(L2, "Cadres also take a rent: half of the average market income of the other two groups")
    for d in np.round(np.arange(0, 1.001, 0.05), 2):
        state = models.dependence(float(d), 0.5, 0.5).set_index("group")["state"]
        assert state["cadres"] >= state["enterprises"] >= state["households"], d
    table = models.dependence(0.3, 0.8, 0.5).set_index("group")
    assert table.loc["cadres", "rent"] == pytest.approx(
        0.5 * (table.loc["enterprises", "market"] + table.loc["households", "market"]) / 2)


def test_full_supply_means_full_dependence_whatever_the_market():
    says(L2, "As long as the state supplies everything, every group depends on it completely, "
             "whatever the market could do.")
    says(X2, "1.0 is the planned-economy setting.")
    for market, cost in itertools.product([0, 0.25, 0.5, 0.75, 1], repeat=2):
        assert (models.dependence(1.0, market, cost)["dependence"] == 1).all()
    planned = models.dependence(**models.DEPENDENCE_PERIODS["planned economy (1980s)"]).set_index("group")
    assert planned.loc["households", "dependence"] == 1


def test_households_then_enterprises_turn_to_the_market_and_dependence_falls_with_market_and_cost():
    says(L2, "Once distribution falls, households turn to the market first, then enterprises; "
             "their dependence falls further the bigger the market and the costlier it is to repress.")
    grid = [0.0, 0.25, 0.5, 0.75, 1.0]
    for d in (0.9, 0.6, 0.3, 0.0):
        table = models.dependence(d, 0.5, 0.5).set_index("group")
        assert table.loc["households", "market"] >= table.loc["enterprises", "market"]
    for group in ("enterprises", "households"):
        for d in (0.5, 0.2, 0.0):
            by_market = [models.dependence(d, m, 0.5).set_index("group").loc[group, "dependence"] for m in grid]
            by_cost = [models.dependence(d, 0.5, c).set_index("group").loc[group, "dependence"] for c in grid]
            assert by_market == sorted(by_market, reverse=True) and by_cost == sorted(by_cost, reverse=True)
            assert by_market[-1] < 1 and by_cost[-1] < 1


def test_cadres_keep_their_supply_but_their_dependence_falls_with_the_market():
    says(L2, "Cadres, served first, keep their state supply, yet their dependence also falls, "
             "because their market rents grow with the market they oversee.")
    for d in (0.6, 0.5, 0.34):
        rows = [models.dependence(d, m, 0.5).set_index("group").loc["cadres"] for m in (0.0, 0.25, 0.5, 0.75, 1.0)]
        assert all(row["state"] == 1 for row in rows)
        rents = [row["rent"] for row in rows]
        deps = [row["dependence"] for row in rows]
        assert rents == sorted(rents) and rents[-1] > 0
        assert deps == sorted(deps, reverse=True) and deps[-1] < 1


def test_at_40_percent_nothing_reaches_households_and_their_dependence_falls():
    says(L2, "at 40% nothing reaches households.")
    says(L2, "It falls, because households now get their income from the market")
    households = models.dependence(0.4, 0.5, 0.5).set_index("group").loc["households"]
    assert households["state"] == 0 and households["dependence"] < 1


def test_the_dependence_model_has_no_feedback_from_the_market_to_the_state():
    says(L2, "its market does not feed the state's revenue and its cadres have no say over policy.")
    assert list(inspect.signature(models.dependence).parameters) == ["distribution", "market", "repression_cost"]
    # The centre's supply depends on `distribution` only: a bigger market does not raise it.
    for d in (0.2, 0.5, 0.8):
        supplies = {tuple(models.dependence(d, m, 0.5)["state"]) for m in (0.0, 0.5, 1.0)}
        assert len(supplies) == 1


def test_once_the_state_cannot_supply_every_group_depends_on_it_less_cadres_included():
    says(L5, "| 2 | dependence | once the state cannot supply, every group's dependence on it falls, "
             "cadres' included |")
    for params in list(models.DEPENDENCE_PERIODS.values())[1:]:
        assert (models.dependence(**params)["dependence"] < 1).all(), params


def test_at_the_fitted_distribution_enterprises_and_cadres_are_fully_supplied():
    says(X2, "at distribution 0.74 enterprises and cadres are fully supplied by the state")
    table = models.dependence(0.74, 1.0, 0.5).set_index("group")
    assert table.loc["cadres", "state"] == table.loc["enterprises", "state"] == 1
    assert table.loc["households", "market_share"] <= 0.78


def test_exercise_5_feedback_names_the_cadres_and_enterprises_rows():
    says(X5, "Those are the cadres' values. Select the households' row.")
    says(X5, "Those are the enterprises' values. Select the households' row.")
    rows = {group: [float(models.dependence(**p).set_index("group").loc[group, "dependence"])
                    for p in models.DEPENDENCE_PERIODS.values()] for group in models.GROUPS}
    assert rows["cadres"] == pytest.approx([1.0, 0.9210526, 0.7954545], abs=1e-6)
    assert rows["enterprises"] == pytest.approx([1.0, 0.8333333, 0.625], abs=1e-6)


# ---- lessons 3 and 5, exercise sets 3 and 5: the diffusion model --------------------------------

SLIDER_RADIOS, SLIDER_MEDIA = (0.0, 0.25, 0.5), (0.0, 0.5, 1.0)


def test_the_crackdown_scales_radios_and_media_by_one_minus_k_and_talk_by_its_square():
    says(L3, "(their effect is scaled by `1 - crackdown`) and deters talking even more "
             "(`(1 - crackdown)²`, since talk is what informers report). It does not act "
             "on the border, which has its own slider, and it cannot make anyone forget.")
    # One year from a given start, learning = 1 - exp(-hazard): read the hazard back from the model.
    def hazard(start, **p):
        s1 = informed(years=1, start=start, **p)[1]
        learned = (s1 - start + models.TURNOVER * start) / (1 - start)
        return -np.log(1 - learned)
    w = models.CHANNEL_WEIGHTS
    for k in (0.0, 0.3, 0.7, 1.0):
        assert hazard(0.0, border=0, radios=1, media=0, crackdown=k) == pytest.approx(w["radios"] * (1 - k))
        assert hazard(0.0, border=0, radios=0, media=1, crackdown=k) == pytest.approx(w["media"] * (1 - k))
        assert hazard(0.0, border=1, radios=0, media=0, crackdown=k) == pytest.approx(w["border"])
        talk = hazard(0.5, border=0, radios=0, media=0, crackdown=k)
        assert talk == pytest.approx(models.PEER_RATE * (1 - k) ** 2 * 0.5)
    # Nobody forgets: from one year to the next the informed share never falls by more than the turnover.
    for b, r, v, k in itertools.product((0, 0.5, 1), SLIDER_RADIOS, SLIDER_MEDIA, (0, 0.5, 1)):
        path = informed(border=b, radios=r, media=v, crackdown=k)
        assert (path[1:] >= (1 - models.TURNOVER) * path[:-1] - 1e-12).all()


def test_three_percent_turnover_start_at_one_percent_and_thirty_years():
    says(L3, "Each year 3% of the informed are replaced by young people raised on propaganda.")
    says(L3, "The model starts with 1% informed and runs for 30 years.")
    says(X3, "30 is the length of the run")
    sealed = informed(border=0, radios=0, media=0, crackdown=1)
    assert len(sealed) == 31 and sealed[0] == 0.01
    assert sealed[1:] == pytest.approx(0.97 * sealed[:-1])


def test_a_sealed_country_under_a_harsh_crackdown_forgets_or_barely_learns():
    says(L3, "With every channel closed, the harshest crackdown pushes knowledge down as the "
             "informed generation is replaced, and even a crackdown of 75% lets it grow only "
             "slowly (from 1% to about 1.2% in 30 years)")
    harshest = informed(border=0, radios=0, media=0, crackdown=1)
    assert (np.diff(harshest) < 0).all()
    three_quarters = informed(border=0, radios=0, media=0, crackdown=0.75)
    assert three_quarters[0] == 0.01 and round(three_quarters[-1], 3) == 0.012


def test_a_harsh_enough_crackdown_holds_radios_media_and_talk_however_wide():
    says(L3, "In the model, a harsh enough crackdown can also hold radios, smuggled media "
             "and talk, however wide those channels are.")
    says(L3, "In the diffusion model, a harsh enough crackdown can hold radios, smuggled "
             "media and talk, but cannot seal a leaking border, which by assumption it does "
             "not touch.")
    for radios, media in itertools.product((0.0, 0.25, 0.5, 1.0), (0.0, 0.5, 1.0)):
        long_run = informed(border=0, radios=radios, media=media, crackdown=1, years=200)
        assert long_run.max() == long_run[0] == 0.01, (radios, media)


def test_the_widest_radios_and_media_against_the_harshest_and_an_85_percent_crackdown():
    says(L3, "With the border closed, radios at 50% and smuggled media at the maximum, "
             "the harshest crackdown lets the informed share fall from 1% to under half a "
             "percent in 30 years, and a crackdown of 85% holds it below half for good (it "
             "settles near 45%).")
    harshest = informed(border=0, radios=0.5, media=1, crackdown=1)
    assert harshest[0] == 0.01 and harshest[-1] < 0.005
    strong = informed(border=0, radios=0.5, media=1, crackdown=0.85, years=200)
    assert strong.max() < 0.5 and strong[-1] == pytest.approx(0.45, abs=0.01)
    assert abs(strong[-1] - strong[-2]) < 1e-4  # settled


def test_the_border_defeats_the_harshest_crackdown_or_caps_it_just_under_half():
    says(L3, "With a fully open border, even the harshest crackdown only delays the "
             "majority: half the population is informed after 16 years. With a half-open "
             "border it caps knowledge just under half.")
    says(L5, "| 3 | diffusion | a harsh enough crackdown holds radios, smuggled media and talk, but "
             "cannot seal a leaking border (which by assumption it does not touch) |")
    for radios, media in itertools.product(SLIDER_RADIOS, SLIDER_MEDIA):
        open_border = models.diffusion(border=1, radios=radios, media=media, crackdown=1)
        assert models.years_to_reach(open_border) == 16
        free = models.diffusion(border=1, radios=radios, media=media, crackdown=0)
        assert models.years_to_reach(free) < 16  # "delays": without the crackdown the majority comes sooner
        half_open = informed(border=0.5, radios=radios, media=media, crackdown=1, years=200)
        assert 0.45 < half_open.max() < 0.5


def test_lesson_3_self_check_on_the_diffusion_model():
    says(L3, "In the diffusion model, with border 50%, no modified radios, media 50% and "
             "crackdown 50%, after how many years is half the population informed?")
    assert models.years_to_reach(models.diffusion(border=0.5, radios=0, media=0.5, crackdown=0.5)) == 9


def test_exercise_3_feedback_on_how_much_crackdown_holds_the_closed_border():
    says(X3, "1.0 certainly holds, but a lower crackdown already does.")
    says(X3, "At 0.75 half the population is still informed within 30 years (check years_to_reach).")
    says(X3, "With no crackdown knowledge spreads quickly.")
    def reach(k):
        return models.years_to_reach(models.diffusion(border=0, radios=0.25, media=1, crackdown=k))
    assert reach(1.0) is None and reach(0.8) is None
    assert reach(0.75) is not None and reach(0.75) <= 30
    assert reach(0.0) < 10


def test_exercise_5_feedback_on_the_delay_a_crackdown_buys():
    says(X5, "7 is the year half are informed with the crackdown; subtract the year without it (3).")
    says(X5, "3 is the year without any crackdown.")
    def reach(k):
        return models.years_to_reach(models.diffusion(border=0.5, radios=0.25, media=1, crackdown=k))
    assert (reach(0.5), reach(0)) == (7, 3)


# ---- lessons 4 and 5, exercise set 4: the cadre's choice ----------------------------------------

NK, CHINA, EASTERN_EUROPE = (models.CADRE_PRESETS[name]
                             for name in ("North Korea 2000s", "China 1980s", "Eastern Europe 1989"))


def test_the_payoffs_follow_the_formulas_printed_in_lesson_4():
    says(L4, "reform = survive_reform × privileges_kept + (1 − survive_reform) × after_collapse")
    says(L4, "status quo = hold_without_reform × (1 − purge_risk) + (1 − hold_without_reform) "
             "× after_collapse")
    says(L4, "after_collapse = (1 − lustration_risk) × exit_value")
    rng = np.random.default_rng(22)
    for _ in range(200):
        p = dict(zip(models.CADRE_PARAMETERS, rng.random(len(models.CADRE_PARAMETERS)).round(3).tolist()))
        pay = models.cadre_payoffs(**p)
        after = (1 - p["lustration_risk"]) * p["exit_value"]
        assert pay["after_collapse"] == pytest.approx(after)
        assert pay["reform"] == pytest.approx(p["survive_reform"] * p["privileges_kept"]
                                              + (1 - p["survive_reform"]) * after)
        assert pay["status_quo"] == pytest.approx(p["hold_without_reform"] * (1 - p["purge_risk"])
                                                  + (1 - p["hold_without_reform"]) * after)
        assert pay["advantage"] == pytest.approx(pay["reform"] - pay["status_quo"])


def test_the_presets_as_lesson_4_describes_them():
    lesson = L4
    says(lesson, "neither path was likely to keep the regime (survival 0.3 with reform, 0.2 without), but the exit was "
                 "good: apparatchiks became businessmen and politicians (exit value 0.9), and lustration touched only "
                 "some (0.2). The official loses little either way")
    says(lesson, "reform was likely to keep the party in power (0.9) with most privileges intact (0.9)")
    says(lesson, "The modest exit value (0.5) is the course's assumption. Reform pays.")
    says(lesson, "reform is likely to turn into collapse (survival 0.3), the regime holds if nothing changes (0.9), "
                 "and a collapse would leave the official facing Samsung managers (exit value 0.2) and likely "
                 "lustration (0.7). Backing reform costs him more than half of what he has.")
    says(lesson, "The purge risks in the presets (0 to 0.1) are the course's assumptions")
    ee = models.cadre_payoffs(**EASTERN_EUROPE)
    assert (EASTERN_EUROPE["survive_reform"], EASTERN_EUROPE["hold_without_reform"],
            EASTERN_EUROPE["exit_value"], EASTERN_EUROPE["lustration_risk"]) == (0.3, 0.2, 0.9, 0.2)
    assert min(ee["reform"], ee["status_quo"]) >= 0.7  # keeps at least 70% of today's privileges either way
    assert (CHINA["survive_reform"], CHINA["privileges_kept"], CHINA["exit_value"]) == (0.9, 0.9, 0.5)
    assert models.cadre_payoffs(**CHINA)["advantage"] > 0
    assert (NK["survive_reform"], NK["hold_without_reform"], NK["exit_value"],
            NK["lustration_risk"]) == (0.3, 0.9, 0.2, 0.7)
    assert models.cadre_payoffs(**NK)["reform"] < 0.5  # backing reform leaves him less than half of today's 1
    assert {p["purge_risk"] for p in models.CADRE_PRESETS.values()} <= {0.0, 0.05, 0.1}
    assert min(p["purge_risk"] for p in models.CADRE_PRESETS.values()) == 0.0
    assert max(p["purge_risk"] for p in models.CADRE_PRESETS.values()) == 0.1


def test_purges_make_reform_pay_only_at_implausible_levels():
    lesson = L4
    says(lesson, "Reform starts to pay only when the chance of being purged under the status quo passes about 69%")
    says(lesson, "**In the model, purges alone make reform attractive only at implausible levels.**")
    says(lesson, "In the cadre model, purges make the status quo riskier but make reform pay only at implausible "
                 "levels (about 69% for the North Korean preset).")
    says(L5, "purges make reform pay only at implausible levels")
    threshold = models.purge_risk_threshold(**NK)
    assert round(threshold, 2) == 0.69
    below = models.cadre_payoffs(**(NK | {"purge_risk": threshold - 0.01}))["advantage"]
    above = models.cadre_payoffs(**(NK | {"purge_risk": threshold + 0.01}))["advantage"]
    assert below < 0 < above
    status_quo = [models.cadre_payoffs(**(NK | {"purge_risk": r}))["status_quo"] for r in np.linspace(0, 1, 11)]
    assert status_quo == sorted(status_quo, reverse=True) and status_quo[0] > status_quo[-1]


def test_a_poor_exit_and_likely_lustration_keep_north_korean_cadres_on_the_status_quo():
    says(L5, "in the North Korean setting, with a poor exit and likely lustration, officials "
             "rationally back the status quo")
    for exit_value in np.linspace(0, 1, 11):
        assert models.cadre_payoffs(**(NK | {"exit_value": float(exit_value)}))["advantage"] < 0


def test_the_cadre_model_has_no_personal_way_out_and_no_vengeance():
    says(L4, "The model has no way out for one person: its `exit_value` is what life after a "
             "*collapse* is worth.")
    says(L4, "The cadre model has no place for vengeance: it counts only expected payoffs.")
    says(L4, "The model has no defection option")
    assert models.CADRE_PARAMETERS == ("survive_reform", "hold_without_reform", "privileges_kept", "exit_value",
                                       "lustration_risk", "purge_risk")
    assert set(models.cadre_payoffs(**NK)) == {"reform", "status_quo", "after_collapse", "advantage"}
    # exit_value only counts after a collapse: with no chance of collapse either way, it changes nothing.
    sure = NK | {"survive_reform": 1.0, "hold_without_reform": 1.0}
    low, high = (models.cadre_payoffs(**(sure | {"exit_value": e})) for e in (0.0, 1.0))
    assert all(low[key] == high[key] for key in ("reform", "status_quo", "advantage"))


def test_lesson_4_self_check_and_exercise_4_feedback_on_the_presets():
    says(L4, "In the cadre model's 'North Korea 2000s' preset, what is the advantage of reform "
             "over the status quo?")
    says(X4, "0.85 is the payoff of reform itself.")
    says(X4, "0.75 is the status quo payoff.")
    says(X4, "Check the sign: advantage = reform - status quo, and reform pays here.")
    says(X4, "0.05 is the preset's own purge risk.")
    says(X4, "0.31 is the threshold for the Eastern Europe 1989 preset.")
    says(X4, "With the preset's own purge risk (0.05) reform never pays.")
    assert round(models.cadre_payoffs(**NK)["advantage"], 2) == -0.58
    china = models.cadre_payoffs(**CHINA)
    assert (round(china["reform"], 2), round(china["status_quo"], 2)) == (0.85, 0.75) and china["advantage"] > 0
    assert NK["purge_risk"] == 0.05
    assert round(models.purge_risk_threshold(**EASTERN_EUROPE), 2) == 0.31
    grid = np.round(np.linspace(0, 1, 21), 2)
    paying = sum(models.cadre_payoffs(**(NK | {"survive_reform": float(s), "exit_value": float(e)}))["advantage"] > 0
                 for s in grid for e in grid)
    assert paying == 0


def test_answer_feedback_that_describes_the_scorecard_arithmetic():
    says(X1, "20 is the sum of the ratings. The index is the mean rating divided by 4 (the maximum).")
    says(X1, "That is the mean rating (0-4). Divide by 4 to get an index between 0 and 1.")
    says(X1, "0.93 is Kim Il Sung's profile; use the mid-2000s preset.")
    says(X5, "6 is the fall in the sum of ratings.")
    says(L1, "0.89 is Stalin's USSR; look at the North Korean preset.")
    says(L5, "0.93 is Kim Il Sung's profile.")
    kji, kis, kju = (list(profile(n).values()) for n in (KJI, KIS, KJU))
    assert sum(kji) == 20 and np.mean(kji) == pytest.approx(2.857142857)
    assert sum(kis) - sum(kju) == 6
    assert round(models.stalinism_index(profile(KIS)), 2) == 0.93
    assert round(models.stalinism_index(profile(STALIN)), 2) == 0.89


def test_answer_feedback_that_names_the_rows_of_the_post_famine_setting():
    says(X2, "0.625 is the enterprises' row. Select the households.")
    says(X2, "0.80 is the cadres' row. Select the households.")
    table = models.dependence(**models.DEPENDENCE_PERIODS["post-famine (2000s)"]).set_index("group")
    assert table.loc["enterprises", "dependence"] == pytest.approx(0.625)
    assert round(table.loc["cadres", "dependence"], 2) == 0.80


def test_the_threshold_is_where_the_advantage_reaches_zero():
    says(X4, "The threshold is where the advantage reaches zero.")
    assert models.purge_risk_threshold(**NK) > 0
    for params in models.CADRE_PRESETS.values():
        threshold = models.purge_risk_threshold(**params)
        if threshold:  # None: reform never pays; 0.0: it pays already without purges (China 1980s)
            at = models.cadre_payoffs(**(params | {"purge_risk": threshold}))["advantage"]
            assert at == pytest.approx(0, abs=1e-9)


def test_the_diffusion_model_has_one_well_mixed_population_and_no_action():
    says(L3, "Knowing is not acting: the model says nothing about whether informed people protest (lesson 4). It also "
             "treats the population as one well-mixed group")
    assert list(inspect.signature(models.diffusion).parameters) == ["border", "radios", "media", "crackdown",
                                                                    "years", "start"]
    assert list(models.diffusion(border=0.5, radios=0.25, media=0.5, crackdown=0.5).columns) == ["year", "informed"]
