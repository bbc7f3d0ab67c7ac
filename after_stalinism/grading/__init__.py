"""Graders for the course's exercises.

Learners:     check = Checker("00_data_warmup"); check("q1"); check.all()
Instructors:  python -m after_stalinism.grading release exercises/source/SET.ipynb --out exercises
              python -m after_stalinism.grading grade exercises/source/SET.ipynb SUBMISSIONS --out OUTPUT

Modules: ``checks`` (questions and checks), ``values`` (student values as plain data),
``notebook`` (source notebooks and the student release), ``sandbox`` (running student code apart),
``batch`` (grading a folder), ``learner`` (instant feedback in JupyterLab).
"""

from .checks import choice, figure, frame, kind, text, value
from .learner import Checker, question

__all__ = ["Checker", "choice", "figure", "frame", "kind", "question", "text", "value"]
