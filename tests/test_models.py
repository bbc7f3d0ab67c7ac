"""The four models: bounds, monotonicity, the presets' stated properties, and refusals of bad input."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

import after_stalinism as course
from after_stalinism.course import models
from after_stalinism.course.models import ModelError

GRID = [0.0, 0.25, 0.5, 0.75, 1.0]


# ---- scorecard ---------------------------------------------------------------------------------

def test_every_preset_rates_all_seven_features_with_a_basis_sources_and_certainty():
    assert len(models.PRESETS) == 6
    for name, ratings in models.PRESETS.items():
        assert list(ratings) == list(models.FEATURES), name
        for rating in ratings.values():
            assert 0 <= rating.score <= models.RATING_MAX
            assert len(rating.basis) > 20 and rating.source and rating.certainty


def test_presets_come_from_the_data_table():
    table = course.load("scorecard_presets")
    assert len(table) == 7 * len(models.PRESETS)
    row = table[(table["regime"] == "DPRK, Kim Jong-un (2010s)")
                & (table["feature"] == "extreme mobilisation for growth and power")].iloc[0]
    rating = models.PRESETS["DPRK, Kim Jong-un (2010s)"]["extreme mobilisation for growth and power"]
    assert (rating.score, rating.basis, rating.source) == (row["score"], row["basis"], row["source"])


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.drop(index=3), r"'USSR under Stalin \(1930s-1953\)' does not rate extreme mobilisation"),
    (lambda t: pd.concat([t, t.iloc[[0]]]), "rates 'mass terror' twice"),
    (lambda t: t.assign(feature=t["feature"].replace("mass terror", "secret police")),
     "'secret police', which is not one"),
])
def test_a_damaged_preset_table_is_refused_naming_regime_and_feature(damage, message):
    with pytest.raises(ModelError, match=message):
        models.presets_from_table(damage(course.load("scorecard_presets")))


def test_disputed_2010s_ratings_say_so_beside_the_rating():
    # The source review found the 2010s ratings rest on contested evidence: the basis must say so.
    kju = models.PRESETS["DPRK, Kim Jong-un (2010s)"]
    assert "disputed" in kju["extreme mobilisation for growth and power"].certainty
    assert "could rate it 3" in kju["extreme mobilisation for growth and power"].basis
    assert "June 28th" in kju["revolutionary impulse ended; status quo"].basis


def test_index_is_zero_to_one_and_orders_the_presets_as_the_lesson_says():
    index = {name: models.stalinism_index(models.preset_profile(name)) for name in models.PRESETS}
    assert models.stalinism_index({f: 0 for f in models.FEATURES}) == 0
    assert models.stalinism_index({f: 4 for f in models.FEATURES}) == 1
    # Lankov 2006: Kim Il Sung's DPRK was at least as Stalinist as Stalin's USSR, and both
    # de-Stalinised cases score lower.
    assert index["DPRK, Kim Il Sung (1961-86)"] >= index["USSR under Stalin (1930s-1953)"]
    assert index["DPRK, Kim Jong Il (mid-2000s)"] < index["DPRK, Kim Il Sung (1961-86)"]
    assert index["USSR, Khrushchev-Brezhnev (1960s-70s)"] < index["USSR under Stalin (1930s-1953)"]


def test_compare_puts_the_biggest_move_first():
    table = models.compare_profiles(models.preset_profile("DPRK, Kim Il Sung (1961-86)"),
                                    models.preset_profile("DPRK, Kim Jong Il (mid-2000s)"))
    assert table.iloc[0]["feature"] == "extreme mobilisation for growth and power"
    assert table.iloc[0]["change"] == -3
    assert list(table["change"].abs()) == sorted(table["change"].abs(), reverse=True)


@pytest.mark.parametrize("profile, message", [
    ({f: 2 for f in models.FEATURES} | {"secret police": 3}, "not one of Bialer's features"),
    ({f: 2 for f in models.FEATURES[:6]}, "missing: personal dictatorship"),
    ({f: 5 for f in models.FEATURES}, "from 0 to 4"),
    ({f: "high" for f in models.FEATURES}, "from 0 to 4"),
    ([1, 2, 3], "dict of feature"),
])
def test_bad_profiles_are_refused_with_a_clear_message(profile, message):
    with pytest.raises(ModelError, match=message):
        models.stalinism_index(profile)


def test_unknown_preset_lists_the_real_ones():
    with pytest.raises(ModelError, match="the presets are: USSR"):
        models.preset_profile("Albania")


# ---- dependence --------------------------------------------------------------------------------

def test_dependence_shares_add_up_and_stay_in_bounds():
    for d, m, c in itertools.product(GRID, GRID, GRID):
        table = models.dependence(d, m, c)
        assert list(table["group"]) == list(models.GROUPS)
        sums = table["state"] + table["market"] + table["unmet"]
        assert sums.round(12).eq(1).all()
        assert table["dependence"].between(0, 1).all() and table["market_share"].between(0, 1).all()


def test_dependence_falls_as_distribution_shrinks_and_markets_or_repression_costs_grow():
    def dep(d, m, c):
        return models.dependence(d, m, c).set_index("group")["dependence"]

    for m, c in itertools.product(GRID, GRID):
        for lower, higher in zip(GRID, GRID[1:]):
            assert (dep(lower, m, c) <= dep(higher, m, c) + 1e-12).all()   # more distribution
    for d, c in itertools.product(GRID, GRID):
        for lower, higher in zip(GRID, GRID[1:]):
            assert (dep(d, higher, c) <= dep(d, lower, c) + 1e-12).all()   # bigger market
    for d, m in itertools.product(GRID, GRID):
        for lower, higher in zip(GRID, GRID[1:]):
            assert (dep(d, m, higher) <= dep(d, m, lower) + 1e-12).all()   # costlier repression


def test_full_distribution_means_full_dependence_and_the_centre_serves_cadres_first():
    assert models.dependence(1, 0.5, 0.5)["dependence"].eq(1).all()
    famine = models.dependence(**models.DEPENDENCE_PERIODS["famine (mid-1990s)"]).set_index("group")
    assert famine.loc["cadres", "state"] == 1 and famine.loc["households", "state"] == 0
    assert famine.loc["households", "dependence"] < famine.loc["cadres", "dependence"]


def test_cadres_rent_grows_with_the_market_they_oversee():
    small = models.dependence(0.5, 0.25, 0.5).set_index("group").loc["cadres", "rent"]
    large = models.dependence(0.5, 1.0, 0.5).set_index("group").loc["cadres", "rent"]
    assert 0 < small < large


@pytest.mark.parametrize("kwargs, name", [
    ({"distribution": 1.5, "market": 0.5, "repression_cost": 0.5}, "distribution"),
    ({"distribution": 0.5, "market": -0.1, "repression_cost": 0.5}, "market"),
    ({"distribution": 0.5, "market": 0.5, "repression_cost": "high"}, "repression_cost"),
    ({"distribution": float("nan"), "market": 0.5, "repression_cost": 0.5}, "distribution"),
    ({"distribution": True, "market": 0.5, "repression_cost": 0.5}, "distribution"),
])
def test_dependence_refuses_bad_parameters_by_name(kwargs, name):
    with pytest.raises(ModelError, match=name):
        models.dependence(**kwargs)


# ---- diffusion ---------------------------------------------------------------------------------

def test_diffusion_stays_a_share_and_has_one_row_per_year():
    for b, r, v, k in itertools.product([0, 0.5, 1], [0, 0.5, 1], [0, 0.5, 1], GRID):
        path = models.diffusion(b, r, v, k, years=25)
        assert list(path["year"]) == list(range(26))
        assert path["informed"].between(0, 1).all()


def test_more_channels_spread_knowledge_faster_and_crackdown_slows_it():
    def final(**kw):
        base = {"border": 0.5, "radios": 0.25, "media": 0.5, "crackdown": 0.5}
        return models.diffusion(**(base | kw))["informed"].iloc[-1]

    for name in ("border", "radios", "media"):
        values = [final(**{name: x}) for x in GRID]
        assert values == sorted(values) and values[-1] > values[0], name
    values = [final(crackdown=x) for x in GRID]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]


def test_a_sealed_country_under_full_crackdown_stays_dark_but_the_border_still_leaks():
    sealed = models.diffusion(0, 0, 0, 1)
    assert sealed["informed"].iloc[-1] <= sealed["informed"].iloc[0]
    assert models.years_to_reach(sealed) is None
    leaky = models.diffusion(1, 0, 0, 1)
    assert leaky["informed"].iloc[-1] > 0.3  # crackdown does not close the border


def test_years_to_reach_finds_the_first_year():
    path = models.diffusion(1, 0.5, 1, 0)
    year = models.years_to_reach(path, 0.5)
    assert path.loc[year, "informed"] >= 0.5 > path.loc[year - 1, "informed"]


@pytest.mark.parametrize("kwargs, name", [
    ({"border": 2}, "border"), ({"crackdown": -1}, "crackdown"), ({"years": 0}, "years"),
    ({"years": 2.5}, "years"), ({"media": None}, "media"),
])
def test_diffusion_refuses_bad_parameters_by_name(kwargs, name):
    base = {"border": 0.5, "radios": 0.5, "media": 0.5, "crackdown": 0.5}
    with pytest.raises(ModelError, match=name):
        models.diffusion(**(base | kwargs))


# ---- cadre -------------------------------------------------------------------------------------

def test_payoffs_are_bounded_and_consistent():
    for values in itertools.product([0, 0.5, 1], repeat=6):
        p = models.cadre_payoffs(*values)
        assert 0 <= p["reform"] <= 1 and 0 <= p["status_quo"] <= 1
        assert p["advantage"] == pytest.approx(p["reform"] - p["status_quo"])


@pytest.mark.parametrize("name, direction", [
    ("survive_reform", "up"), ("privileges_kept", "up"), ("purge_risk", "up"),
    ("hold_without_reform", "down"),
])
def test_reform_advantage_moves_the_way_the_argument_says(name, direction):
    for preset in models.CADRE_PRESETS.values():
        if name == "survive_reform" and preset["privileges_kept"] <= models.cadre_payoffs(**preset)["after_collapse"]:
            continue  # a cadre who lands better after a collapse gains nothing from the regime surviving
        values = [models.cadre_payoffs(**(preset | {name: x}))["advantage"] for x in GRID]
        expected = sorted(values) if direction == "up" else sorted(values, reverse=True)
        assert values == pytest.approx(expected)
        assert values[0] != pytest.approx(values[-1])


def test_presets_tell_lankovs_story():
    adv = {name: models.cadre_payoffs(**p)["advantage"] for name, p in models.CADRE_PRESETS.items()}
    assert adv["China 1980s"] > 0                           # reform paid the Chinese cadre
    assert adv["North Korea 2000s"] < adv["Eastern Europe 1989"] < 0.0 + 1e-9
    collapse = {name: models.cadre_payoffs(**p)["after_collapse"] for name, p in models.CADRE_PRESETS.items()}
    assert collapse["Eastern Europe 1989"] > 5 * collapse["North Korea 2000s"]  # no exit option in the North


def test_purge_threshold_is_where_the_advantage_crosses_zero():
    nk = models.CADRE_PRESETS["North Korea 2000s"]
    threshold = models.purge_risk_threshold(**nk)
    assert 0 < threshold < 1
    assert models.cadre_payoffs(**(nk | {"purge_risk": threshold}))["advantage"] == pytest.approx(0, abs=1e-12)
    assert models.purge_risk_threshold(**models.CADRE_PRESETS["China 1980s"]) == 0.0
    # Reform is sure to keep the regime but strip every privilege; a collapse would pay in full.
    never = {"survive_reform": 1.0, "hold_without_reform": 0.0, "privileges_kept": 0.0,
             "exit_value": 1.0, "lustration_risk": 0.0}
    assert models.purge_risk_threshold(**never) is None


def test_cadre_refuses_bad_parameters_by_name():
    bad = models.CADRE_PRESETS["China 1980s"] | {"lustration_risk": 1.2}
    with pytest.raises(ModelError, match="lustration_risk"):
        models.cadre_payoffs(**bad)
