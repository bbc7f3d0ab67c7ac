"""The course's four models, as pure functions.

Each model is a transparent toy that makes one argument from the sources explicit, so that a
learner can see which assumption drives which conclusion. None of them is estimated from data:
their numbers are illustrative settings chosen by the course, and every figure drawn from them
says so. Parameters are checked, and a bad one is refused with a message naming it. The one thing
read from disk is the scorecard's preset ratings, which are interpretation with sources and so
live beside the other tables in data/scorecard_presets.csv.

    scorecard    Bialer's seven features of "mature Stalinism" as a 0-4 rating profile   (lesson 1)
    dependence   Jeong's three dependencies on the centre, as the state's supply shrinks  (lesson 2)
    diffusion    how knowledge of the outside world spreads past an information blockade  (lesson 3)
    cadre        a mid-level official's expected payoff from backing reform               (lesson 4)
    predictions  how each source's predictions fared against 2016-2025, by a scoring rule  (lesson 6)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from .data import load


class ModelError(ValueError):
    """A model was given a parameter it cannot use; the message names the parameter."""


def _share(name: str, value: float) -> float:
    """A parameter that must be a number between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"{name} must be a number between 0 and 1, not {value!r}")
    if not 0 <= value <= 1 or math.isnan(value):
        raise ModelError(f"{name} must be between 0 and 1 (a share), not {value}")
    return float(value)


# ---------------------------------------------------------------------------------------------
# Lesson 1: Bialer's scorecard
# ---------------------------------------------------------------------------------------------

# Bialer's seven features (Stalin's Successors, 1980, p. 9, as listed by Lankov 2006), short names.
FEATURES = (
    "mass terror",
    "party extinct as a movement",
    "shapeless macro-politics",
    "extreme mobilisation for growth and power",
    "stratified values, uniform culture, extreme nationalism",
    "revolutionary impulse ended; status quo",
    "personal dictatorship",
)
RATING_MAX = 4  # 0 = absent, 1 = weak, 2 = partial, 3 = strong, 4 = extreme


@dataclass(frozen=True)
class Rating:
    """One preset rating: the score and why, with the works it rests on and how certain it is."""

    score: int
    basis: str  # why, quoting the passage it rests on; says "disputed" where a reading competes
    source: str = ""  # citation keys in book/references.bib, separated by "; "
    certainty: str = ""  # rated from the source's words, course judgement, or disputed


def presets_from_table(table: pd.DataFrame) -> dict[str, dict[str, Rating]]:
    """The scorecard presets from a table with columns regime, feature, score, basis, source, certainty.

    Every regime must rate each of Bialer's seven features exactly once; anything else is refused
    with a message naming the regime and the feature.
    """
    presets: dict[str, dict[str, Rating]] = {}
    for row in table.itertuples(index=False):
        if row.feature not in FEATURES:
            raise ModelError(f"scorecard presets: {row.regime!r} rates {row.feature!r}, which is not one of "
                             f"Bialer's features: {', '.join(FEATURES)}")
        ratings = presets.setdefault(row.regime, {})
        if row.feature in ratings:
            raise ModelError(f"scorecard presets: {row.regime!r} rates {row.feature!r} twice")
        ratings[row.feature] = Rating(int(row.score), row.basis, row.source, row.certainty)
    for regime, ratings in presets.items():
        missing = [f for f in FEATURES if f not in ratings]
        if missing:
            raise ModelError(f"scorecard presets: {regime!r} does not rate {', '.join(missing)}")
        presets[regime] = {f: ratings[f] for f in FEATURES}
    return presets


# The presets are the course's interpretation of the sources, one rating per feature with its
# basis. They live in data/scorecard_presets.csv (described in data/datapackage.json), so that
# each rating's basis, sources and certainty sit beside the other data and are checked with it.
PRESETS: dict[str, dict[str, Rating]] = presets_from_table(load("scorecard_presets"))


def check_profile(profile: Mapping[str, float]) -> dict[str, float]:
    """A rating profile: every one of Bialer's features rated from 0 to 4, nothing else."""
    if not isinstance(profile, Mapping):
        raise ModelError(f"a profile is a dict of feature -> rating, not {type(profile).__name__}")
    unknown = sorted(set(profile) - set(FEATURES))
    if unknown:
        raise ModelError(f"not one of Bialer's features: {', '.join(map(repr, unknown))}; "
                         f"the features are: {', '.join(FEATURES)}")
    missing = [f for f in FEATURES if f not in profile]
    if missing:
        raise ModelError(f"rate every feature; missing: {', '.join(missing)}")
    clean = {}
    for feature in FEATURES:
        value = profile[feature]
        value = value.score if isinstance(value, Rating) else value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= RATING_MAX:
            raise ModelError(f"rating for {feature!r} must be a number from 0 to {RATING_MAX}, not {value!r}")
        clean[feature] = float(value)
    return clean


