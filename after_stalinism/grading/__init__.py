"""Graders for the course's exercises.

Learners:     check = Checker("00_data_warmup"); check("q1"); check.all()
Instructors:  python -m after_stalinism.grading release instructor/exercises/SET.ipynb --out exercises
              python -m after_stalinism.grading grade instructor/exercises/SET.ipynb SUBMISSIONS --out OUTPUT

Modules: ``checks`` (questions, the registry of check types), ``values`` (values as plain data),
``notebook`` (source notebooks and the student release), ``sandbox/`` (running student code apart:
one module per isolation technique, ``choose`` picks one), ``grade`` (the ``grade`` command:
isolation -> ``batch`` (run the class) -> ``results`` -> ``marks``, ``gradebook``, ``marking_sheet``,
``report``), ``gradescope``, ``export``, ``links``, ``edition``, ``__main__`` (the one command line:
every verb and its options), ``learner`` (instant feedback in JupyterLab).

Importing this package (the learner's path) imports nothing POSIX-only; ``sandbox`` and ``batch``
are imported only by the grader. ``# TESTS`` cells get ``question`` and the check constructors
(``checks.DSL``) when they run; they are not imported into a notebook.
"""

from .learner import Checker

__all__ = ["Checker"]
