"""Gradebook files a learning platform imports, and a roster to match submissions to students.

``grade`` writes into ``OUT/lms/``:

* ``canvas.csv``: Canvas's gradebook import format: the columns ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column named after the assignment; the
  second row is ``Points Possible`` (as in a gradebook Canvas exports). Canvas identifies students
  by ``ID`` (or ``SIS User ID``); a new column name creates the assignment.
* ``grades.csv``: a generic file for Moodle, Blackboard, Brightspace or a spreadsheet:
  ``student_id``, ``name``, ``email``, ``section``, ``submission``, ``score``,
  ``points_possible``, ``percent``, ``status``; map ``student_id`` (or ``email``) to the
  platform's identifier when importing.

An optional roster (``grade --roster roster.csv``) names each submission's student::

    submission,id,name,sis_user_id,sis_login_id,section,email
    alice_w,1042,"Wong, Alice",S1042,awong,Seminar A,awong@example.edu

``submission`` (the student's folder or notebook name in the submissions folder) and ``id`` are
required; the rest are optional. Without a roster, each submission name stands in as the student's
name and login ID.
Submissions not on the roster and roster students with no submission are listed in
``roster_check.txt`` and on the console; absent students get an empty score (not a zero) so the
import never overwrites a grade given some other way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .results import Status, csv_cell, safe_name

ROSTER_COLUMNS = ["submission", "id", "name", "sis_user_id", "sis_login_id", "section", "email"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
GENERIC_COLUMNS = ["student_id", "name", "email", "section", "submission", "score", "points_possible",
                   "percent", "status"]


class RosterError(ValueError):
    """A roster file the grader cannot use."""


@dataclass
class RosterCheck:
    """How the submissions and the roster fail to match (both lists empty: every one matches)."""

    unknown: list[str] = field(default_factory=list)   # submissions nobody on the roster made
    missing: list[str] = field(default_factory=list)   # roster students with no submission

    def lines(self) -> list[str]:
        """One line per kind of mismatch, naming the students, for ``roster_check.txt`` and the
        console; none when everything matches."""
        out = []
        if self.unknown:
            out.append(f"{len(self.unknown)} submission(s) not on the roster (left out of canvas.csv): "
                       + ", ".join(self.unknown))
        if self.missing:
            out.append(f"{len(self.missing)} student(s) on the roster with no submission (empty score): "
                       + ", ".join(self.missing))
        return out


def read_roster(path: Path) -> list[dict[str, str]]:
    """The roster's rows (keys: ROSTER_COLUMNS); RosterError naming the problem if unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise RosterError(f"{path}: the roster could not be read ({err})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "submission" not in header or "id" not in header:
        raise RosterError(f"{path}: a roster needs the columns submission and id "
                          f"(optional: {', '.join(ROSTER_COLUMNS[2:])}); it has {', '.join(header) or 'none'}")
    reader.fieldnames = header
    rows, seen, problems = [], {}, []
    for raw in reader:
        line = reader.line_num
        row = {c: (raw.get(c) or "").strip() for c in ROSTER_COLUMNS}
        row["submission"] = safe_name(row["submission"])  # as the gradebook names it
        if not any(row.values()):
            continue
        if not row["submission"] or not row["id"]:
            problems.append(f"{path}, line {line}: both submission and id are needed")
        elif row["submission"] in seen:
            problems.append(f"{path}, line {line}: submission {row['submission']!r} "
                            f"is already on line {seen[row['submission']]}")
        else:
            seen[row["submission"]] = line
            rows.append(row)
    if problems:
        raise RosterError("The roster was refused:\n" + "\n".join(f"  {p}" for p in problems))
    return rows


def write_lms_exports(book: pd.DataFrame, out: Path, assignment: str,
                      roster: list[dict[str, str]] | None = None) -> RosterCheck:
    """Write OUT/lms/canvas.csv, grades.csv and roster_check.txt from the gradebook ``book``."""
    folder = Path(out) / "lms"
    folder.mkdir(parents=True, exist_ok=True)
    scores = {str(row["student"]): row for _, row in book.iterrows() if row["status"] != Status.IGNORED}
    ignored = [str(row["student"]) for _, row in book.iterrows() if row["status"] == Status.IGNORED]
    possible = float(book["max"].iloc[0]) if len(book) else 0.0
    if roster is None:
        roster = [{**dict.fromkeys(ROSTER_COLUMNS, ""), "submission": s, "name": s, "sis_login_id": s} for s in scores]
    check = RosterCheck(unknown=sorted(set(scores) - {r["submission"] for r in roster}),
                        missing=sorted(r["submission"] for r in roster if r["submission"] not in scores))

    canvas = [CANVAS_COLUMNS + [assignment], ["    Points Possible", "", "", "", "", f"{possible:g}"]]
    generic = [GENERIC_COLUMNS]
    for r in roster:
        row = scores.get(r["submission"])
        score = "" if row is None else f"{float(row['total']):g}"
        canvas.append([r["name"] or r["submission"], r["id"], r["sis_user_id"], r["sis_login_id"], r["section"], score])
        percent = "" if row is None or not possible else f"{100 * float(row['total']) / possible:.1f}"
        generic.append([r["id"], r["name"], r["email"], r["section"], r["submission"], score, f"{possible:g}",
                        percent, "missing" if row is None else row["status"]])
    for name in check.unknown:
        row = scores[name]
        generic.append(["", "", "", "", name, f"{float(row['total']):g}", f"{possible:g}",
                        f"{100 * float(row['total']) / possible:.1f}" if possible else "", "not on roster"])
    for filename, rows in (("canvas.csv", canvas), ("grades.csv", generic)):
        with open(folder / filename, "w", newline="", encoding="utf-8", errors="backslashreplace") as handle:
            csv.writer(handle).writerows([[csv_cell(c) for c in row] for row in rows])
    lines = check.lines() or ["Every submission matches a roster student, and every roster student submitted."]
    if ignored:
        lines.append(f"{len(ignored)} entr{'y' if len(ignored) == 1 else 'ies'} of the submissions folder ignored "
                     f"(not submissions, left out of both files): " + ", ".join(ignored))
    refused = [f"{row['student']} ({row['status']})" for _, row in book.iterrows()
               if row["status"] in (Status.REFUSED, Status.DUPLICATE)]
    if refused:
        lines.append(f"{len(refused)} submission(s) refused (score 0 until handed in again; see the gradebook's "
                     f"reason column): " + ", ".join(refused))
    (folder / "roster_check.txt").write_text("\n".join(lines) + "\n", encoding="utf-8", errors="backslashreplace")
    return check
