"""``--no-sandbox``: the submission runs forked, with the usual limits, but able to see and change
anything the grader can. For an instructor who accepts that, where no technique works (macOS)."""

from __future__ import annotations

from .isolation import Isolation


class Unisolated(Isolation):
    """No isolation: every hook of ``Isolation`` left as it is (the gradebook says ``unisolated``)."""
