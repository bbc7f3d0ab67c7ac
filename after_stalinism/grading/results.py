"""What grading produces for each student, shared by the batch, the marks, the gradebook, the
report and the marking sheet: the one place these types live, so that the flow runs one way
(grade -> batch -> results -> outputs). ``Status`` is what became of each entry, set where it is
decided (reading the entry, running it) and compared as a member, never as a word or a message.
Also the two helpers every output uses on text that came from a student (names, exception
messages, essays): ``safe_name`` and ``clean``."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from .checks import QuestionResult

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Status(StrEnum):
    """What became of one entry of the submissions folder: the gradebook's ``status`` column.

    ``OK`` to ``GRADER_ERROR`` end a run (``RunResult.status``); the others, and a grader error
    while reading, are decided before anything runs (``Submission.status``). A member is its word
    (a ``str``: ``Status.OK == "ok"`` and ``str(Status.OK) == "ok"``), so the gradebook, the results
    files and the report show the word; the code compares members."""

    OK = "ok"                      # the notebook ran to the end
    TIMEOUT = "timeout"            # stopped at the wall-clock limit (the answers set before count)
    CRASHED = "crashed"            # the student's process died: exit(), a signal, the address-space cap
    MEMORY = "memory"              # stopped by the watchdog over all its processes' memory
    GRADER_ERROR = "grader error"  # the grader's own failure, never the student's
    UNREADABLE = "unreadable"      # not a notebook the grader can read (damaged, too large, nested too deep)
    NO_NOTEBOOK = "no notebook"    # no notebook handed in (nothing, or another kind of file)
    EMPTY = "empty"                # a notebook without code
    REFUSED = "refused"            # a link, pipe or device, or a file outside the folder: never opened
    DUPLICATE = "duplicate"        # two entries for one student, refused together
    IGNORED = "ignored"            # system or archive litter, not a submission

    @property
    def keeps_a_run(self) -> bool:
        """Whether a run that ended so is cached: a crash, a memory kill or a grader error is
        run again next time (the machine may have been the cause)."""
        return self not in (Status.CRASHED, Status.MEMORY, Status.GRADER_ERROR)


def clean(text: object) -> str:
    """``text`` as a string any UTF-8 file can hold: lone surrogates (from a student's exception
    message, or JSON escapes in a notebook) become visible ``\\udcxx`` escapes, never a crash."""
    text = text if isinstance(text, str) else str(text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def safe_name(name: str | bytes) -> str:
    """A submission's name as the outputs show it, whatever its bytes: bytes that are not UTF-8
    (a Windows zip's Latin-1 names) and control or invisible characters (a newline, a right-to-left
    mark) become visible escapes such as ``\\xeb`` and ``\\x0a``, so the name stays on one line,
    stays distinct and can be written anywhere."""
    raw = name if isinstance(name, bytes) else os.fsencode(name)
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
                   else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}") for ch in text)


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will not read as a formula: text starting with = + - @ or a tab or
    carriage return gets a leading apostrophe (numbers are left as they are)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START):
        return "'" + value
    return value


@dataclass
class Submission:
    """One entry of the submissions folder, read or with the reason it cannot be.

    ``student`` is the entry's name made safe (``safe_name``), unique in the class; ``entry`` is the
    name as it is on disk (for messages, also made safe). ``status`` is set where the entry is
    found unfit to run (``REFUSED``, ``DUPLICATE``, ``IGNORED``, ``NO_NOTEBOOK``, ``UNREADABLE``,
    ``EMPTY``, ``GRADER_ERROR``), with the reason in ``problem``; None: the run decides."""

    student: str
    path: Path | None
    problem: str = ""          # why it could not be run, if it could not
    cells: list[str] = field(default_factory=list)                       # code cells that run
    notebook: list[tuple[str, str]] = field(default_factory=list, repr=False)  # (cell type, source), every cell
    digest: str = ""
    entry: str = ""            # the folder entry it came from, e.g. "alice/" or "alice.ipynb"
    status: Status | None = None   # decided while reading (else the run decides)
    notes: list[str] = field(default_factory=list)  # what was set aside inside the entry, with why


@dataclass
class StudentResult:
    """One student's grading: a status, a result per question and any errors, as the gradebook shows them.

    ``isolation`` names the technique the class was graded under (the gradebook's ``isolation``
    column, on every row); ``isolated`` says whether this student's code ran isolated (False when
    it did not run at all)."""

    student: str
    status: Status
    questions: list[QuestionResult]
    errors: list[str]
    seconds: float = 0.0
    isolated: bool = False
    values: dict = field(default_factory=dict, repr=False)  # the student's answers, for report and marking sheet
    isolation: str = ""

    @property
    def total(self) -> float:
        """The sum of the question scores."""
        return round(sum(q.score for q in self.questions), 4)
