"""Command line for instructors: release an exercise set, grade a folder of submissions.

The one command line of the grading package: every verb's options are here, and each verb is a
small function (``set_defaults(func=...)``) that calls the module doing the work:

* ``release SOURCE --out DIR [--classroom]`` or ``release --all``: ``notebook.release``;
* ``grade SOURCE SUBMISSIONS --out DIR [--marks FILE] [--roster FILE] [--assignment NAME]``:
  marks checked and a roster read before any grading, LMS exports written after (``grade``);
* ``gradescope SOURCE --out DIR``: ``DIR/autograder.zip`` (``gradescope``);
* ``links [--hub URL]``: nbgitpuller links for a JupyterHub (``links``);
* ``student-edition --out DIR [--sets ...] [--repo URL]``: the repository a graded class gets
  (``edition``).

A verb that refuses raises ``Refused``; ``main`` prints its message and returns its exit code
(2, or 3 where student code cannot be isolated), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .sandbox import Limits

DEFAULT_SOURCES = Path("instructor") / "exercises"


class Refused(Exception):
    """The command will not do what was asked: the message says why, and ``code`` is the exit
    code (2: bad input; 3: student code cannot be isolated here)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


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


def release_sources(source: Path | None, all_sets: bool) -> list[Path]:
    """The source notebooks ``release`` writes: SOURCE, or with ``--all`` every set in SOURCE (a
    folder) or in ``instructor/exercises``."""
    if all_sets:
        folder = source if source is not None and source.is_dir() else DEFAULT_SOURCES
        return sorted(folder.glob("*.ipynb"))
    return [source] if source is not None else []


def release_main(args: argparse.Namespace) -> int:
    """``release``: the student notebook and public checks of each set, and what a right form earns."""
    from .notebook import ReleaseError, release

    sources = release_sources(args.source, args.all)
    if not sources:
        raise Refused("no source notebooks to release (give SOURCE, or --all)")
    for source in sources:
        try:
            notebook, checks = release(source, args.out, classroom=args.classroom)
        except ReleaseError as err:
            raise Refused(f"not released: {err}") from None
        print(f"wrote {notebook} and {checks}")
        for line in form_weights(source):
            print(f"  {line}")
    return 0


def grade_main(args: argparse.Namespace) -> int:
    """``grade``: check the marks and roster, grade the folder, say what was not graded in full,
    write the LMS exports."""
    from .export import RosterError, write_lms_exports
    from .grade import grade_folder, prepare
    from .marks import MarksError
    from .results import Status
    from .sandbox import SandboxUnavailable

    if not args.submissions.is_dir():
        raise Refused(f"no such folder: {args.submissions}")
    try:
        roster = prepare(args.source, args.submissions, args.out, marks=args.marks, roster=args.roster)
    except (MarksError, RosterError, ValueError, OSError) as err:  # also a missing or broken source
        raise Refused(str(err)) from None
    start = time.perf_counter()
    try:
        book = grade_folder(args.source, args.submissions, args.out, limits=_limits(args), jobs=args.jobs,
                            sandbox=not args.no_sandbox)
    except SandboxUnavailable as err:
        raise Refused(str(err), code=3) from None
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
    check = write_lms_exports(book, args.out, args.assignment or args.source.stem, roster)
    for line in check.lines():
        print(line)
    for name in ("marking_sheet.html", "report.html", "lms/canvas.csv", "lms/grades.csv"):
        if (args.out / name).exists():
            print(f"wrote {args.out / name}")
    return 0


def gradescope_main(args: argparse.Namespace) -> int:
    """``gradescope``: the autograder bundle, and what to add to the assignment's outline."""
    from .gradescope import build_bundle
    from .notebook import load_questions

    try:
        bundle = build_bundle(args.source, args.out, _limits(args), sandbox=not args.no_sandbox)
    except (ValueError, OSError) as err:  # a missing or broken source notebook
        raise Refused(f"{args.source}: {err}" if isinstance(err, OSError) else str(err)) from None
    questions = load_questions(args.source)
    auto = sum(q.points for q in questions if not q.manual)
    print(f"wrote {bundle}: upload it as the assignment's autograder (Ubuntu 24.04 image), "
          f"with {auto:g} autograder points")
    for q in questions:
        if q.manual:
            print(f"  add {q.name} ({q.points:g} points, marked by hand) to the assignment's outline")
    return 0


def links_main(args: argparse.Namespace) -> int:
    """``links``: an nbgitpuller link per set, with a warning when they would open this repository."""
    from .links import LinksError, holds_solutions, is_placeholder, nbgitpuller_links

    try:
        links = nbgitpuller_links(args.config, hub=args.hub, repo=args.repo, branch=args.branch)
    except (LinksError, OSError) as err:
        raise Refused(str(err)) from None
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


