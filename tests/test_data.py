"""The data package: valid by the Frictionless standard, typed on load, and clear about damage."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Package

import after_stalinism as course
from after_stalinism.course import data as course_data
from after_stalinism.course.data import DataError, resource, table_names

DATA = Path(course_data.DATA_DIR)


def test_datapackage_is_valid_frictionless():
    report = Package(str(DATA / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_every_csv_is_described_and_every_table_exists():
    described = {resource(n)["path"] for n in table_names()}
    assert described == {p.name for p in DATA.glob("*.csv")}


@pytest.mark.parametrize("name", table_names(DATA))
def test_every_table_names_sources_certainty_and_a_source_per_row(name):
    meta = resource(name)
    assert meta.get("sources") and meta.get("certainty")
    frame = course.load(name)
    assert len(frame) > 0
    assert frame["source"].notna().all() and (frame["source"].str.len() > 3).all()


def test_columns_are_typed_from_the_descriptor():
    markets = course.load("official_markets")
    assert str(markets["count"].dtype) == "Int64"
    assert str(markets["approximate"].dtype) == "boolean"
    assert markets["year"].isna().sum() == 3  # three counts whose date was not shown
    rice = course.load("rice_prices")
    assert str(rice["rice_won_per_kg"].dtype) == "Float64"
    assert set(rice["currency_unit"]) == {"old won", "new won"}
    assert course.load("defector_arrivals").attrs["certainty"].startswith("arrivals_latest")


def test_known_values_survive_loading():
    arrivals = course.load("defector_arrivals")
    annual = arrivals[arrivals["row_type"] == "annual"].set_index("year")
    assert annual.loc[2009, "arrivals_latest_vintage_seen"] == 2914
    assert annual.loc[2001, "arrivals_latest_vintage_seen"] == 583
    # The consistent series reproduces the seen cumulative total at the end of 2025.
    cumulative_1998 = arrivals[arrivals["row_type"] == "cumulative_through_1998"]["consistent_series"].iloc[0]
    total = cumulative_1998 + annual.loc[1999:2025, "consistent_series"].sum()
    assert total == 34537


@pytest.fixture
def data_copy(tmp_path):
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest)
    course_data._descriptor.cache_clear()
    yield dest
    course_data._descriptor.cache_clear()


def edit_line(path: Path, number: int, old: str, new: str) -> None:
    """Replace ``old`` with ``new`` on line ``number`` (0 = header) of a copied CSV."""
    lines = path.read_text().splitlines()
    assert old in lines[number]
    lines[number] = lines[number].replace(old, new)
    path.write_text("\n".join(lines) + "\n")


def test_missing_file_names_the_file(data_copy):
    (data_copy / "rice_prices.csv").unlink()
    with pytest.raises(DataError, match=r"rice_prices\.csv.*missing"):
        course.load("rice_prices", data_copy)


def test_bad_value_names_file_row_and_field(data_copy):
    edit_line(data_copy / "official_markets.csv", 3, ",396,", ",about 396,")
    message = r"official_markets\.csv: row 4, field 'count': 'about 396' is not a valid integer"
    with pytest.raises(DataError, match=message):
        course.load("official_markets", data_copy)


def test_value_outside_enum_or_required_is_refused(data_copy):
    path = data_copy / "rice_prices.csv"
    path.write_text(path.read_text().replace(",old won,", ",OLD WON,", 1))
    with pytest.raises(DataError, match=r"row 2, field 'currency_unit'.*not one of"):
        course.load("rice_prices", data_copy)
    timeline = data_copy / "timeline.csv"
    assert timeline.read_text().splitlines()[0].split(",")[-2] == "source"
    edit_line(timeline, 1, "Wilson Center Digital Archive, Modern Korean History Portal timeline", "")
    with pytest.raises(DataError, match=r"timeline\.csv: row 2, field 'source': value is required"):
        course.load("timeline", data_copy)


@pytest.mark.parametrize("row, message", [
    ("1989,annual,71,", "field 'year': '1989' is below the minimum 1990"),
    ("2031,annual,71,", "field 'year': '2031' is above the maximum 2030"),
    ("1998,annual,-71,", "field 'arrivals_latest_vintage_seen': '-71' is below the minimum 0"),
])
def test_value_outside_its_range_is_refused(data_copy, row, message):
    edit_line(data_copy / "defector_arrivals.csv", 2, "1998,annual,71,", row)
    with pytest.raises(DataError, match=r"defector_arrivals\.csv: row 3, " + re.escape(message)):
        course.load("defector_arrivals", data_copy)


def test_a_boolean_that_is_not_one_is_refused(data_copy):
    edit_line(data_copy / "income_shares.csv", 1, ",78,false,", ",78,no,")
    message = r"income_shares\.csv: row 2, field 'at_least': 'no' is not a valid boolean"
    with pytest.raises(DataError, match=message):
        course.load("income_shares", data_copy)


def test_changed_columns_are_refused(data_copy):
    path = data_copy / "timeline.csv"
    text = path.read_text()
    path.write_text(text.replace("certainty,", "confidence,", 1))
    with pytest.raises(DataError, match=r"timeline\.csv: columns do not match.*certainty.*confidence"):
        course.load("timeline", data_copy)


def test_unknown_table_lists_the_known_ones():
    with pytest.raises(DataError, match="tables: defector_arrivals"):
        course.load("famine_deaths")


def test_rice_unit_conversion_handles_the_redenomination():
    from after_stalinism.course.charts import rice_prices_in
    new = rice_prices_in("new won").set_index("date_as_reported")
    old = rice_prices_in("old won").set_index("date_as_reported")
    assert new.loc["2008-03-30", "price"] == pytest.approx(20.5)     # 2,050 old won
    assert old.loc["2010-02-05", "price"] == pytest.approx(24_000)   # 240 new won
    assert old.loc["2002-07", "price"] == pytest.approx(44)
    with pytest.raises(ValueError, match="unit must be"):
        rice_prices_in("dollars")
    assert isinstance(new, pd.DataFrame)
