"""Running student code apart from the grader: one module per isolation technique behind one
interface (``isolation.Isolation``), the process sequence they share (``process``), what runs in
the student process (``cells``), and the one place that picks the technique (``choose``): the
namespaces sandbox where user namespaces work, else Landlock and seccomp (``landlock``: Docker,
Gradescope, Kubernetes pods, Ubuntu 24.04), else none (SandboxUnavailable; ``Unisolated`` only
when the instructor asks for it).

Usage::

    from after_stalinism.grading.sandbox import choose, run_submission
    isolation = choose(source, submissions, out)
    result = run_submission("subs/alice/homework.ipynb", ["peak_year"], isolation=isolation,
                            limits=Limits(timeout=60))
"""

from .choose import ISOLATION_ENV, choose, probe
from .isolation import Isolation, Limits, RunResult, SandboxError, SandboxUnavailable
from .landlock import Landlock
from .namespaces import Namespaces, allowed_paths
from .process import run_submission, warm_up
from .unisolated import Unisolated

__all__ = ["ISOLATION_ENV", "Isolation", "Landlock", "Limits", "Namespaces", "RunResult", "SandboxError",
           "SandboxUnavailable", "Unisolated", "allowed_paths", "choose", "probe", "run_submission", "warm_up"]
