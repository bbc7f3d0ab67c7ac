"""One registry of lessons (after_stalinism/lessons.py), and the book, the exercises, the data
descriptor and the timeline figure all agree with it."""

from __future__ import annotations

import json

import pytest

from after_stalinism.course import charts
from after_stalinism.course.lessons import LESSONS, WARM_UP, exercise_sets, lesson
from conftest import ROOT, toc_pages


def test_lessons_are_numbered_in_order_and_each_has_its_notebook():
    assert [each.number for each in LESSONS] == list(range(1, len(LESSONS) + 1))
    assert len({each.stem for each in LESSONS}) == len(LESSONS)
    registered = {f"{each.stem}.ipynb" for each in LESSONS}
    assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} == registered


def test_the_book_lists_the_lessons_and_exercise_sets_in_registry_order():
    pages = toc_pages()
    assert [p for p in pages if p.startswith("notebooks/")] == [f"notebooks/{each.stem}" for each in LESSONS]
    sets = [p.removeprefix("exercises/") for p in pages if p.startswith("exercises/") and p != "exercises/index"]
    assert sets == exercise_sets() and sets[0] == WARM_UP


def test_every_exercise_set_has_a_source_a_release_and_public_checks():
    assert sorted(p.stem for p in (ROOT / "instructor" / "exercises").glob("*.ipynb")) == sorted(exercise_sets())
    for stem in exercise_sets():
        assert (ROOT / "exercises" / f"{stem}.ipynb").is_file(), stem
        assert (ROOT / "exercises" / f"{stem}.checks.json").is_file(), stem


def test_data_descriptor_numbers_timeline_events_by_registered_lesson():
    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text())
    (timeline,) = [r for r in descriptor["resources"] if r["name"] == "timeline"]
    (field,) = [f for f in timeline["schema"]["fields"] if f["name"] == "lesson"]
    assert field["constraints"]["minimum"] == 1
    assert field["constraints"]["maximum"] == len(LESSONS)


def test_timeline_figure_labels_its_rows_from_the_registry():
    fig = charts.timeline_figure()
    rows = set(fig.data[0].y)
    labels = {each.label for each in LESSONS}
    assert rows and rows <= labels
    assert list(fig.layout.yaxis.categoryarray)[::-1] == [each.label for each in LESSONS if each.label in rows]


def test_unknown_lesson_number_is_refused_clearly():
    assert lesson(2).stem == "02_second_economy"
    with pytest.raises(ValueError, match=f"lessons are numbered 1-{len(LESSONS)}"):
        lesson(len(LESSONS) + 1)
