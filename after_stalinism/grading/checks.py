"""Questions and the checks that mark them.

An instructor writes, in a ``# TESTS`` cell of the exercise source notebook::

    question("q1", points=2, prompt="The year arrivals peaked",
             public=[kind("peak_year", "integer")],
             hidden=[value("peak_year", 2009,
                           wrong={2011: "2011 is the last high year before the fall. See lesson 4."})])

Checks are plain data (so public ones can be shipped to learners as JSON, and nothing executable
is needed to judge an answer). Each check compares one of the student's variables:

    kind(name, "number" | "integer" | "string" | "list" | "set" | "dataframe" | "figure")
    value(name, expected, tol=0, rel=0, wrong={answer: feedback}, ignore_case=True)
    choice(name, answer, options, wrong={option: feedback})         multiple choice
    text(name, patterns=[regex, ...], message)                     short text, keywords
    frame(name, columns=[...], rows=N, values={column: [...]})     pandas DataFrame
    figure(name, trace_type="bar", x=[...], y=[...])               a plotly figure's data

A question with ``manual=True`` and a ``rubric`` is left for the instructor to mark.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .values import MISSING, Figure, Unsupported

KINDS = ("number", "integer", "string", "list", "set", "dataframe", "figure", "bool")


@dataclass
class Question:
    """A question of an exercise set: its points and its public and hidden checks (or a rubric if manual)."""

    name: str
    points: float
    prompt: str = ""
    public: list[dict] = field(default_factory=list)
    hidden: list[dict] = field(default_factory=list)
    manual: bool = False
    rubric: str = ""

    def names(self) -> list[str]:
        return sorted({c["name"] for c in self.public + self.hidden})

    def to_public_json(self, classroom: bool = False) -> dict:
        """What a student may see. ``classroom``: multiple-choice answers stay with the instructor
        (the student's check then only confirms that the answer is one of the options)."""
        data = asdict(self)
        data["hidden"] = []
        data["n_hidden"] = len(self.hidden) + (
            sum(c["check"] == "choice" for c in self.public) if classroom else 0)
        if classroom:
            data["public"] = [one_of(c["name"], c["options"], weight=c["weight"]) if c["check"] == "choice" else c
                              for c in self.public]
        return data


# ---- constructors used in TESTS cells ---------------------------------------------------------

def kind(name: str, expected: str, message: str = "", weight: float = 1) -> dict:
    if expected not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {expected!r}")
    return {"check": "kind", "name": name, "expected": expected, "message": message, "weight": weight}


def value(name: str, expected: Any, tol: float = 0, rel: float = 0, wrong: dict | None = None,
          message: str = "", ignore_case: bool = True, weight: float = 1) -> dict:
    return {"check": "value", "name": name, "expected": _plain(expected), "tol": tol, "rel": rel,
            "wrong": [[_plain(k), v] for k, v in (wrong or {}).items()], "message": message,
            "ignore_case": ignore_case, "weight": weight}


def choice(name: str, answer: str, options: list[str], wrong: dict | None = None,
           message: str = "", weight: float = 1) -> dict:
    if answer not in options:
        raise ValueError(f"answer {answer!r} is not among the options {options}")
    return {"check": "choice", "name": name, "answer": answer, "options": list(options),
            "wrong": [[k, v] for k, v in (wrong or {}).items()], "message": message, "weight": weight}


def one_of(name: str, options: list[str], weight: float = 1) -> dict:
    """Only that the answer is one of the options (a classroom release's stand-in for ``choice``)."""
    return {"check": "one_of", "name": name, "options": list(options), "weight": weight}


def text(name: str, patterns: list[str], message: str, weight: float = 1) -> dict:
    for p in patterns:
        re.compile(p)
    return {"check": "text", "name": name, "patterns": list(patterns), "message": message, "weight": weight}


def frame(name: str, columns: list[str] | None = None, rows: int | None = None,
          values: dict | None = None, tol: float = 1e-9, message: str = "", weight: float = 1) -> dict:
    return {"check": "frame", "name": name, "columns": columns, "rows": rows,
            "values": {k: _plain(v) for k, v in (values or {}).items()}, "tol": tol,
            "message": message, "weight": weight}


def figure(name: str, trace_type: str | None = None, x: list | None = None, y: list | None = None,
           tol: float = 1e-9, message: str = "", weight: float = 1) -> dict:
    return {"check": "figure", "name": name, "trace_type": trace_type, "x": _plain(x), "y": _plain(y),
            "tol": tol, "message": message, "weight": weight}


def _plain(value: Any) -> Any:
    """Expected values stored as JSON-able data (sets as sorted lists, tagged)."""
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted(value, key=repr)}
    if isinstance(value, tuple):
        return list(value)
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, dict) and "$set" in value:
        return set(value["$set"])
    return value


