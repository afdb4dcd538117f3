"""The ``commercekit`` command: demo, migrate, check, backup, restore and verify."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from commercekit import __version__
from commercekit.errors import CommerceError, ConfigurationError, StorageError

if TYPE_CHECKING:
    from commercekit.storage import Store, Transaction

__all__ = ["main"]

_URL_HELP = "store URL (default: $COMMERCEKIT_DATABASE_URL, else sqlite:///commercekit.db)"


def _demo(out: TextIO, url: str | None = None, schema: str | None = None) -> int:
    from commercekit.demo import run_demo

    run_demo(out, url=url, schema=schema)
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


# -- commercekit check ------------------------------------------------------------------------

# Each stock row's on hand against the sum of its ledger movements.
_ON_HAND_VS_LEDGER = (
    "SELECT s.sku, s.location, s.on_hand, COALESCE(m.total, 0) FROM ck_stock_levels s"
    " LEFT JOIN (SELECT sku, location, SUM(quantity) AS total FROM ck_stock_movements"
    " GROUP BY sku, location) m ON m.sku = s.sku AND m.location = s.location"
    " WHERE s.on_hand <> COALESCE(m.total, 0) ORDER BY s.sku, s.location"
)
# Each stock row's reserved against the lines of the active reservations that hold it.
_RESERVED_VS_HOLDS = (
    "SELECT s.sku, s.location, s.reserved, COALESCE(h.held, 0) FROM ck_stock_levels s"
    " LEFT JOIN (SELECT l.sku, l.location, SUM(l.quantity) AS held FROM ck_reservation_lines l"
    " JOIN ck_reservations r ON r.id = l.reservation_id WHERE r.status = 'active'"
    " GROUP BY l.sku, l.location) h ON h.sku = s.sku AND h.location = s.location"
    " WHERE s.reserved <> COALESCE(h.held, 0) ORDER BY s.sku, s.location"
)
_NEGATIVE = (
    "SELECT sku, location, on_hand, reserved, stock_floor FROM ck_stock_levels"
    " WHERE reserved < 0 OR on_hand - reserved < stock_floor ORDER BY sku, location"
)
# PostgreSQL: constraints and indexes of the store's schema that the server does not vouch for.
_PG_NOT_VALIDATED = (
    "SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c"
    " WHERE c.connamespace = current_schema()::regnamespace AND NOT c.convalidated"
    " ORDER BY 1, 2"
)
_PG_INVALID_INDEXES = (
    "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
    " WHERE t.relnamespace = current_schema()::regnamespace AND NOT (i.indisvalid AND i.indisready)"
    " ORDER BY 1"
)
_PG_CHECKS = (
    "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
    " FROM pg_constraint c WHERE c.contype = 'c'"
    " AND c.connamespace = current_schema()::regnamespace ORDER BY 1, 2"
)
_PG_FOREIGN_KEYS = (
    "SELECT c.conrelid::regclass::text, c.conname, c.confrelid::regclass::text,"
    " ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.conkey) WITH ORDINALITY AS k(num, n)"
    " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.n),"
    " ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.confkey) WITH ORDINALITY AS k(num, n)"
    " JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.n)"
    " FROM pg_constraint c WHERE c.contype = 'f'"
    " AND c.connamespace = current_schema()::regnamespace ORDER BY 1, 2"
)
_MAX_LISTED = 50  # rows listed per kind of problem; the count says how many there were


def _readonly_url(url: str) -> str:
    """A SQLite URL with ``mode=ro``: checking never creates, migrates or writes a file."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() != "sqlite":
        return url
    base, _, query = rest.partition("?")
    kept = [f for f in query.split("&") if f and f.partition("=")[0] != "mode"]
    return f"{scheme}://{base}?{'&'.join([*kept, 'mode=ro'])}"


def _pg_text(sql: str) -> str | None:
    """Catalog text spliced into a statement: ``%`` escaped for the driver, ``?`` refused."""
    return None if "?" in sql else sql.replace("%", "%%")


