"""The id of the process the code runs in, kept by an at-fork hook, not a system call per use.

Stores check it on every transaction to notice that they now run in a forked child, which must
open connections of its own; ``os.getpid()`` is a system call each time, this is an attribute
read. ``os.fork`` (and so ``multiprocessing``'s fork start method) runs the hook in the child
before any other Python code.
"""

from __future__ import annotations

import os

__all__ = ["PROCESS"]


class _Process:
    """Holds ``pid``: the id of the process this code runs in."""

    __slots__ = ("pid",)

    def __init__(self) -> None:
        self.pid = os.getpid()

    def _forked(self) -> None:
        self.pid = os.getpid()


PROCESS = _Process()
os.register_at_fork(after_in_child=PROCESS._forked)
