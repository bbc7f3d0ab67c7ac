"""Shared code for the course "After Stalinism: North Korea's Quiet Transformation".

One home per concern:
    data      loading the tables in data/ (described by data/datapackage.json)
    models    the lessons' models as pure, tested functions
    charts    figures of the course data
    explorers each model's figure and its interactive Explorer
    selfcheck quizzes that work in JupyterLab and in the static book
    figures   plotly figures that render both in JupyterLab and in the static book
    twin      Explorer: a model live with ipywidgets in a kernel, precomputed in the HTML book
    lessons   the registry of lessons (stem, title, model) that the book, figures and tests read
    sphinxext the Sphinx extension that serves plotly.js and the explorer script offline
    grading   exercise checks, the student release, batch grading and the learner's check()
    _modes    the environment variables between processes, and where data/ and exercises/ are

Importing the package chooses the right plotly renderer for where the code runs.
"""

__version__ = "0.1.0"

from .data import DataError, citation, load  # noqa: E402
from .figures import use_course_renderer  # noqa: E402
from .twin import Choice, Explorer, Slider  # noqa: E402

use_course_renderer()

__all__ = ["Choice", "DataError", "Explorer", "Slider", "citation", "load"]