class _Checker:
    """The checks of ``commercekit check``, each in a read-only transaction of its own."""

    def __init__(self, store: Store, out: TextIO, *, direct_holds: bool) -> None:
        self.store = store
        self.out = out
        self.direct_holds = direct_holds
        self.problems: list[str] = []

    def run(self, title: str, check: Callable[[Transaction], list[str]]) -> None:
        """Run one check; print its verdict and keep its problems (a failure is one too)."""
        found: list[str] = []
        try:
            with self.store.transaction(readonly=True) as tx:
                found = check(tx)
        except StorageError as exc:  # a check that reported a failed statement rolls back
            found = found or [f"{title}: could not run: {exc}"]
        verdict = "ok" if not found else f"{len(found)} problem(s)"
        print(f"  {title}: {verdict}", file=self.out)
        self.problems.extend(found)

    @staticmethod
    def _rows(tx: Transaction, sql: str) -> list[Any]:
        return list(tx.execute(sql).fetchall())

    def sqlite_integrity(self, tx: Transaction) -> list[str]:
        found: list[str] = []
        try:  # rows one by one: SQLite may list some damage, then fail on worse
            cursor = tx.execute("PRAGMA integrity_check")
            while (row := cursor.fetchone()) is not None:
                if row[0] != "ok":
                    found.append(f"integrity: {row[0]}")
        except StorageError as exc:
            found.append(f"integrity: {exc}")
        return found

    def sqlite_foreign_keys(self, tx: Transaction) -> list[str]:
        return [
            f"foreign key: row {rowid} of {table} refers to a missing row of {parent}"
            for table, rowid, parent, _ in self._rows(tx, "PRAGMA foreign_key_check")
        ]

    def pg_catalog(self, tx: Transaction) -> list[str]:
        found = [
            f"constraint {name} of {table} is not validated (added NOT VALID, or by a load "
            "that skipped it): VALIDATE CONSTRAINT it"
            for table, name in self._rows(tx, _PG_NOT_VALIDATED)
        ]
        found += [
            f"index {name} is invalid (a failed CREATE INDEX CONCURRENTLY?): REINDEX it"
            for (name,) in self._rows(tx, _PG_INVALID_INDEXES)
        ]
        return found

    def pg_constraints(self, tx: Transaction) -> list[str]:
        """Count the rows each CHECK and FOREIGN KEY constraint of the schema would refuse."""
        found: list[str] = []
        for table, name, definition in self._rows(tx, _PG_CHECKS):
            expression = str(definition).removeprefix("CHECK ").removesuffix(" NOT VALID")
            sql = _pg_text(f"SELECT count(*) FROM {table} WHERE NOT {expression}")
            count = 0 if sql is None else int(tx.execute(sql).fetchone()[0])
            if count:
                found.append(f"check constraint {name}: {count} row(s) of {table} violate it")
        for table, name, parent, columns, parent_columns in self._rows(tx, _PG_FOREIGN_KEYS):
            present = " AND ".join(f"c.{column} IS NOT NULL" for column in columns)
            pairs = zip(columns, parent_columns, strict=True)
            match = " AND ".join(f"p.{p} = c.{c}" for c, p in pairs)
            sql = _pg_text(
                f"SELECT count(*) FROM {table} c WHERE {present}"
                f" AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
            )
            count = 0 if sql is None else int(tx.execute(sql).fetchone()[0])
            if count:
                found.append(
                    f"foreign key {name}: {count} row(s) of {table} refer to missing rows of "
                    f"{parent}"
                )
        return found

    def stock(self, tx: Transaction) -> list[str]:
        """The invariants of commercekit's stock tables, the same SQL on every backend."""
        found = [
            f"stock {sku} at {location}: on hand {on_hand}, but its ledger movements add up to "
            f"{int(total)}"
            for sku, location, on_hand, total in self._rows(tx, _ON_HAND_VS_LEDGER)
        ]
        for sku, location, reserved, held in self._rows(tx, _RESERVED_VS_HOLDS):
            held = int(held)
            if self.direct_holds and reserved > held:
                continue  # the rest is held with the stock repository's reserve() directly
            found.append(
                f"stock {sku} at {location}: reserved {reserved}, but active reservations "
                f"hold {held}"
            )
        found += [
            f"stock {sku} at {location}: reserved {reserved} is negative"
            if reserved < 0
            else f"stock {sku} at {location}: available {on_hand - reserved} is below its "
            f"floor {floor}"
            for sku, location, on_hand, reserved, floor in self._rows(tx, _NEGATIVE)
        ]
        return found


