"""Store URLs mean what they say: options honoured or refused, read-only files, the write lock."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from commercekit.errors import (
    ConfigurationError,
    SchemaVersionError,
    StorageBusyError,
    StorageError,
)
from commercekit.storage import MovementKind, open_store
from commercekit.storage._sqlite import SqliteBackend
from commercekit.storage._url import parse_url


def _store_file(path: Path) -> str:
    """A migrated SQLite store with one stock row; its URL."""
    url = f"sqlite:///{path}"
    with open_store(url) as store, store.transaction() as tx:
        tx.stock.move("A", "main", 5, MovementKind.RECEIVE)
    return url


# -- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "target", "mode"),
    [
        ("sqlite:///shop.db", "shop.db", None),
        ("sqlite:///shop.db?", "shop.db", None),
        ("sqlite:///shop.db?mode=ro", "file:shop.db?mode=ro", "ro"),
        ("sqlite:////srv/shop.db?mode=rw", "file:///srv/shop.db?mode=rw", "rw"),
        ("sqlite:///shop.db?mode=rwc", "file:shop.db?mode=rwc", "rwc"),
        ("sqlite:///a%3Fb%23c.db?mode=ro", "file:a%3Fb%23c.db?mode=ro", "ro"),
        ("sqlite:///file:x.db", "file:file%3Ax.db", None),
    ],
)
def test_sqlite_options_are_kept(url: str, target: str, mode: str | None) -> None:
    parsed = parse_url(url)
    assert (parsed.backend, parsed.target, parsed.mode) == ("sqlite", target, mode)
    assert parsed.readonly is (mode == "ro")


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("sqlite:///x.db?cache=shared", "'cache'"),
        ("sqlite:///x.db?mode=ro&journal=wal", "'journal'"),
        ("sqlite:///x.db?immutable=1", "'immutable'"),
        ("sqlite:///x.db?mode=ro&mode=rw", "'mode'"),
        ("sqlite:///x.db?mode=memory", "mode='memory'"),
        ("sqlite:///x.db?mode", "mode=''"),
        ("sqlite:///x.db#frag", "fragment"),
        ("memory://foo", "memory://foo"),
        ("memory://?mode=ro", "memory://?mode=ro"),
        ("memory:///", "memory:///"),
        ("memory://#x", "fragment"),
    ],
)
def test_options_that_mean_nothing_are_refused_by_name(url: str, named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_url(url)
    assert named in str(info.value)
    with pytest.raises(ConfigurationError):
        open_store(url)


def test_postgresql_parameters_go_to_libpq_as_they_are() -> None:
    url = "postgresql://app:pw@db:5433/shop?sslmode=disable&connect_timeout=3&application_name=x"
    parsed = parse_url(url)
    assert parsed.target == url
    assert parsed.redacted == url.replace(":pw@", ":***@")


def test_a_fragment_is_refused_without_echoing_a_password() -> None:
    # an unencoded '#' in a password looks like a fragment: say so, and never show the rest
    with pytest.raises(ConfigurationError, match="%23") as info:
        parse_url("postgresql://app:hun#ter2@db/shop")
    assert "ter2" not in str(info.value) and "hun" not in str(info.value)


def test_special_characters_in_a_path_reach_the_file(tmp_path: Path) -> None:
    odd = tmp_path / "a?b#c d.db"
    quoted = f"sqlite:///{str(odd).replace('?', '%3F').replace('#', '%23')}"
    with open_store(quoted) as store, store.transaction() as tx:  # opened as a plain path
        tx.stock.move("A", "main", 5, MovementKind.RECEIVE)
    assert odd.exists()
    with open_store(f"{quoted}?mode=ro") as store, store.transaction(readonly=True) as tx:
        level = tx.stock.level("A", "main")  # opened as a file: URI
    assert level is not None and level.on_hand == 5


def test_a_path_that_starts_with_file_colon_is_a_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///file:shop.db") as store:
        assert store.backend == "sqlite"
    assert (tmp_path / "file:shop.db").exists()


# -- mode=ro and mode=rw --------------------------------------------------------------------


def test_mode_ro_opens_read_only_and_refuses_every_write_transaction(tmp_path: Path) -> None:
    url = _store_file(tmp_path / "shop.db")
    before = (tmp_path / "shop.db").read_bytes()
    with open_store(f"{url}?mode=ro") as store:
        assert store.url.endswith("?mode=ro")
        with store.transaction(readonly=True) as tx:
            level = tx.stock.level("A", "main")
        assert level is not None and level.on_hand == 5
        with (
            pytest.raises(StorageError, match=r"opened read-only \(mode=ro\)"),
            store.transaction() as tx,
        ):
            tx.stock.move("A", "main", 1, MovementKind.RECEIVE)  # pragma: no cover
        with (
            pytest.raises(StorageError, match="read-only transaction"),
            store.transaction(readonly=True) as tx,
        ):
            tx.execute("DELETE FROM ck_stock_movements")
        assert store.migrate() == []  # up to date: nothing to write
    assert (tmp_path / "shop.db").read_bytes() == before


def test_mode_ro_is_refused_at_the_sqlite_level_too(tmp_path: Path) -> None:
    # Below the store's own refusal SQLite itself opened the file read-only.
    path = tmp_path / "shop.db"
    _store_file(path)
    backend = SqliteBackend(parse_url(f"sqlite:///{path}?mode=ro").target, busy_timeout=1)
    conn = backend.acquire()
    try:
        with pytest.raises(StorageError, match=r"opened read-only \(mode=ro\)"):
            backend.execute(conn, "DELETE FROM ck_stock_movements", ())
    finally:
        backend.close()


def test_mode_ro_on_a_database_that_needs_migrations_says_why(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with pytest.raises(StorageError, match="read-only"):
        open_store(f"sqlite:///{path}?mode=ro")
    with (
        open_store(f"sqlite:///{path}?mode=ro", migrate=False) as store,
        pytest.raises(SchemaVersionError),
        store.transaction(readonly=True),
    ):
        pass  # pragma: no cover


def test_mode_ro_keeps_a_rollback_journal_file_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    _store_file(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    with open_store(f"sqlite:///{path}?mode=ro") as store, store.transaction(readonly=True) as tx:
        assert tx.stock.level("A", "main") is not None
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_mode_ro_and_rw_need_an_existing_file(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StorageError, match=f"no SQLite database at .*mode={mode}"):
        open_store(f"sqlite:///{path}?mode={mode}")
    assert not path.exists()


def test_mode_rw_writes_an_existing_file_and_rwc_creates_one(tmp_path: Path) -> None:
    url = _store_file(tmp_path / "shop.db")
    with open_store(f"{url}?mode=rw") as store, store.transaction() as tx:
        tx.stock.move("A", "main", 1, MovementKind.RECEIVE)
    with open_store(url) as store, store.transaction(readonly=True) as tx:
        level = tx.stock.level("A", "main")
    assert level is not None and level.on_hand == 6
    with open_store(f"sqlite:///{tmp_path / 'new.db'}?mode=rwc") as store:
        assert store.schema_state().version("inventory") >= 1
    assert (tmp_path / "new.db").exists()


# -- what a refused write says --------------------------------------------------------------


def test_a_file_sqlite_cannot_write_is_not_called_a_read_only_transaction(tmp_path: Path) -> None:
    # Tests run as root, where chmod does not stop writes; an immutable open does.
    path = tmp_path / "shop.db"
    _store_file(path)
    backend = SqliteBackend(f"file://{path}?immutable=1", busy_timeout=1)
    conn = backend.acquire()
    try:
        backend.begin(conn, readonly=False)
        with pytest.raises(StorageError) as info:
            backend.execute(conn, "DELETE FROM ck_stock_movements", ())
        backend.rollback(conn, readonly=False)
    finally:
        backend.close()
    text = str(info.value)
    assert "not writable" in text and str(path) in text
    assert "read-only transaction" not in text


class _Conn:
    def __init__(self, query_only: bool) -> None:
        self.query_only = query_only


@pytest.mark.parametrize(
    ("message", "query_only", "expected"),
    [
        ("attempt to write a readonly database", True, "a write inside a read-only transaction"),
        ("attempt to write a readonly database", False, "the file, or the directory"),
        ("unable to open database file", False, "is the directory there"),
        ("database disk image is malformed", False, "is damaged"),
        ("file is not a database", False, "is damaged"),
        ("database is locked", False, "stayed locked"),
    ],
)
def test_sqlite_errors_are_translated_by_what_happened(
    message: str, query_only: bool, expected: str
) -> None:
    backend = SqliteBackend("/srv/shop.db", busy_timeout=1)
    error = backend.translate(sqlite3.OperationalError(message), _Conn(query_only))
    assert isinstance(error, StorageError)
    assert expected in str(error) and message in str(error)
    if "locked" in message:
        assert isinstance(error, StorageBusyError)


def test_a_read_only_store_blames_its_mode() -> None:
    backend = SqliteBackend("file:///srv/shop.db?mode=ro", busy_timeout=1)
    error = backend.translate(sqlite3.OperationalError("attempt to write a readonly database"))
    assert "'/srv/shop.db' was opened read-only (mode=ro)" in str(error)


def test_a_damaged_page_read_after_execute_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    with open_store(url) as store, store.transaction() as tx:
        for n in range(400):
            tx.stock.move(f"SKU-{n:04d}", "main", 5, MovementKind.RECEIVE, reason="delivery")
    size = path.stat().st_size
    with path.open("r+b") as damaged:  # every page but the first (the schema) is garbage
        damaged.seek(4096)
        damaged.write(b"\xa5" * (size - 4096))
    with (
        pytest.raises(StorageError, match="damaged"),  # never a bare sqlite3.DatabaseError
        open_store(url) as store,
        store.transaction(readonly=True) as tx,
    ):
        tx.stock.levels()
        tx.execute("SELECT * FROM ck_stock_movements").fetchall()
        tx.execute("PRAGMA integrity_check").fetchall()


# -- opening does not take the write lock; the migrate hint ---------------------------------


def test_opening_a_migrated_store_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    url = _store_file(path)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE ck_stock_levels SET on_hand = on_hand")
        started = time.monotonic()
        with open_store(url, busy_timeout=0.3) as store:
            with store.transaction(readonly=True) as tx:
                assert tx.stock.level("A", "main") is not None
            assert time.monotonic() - started < 0.3
            with pytest.raises(StorageBusyError), store.transaction():  # the writer holds it
                pass  # pragma: no cover
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_migrate_hint_names_the_schema(postgres_url: str, postgres_schema: str) -> None:
    with (
        open_store(postgres_url, schema=postgres_schema) as store,
        pytest.raises(SchemaVersionError) as info,
        store.transaction(),
    ):
        pass  # pragma: no cover
    assert f"commercekit migrate {postgres_url} --schema {postgres_schema}" in str(info.value)


def test_the_sqlite_migrate_hint_has_no_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with (
        open_store(url, migrate=False) as store,
        pytest.raises(SchemaVersionError) as info,
        store.transaction(),
    ):
        pass  # pragma: no cover
    assert f"`commercekit migrate {url}`" in str(info.value)