def preset_profile(name: str) -> dict[str, float]:
    """The ratings of preset ``name`` as a profile (feature -> score)."""
    if name not in PRESETS:
        raise ModelError(f"no preset called {name!r}; the presets are: {', '.join(PRESETS)}")
    return check_profile(PRESETS[name])


def stalinism_index(profile: Mapping[str, float]) -> float:
    """How close a profile is to Bialer's full model: the mean rating as a share of the maximum (0-1)."""
    ratings = check_profile(profile)
    return sum(ratings.values()) / (RATING_MAX * len(FEATURES))


def compare_profiles(before: Mapping[str, float], after: Mapping[str, float]) -> pd.DataFrame:
    """Feature-by-feature change from one profile to another, largest moves first."""
    a, b = check_profile(before), check_profile(after)
    table = pd.DataFrame({"feature": FEATURES, "before": [a[f] for f in FEATURES],
                          "after": [b[f] for f in FEATURES]})
    table["change"] = table["after"] - table["before"]
    order = table["change"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Lesson 2: the dependence model (after Jeong)
# ---------------------------------------------------------------------------------------------

# The centre serves its priorities first (Jeong: "a few priority sectors such as munitions"):
# cadres, then enterprises, then households' rations (the course's assumption). Each group needs
# the same amount, a third of the total.
GROUPS = ("cadres", "enterprises", "households")
# Cadres also take a cut of the market activity they oversee (Jeong: cadres "using their official
# positions to earn unofficial income"): this share of the others' average market income.
RENT_RATE = 0.5


def dependence(distribution: float, market: float, repression_cost: float) -> pd.DataFrame:
    """Where each group's income comes from, and how far it depends on the centre.

    distribution     what the centre can hand out, as a share of what all three groups need (0-1)
    market           share of any unmet need that the market can supply (0-1)
    repression_cost  how costly it is for the state to shut down private income: 0 = free, 1 = impossible

    The centre fills the groups' needs in priority order (cadres, then enterprises, then
    households). What the state does not supply, the market supplies in proportion ``market``;
    the rest goes unmet. Cadres also collect a rent: ``RENT_RATE`` times the average market income
    of enterprises and households. A group's dependence on the centre is the share of the income
    it has that the centre could take away: all of its state supply, plus its market income
    (rent included) to the extent repression is cheap (``1 - repression_cost``).

    Returns one row per group: state, market, unmet (shares of the group's need; they sum to 1),
    rent (cadres' extra income, 0 for the others), market_share (market income plus rent, as a
    share of all the income the group has) and dependence (0-1).
    """
    d = _share("distribution", distribution)
    m = _share("market", market)
    c = _share("repression_cost", repression_cost)
    need = 1 / len(GROUPS)
    rows, left = [], d
    for group in GROUPS:
        state = min(max(left, 0.0), need) / need
        left -= need
        rows.append({"group": group, "state": state, "market": (1 - state) * m,
                     "unmet": (1 - state) * (1 - m), "rent": 0.0})
    others = [row["market"] for row in rows if row["group"] != "cadres"]
    rows[0]["rent"] = RENT_RATE * sum(others) / len(others)
    for row in rows:
        private = row["market"] + row["rent"]
        income = row["state"] + private
        row["market_share"] = private / income if income > 0 else 0.0
        row["dependence"] = 1 - c * row["market_share"]
    return pd.DataFrame(rows)


# Illustrative settings for three periods (the course's, not estimates; see lesson 2).
DEPENDENCE_PERIODS = {
    "planned economy (1980s)": {"distribution": 1.0, "market": 0.25, "repression_cost": 0.25},
    "famine (mid-1990s)": {"distribution": 0.5, "market": 0.5, "repression_cost": 0.5},
    "post-famine (2000s)": {"distribution": 0.5, "market": 1.0, "repression_cost": 0.75},
}


# ---------------------------------------------------------------------------------------------
# Lesson 3: information diffusion
# ---------------------------------------------------------------------------------------------

# Illustrative weights: how strongly each channel exposes an uninformed person per year at full
# strength. Chosen by the course so the channels matter on the same order; not estimated.
CHANNEL_WEIGHTS = {"border": 0.06, "radios": 0.05, "media": 0.10}
PEER_RATE = 0.6  # yearly chance of hearing it from an informed acquaintance, with everyone informed
TURNOVER = 0.03  # yearly share of the informed replaced by young people raised on propaganda


def diffusion(border: float, radios: float, media: float, crackdown: float,
              years: int = 30, start: float = 0.01) -> pd.DataFrame:
    """Share of people who know the outside world is richer, year by year.

    border     permeability of the Chinese border to traders and returning refugees (0-1)
    radios     share of radio and TV sets modified to receive foreign stations (0-1)
    media      volume of smuggled DVDs and USB sticks, relative to a flood (0-1)
    crackdown  intensity of inspection and punishment (0-1): it deters watching smuggled media and
               listening, and it deters telling others; it cannot make people forget

    Each year an uninformed person learns with probability 1 - exp(-h). The hazard h is the
    exposure from the three channels plus word of mouth from the informed. The crackdown scales
    radios and media by (1 - crackdown) and word of mouth by (1 - crackdown)**2, because talking
    is what informers report; it does not act on the border, which has its own parameter. A
    share ``TURNOVER`` of the informed is replaced each year by a new generation. Returns columns
    year and informed.
    """
    b, r, v, k = (_share(n, x) for n, x in (("border", border), ("radios", radios),
                                             ("media", media), ("crackdown", crackdown)))
    s0 = _share("start", start)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 200:
        raise ModelError(f"years must be a whole number from 1 to 200, not {years!r}")
    exposure = (CHANNEL_WEIGHTS["border"] * b
                + (CHANNEL_WEIGHTS["radios"] * r + CHANNEL_WEIGHTS["media"] * v) * (1 - k))
    peer = PEER_RATE * (1 - k) ** 2
    informed, rows = s0, [{"year": 0, "informed": s0}]
    for year in range(1, years + 1):
        hazard = exposure + peer * informed
        informed = informed + (1 - informed) * (1 - math.exp(-hazard)) - TURNOVER * informed
        rows.append({"year": year, "informed": informed})
    return pd.DataFrame(rows)


def years_to_reach(path: pd.DataFrame, threshold: float = 0.5) -> int | None:
    """First year the informed share reaches ``threshold``, or None if it never does."""
    _share("threshold", threshold)
    reached = path[path["informed"] >= threshold]
    return None if reached.empty else int(reached["year"].iloc[0])


# ---------------------------------------------------------------------------------------------
# Lesson 4: the cadre's choice (after Lankov 2004)
# ---------------------------------------------------------------------------------------------

CADRE_PARAMETERS = ("survive_reform", "hold_without_reform", "privileges_kept", "exit_value",
                    "lustration_risk", "purge_risk")


def cadre_payoffs(survive_reform: float, hold_without_reform: float, privileges_kept: float,
                  exit_value: float, lustration_risk: float, purge_risk: float) -> dict[str, float]:
    """Expected payoff of a mid-level official who backs reform or the status quo.

    Today's privileges are worth 1. All parameters are between 0 and 1.

    survive_reform       chance the regime survives if reform starts
    hold_without_reform  chance the regime holds if nothing changes
    privileges_kept      share of privileges the official keeps if the regime survives reform
    exit_value           what the official can make of life after a collapse (skills, connections,
                         a share of state assets), as a share of today's privileges
    lustration_risk      chance of being barred from office and business after a collapse
    purge_risk           chance of being purged, and losing everything, under the status quo

    After a collapse the official gets ``exit_value`` unless lustrated (then nothing). Under the
    status quo he keeps his privileges unless purged. Returns reform, status_quo, after_collapse
    and advantage (reform minus status quo; reform pays when it is positive).
    """
    p = {name: _share(name, value) for name, value in zip(CADRE_PARAMETERS, (
        survive_reform, hold_without_reform, privileges_kept, exit_value, lustration_risk, purge_risk))}
    after_collapse = (1 - p["lustration_risk"]) * p["exit_value"]
    reform = p["survive_reform"] * p["privileges_kept"] + (1 - p["survive_reform"]) * after_collapse
    status_quo = (p["hold_without_reform"] * (1 - p["purge_risk"])
                  + (1 - p["hold_without_reform"]) * after_collapse)
    return {"reform": reform, "status_quo": status_quo, "after_collapse": after_collapse,
            "advantage": reform - status_quo}


# Illustrative settings (the course's reading of Lankov 2004 and the other sources; see lesson 4).
CADRE_PRESETS = {
    "Eastern Europe 1989": {"survive_reform": 0.3, "hold_without_reform": 0.2, "privileges_kept": 0.7,
                            "exit_value": 0.9, "lustration_risk": 0.2, "purge_risk": 0.0},
    "China 1980s": {"survive_reform": 0.9, "hold_without_reform": 0.7, "privileges_kept": 0.9,
                    "exit_value": 0.5, "lustration_risk": 0.2, "purge_risk": 0.1},
    "North Korea 2000s": {"survive_reform": 0.3, "hold_without_reform": 0.9, "privileges_kept": 0.8,
                          "exit_value": 0.2, "lustration_risk": 0.7, "purge_risk": 0.05},
}


def purge_risk_threshold(**params: float) -> float | None:
    """The purge risk at which backing reform starts to pay, other parameters fixed (None if never)."""
    fixed = {k: v for k, v in params.items() if k != "purge_risk"}
    low = cadre_payoffs(**fixed, purge_risk=0.0)["advantage"]
    high = cadre_payoffs(**fixed, purge_risk=1.0)["advantage"]
    if low >= 0:
        return 0.0
    if high < 0:
        return None
    # The advantage rises linearly with purge risk (slope = hold_without_reform).
    return -low / (high - low)


# ---------------------------------------------------------------------------------------------
# Lesson 6: the sources' predictions against the record (a scoring rule, not a measurement)
# ---------------------------------------------------------------------------------------------

OUTCOMES = ("held", "partly", "failed", "too early to say")
# The three readings of the record: the column of data/predictions.csv that holds each one's ratings.
READINGS = {
    "the course's ratings": "rating",
    "control restored (re-Stalinisation)": "rating_control",
    "adaptation to a market society": "rating_adaptation",
}
TOO_EARLY = {"leave out": None, "count as failed": 0.0, "count as half": 0.5}


def predictions_table() -> pd.DataFrame:
    """The predictions with their passages, outcomes and ratings (``data/predictions.csv``)."""
    return load("predictions")


def prediction_ratings(reading: str = "the course's ratings") -> dict[str, str]:
    """One reading's ratings as a dict prediction id -> outcome; start your own ratings from it."""
    if reading not in READINGS:
        raise ModelError(f"no reading called {reading!r}; the readings are: {', '.join(READINGS)}")
    table = predictions_table()
    return dict(zip(table["id"], table[READINGS[reading]]))


def prediction_scores(ratings: Mapping[str, str], partly: float = 0.5,
                      too_early: str = "leave out") -> pd.DataFrame:
    """How well each source's predictions fared under a set of ratings: a scoring rule, not data.

    ratings    prediction id (``P1``...) -> one of ``OUTCOMES``; every prediction rated once
    partly     the credit a prediction rated "partly" earns (0-1); "held" earns 1, "failed" 0
    too_early  what "too early to say" counts as: "leave out" (not counted), "count as failed"
               or "count as half"

    Returns one row per author (in the table's order): predictions (how many), counted (how many
    the score rests on), credit (the sum) and score (credit / counted, or NaN when nothing is
    counted). A source with few counted predictions gets a score that rests on little: read
    ``counted`` beside ``score``.
    """
    credit_partly = _share("partly", partly)
    if too_early not in TOO_EARLY:
        raise ModelError(f"too_early must be one of: {', '.join(TOO_EARLY)}; not {too_early!r}")
    if not isinstance(ratings, Mapping):
        raise ModelError(f"ratings is a dict of prediction id -> outcome, not {type(ratings).__name__}")
    table = predictions_table()
    ids = list(table["id"])
    unknown = sorted(set(ratings) - set(ids))
    if unknown:
        raise ModelError(f"no prediction called {', '.join(map(repr, unknown))}; the predictions are {', '.join(ids)}")
    missing = [i for i in ids if i not in ratings]
    if missing:
        raise ModelError(f"rate every prediction; missing: {', '.join(missing)}")
    points = {"held": 1.0, "partly": credit_partly, "failed": 0.0, "too early to say": TOO_EARLY[too_early]}
    rows: dict[str, dict] = {}
    for pid, author in zip(ids, table["author"]):
        outcome = ratings[pid]
        if outcome not in OUTCOMES:
            raise ModelError(f"rating for {pid} must be one of: {', '.join(OUTCOMES)}; not {outcome!r}")
        work = author.split(" (")[0]  # "One Free Korea 2015 (quoting INSS)" scores with the post
        row = rows.setdefault(work, {"author": work, "predictions": 0, "counted": 0, "credit": 0.0})
        row["predictions"] += 1
        if points[outcome] is not None:
            row["counted"] += 1
            row["credit"] += points[outcome]
    result = pd.DataFrame(list(rows.values()))
    result["score"] = [c / n if n else math.nan for c, n in zip(result["credit"], result["counted"])]
    return result
