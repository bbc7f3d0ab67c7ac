"""What lesson 2 says about its dependence model holds for the model as coded.

Each test quotes the sentence of notebooks/02_second_economy.ipynb (section "What the model shows",
or the self-check) that it checks, and tests it over a grid of parameters rather than at one point.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from after_stalinism.course import models

GRID = [round(float(x), 2) for x in np.linspace(0, 1, 11)]


def _table(distribution: float, market: float, repression_cost: float):
    return models.dependence(distribution, market, repression_cost).set_index("group")


@pytest.mark.parametrize("market, repression_cost", list(itertools.product(GRID, GRID)))
def test_full_supply_means_full_dependence_whatever_the_market(market, repression_cost):
    """"As long as the state supplies everything, every group depends on it completely, whatever
    the market could do.\""""
    assert (_table(1.0, market, repression_cost)["dependence"] == 1.0).all()


def test_households_turn_to_the_market_first_then_enterprises():
    """"Once distribution falls, households turn to the market first, then enterprises." As
    distribution falls from 1, households start buying at the market before enterprises do, and
    cadres (served first) buy nothing there while the centre can still cover them."""
    levels = [round(float(d), 3) for d in np.linspace(1, 0, 301)]

    def first_level_with_market_income(group):
        return next(d for d in levels if _table(d, 0.5, 0.5).loc[group, "market"] > 0)

    households, enterprises = (first_level_with_market_income(g) for g in ["households", "enterprises"])
    assert households > enterprises
    assert all(_table(d, 0.5, 0.5).loc["cadres", "market"] == 0 for d in levels if d >= 1 / 3)


@pytest.mark.parametrize("group", ["enterprises", "households"])
@pytest.mark.parametrize("distribution", [0.0, 0.3, 0.5, 0.8])
def test_dependence_falls_with_a_bigger_market_and_costlier_repression(group, distribution):
    """"Their dependence falls further the bigger the market and the costlier it is to repress.\""""
    by_market = [_table(distribution, m, 0.5).loc[group, "dependence"] for m in GRID]
    by_cost = [_table(distribution, 0.5, c).loc[group, "dependence"] for c in GRID]
    assert all(a >= b for a, b in zip(by_market, by_market[1:]))
    assert all(a >= b for a, b in zip(by_cost, by_cost[1:]))
    assert by_cost[-1] < by_cost[0] or _table(distribution, 0.5, 0.0).loc[group, "market"] == 0


@pytest.mark.parametrize("distribution", [0.4, 0.6, 0.8])
def test_cadres_keep_their_state_supply_yet_depend_less_as_the_market_grows(distribution):
    """"Cadres, served first, keep their state supply, yet their dependence also falls, because
    their market rents grow with the market they oversee.\""""
    tables = [_table(distribution, m, 0.5) for m in GRID]
    assert all(t.loc["cadres", "state"] == 1.0 for t in tables)
    rents = [t.loc["cadres", "rent"] for t in tables]
    dependence = [t.loc["cadres", "dependence"] for t in tables]
    assert all(a <= b for a, b in zip(rents, rents[1:])) and rents[-1] > rents[0] == 0
    assert all(a >= b for a, b in zip(dependence, dependence[1:])) and dependence[-1] < 1


@pytest.mark.parametrize("repression_cost", [c for c in GRID if c > 0])
def test_self_check_households_dependence_falls_at_any_repression_cost_above_zero(repression_cost):
    """Self-check: at distribution 40% with a market that supplies half the gap, households'
    dependence falls "at any repression cost above zero", and "at 40% nothing reaches households"."""
    households = _table(0.4, 0.5, repression_cost).loc["households"]
    assert households["state"] == 0
    assert households["dependence"] < 1


def test_self_check_needs_its_repression_condition():
    """Without the condition the keyed answer would be wrong: free repression keeps dependence at 1."""
    assert _table(0.4, 0.5, 0.0).loc["households", "dependence"] == 1.0
