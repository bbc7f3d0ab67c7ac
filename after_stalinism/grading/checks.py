"""Questions and the checks that mark them.

An instructor writes, in a ``# TESTS`` cell of the exercise source notebook::

    question("q1", points=2, prompt="The year arrivals peaked",
             public=[kind("peak_year", "integer")],
             hidden=[value("peak_year", 2009,
                           wrong={2011: "2011 is the last high year before the fall. See lesson 4."})])

Checks are plain data (so public ones can be shipped to learners as JSON, and nothing executable
is needed to judge an answer). Each check compares one of the student's variables:

    kind(name, "number" | "integer" | "string" | "list" | "set" | "dataframe" | "figure")
    value(name, expected, decimals=N, wrong={answer: feedback}, mistakes={"x100": None, ...})
    choice(name, answer, options, wrong={option: feedback})         multiple choice
    attempt(name, min_words=8)                                     a real written attempt (no marks)
    text(name, patterns=[regex, ...], message)                     keywords (not for explanations)
    frame(name, columns=[...], rows=N, values={column: [...]}, fresh_index=True)   pandas DataFrame
    figure(name, trace_type="bar", x=[...], y=[...])               a plotly figure's data

A question with ``manual=True`` and a ``rubric`` is left for the instructor to mark. Explanations
in words, short or long, are such questions: no check says PASSED for free text (keywords pass
non-answers and refuse good ones). A learner sees the rubric's key points to assess their own
answer once ``attempt`` says they have written one.

**Precision policy.** A number is judged at the precision its question asks for: ``decimals=N``
accepts any value within half a unit of the N-th decimal of the key (so the key rounded to N
decimals, as the lessons print it, is right). A value that is the key rounded to fewer decimals
is told "right, but keep N decimals", never plain wrong. Every float question states its N in
its text (``tests/test_exercises.py`` holds each set to this).

**Anticipated mistakes** have their own feedback and their own tolerance. The common ones are
computed from the key (``mistakes=``: ``"x100"``, ``"/100"``, ``"+1"``, ``"-1"``, ``"negative"``),
so they cannot drift from it; each is matched within the key's tolerance carried through the same
arithmetic (x100: 100 times the tolerance). A ``wrong=`` value is matched at the key's relative
precision; ``tests/test_mistakes.py`` recomputes each one from the course data by the mistake its
feedback describes.

``CHECKS`` is the one registry of check types: the names a TESTS cell may call, and the function
that judges each, come from it. Expected values are stored with ``values.encode`` (the same wire
format as the student's values) and read back with ``values.decode``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .values import MISSING, Figure, Raised, Unsupported, decode, encode

# What each kind is called in feedback ("`x` is a whole number", "should be a pandas DataFrame").
TESTS_MARK = "# TESTS"  # first line of a source notebook's cell that declares questions
KINDS = {"number": "a number", "integer": "a whole number", "string": "a text (a string)",
         "list": "a list", "set": "a set", "dataframe": "a pandas DataFrame", "figure": "a plotly figure",
         "bool": "True or False"}


@dataclass
class Question:
    """A question of an exercise set: its points and its public and hidden checks (or a rubric if manual)."""

    name: str
    points: float
    prompt: str = ""
    public: list[dict] = field(default_factory=list, repr=False)  # the checks hold the answers:
    hidden: list[dict] = field(default_factory=list, repr=False)  # not printed by repr
    manual: bool = False
    rubric: str = field(default="", repr=False)
    n_hidden: int = 0  # in a classroom release: checks the student's copy does not have

    def names(self) -> list[str]:
        """The student variables its checks read, public and hidden, sorted: what a run of a
        submission must send back for this question."""
        return sorted({c["name"] for c in self.public + self.hidden})

    def to_public_json(self, exercise_set: str, classroom: bool = False) -> dict:
        """What a student's copy holds.

        Self-paced (default): every check, hidden ones and the rubric included, sealed (see
        ``seal``), so ``check()`` judges values and shows the feedback for anticipated mistakes.
        Classroom: only the public checks, with multiple-choice answers replaced by "is one of the
        options"; values, answers and the rubric stay with the instructor."""
        data = {"name": self.name, "points": self.points, "prompt": self.prompt, "manual": self.manual}
        if not classroom:
            return {**data, "sealed": seal({"public": self.public + self.hidden, "rubric": self.rubric},
                                           exercise_set)}
        public = [one_of(c["name"], c["options"], weight=c["weight"]) if c["check"] == "choice" else c
                  for c in self.public]
        return {**data, "public": public,
                "n_hidden": len(self.hidden) + sum(c["check"] == "choice" for c in self.public)}

    @classmethod
    def from_public_json(cls, data: dict, exercise_set: str) -> Question:
        """The question a checks file's entry holds (``to_public_json`` read back): a self-paced
        entry's sealed checks and rubric are unsealed with the set's name."""
        fields = {k: data[k] for k in ("name", "points", "prompt", "manual", "public", "n_hidden") if k in data}
        if "sealed" in data:
            fields.update(unseal(data["sealed"], exercise_set))
        return cls(**fields)


