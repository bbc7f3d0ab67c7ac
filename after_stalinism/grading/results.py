"""What grading produces for each student, shared by the batch, the marks, the gradebook, the
report and the marking sheet: the one place these types live, so that the flow runs one way
(grade -> batch -> results -> outputs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .checks import QuestionResult


@dataclass
class Submission:
    """One student's notebook as found in the submissions folder, read or with the reason it cannot be."""

    student: str
    path: Path | None
    problem: str = ""          # why it could not be run, if it could not
    cells: list[str] = field(default_factory=list)
    digest: str = ""


@dataclass
class StudentResult:
    """One student's grading: a status, a result per question and any errors, as the gradebook shows them."""

    student: str
    status: str                # ok | timeout | crashed | grader error | unreadable | no notebook | empty
    questions: list[QuestionResult]
    errors: list[str]
    seconds: float = 0.0
    isolated: bool = False
    values: dict = field(default_factory=dict, repr=False)  # the student's answers, for report and marking sheet

    @property
    def total(self) -> float:
        return round(sum(q.score for q in self.questions), 4)
