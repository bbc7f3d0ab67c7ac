"""Shared code for the course "After Stalinism: North Korea's Quiet Transformation".

One folder per concern; each side imports only the sides above it in this list (tests/test_layers.py):
    _modes, notebook_format  the root: environment contracts, paths, the inputs' digest, static assets;
                             notebooks stored as JupyterLab saves them
    display/     how figures, explorers and self-checks show in JupyterLab and in the static book
    course/      the course's content code: lessons registry, data, models, charts, explorers
    booktools/   building and publishing the book: Sphinx extension, light pages, print edition, Lab Markdown
    grading/     checks, release, sandboxed batch grading, learner's check(); imports the root only

Public API: ``load``, ``citation``, ``DataError``, ``Explorer``, ``Slider``, ``Choice`` (here), and
``after_stalinism.grading.Checker`` and ``python -m after_stalinism.grading``.
Importing the package chooses the right plotly renderer for where the code runs.
"""

__version__ = "0.1.0"

from .course.data import DataError, citation, load  # noqa: E402
from .display.figures import use_course_renderer  # noqa: E402
from .display.twin import Choice, Explorer, Slider  # noqa: E402

use_course_renderer()

__all__ = ["Choice", "DataError", "Explorer", "Slider", "citation", "load"]