def _check(url: str | None, schema: str | None, out: TextIO, *, direct_holds: bool) -> int:
    from commercekit.storage import DEFAULT_URL, URL_ENV, open_store

    given = url if url is not None else os.environ.get(URL_ENV) or DEFAULT_URL
    if given.partition("://")[0].lower() == "memory":
        raise ConfigurationError(
            "there is nothing to check in memory://: it opens a new, empty database"
        )
    try:
        store = open_store(_readonly_url(given), schema=schema, migrate=False)
    except ConfigurationError:
        raise
    except CommerceError as exc:
        return _report(out, [f"cannot open the store: {exc}"])
    with store:
        checker = _Checker(store, out, direct_holds=direct_holds)
        try:
            state = store.schema_state()  # the first connection: a file that is no database
        except StorageError as exc:
            return _report(out, [f"cannot open the store: {exc}"])
        where = f"{store.backend}, schema {schema}" if schema is not None else store.backend
        print(f"checking {store.url} ({where})", file=out)
        try:
            with store.transaction(readonly=True):
                pass  # the first transaction checks that this library can work on the schema
        except StorageError as exc:
            print(f"  schema: {exc}", file=out)
            checker.problems.append(f"schema: {exc}")
        else:
            print(f"  schema versions: {state}", file=out)
            if store.backend == "sqlite":
                checker.run("SQLite integrity_check", checker.sqlite_integrity)
                checker.run("SQLite foreign_key_check", checker.sqlite_foreign_keys)
            else:
                checker.run("PostgreSQL constraints and indexes validated", checker.pg_catalog)
                checker.run("PostgreSQL rows meet the constraints", checker.pg_constraints)
            checker.run(
                "stock: on hand matches the ledger, reserved matches active reservations",
                checker.stock,
            )
    return _report(out, checker.problems)


# -- commercekit backup / restore -------------------------------------------------------------


