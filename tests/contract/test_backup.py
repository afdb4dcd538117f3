"""Backup and restore: moving a shop between SQLite and PostgreSQL, under load, and damaged files.

A shop is filled through the public API (:mod:`tests.contract._backup_shop`), backed up,
restored into the other backend, and compared twice: every ``ck_`` table row by row (so a
table an area adds later is compared without being named), and everything the services read
back. A test fails if the database holds a table the backup left out, or one the fill leaves
empty (extend ``fill`` when an area adds a table).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from commercekit import cli
from commercekit.clock import ManualClock
from commercekit.errors import (
    BackupError,
    BackupSchemaError,
    ConfigurationError,
    ConstraintError,
    RestoreRefusedError,
    SchemaVersionError,
    StorageError,
)
from commercekit.inventory import InventoryService
from commercekit.storage import Store, backup, open_store, restore, verify_backup
from commercekit.storage._migrations import migrate
from commercekit.storage._store import _Scope
from tests.contract import _backup_workers as workers
from tests.contract._backup_shop import (
    START,
    file_rows,
    fill,
    read_back,
    table_rows,
    tables_in_database,
)
from tests.contract.test_storage_processes import SPAWN, Target, run_workers, unexpected_errors

SCHEMA_TABLES = {"ck_schema_versions", "ck_schema_migrations"}


def sqlite_target(tmp_path: Path, name: str) -> Target:
    return Target("sqlite", f"sqlite:///{tmp_path / name}", None)


@pytest.fixture
def pg_target(postgres_url: str, postgres_schema: str) -> Target:
    return Target("postgresql", postgres_url, postgres_schema)


@pytest.fixture
def pg_fresh(postgres_url: str) -> Iterator[Target]:
    """A PostgreSQL schema that does not exist yet (the restore creates it), dropped after."""
    import uuid

    import psycopg

    target = Target("postgresql", postgres_url, f"ck_test_{uuid.uuid4().hex[:12]}")
    try:
        yield target
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """Where a restore goes: a new SQLite file, or a PostgreSQL schema nothing migrated."""
    if request.param == "sqlite":
        return sqlite_target(tmp_path, "restored.db")
    target: Target = request.getfixturevalue("pg_fresh")
    return target


def filled_copy(tmp_path: Path, target: Target) -> tuple[Path, Store, ManualClock, dict[str, Any]]:
    """A shop filled at ``target`` and backed up: the file, the open store, its clock, fill's."""
    clock = ManualClock(START)
    store = open_store(target.url, schema=target.schema, clock=clock, migrate=True)
    filled = fill(store, clock)
    path = tmp_path / "shop.ckbackup"
    backup(store, path)
    return path, store, clock, filled


def check_ok(target: Target) -> str:
    """``commercekit check`` on the target: it must find nothing wrong."""
    out = io.StringIO()
    argv = ["check", target.url] + (["--schema", target.schema] if target.schema else [])
    assert cli.main(argv, out) == 0, out.getvalue()
    return out.getvalue()


def ck_tables(target: Target) -> set[str]:
    """The ``ck_`` tables at the target (none if its PostgreSQL schema does not exist)."""
    if target.backend == "sqlite":
        path = Path(target.url.removeprefix("sqlite:///"))
        if not path.exists():
            return set()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {str(name) for (name,) in names if str(name).startswith("ck_")}
    import psycopg

    with psycopg.connect(target.url) as pg:
        rows = pg.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (target.schema,)
        ).fetchall()
    return {str(name) for (name,) in rows if str(name).startswith("ck_")}


# -- moving between backends ----------------------------------------------------------------


