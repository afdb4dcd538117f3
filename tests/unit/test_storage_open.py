from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commercekit.areas import BUILTIN_AREAS
from commercekit.cli import main
from commercekit.errors import ConfigurationError, StorageError
from commercekit.inventory import INVENTORY_AREA
from commercekit.storage import CORE_AREA, DEFAULT_URL, URL_ENV, open_store
from commercekit.storage._url import check_schema_name, parse_url


def test_url_parsing() -> None:
    assert parse_url("sqlite:///shop.db").target == "shop.db"
    assert parse_url("sqlite:////srv/shop%20one.db").target == "/srv/shop one.db"
    assert parse_url("memory://").backend == "memory"
    pg = parse_url("postgres://app:s3cret@db.internal:6432/shop")
    assert (pg.backend, pg.target) == ("postgresql", "postgres://app:s3cret@db.internal:6432/shop")
    assert "s3cret" not in pg.redacted and "db.internal:6432" in pg.redacted
    assert parse_url("postgresql://:pw@host/db").redacted == "postgresql://***@host/db"


@pytest.mark.parametrize(
    "bad",
    ["shop.db", "mysql://x/y", "sqlite://shop.db", "sqlite:///", "sqlite:///:memory:", 42],
)
def test_bad_urls_are_configuration_errors(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        parse_url(bad)  # type: ignore[arg-type]


def test_default_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    assert parse_url(None).redacted == DEFAULT_URL
    monkeypatch.setenv(URL_ENV, "memory://")
    assert parse_url(None).backend == "memory"


def test_default_sqlite_file_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        assert store.backend == "sqlite"
    assert (tmp_path / "commercekit.db").exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"busy_timeout": 0},
        {"busy_timeout": True},
        {"busy_timeout": "5"},
        {"pool_size": 0},
        {"pool_size": 2.5},
        {"schema": "shop"},  # schema is a PostgreSQL option
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        open_store("memory://", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "1abc", 'x"; DROP TABLE y; --', "a-b", "x" * 64, None])
def test_schema_names_must_be_plain_identifiers(name: object) -> None:
    with pytest.raises(ConfigurationError):
        check_schema_name(name)  # type: ignore[arg-type]


def test_unopenable_sqlite_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        open_store(f"sqlite:///{tmp_path / 'missing-dir' / 'shop.db'}")


def test_unreachable_postgres_is_a_storage_error_without_the_password() -> None:
    with pytest.raises(StorageError) as info:
        open_store("postgresql://app:hunter2@127.0.0.1:1/shop", busy_timeout=0.5)
    assert "hunter2" not in str(info.value)


#: What the migrate command reports for a new database: every area's migrations in order.
ALL_APPLIED = ", ".join(
    f"{area.name} {migration.version}"
    for area in (CORE_AREA, *BUILTIN_AREAS)
    for migration in area.migrations
)


def test_store_repr_hides_the_password(postgres_url: str, postgres_schema: str) -> None:
    url = postgres_url.replace("postgres@", "postgres:pw@", 1)
    with open_store(url, schema=postgres_schema, migrate=True) as store:
        assert "pw" not in repr(store) and "***" in repr(store)
        assert store.backend == "postgresql"


def test_migrate_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    out = io.StringIO()
    assert main(["migrate", url], out=out) == 0
    assert f"applied {ALL_APPLIED}" in out.getvalue()
    out = io.StringIO()
    assert main(["migrate", url], out=out) == 0
    assert "nothing to do" in out.getvalue()


def test_migrate_command_on_postgres(postgres_url: str, postgres_schema: str) -> None:
    env = {**os.environ, "COMMERCEKIT_DATABASE_URL": postgres_url}
    result = subprocess.run(
        [sys.executable, "-m", "commercekit", "migrate", "--schema", postgres_schema],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert f"applied {ALL_APPLIED}" in result.stdout
    with open_store(postgres_url, schema=postgres_schema) as store:
        assert store.schema_state().version("inventory") == INVENTORY_AREA.version


def test_migrate_command_reports_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "mysql://nope"]) == 1
    assert "unknown store backend" in capsys.readouterr().err


def test_memory_store_survives_a_fork_as_a_private_copy() -> None:
    from commercekit.storage import MovementKind

    with open_store("memory://") as store:
        with store.transaction() as tx:
            tx.stock.move("A", "main", 5, MovementKind.RECEIVE)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit code
            code = 1
            try:
                with store.transaction() as tx:
                    level = tx.stock.level("A", "main")
                    tx.stock.reserve("A", "main", 5)
                code = 0 if level is not None and level.on_hand == 5 else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        with store.transaction(readonly=True) as tx:
            level = tx.stock.level("A", "main")
        assert level is not None and level.reserved == 0  # the child's copy was its own


def test_sqlite_timestamps_are_fixed_width_utc_text() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from commercekit.storage._sqlite import SqliteBackend

    backend = SqliteBackend(":memory:", busy_timeout=1)
    paris = timezone(timedelta(hours=1))
    cases = {
        datetime(5, 1, 1, tzinfo=UTC): "0005-01-01T00:00:00.000000Z",
        datetime(2026, 3, 1, 13, 0, 0, 5, tzinfo=paris): "2026-03-01T12:00:00.000005Z",
    }
    for moment, text in cases.items():
        assert backend.to_db_time(moment) == text
        assert backend.from_db_time(text) == moment
        assert backend.from_db_time(text).utcoffset() == timedelta(0)


def test_a_clock_in_another_zone_still_stores_and_returns_utc() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from commercekit.storage import MovementKind, ReservationLine

    class TokyoClock:
        def now(self) -> datetime:
            return datetime(2026, 3, 1, 21, 0, tzinfo=timezone(timedelta(hours=9)))

    with open_store("memory://", clock=TokyoClock()) as store:
        with store.transaction() as tx:
            tx.stock.move("A", "main", 5, MovementKind.RECEIVE)
            made = tx.reservations.create(
                "k",
                [ReservationLine("A", "main", 1)],
                expires_at=tx.now() + timedelta(minutes=15),
                request_hash="h",
            )
        assert made.created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        assert made.created_at.utcoffset() == timedelta(0)
        with store.transaction() as tx:
            assert tx.reservations.by_key("k") == made


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_the_process_id_is_kept_current_across_fork() -> None:
    from commercekit.storage._process import PROCESS

    assert PROCESS.pid == os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        os._exit(0 if PROCESS.pid == os.getpid() != os.getppid() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert PROCESS.pid == os.getpid()
