"""The ``commercekit`` command: ``commercekit demo`` and friends."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from commercekit import __version__
from commercekit.errors import CommerceError

__all__ = ["main"]


def _demo(out: TextIO) -> int:
    from commercekit.demo import run_demo

    run_demo(out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commercekit", description="commercekit: commerce primitives for Python."
    )
    parser.add_argument("--version", action="version", version=f"commercekit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", help="a guided tour of what commercekit does")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    stream = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(stream)
    except CommerceError as exc:
        print(f"commercekit: error: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse rejects unknown commands first