def read_checks(checks_path) -> tuple[str, list[Question]]:
    """The kind of release ("self-paced" or "classroom") and the questions of a checks file."""
    with open(checks_path, encoding="utf-8") as f:
        data = json.load(f)
    questions = [Question.from_public_json(q, data["exercise_set"]) for q in data["questions"]]
    return data.get("release", "classroom"), questions


# ---- sealing: answers a learner cannot read at a glance ---------------------------------------
# The course is open, so a self-paced copy may hold the answers, but a learner should not see them
# by glancing at the checks file. A hash would hide them better, but cannot carry what a check
# needs: a number judged within a tolerance has no single hash (rounding to buckets fails at the
# bucket edges), and a check must tell *which* anticipated mistake was made. So the checks are
# sealed reversibly: JSON, XOR-ed with a key derived from the set's name, in base64. Anyone
# determined can unseal it (this is not secrecy); the classroom release ships no answers at all.

def _keystream(key: str, n: int) -> bytes:
    block = hashlib.sha256(f"after_stalinism:{key}".encode()).digest()
    return (block * (n // len(block) + 1))[:n]


def seal(data: Any, key: str) -> str:
    """``data`` as JSON, XOR-ed with a keystream derived from ``key`` (the set's name), in base64:
    not readable at a glance, but not secret (see above). ``unseal`` reverses it."""
    raw = json.dumps(data, sort_keys=True).encode()
    return base64.b64encode(bytes(a ^ b for a, b in zip(raw, _keystream(key, len(raw))))).decode()


def unseal(text: str, key: str) -> Any:
    """The data ``seal`` sealed into ``text`` with the same ``key``."""
    raw = base64.b64decode(text)
    return json.loads(bytes(a ^ b for a, b in zip(raw, _keystream(key, len(raw)))))


# ---- constructors used in TESTS cells ---------------------------------------------------------

def kind(name: str, expected: str, message: str = "", weight: float = 1) -> dict:
    """Check that variable ``name`` is of the ``expected`` kind: ``"number"`` (int or float),
    ``"integer"``, ``"string"``, ``"list"``, ``"set"``, ``"dataframe"``, ``"figure"`` (plotly) or
    ``"bool"``; True and False count as neither number nor integer. ``message`` replaces the
    default hint ("`name` should be a whole number"); what the value is follows either way. The
    usual public check, with the ``value`` hidden; once it fails, the question's later failures on
    ``name`` are not shown. ValueError for an unknown kind::

        kind("peak_year", "integer", "Store the year as a whole number, like 1999")
    """
    if expected not in KINDS:
        raise ValueError(f"kind must be one of {tuple(KINDS)}, not {expected!r}")
    return {"check": "kind", "name": name, "expected": expected, "message": message, "weight": weight}


# The common mistakes a number question may anticipate: how each is computed from the key and
# its tolerance (so it is a computation, never a typed number), and its default feedback.
MISTAKES: dict[str, tuple[Callable[[float], float], Callable[[float], float], str]] = {
    "x100": (lambda v: v * 100, lambda t: t * 100,
             "`{name}` is 100 times the answer: the question asks for a fraction (between 0 and 1), "
             "not a percentage. Do not multiply by 100."),
    "/100": (lambda v: v / 100, lambda t: t / 100,
             "`{name}` is the answer divided by 100: that is a fraction, and the question asks for a "
             "percentage. Multiply by 100."),
    "+1": (lambda v: v + 1, lambda t: t,
           "`{name}` is one too many (off by one): did you count both ends, or start from the wrong row?"),
    "-1": (lambda v: v - 1, lambda t: t,
           "`{name}` is one too few (off by one): did you leave out one end, or one row?"),
    "negative": (lambda v: -v, lambda t: t,
                 "`{name}` has the wrong sign: subtract the other way round, or store the size as a "
                 "positive number as the question asks."),
}


def value(name: str, expected: Any, tol: float = 0, rel: float = 0, wrong: dict | None = None,
          message: str = "", ignore_case: bool = True, weight: float = 1, decimals: int | None = None,
          mistakes: dict | list | None = None) -> dict:
    """A value, judged at ``decimals`` (for a float key), else within ``tol``/``rel`` (or exactly).

    ``mistakes`` names common mistakes computed from the key (see ``MISTAKES``): a list of names,
    or a dict from name to feedback (None for the default feedback)."""
    if decimals is not None and not (isinstance(decimals, int) and 0 <= decimals <= 10):
        raise ValueError(f"decimals must be a whole number from 0 to 10, not {decimals!r}")
    mistakes = dict.fromkeys(mistakes) if isinstance(mistakes, (list, tuple)) else dict(mistakes or {})
    unknown = set(mistakes) - set(MISTAKES)
    if unknown:
        raise ValueError(f"unknown mistakes {sorted(unknown)}: use some of {sorted(MISTAKES)}")
    if mistakes and not _is_number(expected):
        raise ValueError("common mistakes are computed from a number: the key is not one")
    return {"check": "value", "name": name, "expected": encode(expected), "tol": tol, "rel": rel,
            "decimals": decimals, "mistakes": [[k, v] for k, v in mistakes.items()],
            "wrong": [[encode(k), v] for k, v in (wrong or {}).items()], "message": message,
            "ignore_case": ignore_case, "weight": weight}


def choice(name: str, answer: str, options: list[str], wrong: dict | None = None,
           message: str = "", weight: float = 1) -> dict:
    """Check a multiple-choice answer: ``name`` must be one of ``options`` (a string; case and
    surrounding spaces ignored) and is right if it is ``answer``. ``wrong`` maps a wrong option to
    its own feedback; ``message`` is the feedback for any other wrong option. ValueError if
    ``answer`` is not an option. A classroom release ships it as "is one of the options" only::

        choice("feature", "b", ["a", "b", "c", "d"], wrong={"a": "That is about who rules, not how."})
    """
    if answer not in options:
        raise ValueError(f"answer {answer!r} is not among the options {options}")
    return {"check": "choice", "name": name, "answer": answer, "options": list(options),
            "wrong": [[k, v] for k, v in (wrong or {}).items()], "message": message, "weight": weight}


def one_of(name: str, options: list[str], weight: float = 1) -> dict:
    """Only that the answer is one of the options (a classroom release's stand-in for ``choice``)."""
    return {"check": "one_of", "name": name, "options": list(options), "weight": weight}


def attempt(name: str, min_words: int = 8, weight: float = 1) -> dict:
    """That ``name`` holds a real written attempt: at least ``min_words`` words, and not a
    non-answer ("I do not know"). It earns no marks: it opens the key points to a learner."""
    return {"check": "attempt", "name": name, "min_words": min_words, "weight": weight}


def text(name: str, patterns: list[str], message: str, weight: float = 1) -> dict:
    """Check a short text answer for keywords: ``name`` passes if every regular expression in
    ``patterns`` is found in it (``re.search``, case ignored), else the student reads ``message``.
    For a name or a term, never for an explanation (keywords pass non-answers and refuse good
    answers): ask for that in a ``manual`` question with a rubric. A pattern that does not
    compile raises at once::

        text("author", ["lankov"], "Name the author of the passage.")
    """
    for p in patterns:
        re.compile(p)
    return {"check": "text", "name": name, "patterns": list(patterns), "message": message, "weight": weight}


def frame(name: str, columns: list[str] | None = None, rows: int | None = None,
          values: dict | None = None, tol: float = 1e-9, message: str = "", weight: float = 1,
          fresh_index: bool = False, order: str = "") -> dict:
    """A DataFrame's columns, row count and values; ``fresh_index`` asks for the index 0, 1, 2...
    ``order`` is the feedback when the rows are right but in another order."""
    return {"check": "frame", "name": name, "columns": columns, "rows": rows,
            "values": {k: encode(v) for k, v in (values or {}).items()}, "tol": tol,
            "message": message, "weight": weight, "fresh_index": fresh_index, "order": order}


def figure(name: str, trace_type: str | None = None, x: list | None = None, y: list | None = None,
           tol: float = 1e-9, message: str = "", weight: float = 1) -> dict:
    """Check a plotly figure's data: its first trace's type (``"bar"``, ``"scatter"``...) and its
    x and y values, in order (numbers within ``tol``, text with case ignored); any left None is
    not checked, and a figure without traces fails. ``message`` replaces the default feedback on
    a wrong type or wrong values::

        figure("by_year", trace_type="bar", x=[2019, 2020, 2021])
    """
    return {"check": "figure", "name": name, "trace_type": trace_type, "x": encode(x), "y": encode(y),
            "tol": tol, "message": message, "weight": weight}


# ---- evaluation --------------------------------------------------------------------------------

@dataclass
class Outcome:
    """The verdict of one check on one student value: ``passed``, and the ``message`` the student
    reads (the feedback on a wrong answer, or what is right). A new check type's evaluator returns
    one, e.g. ``Outcome(False, "`x` should be positive.")``. A question shows each message once and,
    once a variable is missing, of the wrong kind or set by a cell that raised, not the failures
    that follow from that."""

    passed: bool
    message: str


def _describe(v: Any) -> str:
    if v is MISSING:
        return "not defined"
    if v is None:
        return "None"
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


def _decimals_text(n: int) -> str:
    return "a whole number" if n == 0 else f"{n} decimal{'s' if n > 1 else ''}"


def _accept_tol(check: dict, expected: float) -> float:
    """The absolute tolerance of a number check: its ``tol``, ``rel`` and ``decimals`` together."""
    half_unit = 0.5 * 10 ** -check["decimals"] if check.get("decimals") is not None else 0
    return max(check["tol"], check["rel"] * abs(expected), half_unit)


def _close(got: Any, target: float, atol: float) -> bool:
    if not _is_number(got) or (isinstance(got, float) and not math.isfinite(got)):
        return False
    return abs(got - target) <= atol * (1 + 1e-9) + 1e-12 if atol else got == target


def _wanted_decimals(check: dict) -> int | None:
    """The decimals a number question asks for (from ``decimals``, else from its ``tol``)."""
    if check.get("decimals") is not None:
        return check["decimals"]
    if check["tol"]:
        return max(0, math.ceil(-math.log10(check["tol"]) - 1e-9))
    return None


def _roundings(v: float, wanted: int) -> set[float]:
    """``v`` rounded to fewer decimals than ``wanted`` (half up and half to even), zero left out."""
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

    return {float(Decimal(repr(v)).quantize(Decimal(1).scaleb(-k), rounding=mode))
            for k in range(wanted) for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN)} - {0.0}


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
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(_same(g, e, tol, rel, ignore_case) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(got) == set(expected)
                and all(_same(got[k], expected[k], tol, rel, ignore_case) for k in expected))
    return type(got) is type(expected) and got == expected


def _not_defined(name: str) -> Outcome:
    return Outcome(False, f"I could not find a variable named `{name}`. Did you delete or rename it, "
                          f"or skip the cell that defines it? Run that cell and check again.")


def _raised(name: str, got: Raised) -> Outcome:
    return Outcome(False, f"The cell that sets `{name}` stopped with an error ({got.error}). "
                          f"Fix it, run it again, then check.")


def evaluate(check: dict, values: dict) -> Outcome:
    """Judge one check against the student's exported values. Never raises on a student's value."""
    got = values.get(check["name"], MISSING)
    if got is MISSING:
        return _not_defined(check["name"])
    if isinstance(got, Raised):
        return _raised(check["name"], got)
    try:
        return CHECKS[check["check"]][1](check, got)
    except Exception as err:  # a value shaped in a way no check foresaw: fail kindly
        return Outcome(False, f"`{check['name']}` could not be checked ({type(err).__name__}); "
                              f"it is {_describe(got)}.")


def _eval_kind(check: dict, got: Any) -> Outcome:
    import pandas as pd

    tests = {
        "number": _is_number(got), "integer": isinstance(got, int) and not isinstance(got, bool),
        "string": isinstance(got, str), "list": isinstance(got, list),
        "set": isinstance(got, set), "dataframe": isinstance(got, pd.DataFrame),
        "figure": isinstance(got, Figure), "bool": isinstance(got, bool),
    }
    label = KINDS[check["expected"]]
    if tests[check["expected"]]:
        return Outcome(True, f"`{check['name']}` is {label}.")
    hint = check["message"] or f"`{check['name']}` should be {label}"
    return Outcome(False, f"{hint} (it is {_describe(got)}).")


def _eval_value(check: dict, got: Any) -> Outcome:
    expected = decode(check["expected"])
    name = check["name"]
    if _is_number(expected):
        atol = _accept_tol(check, expected)
        if _close(got, expected, atol):
            return Outcome(True, f"`{name}` is right.")
        rel_w = atol / abs(expected) if expected else 0
        for wrong, feedback in check["wrong"]:
            w = decode(wrong)
            w_tol = (abs(w) * rel_w if expected else atol) if _is_number(w) else 0
            if _close(got, w, w_tol) if _is_number(w) else _same(got, w, 0, 0, check["ignore_case"]):
                return Outcome(False, feedback)
        wanted = _wanted_decimals(check)
        if wanted and _is_number(got) and got and any(_close(got, r, 1e-9 * max(1, abs(expected)))
                                                      for r in _roundings(expected, wanted)):
            return Outcome(False, f"`{name}` = {got:g} is right, but rounded too far: keep {_decimals_text(wanted)} "
                                  f"(or do not round at all).")
        for mistake, feedback in check.get("mistakes", []):
            compute, carry, default = MISTAKES[mistake]
            if _close(got, compute(expected), carry(atol)):
                return Outcome(False, (feedback or default).format(name=name))
    else:
        if _same(got, expected, check["tol"], check["rel"], check["ignore_case"]):
            return Outcome(True, f"`{name}` is right.")
        for wrong, feedback in check["wrong"]:
            if _same(got, decode(wrong), check["tol"], check["rel"], check["ignore_case"]):
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
        return Outcome(True, f"`{check['name']}` is one of the options.")
    return Outcome(False, f"`{check['name']}` should be one of {', '.join(map(repr, check['options']))} "
                          f"(it is {_describe(got)}).")


NON_ANSWER = re.compile(r"\b(i|we)\s+(do\s*n[o']?t|don't|dont|really\s+don't)\s+know\b|\bidk\b|\bno\s+(idea|clue)\b"
                        r"|\bnot\s+sure\b|\bdunno\b|\bno\s+answer\b|your answer here", re.I)


def is_attempt(got: Any, min_words: int) -> tuple[bool, str]:
    """Whether a text is a real attempt, and what to say if not."""
    if not isinstance(got, str) or not got.strip():
        return False, "is empty: write your answer first"
    if NON_ANSWER.search(got):
        return False, "does not try an answer yet: write what you think, even if unsure"
    words = len(re.findall(r"\w+", got))
    if words < min_words:
        return False, f"is {words} word{'s' * (words != 1)}: write a full sentence or two (at least {min_words} words)"
    return True, "is written"


def _eval_attempt(check: dict, got: Any) -> Outcome:
    if not isinstance(got, str):
        return Outcome(False, f"`{check['name']}` should be a text (it is {_describe(got)}).")
    ok, why = is_attempt(got, check["min_words"])
    return Outcome(ok, f"`{check['name']}` {why}.")


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
    expected = {column: decode(v) for column, v in check["values"].items()}
    for column in expected:
        if column not in got.columns:
            return Outcome(False, f"`{name}` has no column {column!r}.")
    wrong = [c for c, v in expected.items() if not _same(list(got[c]), v, check["tol"], 0, True)]
    if wrong:
        got_rows = sorted(map(list, zip(*[list(got[c]) for c in expected])), key=repr)
        want_rows = sorted(map(list, zip(*expected.values())), key=repr)
        if len(got_rows) == len(want_rows) and _same_rows(got_rows, want_rows, check["tol"]):
            return Outcome(False, check.get("order") or f"`{name}` has the right rows, but not in the order the "
                                                        f"question asks for: sort them as it says.")
        return Outcome(False, check["message"] or f"The values in column {wrong[0]!r} of `{name}` are not right yet.")
    if check.get("fresh_index") and list(got.index) != list(range(len(got))):
        return Outcome(False, f"`{name}` has the right rows in the right order, but keeps the old index: give it a "
                              f"fresh one (0, 1, 2...) with .reset_index(drop=True), as the question asks.")
    return Outcome(True, f"`{name}` has the right shape and values.")


def _same_rows(got_rows: list, want_rows: list, tol: float) -> bool:
    """The same rows in any order (each matched once), values within ``tol``."""
    left = list(got_rows)
    for row in want_rows:
        match = next((i for i, g in enumerate(left) if _same(g, row, tol, 0, True)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def _eval_figure(check: dict, got: Any) -> Outcome:
    name = check["name"]
    if not isinstance(got, Figure) or not got.traces:
        return Outcome(False, f"`{name}` should be a plotly figure with data (it is {_describe(got)}).")
    trace = got.traces[0]
    if check["trace_type"] and trace["type"] != check["trace_type"]:
        return Outcome(False, check["message"] or f"`{name}` should be a {check['trace_type']} chart "
                                                  f"(it is a {trace['type']} chart).")
    for axis in ("x", "y"):
        expected = decode(check[axis])
        if expected is not None and not _same(list(trace[axis]), expected, check["tol"], 0, True):
            return Outcome(False, check["message"] or f"The {axis} values of `{name}` are not the ones asked for.")
    return Outcome(True, f"`{name}` shows the right data.")


# ---- the registry: one entry per check type ---------------------------------------------------
# A new check type is a constructor, an evaluator and one line here.

CHECKS: dict[str, tuple[Callable[..., dict], Callable[[dict, Any], Outcome]]] = {
    "kind": (kind, _eval_kind),
    "value": (value, _eval_value),
    "choice": (choice, _eval_choice),
    "one_of": (one_of, _eval_one_of),
    "attempt": (attempt, _eval_attempt),
    "text": (text, _eval_text),
    "frame": (frame, _eval_frame),
    "figure": (figure, _eval_figure),
}
RELEASE_ONLY = {"one_of"}  # written by the classroom release, not by instructors
DSL = {name: make for name, (make, _) in CHECKS.items() if name not in RELEASE_ONLY}

__all__ = [*DSL, "CHECKS", "MISTAKES", "Question", "QuestionResult", "evaluate", "grade_question", "run_tests_cell"]


def run_tests_cell(code: str, questions: list[Question], filename: str = "<TESTS cell>") -> None:
    """Run the code of one ``# TESTS`` cell with ``question`` and the check constructors in scope
    (and nothing else), appending the questions it declares; a name declared twice is refused."""
    def question(name: str, points: float, **kwargs) -> None:
        """Declare question ``name`` worth ``points``. Keywords: ``prompt`` (what it asks, in
        short), ``public`` (checks a learner's ``check()`` runs in any release) and ``hidden``
        (checks run at grading, and sealed in a self-paced copy), or ``manual=True`` with a
        ``rubric`` for a question the instructor marks. ValueError if ``name`` is declared twice::

            question("q1", points=2, public=[kind("peak_year", "integer")],
                     hidden=[value("peak_year", 2009)])
        """
        if any(q.name == name for q in questions):
            raise ValueError(f"question {name!r} is declared twice")
        questions.append(Question(name=name, points=points, **kwargs))

    exec(compile(code, filename, "exec"), {"question": question, **DSL})


@dataclass
class QuestionResult:
    """A question's score with one (passed, message) line per check that ran."""

    name: str
    score: float
    max_score: float
    messages: list[tuple[bool, str]]
    manual: bool = False
    hidden_run: bool = True
    unchecked: int = 0  # checks this copy could not run (a classroom release's hidden checks)


def _readable(outcomes: list[tuple[dict, Outcome]], values: dict) -> list[tuple[bool, str]]:
    """The messages a student reads: each once, and once a variable is missing, raised or of the
    wrong kind, not the further failures that only follow from that."""
    shown, seen, blocked = [], set(), set()
    for check, o in outcomes:
        name = check["name"]
        if not o.passed and name in blocked:
            continue
        if not o.passed and (check["check"] == "kind" or values.get(name, MISSING) is MISSING
                             or isinstance(values.get(name), Raised)):
            blocked.add(name)
        if o.message and (o.passed, o.message) not in seen:
            seen.add((o.passed, o.message))
            shown.append((o.passed, o.message))
    return shown


def grade_question(q: Question, values: dict, include_hidden: bool = True) -> QuestionResult:
    """Score ``q`` on a student's decoded ``values``: its points times the weight of the checks
    passed over the weight of all its checks (each ``weight`` defaults to 1), rounded to 4
    decimals, with the messages to show. ``include_hidden=False`` (a learner's ``check()`` outside
    the source notebook) runs the public checks only and counts the rest, with those the release
    withheld, as ``unchecked``. A manual question scores 0 with its rubric until the instructor's
    mark replaces it (``marks.py``)."""
    if q.manual:
        return QuestionResult(q.name, 0.0, q.points, [(False, "Marked by your instructor: " + q.rubric)],
                              manual=True, hidden_run=include_hidden)
    checks = q.public + (q.hidden if include_hidden else [])
    outcomes = [(c, evaluate(c, values)) for c in checks]
    total = sum(c["weight"] for c in checks) or 1
    earned = sum(c["weight"] for c, o in outcomes if o.passed)
    return QuestionResult(q.name, round(q.points * earned / total, 4), q.points, _readable(outcomes, values),
                          hidden_run=include_hidden, unchecked=q.n_hidden + (0 if include_hidden else len(q.hidden)))
