"""The ``commercekit`` command: ``commercekit demo``, ``commercekit migrate URL``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from commercekit import __version__
from commercekit.errors import CommerceError

__all__ = ["main"]


def _demo(out: TextIO, url: str | None = None) -> int:
    from commercekit.demo import run_demo

    run_demo(out, url=url)
    return 0


def _migrate(url: str | None, schema: str | None, out: TextIO) -> int:
    from commercekit.storage import open_store

    with open_store(url, schema=schema, migrate=False) as store:
        applied = store.migrate()
        state = store.schema_state()
    if applied:
        done = ", ".join(f"{area} {version}" for area, version in applied)
        print(f"{store.url}: applied {done}; schema versions: {state}", file=out)
    else:
        print(f"{store.url}: already at schema versions {state}; nothing to do", file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commercekit", description="commercekit: commerce primitives for Python."
    )
    parser.add_argument("--version", action="version", version=f"commercekit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="a guided tour of what commercekit does")
    demo.add_argument(
        "--url",
        help="store URL (default: $COMMERCEKIT_DATABASE_URL, else sqlite:///commercekit.db)",
    )
    migrate = commands.add_parser(
        "migrate",
        help="apply missing schema migrations (safe to run from several processes at once)",
    )
    migrate.add_argument(
        "url",
        nargs="?",
        help="store URL (default: $COMMERCEKIT_DATABASE_URL, else sqlite:///commercekit.db)",
    )
    migrate.add_argument("--schema", help="PostgreSQL schema for commercekit's tables")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    stream = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(stream, args.url)
        if args.command == "migrate":
            return _migrate(args.url, args.schema, stream)
    except CommerceError as exc:
        print(f"commercekit: error: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse rejects unknown commands first