# ---- evaluation --------------------------------------------------------------------------------

@dataclass
class Outcome:
    passed: bool
    message: str


def _describe(v: Any) -> str:
    if v is MISSING:
        return "not defined"
    if isinstance(v, Unsupported):
        return "still `...`: not answered yet" if v.type_name == "ellipsis" else repr(v)
    if isinstance(v, bool):
        return f"the boolean {v}"
    if isinstance(v, int):
        return f"the whole number {v}"
    if isinstance(v, float):
        return f"the number {v:g}"
    if isinstance(v, str):
        return f"the text {v[:60]!r}"
    return f"a {type(v).__name__}"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _same(got: Any, expected: Any, tol: float, rel: float, ignore_case: bool) -> bool:
    if _is_number(expected) and _is_number(got):
        if isinstance(got, float) and math.isnan(got):
            return False
        return math.isclose(got, expected, abs_tol=tol, rel_tol=rel) if (tol or rel) else got == expected
    if isinstance(expected, str) and isinstance(got, str):
        norm = (lambda s: " ".join(s.split()).casefold()) if ignore_case else (lambda s: s.strip())
        return norm(got) == norm(expected)
    if isinstance(expected, set):
        return isinstance(got, (set, list, tuple)) and set(got) == expected and (
            not isinstance(got, (list, tuple)) or len(got) == len(set(got)))
    if isinstance(expected, list):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(_same(g, e, tol, rel, ignore_case) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(got) == set(expected)
                and all(_same(got[k], expected[k], tol, rel, ignore_case) for k in expected))
    return type(got) is type(expected) and got == expected


def _not_defined(name: str) -> Outcome:
    return Outcome(False, f"I could not find a variable named `{name}`. Did you delete or rename it, "
                          f"or skip the cell that defines it? Run that cell and check again.")


def evaluate(check: dict, values: dict) -> Outcome:
    """Judge one check against the student's exported values. Never raises on a student's value."""
    got = values.get(check["name"], MISSING)
    if got is MISSING:
        return _not_defined(check["name"])
    try:
        return _EVALUATORS[check["check"]](check, got)
    except Exception as err:  # a value shaped in a way no check foresaw: fail kindly
        return Outcome(False, f"`{check['name']}` could not be checked ({type(err).__name__}); "
                              f"it is {_describe(got)}.")


def _eval_kind(check: dict, got: Any) -> Outcome:
    import pandas as pd

    tests = {
        "number": _is_number(got), "integer": isinstance(got, int) and not isinstance(got, bool),
        "string": isinstance(got, str), "list": isinstance(got, (list, tuple)),
        "set": isinstance(got, set), "dataframe": isinstance(got, pd.DataFrame),
        "figure": isinstance(got, Figure), "bool": isinstance(got, bool),
    }
    if tests[check["expected"]]:
        return Outcome(True, f"`{check['name']}` is a {check['expected']}.")
    hint = check["message"] or f"`{check['name']}` should be a {check['expected']}"
    return Outcome(False, f"{hint} (it is {_describe(got)}).")


def _eval_value(check: dict, got: Any) -> Outcome:
    expected = _unplain(check["expected"])
    if _same(got, expected, check["tol"], check["rel"], check["ignore_case"]):
        return Outcome(True, f"`{check['name']}` is right.")
    for wrong, feedback in check["wrong"]:
        if _same(got, _unplain(wrong), check["tol"], check["rel"], check["ignore_case"]):
            return Outcome(False, feedback)
    if _is_number(expected) and not _is_number(got):
        return Outcome(False, f"`{check['name']}` should be a number; it is {_describe(got)}.")
    return Outcome(False, check["message"] or f"`{check['name']}` is not right yet (it is {_describe(got)}).")