class _Bar:
    """A one-line progress bar on a terminal, redrawn once per percent."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.shown = -1
        self.open = False  # a bar is on the line, without its newline yet

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = width if total <= 0 else min(width, width * done // total)
        percent = 100 if total <= 0 else min(100, 100 * done // total)
        if percent == self.shown and done < total:
            return
        self.shown = percent
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {done}/{total} rows")
        self.open = done < total
        self.stream.write("\n" if done >= total else "")
        self.stream.flush()

    def close(self) -> None:
        """End the line of a bar that stopped short (an error follows it)."""
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False


def _progress_bar(label: str, stream: TextIO) -> _Bar | None:
    """A bar on ``stream`` if it is a terminal; ``None`` (quiet) otherwise."""
    return _Bar(label, stream) if stream.isatty() else None


def _no_memory(url: str, what: str) -> None:
    if url.partition("://")[0].lower() == "memory":
        raise ConfigurationError(
            f"memory:// opens a new, empty database that is gone when the command ends: "
            f"nothing to {what}"
        )


def _backup(url: str, file: str, schema: str | None, out: TextIO) -> int:
    from commercekit.storage import backup

    _no_memory(url, "back up")
    bar = _progress_bar("backup", sys.stderr)
    try:
        info = backup(url, file, schema=schema, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    print(
        f"backed up {info.total_rows} rows of {len(info.rows)} tables ({info.backend}, schema "
        f"versions {info.schema}) to {file}",
        file=out,
    )
    return 0


def _restore(file: str, url: str, schema: str | None, out: TextIO) -> int:
    from commercekit.storage import restore

    _no_memory(url, "restore into")
    bar = _progress_bar("restore", sys.stderr)
    try:
        info = restore(file, url, schema=schema, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    print(
        f"restored {info.total_rows} rows of {len(info.rows)} tables from {file} (a "
        f"{info.backend} backup of {info.created_at:%Y-%m-%d %H:%M:%S} UTC, schema versions "
        f"{info.schema}); run `commercekit check` on the store to verify it",
        file=out,
    )
    return 0


def _verify(file: str, out: TextIO) -> int:
    from commercekit.storage import verify_backup

    info = verify_backup(file)
    print(
        f"ok: {file} holds {info.total_rows} rows of {len(info.rows)} tables (a {info.backend} "
        f"backup of {info.created_at:%Y-%m-%d %H:%M:%S} UTC, schema versions {info.schema}); "
        "its checksum and row counts check out",
        file=out,
    )
    return 0


def _report(out: TextIO, problems: list[str]) -> int:
    """Print the verdict; the exit code: 0 if nothing is wrong, else 1."""
    if not problems:
        print("ok: no problems found", file=out)
        return 0
    print(f"{len(problems)} problem(s):", file=out)
    for problem in problems[:_MAX_LISTED]:
        print(f"  - {problem}", file=out)
    if len(problems) > _MAX_LISTED:
        print(f"  ... and {len(problems) - _MAX_LISTED} more", file=out)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commercekit", description="commercekit: commerce primitives for Python."
    )
    parser.add_argument("--version", action="version", version=f"commercekit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="a guided tour of what commercekit does")
    demo.add_argument(
        "--url",
        help="store URL to run the tour on (default: a fresh SQLite file in a temporary "
        "directory, removed afterwards; $COMMERCEKIT_DATABASE_URL is never used)",
    )
    demo.add_argument("--schema", help="PostgreSQL schema for commercekit's tables")
    migrate = commands.add_parser(
        "migrate",
        help="apply missing schema migrations (safe to run from several processes at once)",
    )
    migrate.add_argument("url", nargs="?", help=_URL_HELP)
    migrate.add_argument("--schema", help="PostgreSQL schema for commercekit's tables")
    check = commands.add_parser(
        "check",
        help="check a store: the database's own integrity checks and commercekit's invariants "
        "(read-only; exit 1 if anything is wrong)",
    )
    check.add_argument("url", nargs="?", help=_URL_HELP)
    check.add_argument("--schema", help="PostgreSQL schema of commercekit's tables")
    check.add_argument(
        "--direct-holds",
        action="store_true",
        help="the application also holds stock with the stock repository's reserve() outside "
        "reservations: reserved above what active reservations hold is not a problem",
    )
    backup = commands.add_parser(
        "backup",
        help="write a consistent snapshot of a store to FILE while the shop keeps running "
        "(gzip'd JSON Lines; restores into SQLite or PostgreSQL)",
    )
    backup.add_argument("url", metavar="URL", help="store URL to back up")
    backup.add_argument("file", metavar="FILE", help="the backup file to write (replaced)")
    backup.add_argument("--schema", help="PostgreSQL schema of commercekit's tables")
    restore = commands.add_parser(
        "restore",
        help="restore a backup FILE into an empty store (either backend), all or nothing",
    )
    restore.add_argument("file", metavar="FILE", help="the backup file to read")
    restore.add_argument("url", metavar="URL", help="store URL to restore into (must be empty)")
    restore.add_argument("--schema", help="PostgreSQL schema for commercekit's tables")
    verify = commands.add_parser(
        "verify",
        help="read a backup FILE through and check its checksum and row counts; restore nothing",
    )
    verify.add_argument("file", metavar="FILE", help="the backup file to check")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    stream = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(stream, args.url, args.schema)
        if args.command == "migrate":
            return _migrate(args.url, args.schema, stream)
        if args.command == "check":
            return _check(args.url, args.schema, stream, direct_holds=args.direct_holds)
        if args.command == "backup":
            return _backup(args.url, args.file, args.schema, stream)
        if args.command == "restore":
            return _restore(args.file, args.url, args.schema, stream)
        if args.command == "verify":
            return _verify(args.file, stream)
    except CommerceError as exc:
        print(f"commercekit: error: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse rejects unknown commands first
