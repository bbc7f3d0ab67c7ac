"""What grading produces for each student, shared by the batch, the marks, the gradebook, the
report and the marking sheet: the one place these types live, so that the flow runs one way
(grade -> batch -> results -> outputs). Also the two helpers every output uses on text that came
from a student (names, exception messages, essays): ``safe_name`` and ``clean``."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .checks import QuestionResult

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    name as it is on disk (for messages, also made safe). ``status`` is set when the entry is
    refused before anything runs (``refused``, ``duplicate``, ``ignored``, ``no notebook`` ...)."""

    student: str
    path: Path | None
    problem: str = ""          # why it could not be run, if it could not
    cells: list[str] = field(default_factory=list)                       # code cells that run
    notebook: list[tuple[str, str]] = field(default_factory=list, repr=False)  # (cell type, source), every cell
    digest: str = ""
    entry: str = ""            # the folder entry it came from, e.g. "alice/" or "alice.ipynb"
    status: str = ""           # a status decided while reading (else the run decides)
    notes: list[str] = field(default_factory=list)  # what was set aside inside the entry, with why


@dataclass
class StudentResult:
    """One student's grading: a status, a result per question and any errors, as the gradebook shows them."""

    student: str
    status: str                # ok | timeout | crashed | memory | grader error | unreadable | no notebook
    #                            | empty | refused | duplicate | ignored
    questions: list[QuestionResult]
    errors: list[str]
    seconds: float = 0.0
    isolated: bool = False
    values: dict = field(default_factory=dict, repr=False)  # the student's answers, for report and marking sheet

    @property
    def total(self) -> float:
        return round(sum(q.score for q in self.questions), 4)