def _eval_choice(check: dict, got: Any) -> Outcome:
    if not isinstance(got, str) or got.strip().lower() not in [o.lower() for o in check["options"]]:
        return Outcome(False, f"`{check['name']}` should be one of {', '.join(map(repr, check['options']))} "
                              f"(it is {_describe(got)}).")
    answer = got.strip().lower()
    if answer == check["answer"].lower():
        return Outcome(True, f"`{check['name']}`: {check['answer']!r} is right.")
    for option, feedback in check["wrong"]:
        if option.lower() == answer:
            return Outcome(False, feedback)
    return Outcome(False, check["message"] or f"`{check['name']}`: {got!r} is not the best answer.")


def _eval_one_of(check: dict, got: Any) -> Outcome:
    if isinstance(got, str) and got.strip().lower() in [o.lower() for o in check["options"]]:
        return Outcome(True, f"`{check['name']}` is one of the options; your instructor's grading marks it.")
    return Outcome(False, f"`{check['name']}` should be one of {', '.join(map(repr, check['options']))} "
                          f"(it is {_describe(got)}).")


def _eval_text(check: dict, got: Any) -> Outcome:
    if not isinstance(got, str) or not got.strip():
        return Outcome(False, f"`{check['name']}` should be a short text answer (it is {_describe(got)}).")
    missing = [p for p in check["patterns"] if not re.search(p, got, re.I)]
    return Outcome(not missing, "Your answer names the key points." if not missing else check["message"])


def _eval_frame(check: dict, got: Any) -> Outcome:
    import pandas as pd

    name = check["name"]
    if not isinstance(got, pd.DataFrame):
        return Outcome(False, f"`{name}` should be a pandas DataFrame (it is {_describe(got)}).")
    if check["columns"] is not None and list(got.columns) != check["columns"]:
        return Outcome(False, check["message"] or f"`{name}` should have the columns {check['columns']} "
                                                  f"(it has {list(got.columns)}).")
    if check["rows"] is not None and len(got) != check["rows"]:
        return Outcome(False, check["message"] or f"`{name}` should have {check['rows']} rows (it has {len(got)}).")
    for column, expected in check["values"].items():
        if column not in got.columns:
            return Outcome(False, f"`{name}` has no column {column!r}.")
        if not _same(list(got[column]), expected, check["tol"], 0, True):
            return Outcome(False, check["message"] or f"The values in column {column!r} of `{name}` are not right yet.")
    return Outcome(True, f"`{name}` has the right shape and values.")


def _eval_figure(check: dict, got: Any) -> Outcome:
    name = check["name"]
    if not isinstance(got, Figure) or not got.traces:
        return Outcome(False, f"`{name}` should be a plotly figure with data (it is {_describe(got)}).")
    trace = got.traces[0]
    if check["trace_type"] and trace["type"] != check["trace_type"]:
        return Outcome(False, check["message"] or f"`{name}` should be a {check['trace_type']} chart "
                                                  f"(it is a {trace['type']} chart).")
    for axis in ("x", "y"):
        if check[axis] is not None and not _same(list(trace[axis]), check[axis], check["tol"], 0, True):
            return Outcome(False, check["message"] or f"The {axis} values of `{name}` are not the ones asked for.")
    return Outcome(True, f"`{name}` shows the right data.")


_EVALUATORS = {"kind": _eval_kind, "value": _eval_value, "choice": _eval_choice, "one_of": _eval_one_of,
               "text": _eval_text, "frame": _eval_frame, "figure": _eval_figure}


@dataclass
class QuestionResult:
    """A question's score with one (passed, message) line per check that ran."""

    name: str
    score: float
    max_score: float
    messages: list[tuple[bool, str]]
    manual: bool = False
    hidden_run: bool = True


def grade_question(q: Question, values: dict, include_hidden: bool = True) -> QuestionResult:
    if q.manual:
        return QuestionResult(q.name, 0.0, q.points, [(False, "Marked by your instructor: " + q.rubric)],
                              manual=True, hidden_run=include_hidden)
    checks = q.public + (q.hidden if include_hidden else [])
    outcomes = [(c, evaluate(c, values)) for c in checks]
    total = sum(c["weight"] for c in checks) or 1
    earned = sum(c["weight"] for c, o in outcomes if o.passed)
    return QuestionResult(q.name, round(q.points * earned / total, 4), q.points,
                          [(o.passed, o.message) for _, o in outcomes], hidden_run=include_hidden)