def student_edition_main(args: argparse.Namespace) -> int:
    """``student-edition``: the repository a graded class gets, and how to publish it."""
    from .edition import EditionError, student_edition
    from .notebook import ReleaseError

    try:
        sets = student_edition(args.course, args.out, sets=args.sets, repo=args.repo)
    except (EditionError, ReleaseError, OSError) as err:
        raise Refused(f"no student edition written: {err}") from None
    print(f"wrote the student edition to {args.out}: lessons, data, book, the course package and the classroom "
          f"release of {', '.join(sets)}; no instructor folder, solutions, hidden or sealed checks")
    print("publish it as the class's repository (a new one: its history must not be the course's), and make "
          "the nbgitpuller links from it: python -m after_stalinism.grading links --config "
          f"{args.out / '_config.yml'}")
    return 0


def _add_limits(parser: argparse.ArgumentParser) -> None:
    """The options of ``Limits``, with its defaults."""
    defaults = Limits()
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds per submission")
    parser.add_argument("--cell-timeout", type=float, default=defaults.cell_timeout,
                        help="seconds per code cell")
    parser.add_argument("--memory-mb", type=int, default=defaults.memory_mb, help="memory cap per submission")


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory_mb)


def parser() -> argparse.ArgumentParser:
    """Every verb and its options."""
    top = argparse.ArgumentParser(prog="python -m after_stalinism.grading",
                                  description="Command line for instructors: release an exercise set, "
                                              "grade a folder of submissions.")
    sub = top.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="write the student notebook and public checks")
    rel.add_argument("source", type=Path, nargs="?", help="a source notebook (or, with --all, a folder of them)")
    rel.add_argument("--all", action="store_true", help="release every set in instructor/exercises (or in SOURCE)")
    rel.add_argument("--out", type=Path, default=Path("exercises"))
    rel.add_argument("--classroom", action="store_true",
                     help="for a graded class: keep multiple-choice answers out of the public checks")
    rel.set_defaults(func=release_main)

    grd = sub.add_parser("grade", help="grade every submission in a folder")
    grd.add_argument("source", type=Path)
    grd.add_argument("submissions", type=Path)
    grd.add_argument("--out", type=Path, default=Path("grading-output"))
    grd.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    _add_limits(grd)
    grd.add_argument("--marks", type=Path, help="CSV of hand marks: student, question, points, comment")
    grd.add_argument("--roster", type=Path, help="CSV naming each submission's student: submission, id, ...")
    grd.add_argument("--assignment", help="the assignment's name in the LMS export (default: the set's name)")
    grd.add_argument("--no-sandbox", action="store_true",
                     help="grade even where student code cannot be isolated (rows marked 'unisolated')")
    grd.set_defaults(func=grade_main)

    gs = sub.add_parser("gradescope", help="write autograder.zip for Gradescope")
    gs.add_argument("source", type=Path)
    gs.add_argument("--out", type=Path, default=Path("gradescope"))
    _add_limits(gs)
    gs.add_argument("--no-sandbox", action="store_true",
                    help="grade unisolated where neither namespaces nor Landlock work (hidden tests readable)")
    gs.set_defaults(func=gradescope_main)

    links = sub.add_parser("links", help="nbgitpuller links that open each set on a JupyterHub")
    links.add_argument("--config", type=Path, default=Path("_config.yml"))
    links.add_argument("--hub", help="the hub's address (default: launch_buttons.jupyterhub_url)")
    links.add_argument("--repo", help="the course repository (default: repository.url)")
    links.add_argument("--branch", help="its branch (default: repository.branch)")
    links.add_argument("--out", type=Path, help="also write the links as a Markdown list to this file")
    links.set_defaults(func=links_main)

    ed = sub.add_parser("student-edition", help="write the repository a graded class gets (no solutions, "
                                                "no hidden or sealed checks, only the sets released)")
    ed.add_argument("--out", type=Path, required=True, help="an empty folder, or a previous student edition")
    ed.add_argument("--sets", nargs="+", metavar="SET", help="the sets released to the class (default: all)")
    ed.add_argument("--repo", help="the students' repository address, for _config.yml and nbgitpuller links")
    ed.add_argument("--course", type=Path, default=Path("."), help="the course repository (default: here)")
    ed.set_defaults(func=student_edition_main)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one verb; its exit code (0, or a refusal's code with the message on stderr)."""
    args = parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # names and messages from students: never a crash on printing
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return args.func(args)
    except Refused as err:
        print(err, file=sys.stderr)
        return err.code


if __name__ == "__main__":
    sys.exit(main())
