"""The instructor's commands beyond release and grade, and what ``grade`` does before and after.

* ``release --all``: every set in ``instructor/exercises``;
* ``grade --marks FILE --roster FILE --assignment NAME``: marks checked (and a roster read) before
  any grading, LMS exports written after;
* ``gradescope SOURCE --out DIR``: ``DIR/autograder.zip`` (see ``gradescope.py``);
* ``links [--hub URL]``: nbgitpuller links for a JupyterHub (see ``links.py``);
* ``student-edition --out DIR [--sets ...] [--repo URL]``: the repository a graded class gets
  (see ``edition.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .sandbox import Limits

DEFAULT_SOURCES = Path("instructor") / "exercises"


def add_instructor_commands(sub, grade: argparse.ArgumentParser) -> None:
    grade.add_argument("--marks", type=Path, help="CSV of hand marks: student, question, points, comment")
    grade.add_argument("--roster", type=Path, help="CSV naming each submission's student: submission, id, ...")
    grade.add_argument("--assignment", help="the assignment's name in the LMS export (default: the set's name)")
    gs = sub.add_parser("gradescope", help="write autograder.zip for Gradescope")
    gs.add_argument("source", type=Path)
    gs.add_argument("--out", type=Path, default=Path("gradescope"))
    gs.add_argument("--timeout", type=float, default=Limits().timeout, help="seconds per submission")
    gs.add_argument("--cell-timeout", type=float, default=Limits().cell_timeout, help="seconds per code cell")
    gs.add_argument("--memory-mb", type=int, default=Limits().memory_mb, help="memory cap per submission")
    gs.add_argument("--no-sandbox", action="store_true",
                    help="grade unisolated where neither namespaces nor Landlock work (hidden tests readable)")
    links = sub.add_parser("links", help="nbgitpuller links that open each set on a JupyterHub")
    links.add_argument("--config", type=Path, default=Path("_config.yml"))
    links.add_argument("--hub", help="the hub's address (default: launch_buttons.jupyterhub_url)")
    links.add_argument("--repo", help="the course repository (default: repository.url)")
    links.add_argument("--branch", help="its branch (default: repository.branch)")
    links.add_argument("--out", type=Path, help="also write the links as a Markdown list to this file")
    ed = sub.add_parser("student-edition", help="write the repository a graded class gets (no solutions, "
                                                "no hidden or sealed checks, only the sets released)")
    ed.add_argument("--out", type=Path, required=True, help="an empty folder, or a previous student edition")
    ed.add_argument("--sets", nargs="+", metavar="SET", help="the sets released to the class (default: all)")
    ed.add_argument("--repo", help="the students' repository address, for _config.yml and nbgitpuller links")
    ed.add_argument("--course", type=Path, default=Path("."), help="the course repository (default: here)")


def release_sources(source: Path | None, all_sets: bool) -> list[Path]:
    if all_sets:
        folder = source if source is not None and source.is_dir() else DEFAULT_SOURCES
        return sorted(folder.glob("*.ipynb"))
    return [source] if source is not None else []


def prepare_grading(args) -> dict | None:
    """Check the marks (given and stored) and read the roster before any grading; None on refusal."""
    from .batch import student_names
    from .export import RosterError, read_roster
    from .marks import MarksError, import_marks, stored_marks
    from .notebook import load_questions

    try:
        roster = read_roster(args.roster) if args.roster else None
        questions = load_questions(args.source)
        students = student_names(args.submissions)
        stored_marks(args.out, questions, students)
        if args.marks:
            given = import_marks(args.marks, questions, students, args.out)
            print(f"{given} marks from {args.marks} merged into {args.out / 'marks.csv'}")
    except (MarksError, RosterError, ValueError, OSError) as err:  # also a missing or broken source
        print(err, file=sys.stderr)
        return None
    return {"roster": roster}


def finish_grading(args, book, prepared: dict) -> None:
    from .export import write_lms_exports

    check = write_lms_exports(book, args.out, args.assignment or args.source.stem, prepared["roster"])
    for line in check.lines():
        print(line)
    for name in ("marking_sheet.html", "report.html", "lms/canvas.csv", "lms/grades.csv"):
        if (args.out / name).exists():
            print(f"wrote {args.out / name}")


def _gradescope(args) -> int:
    from .gradescope import build_bundle
    from .notebook import load_questions

    try:
        limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory_mb)
        bundle = build_bundle(args.source, args.out, limits, sandbox=not args.no_sandbox)
    except (ValueError, OSError) as err:  # a missing or broken source notebook
        print(f"{args.source}: {err}" if isinstance(err, OSError) else err, file=sys.stderr)
        return 2
    questions = load_questions(args.source)
    auto = sum(q.points for q in questions if not q.manual)
    print(f"wrote {bundle}: upload it as the assignment's autograder (Ubuntu 24.04 image), "
          f"with {auto:g} autograder points")
    for q in questions:
        if q.manual:
            print(f"  add {q.name} ({q.points:g} points, marked by hand) to the assignment's outline")
    return 0


def _links(args) -> int:
    from .links import LinksError, holds_solutions, is_placeholder, nbgitpuller_links

    try:
        links = nbgitpuller_links(args.config, hub=args.hub, repo=args.repo, branch=args.branch)
    except (LinksError, OSError) as err:
        print(err, file=sys.stderr)
        return 2
    lines = [f"- [{name}]({url})" for name, url in links.items()]
    print("\n".join(lines))
    repo = args.repo or ""
    if not repo and any(is_placeholder(u) for u in links.values()):
        print(f"note: the repository in {args.config} is a placeholder; set repository.url (or pass --repo)",
              file=sys.stderr)
    if holds_solutions(args.config) and not args.repo:
        print(f"warning: {args.config} is the course repository's, which holds instructor/ (solutions and hidden "
              f"tests) and the self-paced checks: for a graded class, write a student edition "
              f"(student-edition --out DIR --repo URL) and make the links from DIR/_config.yml", file=sys.stderr)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


def _student_edition(args) -> int:
    from .edition import EditionError, student_edition
    from .notebook import ReleaseError

    try:
        sets = student_edition(args.course, args.out, sets=args.sets, repo=args.repo)
    except (EditionError, ReleaseError, OSError) as err:
        print(f"no student edition written: {err}", file=sys.stderr)
        return 2
    print(f"wrote the student edition to {args.out}: lessons, data, book, the course package and the classroom "
          f"release of {', '.join(sets)}; no instructor folder, solutions, hidden or sealed checks")
    print("publish it as the class's repository (a new one: its history must not be the course's), and make "
          "the nbgitpuller links from it: python -m after_stalinism.grading links --config "
          f"{args.out / '_config.yml'}")
    return 0


INSTRUCTOR_COMMANDS = {"gradescope": _gradescope, "links": _links, "student-edition": _student_edition}
