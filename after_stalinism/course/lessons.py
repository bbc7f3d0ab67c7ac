"""The course's lessons, in order: the one list the book, the figures, the data and the tests read.

A lesson is ``notebooks/STEM.ipynb``; its exercise set has the same stem (``instructor/exercises/STEM.ipynb``,
released as ``exercises/STEM.ipynb`` + ``exercises/STEM.checks.json``). ``_toc.yml`` lists the lessons
in this order, ``charts.timeline_figure`` labels its rows from here, and ``timeline.lesson`` in
``data/datapackage.json`` runs from 1 to the number of lessons (``tests/test_lessons.py`` checks all
three). Adding a lesson means adding its files and one line here; CONTRIBUTING.md lists the rest.

Usage::

    from after_stalinism.course.lessons import LESSONS, lesson
    [each.stem for each in LESSONS]  # ['01_stalinism', ..., '06_after_the_sources']
    lesson(2).label                # '2 Second economy' (the timeline's row)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WARM_UP = "00_data_warmup"  # an exercise set on the course data, tied to no lesson


@dataclass(frozen=True)
class Lesson:
    """One lesson: its file stem, title, short name and the model it explores (``None``: no model of its own)."""

    number: int
    stem: str
    title: str
    short: str
    model: str | None

    @property
    def exercise_set(self) -> str:
        """The stem of the lesson's exercise set: the lesson's own stem."""
        return self.stem

    @property
    def label(self) -> str:
        """The lesson as a figure labels it, e.g. ``'1 Stalinism'``."""
        return f"{self.number} {self.short}"


LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "01_stalinism", "What was Stalinism?", "Stalinism", "Bialer scorecard"),
    Lesson(2, "02_second_economy", "The second economy", "Second economy", "dependence"),
    Lesson(3, "03_information_control", "Information control", "Information", "diffusion"),
    Lesson(4, "04_elite_incentives", "Elite incentives", "Elite", "the cadre's choice"),
    Lesson(5, "05_synthesis", "Synthesis", "Synthesis", None),
    # After the synthesis, not before it: lesson 5 closes the argument on the four sources' own
    # ground (they end in 2015); lesson 6 then tests their predictions against 2016-2026.
    Lesson(6, "06_after_the_sources", "After the sources (2016-2026)", "After 2015", "prediction scoring"),
)


def lesson(number: int) -> Lesson:
    """The lesson with this number; a clear error for any other."""
    for found in LESSONS:
        if found.number == number:
            return found
    raise ValueError(f"there is no lesson {number}; lessons are numbered 1-{len(LESSONS)}")


def exercise_sets() -> list[str]:
    """Every exercise set's stem, in the book's order: the warm-up, then one per lesson."""
    return [WARM_UP, *(each.exercise_set for each in LESSONS)]


def toc_pages(root: Path | None = None) -> list[str]:
    """Every document named in the book's ``_toc.yml`` (root first), as paths without extension.

    ``root``: the folder holding ``_toc.yml`` (a checkout; the wheel carries no book), by default
    ``_modes.course_root()``."""
    import yaml

    from .._modes import course_root

    toc = yaml.safe_load((Path(root or course_root()) / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        """Append the files of ``entries`` (a ``_toc.yml`` list) and of their sections, depth first."""
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages
