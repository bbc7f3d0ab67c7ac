"""What ``grade`` writes for the instructor beside the gradebook: the marking sheet and the report.

These pages help the instructor read the results; a failure while writing them is reported and
never loses the grades already written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .checks import Question

if TYPE_CHECKING:
    from .batch import StudentResult, Submission


def write_instructor_views(source: Path, subs: list[Submission], results: list[StudentResult],
                           questions: list[Question], out: Path) -> None:
    from .marking_sheet import write_marking_sheet
    from .report import write_report

    for name, write in (("marking sheet", lambda: write_marking_sheet(source, subs, results, questions, out)),
                        ("report", lambda: write_report(results, questions, out, Path(source).stem))):
        try:
            write()
        except Exception as err:  # a page that cannot be drawn must not cost the grades
            print(f"warning: the {name} could not be written ({type(err).__name__}: {err}); "
                  f"the gradebook and feedback are complete", file=sys.stderr)
