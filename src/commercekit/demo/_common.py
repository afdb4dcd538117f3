"""Shared helpers of the demo sections."""

from __future__ import annotations

from typing import TextIO

__all__ = ["section"]


def section(out: TextIO, title: str) -> None:
    """Print a section title."""
    print(f"\n== {title} ==", file=out)
