"""``commercekit check``, and a demo that never writes into someone else's database."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from commercekit.cli import main
from commercekit.inventory import InventoryService
from commercekit.storage import URL_ENV, MovementKind, open_store


def _check(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["check", *args], out=out)
    return code, out.getvalue()


def _shop(url: str, schema: str | None = None) -> None:
    """A store with received stock, an open reservation, a committed one and a released one."""
    with open_store(url, schema=schema, migrate=True) as store:
        inventory = InventoryService(store, ttl=timedelta(minutes=15))
        inventory.receive("TEE", "paris", 10, reason="delivery")
        inventory.receive("MUG", "paris", 3)
        inventory.set_bundle("GIFT", {"TEE": 1, "MUG": 1})
        inventory.reserve("cart-1", {"TEE": 2, "GIFT": 1})
        sold = inventory.reserve("cart-2", {"MUG": 1})
        inventory.commit(sold, reference="order-2")
        inventory.release(inventory.reserve("cart-3", {"TEE": 1}))


def _sqlite_shop(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    _shop(url)
    return url, path


def _behind_the_librarys_back(path: Path, sql: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(sql)
    conn.close()


def test_a_healthy_sqlite_store_passes(tmp_path: Path) -> None:
    url, path = _sqlite_shop(tmp_path)
    before = path.read_bytes()
    code, text = _check(url)
    assert code == 0, text
    assert "integrity_check: ok" in text and "foreign_key_check: ok" in text
    assert text.rstrip().endswith("ok: no problems found")
    assert path.read_bytes() == before  # opened read-only


def test_the_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = _sqlite_shop(tmp_path)
    monkeypatch.setenv(URL_ENV, url)
    assert _check()[0] == 0


def test_a_page_damaged_on_disk_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    with open_store(url) as store, store.transaction() as tx:
        for n in range(400):
            tx.stock.move(f"SKU-{n:04d}", "main", 5, MovementKind.RECEIVE, reason="delivery")
    assert _check(url)[0] == 0
    size = path.stat().st_size
    with path.open("r+b") as damaged:  # garbage over one page in the middle of the closed file
        damaged.seek(size // 2 // 4096 * 4096)
        damaged.write(b"\xa5" * 4096)
    code, text = _check(url)
    assert code == 1
    assert "problem(s):" in text and ("integrity" in text or "damaged" in text), text


def test_a_damaged_file_is_reported_by_the_command_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    _shop(url)
    with path.open("r+b") as damaged:
        damaged.write(b"\xa5" * 4096)  # the header page: no longer a SQLite database
    result = subprocess.run(
        [sys.executable, "-m", "commercekit", "check", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "cannot open the store" in result.stdout and "damaged" in result.stdout


def test_on_hand_changed_behind_the_librarys_back_is_reported(tmp_path: Path) -> None:
    url, path = _sqlite_shop(tmp_path)
    _behind_the_librarys_back(path, "UPDATE ck_stock_levels SET on_hand = 99 WHERE sku = 'TEE'")
    code, text = _check(url)
    assert code == 1
    assert "stock TEE at paris: on hand 99, but its ledger movements add up to 10" in text


def test_reserved_that_no_reservation_holds_is_reported(tmp_path: Path) -> None:
    url, path = _sqlite_shop(tmp_path)
    _behind_the_librarys_back(path, "UPDATE ck_stock_levels SET reserved = 1 WHERE sku = 'TEE'")
    code, text = _check(url)
    assert code == 1
    assert "stock TEE at paris: reserved 1, but active reservations hold 3" in text


def test_holds_taken_directly_pass_with_direct_holds(tmp_path: Path) -> None:
    url, _ = _sqlite_shop(tmp_path)
    with open_store(url) as store, store.transaction() as tx:
        assert tx.stock.reserve("TEE", "paris", 2)
    code, text = _check(url)
    assert code == 1 and "reserved 5, but active reservations hold 3" in text
    assert _check(url, "--direct-holds")[0] == 0


def test_a_store_that_is_not_migrated_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    code, text = _check(f"sqlite:///{path}")
    assert code == 1 and "schema:" in text and "commercekit migrate" in text


def test_check_never_creates_a_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    code, text = _check(f"sqlite:///{path}")
    assert code == 1 and "no SQLite database" in text
    assert list(tmp_path.iterdir()) == []


def test_check_refuses_what_it_cannot_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "memory://"]) == 1
    assert "nothing to check" in capsys.readouterr().err
    assert main(["check", "sqlite:///x.db?cache=shared"]) == 1
    assert "'cache'" in capsys.readouterr().err


def test_a_healthy_postgres_store_passes(postgres_url: str, postgres_schema: str) -> None:
    _shop(postgres_url, postgres_schema)
    code, text = _check(postgres_url, "--schema", postgres_schema)
    assert code == 0, text
    assert f"schema {postgres_schema}" in text and "constraints and indexes validated: ok" in text


def test_postgres_problems_are_reported(postgres_url: str, postgres_schema: str) -> None:
    import psycopg

    _shop(postgres_url, postgres_schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {postgres_schema}")
        conn.execute("UPDATE ck_stock_levels SET on_hand = on_hand + 1 WHERE sku = 'MUG'")
        conn.execute("ALTER TABLE ck_stock_levels ADD CONSTRAINT few CHECK (on_hand < 5) NOT VALID")
    code, text = _check(postgres_url, "--schema", postgres_schema)
    assert code == 1
    assert "stock MUG at paris: on hand 3, but its ledger movements add up to 2" in text
    assert "constraint few of ck_stock_levels is not validated" in text
    assert "check constraint few: 1 row(s) of ck_stock_levels violate it" in text


def test_an_unreachable_postgres_is_reported() -> None:
    code, text = _check("postgresql://app:hunter2@127.0.0.1:1/shop")
    assert code == 1 and "cannot open the store" in text and "hunter2" not in text


# -- the demo -----------------------------------------------------------------------------


def _snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in directory.iterdir()}


def test_the_demo_never_opens_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    monkeypatch.chdir(theirs)
    configured = theirs / "shop.db"
    monkeypatch.setenv(URL_ENV, f"sqlite:///{configured}")
    out = io.StringIO()
    assert main(["demo"], out=out) == 0
    assert list(theirs.iterdir()) == []  # neither the configured file nor commercekit.db

    # an existing database (in the rollback-journal mode) is not touched either
    _shop(f"sqlite:///{configured}")
    with sqlite3.connect(configured) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = _snapshot(theirs)
    out = io.StringIO()
    assert main(["demo"], out=out) == 0
    assert _snapshot(theirs) == before
    match = re.search(r"store sqlite:///(\S+) \(sqlite\)", out.getvalue())
    assert match is not None
    assert not Path(match.group(1)).parent.exists()  # its own directory is gone


def test_the_demo_command_leaves_no_file_behind(tmp_path: Path) -> None:
    env = {**os.environ, URL_ENV: f"sqlite:///{tmp_path / 'shop.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "commercekit", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "sellable now: 4" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_demo_store_given_explicitly_passes_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = io.StringIO()
    assert main(["demo", "--url", url], out=out) == 0
    assert url in out.getvalue()
    assert _check(url)[0] == 0
