"""Command line for instructors: release an exercise set, grade a folder of submissions."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .instructor import (
    INSTRUCTOR_COMMANDS,
    add_instructor_commands,
    finish_grading,
    prepare_grading,
    release_sources,
)
from .sandbox import Limits


def form_weights(source: Path) -> list[str]:
    """A line per question where checking the answer's form alone earns points (a ``kind`` check
    with a weight beside a value check), so the instructor sees what a wrong value still earns."""
    from .notebook import load_questions

    lines = []
    for q in load_questions(source):
        checks = q.public + q.hidden
        form = sum(c["weight"] for c in checks if c["check"] == "kind")
        total = sum(c["weight"] for c in checks)
        if form and total > form:
            lines.append(f"{q.name}: the right form with a wrong value earns {q.points * form / total:g} of "
                         f"{q.points:g} points (give the kind check weight=0 to make it a gate)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m after_stalinism.grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="write the student notebook and public checks")
    rel.add_argument("source", type=Path, nargs="?", help="a source notebook (or, with --all, a folder of them)")
    rel.add_argument("--all", action="store_true", help="release every set in instructor/exercises (or in SOURCE)")
    rel.add_argument("--out", type=Path, default=Path("exercises"))
    rel.add_argument("--classroom", action="store_true",
                     help="for a graded class: keep multiple-choice answers out of the public checks")
    grd = sub.add_parser("grade", help="grade every submission in a folder")
    grd.add_argument("source", type=Path)
    grd.add_argument("submissions", type=Path)
    grd.add_argument("--out", type=Path, default=Path("grading-output"))
    grd.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    grd.add_argument("--timeout", type=float, default=Limits().timeout, help="seconds per submission")
    grd.add_argument("--cell-timeout", type=float, default=Limits().cell_timeout, help="seconds per code cell")
    grd.add_argument("--memory-mb", type=int, default=Limits().memory_mb, help="memory cap per submission")
    add_instructor_commands(sub, grd)
    grd.add_argument("--no-sandbox", action="store_true",
                     help="grade even where student code cannot be isolated (rows marked 'unisolated')")
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # names and messages from students: never a crash on printing
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if args.command in INSTRUCTOR_COMMANDS:
        return INSTRUCTOR_COMMANDS[args.command](args)

    if args.command == "release":
        from .notebook import ReleaseError, release

        sources = release_sources(args.source, args.all)
        if not sources:
            print("no source notebooks to release (give SOURCE, or --all)", file=sys.stderr)
            return 2
        for source in sources:
            try:
                notebook, checks = release(source, args.out, classroom=args.classroom)
            except ReleaseError as err:
                print(f"not released: {err}", file=sys.stderr)
                return 2
            print(f"wrote {notebook} and {checks}")
            for line in form_weights(source):
                print(f"  {line}")
        return 0

    from .grade import grade_folder
    from .results import Status
    from .sandbox import SandboxUnavailable

    if not args.submissions.is_dir():
        print(f"no such folder: {args.submissions}", file=sys.stderr)
        return 2
    prepared = prepare_grading(args)
    if prepared is None:
        return 2
    start = time.perf_counter()
    try:
        limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory_mb)
        book = grade_folder(args.source, args.submissions, args.out, limits=limits, jobs=args.jobs,
                            sandbox=not args.no_sandbox)
    except SandboxUnavailable as err:
        print(err, file=sys.stderr)
        return 3
    entries = len(book)
    ignored = int((book["status"] == Status.IGNORED).sum())
    print(f"graded {entries - ignored} submissions in {time.perf_counter() - start:.1f} s"
          + (f" ({ignored} other entr{'y' if ignored == 1 else 'ies'} ignored)" if ignored else "")
          + f" -> {args.out / 'gradebook.csv'}")
    problems = book[book["status"] != Status.OK]
    if len(problems):
        print(f"{len(problems)} entr{'y' if len(problems) == 1 else 'ies'} not graded in full (status: reason):")
    for _, row in problems.iterrows():
        print(f"  {row['student']}: {row['status']}: {row['reason']}")
    finish_grading(args, book, prepared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
