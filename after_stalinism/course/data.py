"""Loading the course's data tables as typed pandas DataFrames.

``data/datapackage.json`` (a Frictionless Data Package) is the one description of every table: its
fields, types, units, sources and how certain it is. ``load("rice_prices")`` reads a table and types
each column from that descriptor. A missing file, a missing column or a value that does not fit its
field raises ``DataError`` naming the file, the row and the field, so a lesson never draws a chart
from silently damaged data. (The tests also validate the whole package with the ``frictionless``
library itself.)

The tables are read from ``_modes.data_dir()``: the course's ``data/`` folder (in the checkout, or the
copy an installed wheel carries), or the folder named by ``AFTER_STALINISM_DATA``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd

from .._modes import data_dir as _default_data_dir

_PANDAS_TYPES = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "string": "string"}
_TRUE, _FALSE = {"true", "True", "TRUE", "1"}, {"false", "False", "FALSE", "0"}


class DataError(ValueError):
    """A course data file is missing or does not match its description in datapackage.json."""


def __getattr__(name: str):
    # ``data.DATA_DIR`` is looked up when asked for, so AFTER_STALINISM_DATA set after import counts.
    if name == "DATA_DIR":
        return _default_data_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _descriptor(data_dir: Path) -> dict:
    path = data_dir / "datapackage.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: the data descriptor is missing") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from None


def resource(name: str, data_dir: Path | None = None) -> dict:
    """The descriptor of one table: title, sources, certainty and field schema."""
    data_dir = Path(data_dir or _default_data_dir())
    resources = {r["name"]: r for r in _descriptor(data_dir)["resources"]}
    if name not in resources:
        raise DataError(f"no table named {name!r} in {data_dir / 'datapackage.json'}; "
                        f"tables: {', '.join(sorted(resources))}")
    return resources[name]


def table_names(data_dir: Path | None = None) -> list[str]:
    """The names of every table the descriptor lists, in its order."""
    return [r["name"] for r in _descriptor(Path(data_dir or _default_data_dir()))["resources"]]


def _convert(value: str, field: dict):
    kind = field.get("type", "string")
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError("not a boolean")
    return value


def _typed_column(field: dict, cells: Iterable[str], path: Path) -> pd.api.extensions.ExtensionArray:
    """The ``cells`` of one column (strings, row 2 first) typed as ``field`` says; an empty one is ``pd.NA``.

    A value that does not fit the field's type or constraints raises ``DataError`` naming the file
    (``path``), the row and the field.
    """
    constraints = field.get("constraints", {})
    values = []
    for row_number, cell in enumerate(cells, start=2):  # row 1 is the header
        where = f"{path}: row {row_number}, field {field['name']!r}"
        if cell == "":
            if constraints.get("required"):
                raise DataError(f"{where}: value is required but empty")
            values.append(pd.NA)
            continue
        try:
            value = _convert(cell, field)
        except ValueError:
            raise DataError(f"{where}: {cell!r} is not a valid {field.get('type')}") from None
        if "enum" in constraints and value not in constraints["enum"]:
            raise DataError(f"{where}: {cell!r} is not one of {constraints['enum']}")
        if "minimum" in constraints and value < constraints["minimum"]:
            raise DataError(f"{where}: {cell!r} is below the minimum {constraints['minimum']}")
        if "maximum" in constraints and value > constraints["maximum"]:
            raise DataError(f"{where}: {cell!r} is above the maximum {constraints['maximum']}")
        values.append(value)
    return pd.array(values, dtype=_PANDAS_TYPES.get(field.get("type"), "string"))


def load(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Read table ``name`` with every column typed as its descriptor says.

    Empty cells become missing values (``pd.NA``). The DataFrame's ``attrs`` carry the table's
    title, sources and certainty note, so a chart can cite what it shows.
    """
    data_dir = Path(data_dir or _default_data_dir())
    res = resource(name, data_dir)
    path = data_dir / res["path"]
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: data file for table {name!r} is missing") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as UTF-8 CSV ({err})") from None

    fields = res["schema"]["fields"]
    expected = [f["name"] for f in fields]
    if list(raw.columns) != expected:
        missing = [c for c in expected if c not in raw.columns]
        extra = [c for c in raw.columns if c not in expected]
        raise DataError(f"{path}: columns do not match datapackage.json "
                        f"(missing: {missing or 'none'}; unexpected: {extra or 'none'})")

    frame = pd.DataFrame({field["name"]: _typed_column(field, raw[field["name"]], path) for field in fields})
    frame.attrs.update({k: res.get(k) for k in ("title", "sources", "certainty", "description")})
    return frame


def citation(name: str, data_dir: Path | None = None) -> str:
    """A one-line source note for a chart built from table ``name``."""
    res = resource(name, data_dir)
    sources = "; ".join(s["title"] for s in res.get("sources", []))
    return f"Source: {sources}. Certainty: {res.get('certainty', 'not stated')}"
