"""Anticipated mistakes are computations, not typed numbers (issue 22).

Every ``wrong=`` value of a value check in an exercise source is recomputed here from the course
data, by the mistake its feedback describes, and the checks engine must answer that computed
mistake with exactly that feedback (so a feedback can no longer describe arithmetic that gives
another number). Every common mistake (``mistakes=``: x100, /100, +-1, sign) is computed from the
key by the engine; it is checked here that each gets its own feedback and never shadows the key.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import after_stalinism as course
from after_stalinism.course import models
from after_stalinism.grading import checks as C
from after_stalinism.grading.notebook import load_questions
from after_stalinism.grading.values import decode
from conftest import ROOT

SOURCES = sorted((ROOT / "instructor" / "exercises").glob("*.ipynb"))


def _arrivals():
    a = course.load("defector_arrivals")
    return a[a["row_type"] == "annual"].set_index("year")["arrivals_latest_vintage_seen"].astype(float)


def _index(preset: str) -> float:
    return models.stalinism_index(models.preset_profile(preset))


def _yearly_claims():
    claims = course.load("purge_claims")
    yearly = claims[claims["measure"].str.startswith("executed or purged executives, ")]
    return claims, yearly.assign(year=yearly["measure"].str.slice(-4)).set_index("year")["count"]


def _timeline_year(text: str) -> int:
    t = course.load("timeline")
    return int(t.loc[t["event"].str.contains(text), "year"].iloc[0])


def _kinu():
    m = course.load("official_markets")
    return m, m[m["counter"] == "KINU (Hong Min)"].set_index("year")["count"]


def _rfa_2016_base() -> int:
    """RFA's figure for the same 2016 base, as the KINU (Hong Min) row records it ("RFA gives 415")."""
    m = _kinu()[0]
    text = m[(m["counter"] == "KINU (Hong Min)") & (m["year"] == 2016)]["what_is_counted"].iloc[0]
    return int(re.search(r"RFA gives (\d+)", text).group(1))


def _outside_famine():
    f = course.load("famine_estimates")
    return f, f[f["wave"] != "official"]


def _shares():
    return course.load("income_shares").set_index("study")["share_pct"]


def _households(params: dict, group: str = "households") -> float:
    return float(models.dependence(**params).set_index("group").loc[group, "dependence"])


def _holding(grid_pick):
    grid = np.round(np.arange(0, 1.001, 0.05), 2)
    holds = [float(k) for k in grid
             if models.years_to_reach(models.diffusion(border=0, radios=0.25, media=1, crackdown=float(k))) is None]
    return grid_pick(grid, holds)


def _fit(condition):
    for d in np.round(np.arange(0, 1.001, 0.01), 2):
        share = models.dependence(float(d), 1.0, 0.5).set_index("group").loc["households", "market_share"]
        if condition(share):
            return float(d)
    return None


def _paying(purge_risk: float, sign) -> int:
    grid = np.round(np.linspace(0, 1, 21), 2)
    base = models.CADRE_PRESETS["North Korea 2000s"] | {"purge_risk": purge_risk}
    points = [base | {"survive_reform": float(s), "exit_value": float(e)} for s in grid for e in grid]
    return int(sum(sign(models.cadre_payoffs(**p)["advantage"]) for p in points))


def _unchanged_before_revision() -> int:
    """Features unchanged from Kim Il Sung to the 2010s, had the 2010s status-quo rating stayed at 4."""
    before = models.preset_profile("DPRK, Kim Il Sung (1961-86)")
    after = dict(models.preset_profile("DPRK, Kim Jong-un (2010s)"))
    status_quo = next(f for f in after if "end of the revolutionary impulse" in f or "status quo" in f)
    assert after[status_quo] == 3
    after[status_quo] = 4
    return int((models.compare_profiles(before, after)["change"] == 0).sum())


def _customs() -> dict:
    t = course.load("trade_with_china")
    return t[t["series"] == "China customs"].set_index("year")["trade_usd_million"].astype(float)


def _kotra_2022() -> float:
    t = course.load("trade_with_china")
    return float(t[t["series"] != "China customs"].set_index("year")["trade_usd_million"][2022])


