"""Turning a student's variables into plain data, and back.

Student code and tests never share a process: the student's process sends the values the
questions ask for as JSON of plain types, and the tests run on that. Nothing executable crosses
over (no pickle), so an object with a rigged ``__eq__`` arrives as a description of itself, not as
something that can say "I am right". The learner's own ``check()`` goes through the same
conversion, so it judges exactly as the batch grader does.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_ITEMS = 100_000  # elements per list/frame exported; more than any question needs


class Missing:
    """The variable was not defined in the student's notebook."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = Missing()


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-able description of ``value``; unsupported objects become {"$type": name}."""
    import numpy as np
    import pandas as pd

    if depth > 20:
        return {"$type": "too deeply nested"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return {"$int": str(int(value))}  # exact, however large
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, (list, tuple)):
        return {"$list": [encode(v, depth + 1) for v in list(value)[:MAX_ITEMS]],
                "$kind": type(value).__name__ if type(value) in (list, tuple) else "list"}
    if isinstance(value, (set, frozenset)):
        items = [encode(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return {"$set": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    if isinstance(value, dict):
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in list(value.items())[:MAX_ITEMS]]}
    if isinstance(value, pd.Series):
        return {"$series": {"name": encode(value.name), "index": encode(list(value.index[:MAX_ITEMS])),
                            "values": encode(list(value.to_numpy(dtype=object)[:MAX_ITEMS]))}}
    if isinstance(value, pd.DataFrame):
        head = value.iloc[:MAX_ITEMS]
        return {"$frame": {"columns": [str(c) for c in head.columns],
                           "index": encode(list(head.index)),
                           "data": {str(c): encode(list(head[c].to_numpy(dtype=object))) for c in head.columns}}}
    if isinstance(value, np.ndarray):
        return encode(value.tolist(), depth)
    if type(value).__module__.startswith("plotly") and hasattr(value, "to_plotly_json"):
        traces = [{"type": t.type, "x": encode(list(t.x) if getattr(t, "x", None) is not None else []),
                   "y": encode(list(t.y) if getattr(t, "y", None) is not None else [])}
                  for t in value.data]
        return {"$figure": traces}
    if value is pd.NA or value is pd.NaT:
        return None
    return {"$type": type(value).__name__}


def decode(data: Any) -> Any:
    """Plain Python (and pandas) values from ``encode``'s output."""
    import pandas as pd

    if not isinstance(data, dict):
        return data
    if "$int" in data:
        return int(data["$int"])
    if "$float" in data:
        return float(data["$float"])
    if "$list" in data:
        items = [decode(v) for v in data["$list"]]
        return tuple(items) if data.get("$kind") == "tuple" else items
    if "$set" in data:
        try:
            return {decode(v) for v in data["$set"]}
        except TypeError:
            return Unsupported("set of unhashable values")
    if "$dict" in data:
        try:
            return {decode(k): decode(v) for k, v in data["$dict"]}
        except TypeError:
            return Unsupported("dict with unhashable keys")
    if "$series" in data:
        s = data["$series"]
        return pd.Series(decode(s["values"]), index=decode(s["index"]), name=decode(s["name"]), dtype=object)
    if "$frame" in data:
        f = data["$frame"]
        return pd.DataFrame({c: decode(f["data"][c]) for c in f["columns"]}, index=decode(f["index"]))
    if "$figure" in data:
        return Figure([{"type": t["type"], "x": decode(t["x"]), "y": decode(t["y"])} for t in data["$figure"]])
    if "$type" in data:
        return Unsupported(data["$type"])
    if "$missing" in data:
        return MISSING
    return Unsupported("dict")


class Unsupported:
    """A value of a type the grader does not compare (its type name is kept for feedback)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<a {self.type_name} object>"


class Raised:
    """The learner's cell that sets the variable stopped with an error (``error`` says which)."""

    def __init__(self, error: str):
        self.error = error

    def __repr__(self) -> str:
        return f"<the cell that sets it raised {self.error}>"


class Figure:
    """The data of a plotly figure: its traces' types, x and y."""

    def __init__(self, traces: list[dict]):
        self.traces = traces

    def __repr__(self) -> str:
        return f"<figure with {len(self.traces)} trace(s)>"


def export(namespace: dict, names: list[str]) -> str:
    """JSON of the named variables in ``namespace`` (missing ones marked as missing)."""
    payload = {}
    for name in names:
        if name not in namespace:
            payload[name] = {"$missing": True}
            continue
        try:
            payload[name] = encode(namespace[name])
        except Exception as err:  # a hostile or broken object: describe it, never crash
            payload[name] = {"$type": f"{type(namespace[name]).__name__} (could not be read: {type(err).__name__})"}
    return json.dumps(payload)


def load_export(text: str) -> dict:
    """The variables ``export`` wrote, decoded: name -> value (``MISSING``, ``Unsupported`` or
    ``Figure`` where the student's value was not plain data)."""
    return {name: decode(value) for name, value in json.loads(text).items()}