def test_every_table_is_filled_and_in_the_backup(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        fill(store, clock)
        info = backup(store, tmp_path / "shop.ckbackup")
        tables = tables_in_database(store) - SCHEMA_TABLES
        rows = table_rows(store)
    assert sorted(tables - set(info.rows)) == [], "tables the backup left out"
    empty = sorted(table for table in tables if not rows[table])
    assert empty == [], f"fill() in tests/contract/_backup_shop.py leaves these empty: {empty}"
    assert file_rows(tmp_path / "shop.ckbackup") == rows
    assert info.rows == {table: len(rows[table]) for table in info.rows}
    assert list(info.rows)[:1] == ["ck_aggregates"]  # parents before children, by name
    order = list(info.rows)
    assert order.index("ck_stock_levels") < order.index("ck_stock_movements")
    assert order.index("ck_reservations") < order.index("ck_reservation_lines")
    assert order.index("ck_gift_cards") < order.index("ck_credit_holds")


def test_memory_to_memory_restores_everything(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as source, open_store("memory://") as copy:
        filled = fill(source, clock)
        backup(source, tmp_path / "b")
        restore(tmp_path / "b", copy)
        assert table_rows(copy) == table_rows(source)
        assert read_back(copy, clock, filled) == read_back(source, clock, filled)


def _moved(tmp_path: Path, source: Target, destination: Target) -> None:
    path, store, clock, filled = filled_copy(tmp_path, source)
    with store:
        expected_rows = table_rows(store)
        expected = read_back(store, clock, filled)
    info = restore(path, destination.url, schema=destination.schema)
    assert info.backend == source.backend
    with open_store(destination.url, schema=destination.schema, clock=clock) as copy:
        assert copy.schema_state().areas == expected["schema"]
        assert table_rows(copy) == expected_rows
        assert read_back(copy, clock, filled) == expected
        check_ok(destination)
        # New rows take new ids and numbers: sequences moved past the restored rows.
        inventory = InventoryService(copy)
        before = max(m.id for m in inventory.movements("MUG", "main"))
        inventory.receive("MUG", "main", 1)
        assert max(m.id for m in inventory.movements("MUG", "main")) > before
        from commercekit.ports import OUTBOX

        with copy.transaction() as tx:
            tx.repository(OUTBOX).append("host.after", {})


@pytest.mark.postgres
def test_a_sqlite_shop_moves_to_postgresql(tmp_path: Path, pg_fresh: Target) -> None:
    _moved(tmp_path, sqlite_target(tmp_path, "shop.db"), pg_fresh)


@pytest.mark.postgres
def test_a_postgresql_shop_moves_to_sqlite(tmp_path: Path, pg_target: Target) -> None:
    _moved(tmp_path, pg_target, sqlite_target(tmp_path, "moved.db"))


@pytest.mark.postgres
def test_restore_into_a_migrated_empty_postgresql_schema(tmp_path: Path, pg_target: Target) -> None:
    path, store, _, _ = filled_copy(tmp_path, sqlite_target(tmp_path, "shop.db"))
    with store, pg_target.open() as migrated:  # `commercekit migrate` ran first: that is fine
        restore(path, migrated)
        assert table_rows(migrated) == table_rows(store)


def test_a_backup_is_the_same_from_a_file_and_a_stream(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        fill(store, clock)
        buffer = io.BytesIO()
        backup(store, buffer)
        backup(store, tmp_path / "b")
    assert buffer.getvalue() == (tmp_path / "b").read_bytes()  # deterministic: same clock
    buffer.seek(0)
    with open_store("memory://") as copy:
        info = restore(buffer, copy)
        assert info.total_rows == sum(len(rows) for rows in table_rows(copy).values())


def test_progress_is_reported_up_to_the_total(tmp_path: Path) -> None:
    clock = ManualClock(START)
    seen: list[tuple[int, int]] = []
    with open_store("memory://", clock=clock) as store, open_store("memory://") as copy:
        fill(store, clock)
        info = backup(
            store, tmp_path / "b", progress=lambda done, total: seen.append((done, total))
        )
        assert seen[0] == (0, info.total_rows) and seen[-1] == (info.total_rows,) * 2
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
        seen.clear()
        restore(tmp_path / "b", copy, progress=lambda done, total: seen.append((done, total)))
        assert seen[0] == (0, info.total_rows) and seen[-1] == (info.total_rows,) * 2


def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    def fail(done: int, total: int) -> None:
        if done:
            raise RuntimeError("disk full")

    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        fill(store, clock)
        (tmp_path / "b").write_bytes(b"yesterday's backup")
        with pytest.raises(RuntimeError, match="disk full"):
            backup(store, tmp_path / "b", progress=fail)
    assert [p.name for p in tmp_path.iterdir()] == ["b"]
    assert (tmp_path / "b").read_bytes() == b"yesterday's backup"


# -- under load -------------------------------------------------------------------------------


def _invariants(store: Store) -> None:
    """Stock equals its ledger, reservations hold what they say, nothing below its floor."""
    with store.transaction(readonly=True) as tx:
        levels = tx.execute("SELECT sku, location, on_hand, reserved FROM ck_stock_levels")
        for sku, location, on_hand, reserved in levels.fetchall():
            ledger = tx.execute(
                "SELECT COALESCE(SUM(quantity), 0) FROM ck_stock_movements"
                " WHERE sku = ? AND location = ?",
                (sku, location),
            ).fetchone()[0]
            held = tx.execute(
                "SELECT COALESCE(SUM(l.quantity), 0) FROM ck_reservation_lines l JOIN"
                " ck_reservations r ON r.id = l.reservation_id WHERE r.status = 'active'"
                " AND l.sku = ? AND l.location = ?",
                (sku, location),
            ).fetchone()[0]
            assert (on_hand, reserved) == (int(ledger), int(held)), (sku, location)
            assert 0 <= reserved <= on_hand


@pytest.mark.slow
def test_a_backup_taken_while_four_processes_write_restores_consistent(
    tmp_path: Path, request: pytest.FixtureRequest, empty_target: Target
) -> None:
    source = (
        sqlite_target(tmp_path, "busy.db")
        if empty_target.backend == "sqlite"
        else Target("postgresql", empty_target.url, f"{empty_target.schema}_src")
    )
    if source.backend == "postgresql":
        import psycopg

        def drop() -> None:
            with psycopg.connect(source.url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{source.schema}" CASCADE')

        request.addfinalizer(drop)
    path = tmp_path / "busy.ckbackup"
    with source.open() as store:
        inventory = InventoryService(store)
        for sku in workers.SKUS:
            inventory.receive(sku, "main", 200)
        stop = SPAWN.Event()
        done: list[list[dict[str, Any]]] = []
        runner = threading.Thread(
            target=lambda: done.append(
                run_workers(
                    workers.shop_worker,
                    [(source.url, source.schema, index, stop) for index in range(4)],
                )
            )
        )
        runner.start()
        try:
            deadline = time.monotonic() + 60
            while _count(store, "ck_reservations") < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            info = backup(store, path)
            time.sleep(0.2)  # the workers go on after the snapshot
        finally:
            stop.set()
            runner.join(120)
        assert done and unexpected_errors(done[0]) == []
        assert 20 <= info.rows["ck_reservations"] < _count(store, "ck_reservations")
    restore(path, empty_target.url, schema=empty_target.schema)
    with empty_target.open(migrate=False) as copy:
        assert table_rows(copy) == file_rows(path)
        _invariants(copy)
    check_ok(empty_target)


def _count(store: Store, table: str) -> int:
    with store.transaction(readonly=True) as tx:
        return int(tx.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- refusals and damaged files --------------------------------------------------------------


def rewrite(
    source: Path,
    destination: Path,
    change: Callable[[list[bytes]], list[bytes]],
    *,
    rehash: bool,
) -> None:
    """Write ``source``'s lines through ``change`` to ``destination``, the checksum remade."""
    lines = gzip.decompress(source.read_bytes()).splitlines(keepends=True)
    lines = change(lines)
    if rehash:
        body, last = lines[:-1], json.loads(lines[-1])
        last["trailer"]["sha256"] = hashlib.sha256(b"".join(body)).hexdigest()
        lines = [*body, json.dumps(last).encode() + b"\n"]
    destination.write_bytes(gzip.compress(b"".join(lines)))


def _header(lines: list[bytes], edit: Callable[[dict[str, Any]], None]) -> list[bytes]:
    header = json.loads(lines[0])
    edit(header)
    return [json.dumps(header).encode() + b"\n", *lines[1:]]


@attrs.frozen
class Damage:
    name: str
    make: Callable[[Path, Path], object]
    message: str


def _flip(source: Path, destination: Path) -> None:
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0x55
    destination.write_bytes(bytes(data))


def _truncate(source: Path, destination: Path) -> None:
    data = source.read_bytes()
    destination.write_bytes(data[: len(data) * 2 // 3])


def _edit_row(lines: list[bytes]) -> list[bytes]:
    index = next(i for i, line in enumerate(lines) if b'"MUG","main",45' in line)
    lines[index] = lines[index].replace(b'"MUG","main",45', b'"MUG","main",46')
    return lines


def _overdraw(lines: list[bytes]) -> list[bytes]:
    """Reserve more than is on hand: the database refuses the row before the checksum is read."""
    index = next(i for i, line in enumerate(lines) if b'"MUG","main",45,2,' in line)
    lines[index] = lines[index].replace(b'"MUG","main",45,2,', b'"MUG","main",45,99,')
    return lines


def _bump_count(header: dict[str, Any]) -> None:
    header["tables"]["ck_outbox"] += 1


DAMAGES = [
    Damage("flipped byte", _flip, "not a usable commercekit backup"),
    Damage("truncated", _truncate, "damaged or cut short"),
    Damage("not gzip", lambda s, d: d.write_bytes(b"ck_stock_levels,MUG\n"), "damaged"),
    Damage(
        "edited row",
        lambda s, d: rewrite(s, d, _edit_row, rehash=False),
        "checksum does not match",
    ),
    Damage(
        "edited row breaking a constraint",
        lambda s, d: rewrite(s, d, _overdraw, rehash=False),
        "checksum does not match",
    ),
    Damage(
        "no trailer",
        lambda s, d: d.write_bytes(
            gzip.compress(b"".join(gzip.decompress(s.read_bytes()).splitlines(True)[:-1]))
        ),
        "ends before its trailer",
    ),
    Damage(
        "wrong counts",
        lambda s, d: rewrite(s, d, lambda lines: _header(lines, _bump_count), rehash=True),
        "row counts do not agree",
    ),
    Damage(
        "bad JSON",
        lambda s, d: rewrite(
            s, d, lambda lines: [*lines[:3], b"{oops\n", *lines[3:]], rehash=False
        ),
        "line 4 is not JSON",
    ),
    Damage(
        "newer format",
        lambda s, d: rewrite(
            s, d, lambda lines: _header(lines, lambda h: h.update(format_version=9)), rehash=True
        ),
        "format version 9",
    ),
    Damage("empty", lambda s, d: d.write_bytes(gzip.compress(b"")), "the file is empty"),
]


@pytest.fixture(scope="module")
def good_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("good") / "shop.ckbackup"
    clock = ManualClock(START)
    with open_store("memory://", clock=clock) as store:
        fill(store, clock)
        backup(store, path)
    return path


@pytest.mark.parametrize("damage", DAMAGES, ids=[d.name for d in DAMAGES])
def test_a_damaged_backup_restores_nothing(
    damage: Damage, good_backup: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ckbackup"
    damage.make(good_backup, bad)
    target = sqlite_target(tmp_path, "target.db")
    with pytest.raises(BackupError, match=damage.message) as raised:
        restore(bad, target.url)
    assert "nothing was restored" in str(raised.value)
    assert ck_tables(target) == set()
    with open_store("memory://") as migrated:
        with pytest.raises(BackupError):
            restore(bad, migrated)
        assert all(rows == [] for rows in table_rows(migrated).values())


@pytest.mark.parametrize("damage", DAMAGES, ids=[d.name for d in DAMAGES])
def test_verify_finds_every_damage_without_a_store(
    damage: Damage, good_backup: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ckbackup"
    damage.make(good_backup, bad)
    with pytest.raises(BackupError, match=damage.message):
        verify_backup(bad)


def test_verify_reads_a_good_backup_through_and_says_what_it_holds(
    good_backup: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = verify_backup(good_backup)
    with open_store("memory://") as target:
        assert restore(good_backup, target) == info
    assert info.total_rows > 0 and "ck_outbox" in info.rows
    out = io.StringIO()
    assert cli.main(["verify", str(good_backup)], out=out) == 0
    assert f"holds {info.total_rows} rows of {len(info.rows)} tables" in out.getvalue()
    bad = tmp_path / "bad.ckbackup"
    DAMAGES[0].make(good_backup, bad)
    assert cli.main(["verify", str(bad)], out=io.StringIO()) == 1
    assert "not a usable commercekit backup" in capsys.readouterr().err


@pytest.mark.postgres
@pytest.mark.parametrize("damage", DAMAGES[:2], ids=[d.name for d in DAMAGES[:2]])
def test_a_damaged_backup_restores_nothing_into_postgresql(
    damage: Damage, good_backup: Path, tmp_path: Path, pg_fresh: Target
) -> None:
    bad = tmp_path / "bad.ckbackup"
    damage.make(good_backup, bad)
    with pytest.raises(BackupError, match=damage.message):
        restore(bad, pg_fresh.url, schema=pg_fresh.schema)
    assert ck_tables(pg_fresh) == set()


def test_a_consistent_file_with_a_row_the_database_refuses_restores_nothing(
    good_backup: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ckbackup"
    rewrite(good_backup, bad, _overdraw, rehash=True)
    target = sqlite_target(tmp_path, "target.db")
    with pytest.raises(ConstraintError):
        restore(bad, target.url)
    assert ck_tables(target) == set()


def test_a_missing_file_is_a_backup_error(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="cannot read the backup"):
        restore(tmp_path / "nowhere.ckbackup", "memory://")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda h: h["schema"]["inventory"].update(version=99),
            "inventory schema version 99, newer than this library's",
        ),
        (
            lambda h: h["schema"].update(loyalty={"version": 1, "min_code_version": 1}),
            "the area 'loyalty'",
        ),
    ],
    ids=["newer area version", "unknown area"],
)
def test_a_backup_of_a_newer_schema_is_refused(
    edit: Callable[[dict[str, Any]], None], message: str, good_backup: Path, tmp_path: Path
) -> None:
    newer = tmp_path / "newer.ckbackup"
    rewrite(good_backup, newer, lambda lines: _header(lines, edit), rehash=True)
    target = sqlite_target(tmp_path, "target.db")
    with pytest.raises(BackupSchemaError, match=message) as raised:
        restore(newer, target.url)
    assert isinstance(raised.value, SchemaVersionError)
    assert ck_tables(target) == set()


def test_a_store_that_is_not_empty_is_refused(good_backup: Path) -> None:
    with open_store("memory://") as store:
        InventoryService(store).receive("MUG", "main", 1)
        before = table_rows(store)
        with pytest.raises(RestoreRefusedError, match=r"not empty \(ck_stock_levels has rows"):
            restore(good_backup, store)
        assert table_rows(store) == before


def test_restore_and_backup_refuse_an_open_transaction(good_backup: Path, tmp_path: Path) -> None:
    with open_store("memory://") as store, store.transaction():
        with pytest.raises(ConfigurationError, match="not inside one"):
            restore(good_backup, store)
        with pytest.raises(ConfigurationError, match="not inside one"):
            backup(store, tmp_path / "b")


# -- an older schema ---------------------------------------------------------------------------


def _older(store: Store, versions: dict[str, int]) -> None:
    """Migrate a new store only up to ``versions`` (the others' areas to 0)."""
    areas = [
        attrs.evolve(area, migrations=area.migrations[: versions.get(area.name, 0)])
        for area in store.areas
    ]
    with _Scope(store, readonly=False, check=False) as tx:
        migrate(tx._backend, tx._conn, tx.now(), areas)


def test_an_older_backup_is_restored_then_migrated(tmp_path: Path) -> None:
    old = sqlite_target(tmp_path, "old.db")
    with old.open(migrate=False) as store:
        _older(store, {"core": 2, "inventory": 1})
        with _Scope(store, readonly=False, check=False) as tx:
            tx.execute(
                "INSERT INTO ck_outbox (topic, payload, created_at, available_at, claimed_by,"
                " claimed_until) VALUES ('old.topic', '{}', ?, ?, 'w1', ?)",
                ("2026-01-01T00:00:00.000000Z",) * 3,
            )
            tx.execute(
                "INSERT INTO ck_stock_levels (sku, location, on_hand, updated_at)"
                " VALUES ('MUG', 'main', 0, '2026-01-01T00:00:00.000000Z')"
            )
        info = backup(store, tmp_path / "old.ckbackup")
    assert {name: row.version for name, row in info.schema.areas.items()} == {
        "core": 2,
        "inventory": 1,
    }
    target = sqlite_target(tmp_path, "new.db")
    restore(tmp_path / "old.ckbackup", target.url)
    with target.open(migrate=False) as store:
        assert store.migrate() == []  # migrated to this library's versions by the restore
        with store.transaction(readonly=True) as tx:
            outbox = tx.execute("SELECT topic, claimed_by, dead_at FROM ck_outbox").fetchall()
        assert [tuple(row) for row in outbox] == [("old.topic", "w1", None)]
        assert InventoryService(store).level("MUG", "main") is not None
    # A store already at the newer versions cannot take the older backup.
    with (
        open_store("memory://") as migrated,
        pytest.raises(RestoreRefusedError, match="already at a newer schema"),
    ):
        restore(tmp_path / "old.ckbackup", migrated)


# -- the command line ----------------------------------------------------------------------------


def test_the_commands_back_up_and_restore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, store, clock, filled = filled_copy(tmp_path, sqlite_target(tmp_path, "shop.db"))
    with store:
        expected = read_back(store, clock, filled)
    out = io.StringIO()
    file = str(tmp_path / "cli.ckbackup")
    assert cli.main(["backup", f"sqlite:///{tmp_path / 'shop.db'}", file], out) == 0
    assert re.search(
        r"backed up \d+ rows of \d+ tables \(sqlite, schema versions core", out.getvalue()
    )
    copy = sqlite_target(tmp_path, "copy.db")
    assert cli.main(["restore", file, copy.url], out) == 0
    assert "restored" in out.getvalue() and "run `commercekit check`" in out.getvalue()
    assert capsys.readouterr().err == ""  # no terminal: no progress bar
    check_ok(copy)
    with open_store(copy.url, clock=clock) as restored:
        assert read_back(restored, clock, filled) == expected
    # Again into the same store: refused, with the reason on stderr.
    assert cli.main(["restore", file, copy.url], out) == 1
    assert "is not empty" in capsys.readouterr().err
    assert cli.main(["backup", "memory://", file], out) == 1
    assert "nothing to back up" in capsys.readouterr().err


def test_the_progress_bar_is_drawn_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = cli._progress_bar("backup", terminal)
    assert bar is not None and cli._progress_bar("backup", io.StringIO()) is None
    for done in range(0, 201, 50):
        bar(done, 200)
    text = terminal.getvalue()
    assert text.count("\r") == 5 and text.endswith("100% 200/200 rows\n")
    assert "[###############...............]  50% 100/200 rows" in text


def test_a_store_error_is_not_a_backup_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as raised:
        backup(f"sqlite:///{tmp_path / 'missing.db'}?mode=ro", tmp_path / "b")
    assert not isinstance(raised.value, BackupError)