def _lesson6_score(author: str, reading: str = "the course's ratings", too_early: str = "leave out",
                   **changes: str) -> float:
    ratings = models.prediction_ratings(reading) | changes
    scores = models.prediction_scores(ratings, partly=0.5, too_early=too_early)
    return float(scores.set_index("author").loc[author, "score"])


def _held(column: str) -> int:
    return int((models.predictions_table()[column] == "held").sum())


def _periods(group: str) -> tuple:
    return tuple(_households(p, group) for p in models.DEPENDENCE_PERIODS.values())


# (set, variable) -> {the stored wrong value: the mistake, computed from the course's data}
MISTAKES = {
    ("00_data_warmup", "peak_year"): {
        2011: lambda: int(_arrivals().index[list(_arrivals().index).index(2012) - 1]),  # the year before the fall
        2914: lambda: int(_arrivals().max()),  # the count in the peak year, not the year
    },
    ("00_data_warmup", "fall_pct"): {
        -44.49: lambda: (_arrivals()[2012] - _arrivals()[2011]) / _arrivals()[2011] * 100,  # the change, signed
        1204: lambda: _arrivals()[2011] - _arrivals()[2012],  # the fall in people
        80.16: lambda: (_arrivals()[2011] - _arrivals()[2012]) / _arrivals()[2012] * 100,  # divided by 2012
    },
    ("00_data_warmup", "market_growth"): {
        16: lambda: int(_kinu()[1][2022] - _kinu()[0].query("counter == 'KINU' and year == 2016")["count"].iloc[0]),
        8: lambda: int(_kinu()[1][2022] - _kinu()[0].query("counter == 'Curtis Melvin (USKI) via RFA' and year == 2015")
                       ["count"].max()),  # another counter's 2015 figure
        414: lambda: int(_kinu()[1][2022]),  # the 2022 count itself
        -1: lambda: int(_kinu()[1][2022]) - _rfa_2016_base(),  # RFA's 2016 base instead of the table's 411
    },
    ("00_data_warmup", "rice_factor"): {
        0.06818: lambda: 150 / 2200,  # new won over old won
        128.0: lambda: 150 - 2200 / 100,  # a difference, not a factor
    },
    ("01_stalinism", "n_lesson1"): {
        39: lambda: len(course.load("timeline")),  # all events
        1: lambda: int((course.load("timeline")["lesson"] == 1).max()),  # True, not the count of Trues
    },
    ("01_stalinism", "years_between"): {
        11: lambda: _timeline_year("August Faction") - _timeline_year("Soviet forces begin"),
        -8: lambda: _timeline_year("proclaimed") - _timeline_year("August Faction"),
        3: lambda: _timeline_year("August Faction") - _timeline_year("armistice"),
    },
    ("01_stalinism", "index_2000s"): {
        20: lambda: sum(models.preset_profile("DPRK, Kim Jong Il (mid-2000s)").values()),  # sum of ratings
        2.857142857: lambda: float(np.mean(list(models.preset_profile("DPRK, Kim Jong Il (mid-2000s)").values()))),
        0.9285714: lambda: _index("DPRK, Kim Il Sung (1961-86)"),  # neighbouring presets
        0.8928571: lambda: _index("USSR under Stalin (1930s-1953)"),
        0.5357143: lambda: _index("USSR, Khrushchev-Brezhnev (1960s-70s)"),
    },
    ("02_second_economy", "rise_factor"): {
        0.11707: lambda: 240 / 2050,  # new won over old won
        0.0011707: lambda: 240 / (2050 * 100),  # converted the wrong way
        0.08542: lambda: (2050 / 100) / 240,  # earlier over later
        219.5: lambda: 240 - 2050 / 100,  # a difference
    },
    ("02_second_economy", "gap_points"): {
        55: lambda: _shares()["Kim & Song 2008"] - _shares()["Kim 2003"],  # spending, not income
        8: lambda: _shares()["Kim & Song 2008"] - _shares()["Kim & Kim 2016 (literature summary)"],
        2.3636: lambda: _shares()["Kim & Song 2008"] / _shares()["Grossman 1987"],  # a ratio
    },
    ("02_second_economy", "famine_ratio"): {
        15.909: lambda: _outside_famine()[0]["high"].max() / _outside_famine()[0]["low"].min(),  # official kept
        1.25: lambda: _outside_famine()[1]["high"].max() / _outside_famine()[1]["low"].max(),
        1.4583: lambda: _outside_famine()[1]["high"].max() / (_outside_famine()[1]["low"].min() * 10),  # a x10 slip
        3.5: lambda: _outside_famine()[1]["high"].max() / 1_000_000,  # in millions, or over a lower bound of 1 million
    },
    ("02_second_economy", "household_dependence"): {
        0.625: lambda: _households(models.DEPENDENCE_PERIODS["post-famine (2000s)"], "enterprises"),
        0.7954545: lambda: _households(models.DEPENDENCE_PERIODS["post-famine (2000s)"], "cadres"),
        1.0: lambda: _households(models.DEPENDENCE_PERIODS["planned economy (1980s)"]),
        0.5: lambda: _households(models.DEPENDENCE_PERIODS["famine (mid-1990s)"]),
    },
    ("02_second_economy", "fitted_distribution"): {
        0.22: lambda: float(models.dependence(0.74, 1.0, 0.5).set_index("group").loc["households", "state"]),
        0.0: lambda: 0.0,  # the first grid value, taken without testing it
        1.0: lambda: 1.0,  # the last grid value
        0.75: lambda: _fit(lambda share: round(share, 2) < 0.78),  # strictly below (after rounding)
        0.78: lambda: 0.78,  # the target share itself
    },
    ("03_information_control", "peak_to_2021"): {
        0.02162: lambda: _arrivals()[2021] / _arrivals()[2009],
        2851: lambda: _arrivals()[2009] - _arrivals()[2021],
        42.955: lambda: _arrivals()[2011] / _arrivals()[2021],
    },
    ("03_information_control", "months"): {
        12: lambda: (2013 - 2012) * 12,
        16: lambda: (2013 - 2012) * 12 + (5 - 2) + 1,  # both end months counted
        1: lambda: 2013 - 2012,
    },
    ("03_information_control", "border_years"): {
        3: lambda: models.years_to_reach(models.diffusion(border=1, radios=0, media=1, crackdown=0)),  # swapped
        30: lambda: int(models.diffusion(border=1, radios=0, media=0, crackdown=1)["year"].max()),  # run length
    },
    ("03_information_control", "holding_crackdown"): {
        1.0: lambda: _holding(lambda grid, holds: holds[-1]),  # the last that holds
        0.75: lambda: _holding(lambda grid, holds: float(grid[list(grid).index(holds[0]) - 1])),  # one step early
        0.0: lambda: _holding(lambda grid, holds: float(grid[0])),
    },
    ("04_elite_incentives", "claimed_total"): {
        340: lambda: int(_yearly_claims()[0].query("measure == 'executed or purged, five years'")["count"].iloc[0]),
        130: lambda: int(_yearly_claims()[1].drop("2012").sum()),  # one year left out
        4: lambda: len(_yearly_claims()[1]),  # rows counted
        473: lambda: int(_yearly_claims()[1].sum()
                         + _yearly_claims()[0].query("measure == 'executed or purged, five years'")["count"].iloc[0]),
    },
    ("04_elite_incentives", "growth_pct"): {
        20: lambda: _yearly_claims()[1]["2015"] - _yearly_claims()[1]["2014"],
        33.333: lambda: (_yearly_claims()[1]["2015"] - _yearly_claims()[1]["2014"]) / _yearly_claims()[1]["2015"] * 100,
        1.5: lambda: _yearly_claims()[1]["2015"] / _yearly_claims()[1]["2014"],
    },
    ("04_elite_incentives", "china_advantage"): {
        0.85: lambda: models.cadre_payoffs(**models.CADRE_PRESETS["China 1980s"])["reform"],
        0.75: lambda: models.cadre_payoffs(**models.CADRE_PRESETS["China 1980s"])["status_quo"],
        -0.1: lambda: -models.cadre_payoffs(**models.CADRE_PRESETS["China 1980s"])["advantage"],
    },
    ("04_elite_incentives", "nk_threshold"): {
        0.05: lambda: models.CADRE_PRESETS["North Korea 2000s"]["purge_risk"],
        0.31: lambda: models.purge_risk_threshold(**models.CADRE_PRESETS["Eastern Europe 1989"]),
    },
    ("04_elite_incentives", "paying_points"): {
        0: lambda: _paying(models.CADRE_PRESETS["North Korea 2000s"]["purge_risk"], lambda a: a > 0),
        271: lambda: _paying(0.4, lambda a: a <= 0),
        441: lambda: 21 * 21,
    },
    ("05_synthesis", "north_share_pct"): {
        0.1: lambda: float(course.load("purge_claims")["claimant"].str.startswith("KCNA").mean()),
        90: lambda: float((~course.load("purge_claims")["claimant"].str.startswith("KCNA")).mean() * 100),
    },
    ("05_synthesis", "index_fall"): {
        6: lambda: (sum(models.preset_profile("DPRK, Kim Il Sung (1961-86)").values())
                    - sum(models.preset_profile("DPRK, Kim Jong-un (2010s)").values())),
        -0.2143: lambda: _index("DPRK, Kim Jong-un (2010s)") - _index("DPRK, Kim Il Sung (1961-86)"),
        0.0: lambda: _index("DPRK, Kim Jong Il (mid-2000s)") - _index("DPRK, Kim Jong-un (2010s)"),
        0.22: lambda: round(_index("DPRK, Kim Il Sung (1961-86)"), 2) - round(_index("DPRK, Kim Jong-un (2010s)"), 2),
    },
    ("05_synthesis", "unchanged"): {
        5: lambda: int((models.compare_profiles(models.preset_profile("DPRK, Kim Il Sung (1961-86)"),
                                                models.preset_profile("DPRK, Kim Jong-un (2010s)"))["change"]
                        != 0).sum()),
        3: _unchanged_before_revision,
        7: lambda: len(models.preset_profile("DPRK, Kim Il Sung (1961-86)")),
    },
    ("05_synthesis", "household_dependence"): {
        (1.0, 0.9210526, 0.7954545): lambda: _periods("cadres"),
        (1.0, 0.8333333, 0.625): lambda: _periods("enterprises"),
        (0.25, 0.5, 1.0): lambda: tuple(reversed(_periods("households"))),
    },
    ("05_synthesis", "delay"): {
        7: lambda: models.years_to_reach(models.diffusion(border=0.5, radios=0.25, media=1, crackdown=0.5)),
        -4: lambda: (models.years_to_reach(models.diffusion(border=0.5, radios=0.25, media=1, crackdown=0))
                     - models.years_to_reach(models.diffusion(border=0.5, radios=0.25, media=1, crackdown=0.5))),
        3: lambda: models.years_to_reach(models.diffusion(border=0.5, radios=0.25, media=1, crackdown=0)),
    },
    ("06_after_the_sources", "fall_2020_pct"): {
        19.323: lambda: _customs()[2020] / _customs()[2019] * 100,  # what remained
        0.80677: lambda: 1 - _customs()[2020] / _customs()[2019],  # a fraction
        -80.677: lambda: (_customs()[2020] / _customs()[2019] - 1) * 100,  # signed
        88.602: lambda: (1 - _customs()[2021] / _customs()[2019]) * 100,  # the fall to 2021
    },
    ("06_after_the_sources", "recovery"): {
        1.21304: lambda: _customs()[2019] / _customs()[2023],  # upside down
        82.437: lambda: _customs()[2023] / _customs()[2019] * 100,  # a percentage
        0.36846: lambda: _customs()[2022] / _customs()[2019],  # 2022, not 2023
        0.54839: lambda: _kotra_2022() / _customs()[2019],  # KOTRA's 2022 estimate
    },
    ("06_after_the_sources", "fewer"): {
        -4174: lambda: int(_arrivals().loc[2020:2023].sum() - _arrivals().loc[2016:2019].sum()),
        4729: lambda: int(_arrivals().loc[2016:2019].sum()),
        555: lambda: int(_arrivals().loc[2020:2023].sum()),
        4370: lambda: int(_arrivals().loc[2016:2019].sum() - _arrivals().loc[2020:2022].sum()),  # 2023 left out
        4403: lambda: int(_arrivals().loc[2016:2019].sum() - _arrivals().loc[2021:2023].sum()),  # 2020 left out
    },
    ("06_after_the_sources", "held_count"): {
        12: lambda: len(models.predictions_table()),
        7: lambda: _held("rating_adaptation"),
        4: lambda: _held("rating_control"),
    },
    ("06_after_the_sources", "lankov2004_adaptation"): {
        0.25: lambda: _lesson6_score("Lankov 2004", "adaptation to a market society"),
        0.16667: lambda: _lesson6_score("Lankov 2004", "adaptation to a market society", "count as failed"),
        0.66667: lambda: _lesson6_score("Lankov 2004", too_early="count as half"),
    },
    ("06_after_the_sources", "jeong_if_p10_held"): {
        0.83333: lambda: _lesson6_score("Jeong"),
        0.625: lambda: _lesson6_score("Jeong", too_early="count as failed"),
        1.0: lambda: _lesson6_score("Jeong", "adaptation to a market society", P10="held"),
    },
}

# Text answers whose anticipated mistakes are claims about a model's table, checked here instead.
CLAIMS = {
    ("01_stalinism", "moved_most"): {
        "mass terror": lambda c: c.loc["mass terror", "change"] == -1 and c["change"].min() == -3,
        "personal dictatorship": lambda c: c.loc["personal dictatorship", "change"] == 0
        and c.loc["personal dictatorship", "before"] == 4,
    },
}


def _value_checks():
    for source in SOURCES:
        for q in load_questions(source):
            for check in q.public + q.hidden:
                if check["check"] == "value":
                    yield source.stem, q.name, check


@pytest.mark.parametrize("stem,qname,check", list(_value_checks()),
                         ids=lambda v: v if isinstance(v, str) else v["name"])
def test_each_wrong_value_is_its_mistake_computed_from_the_data(stem, qname, check):
    stored = {(tuple(w) if isinstance(w, list) else w): feedback
              for w, feedback in ((decode(w), f) for w, f in check["wrong"])}
    if (stem, check["name"]) in CLAIMS:
        table = models.compare_profiles(models.preset_profile("DPRK, Kim Il Sung (1961-86)"),
                                        models.preset_profile("DPRK, Kim Jong Il (mid-2000s)")).set_index("feature")
        claims = CLAIMS[(stem, check["name"])]
        assert set(claims) == set(stored), (stem, qname)
        for wrong, holds in claims.items():
            assert holds(table), (stem, qname, wrong)
        return
    computed = MISTAKES.get((stem, check["name"]), {})
    assert set(computed) == set(stored), \
        f"{stem} {qname}: every wrong value needs its mistake computed here (missing: {set(stored) - set(computed)})"
    for wrong, compute in computed.items():
        got = compute()
        got = got.item() if isinstance(got, np.generic) else got
        got = [float(g) for g in got] if isinstance(got, tuple) else (float(got) if isinstance(wrong, float) else got)
        if isinstance(wrong, tuple):
            got = list(got)
        outcome = C.evaluate(check, {check["name"]: got})
        assert not outcome.passed and outcome.message == stored[wrong], (stem, qname, wrong, got, outcome.message)


@pytest.mark.parametrize("stem,qname,check", [v for v in _value_checks() if v[2].get("mistakes")],
                         ids=lambda v: v if isinstance(v, str) else v["name"])
def test_common_mistakes_are_computed_from_the_key_and_get_their_own_feedback(stem, qname, check):
    key = decode(check["expected"])
    atol = C._accept_tol(check, key)
    for mistake, feedback in check["mistakes"]:
        compute, carry, default = C.MISTAKES[mistake]
        message = (feedback or default).format(name=check["name"])
        wrong = compute(key)
        if isinstance(key, int) and not check.get("decimals"):
            wrong = int(wrong)
        assert C.evaluate(check, {check["name"]: wrong}).message == message, (stem, qname, mistake)
        # its own tolerance: the key's, carried through the mistake (e.g. a percentage rounded as asked)
        edge = wrong + carry(atol) * 0.9
        assert C.evaluate(check, {check["name"]: edge}).message == message, (stem, qname, mistake, edge)
        # and a mistake never shadows the key
        assert not C._close(key, wrong, carry(atol)), (stem, qname, mistake)
