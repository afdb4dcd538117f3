"""The checkout benchmark's pieces at tiny sizes: counting, thresholds, workers and the report."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

import pytest
from benchmarks import bench_checkout as bench
from benchmarks._checkout_workers import Shop, open_target, run_checkouts, sku, stock_up
from benchmarks.versus import parse_output

import commercekit.inventory  # noqa: F401 - loads the modules holding the thresholds


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'checkout.db'}"
    stock_up(url, None)
    return url


def _consistent(count: bench.Count) -> None:
    """Every statement has one call site; every transaction begun ends once."""
    assert count.statements > 0
    assert sum(count.sites.values()) == count.statements
    assert sum(count.kinds.values()) == count.statements
    assert 0 < count.fake < count.statements  # the fake gateway keeps its books in the store
    begun = count.kinds["begin-write"] + count.kinds["begin-read"]
    assert begun > 0
    assert count.kinds["commit"] + count.kinds["rollback"] == begun


@pytest.mark.parametrize(
    ("text", "dialect", "kind"),
    [
        ("BEGIN IMMEDIATE", "sqlite", "begin-write"),
        ("BEGIN", "sqlite", "begin-read"),
        ("BEGIN", "postgresql", "begin-write"),
        ("BEGIN READ ONLY", "postgresql", "begin-read"),
        ("COMMIT", "postgresql", "commit"),
        ("ROLLBACK", "sqlite", "rollback"),
        ("ROLLBACK TO SAVEPOINT ck_sp_1", "postgresql", "savepoint"),
        ("SAVEPOINT ck_sp_1", "sqlite", "savepoint"),
        ("RELEASE SAVEPOINT ck_sp_1", "sqlite", "savepoint"),
        ("UPDATE ck_stock_levels SET reserved = reserved + 1", "sqlite", "other"),
    ],
)
def test_statement_kinds(text: str, dialect: str, kind: str) -> None:
    assert bench.statement_kind(text, dialect) == kind


def test_statements_of_a_sqlite_checkout_are_counted_with_their_call_sites(
    sqlite_url: str,
) -> None:
    with open_target(sqlite_url, None) as store:
        shop = Shop(store)
        one = bench.count_checkouts(shop, 1, repeats=1, warmup=1)
        two = bench.count_checkouts(shop, 2, repeats=1, warmup=0)
        # Counting stops with the block: a checkout afterwards is not counted anywhere.
        shop.place(shop.save_cart("after", [sku(0)]), "after-1")
    for count in (one, two):
        _consistent(count)
        assert count.round_trips is None  # counted on the wire on PostgreSQL only
    assert two.statements >= one.statements
    assert all(not site.startswith("(outside") for site in one.sites)
    lines = bench._sites({1: one, 2: two}, [1, 2])
    assert all(line.startswith("  ") for line in lines)


def _thresholds() -> list[object]:
    return [getattr(importlib.import_module(m), name) for m, name in bench.THRESHOLDS]


def test_set_based_paths_set_the_thresholds_to_zero_and_restore_them() -> None:
    before = _thresholds()
    assert all(isinstance(value, int) and value > 0 for value in before)
    with bench.set_based_paths() as patched:
        assert patched == ["_reservations.MANY", "_lifecycle.MANY", "_sql_stock._FEW_ROWS"]
        assert _thresholds() == [0, 0, 0]
    assert _thresholds() == before


def test_a_worker_loop_places_orders(sqlite_url: str) -> None:
    with open_target(sqlite_url, None) as store:
        shop = Shop(store)
        cart = shop.save_cart("loop", bench.cart_skus(0))
        placed, failed, elapsed, error = run_checkouts(shop, cart, "loop", 0.01)
    assert (failed, error) == (0, "")
    assert placed >= 1
    assert elapsed >= 0.01


def test_carts_of_the_processes_share_one_sku_and_no_other() -> None:
    carts = [bench.cart_skus(index) for index in range(8)]
    assert all(len(cart) == bench.CART_LINES == len(set(cart)) for cart in carts)
    assert {cart[0] for cart in carts} == {sku(0)}
    own = [sku for cart in carts for sku in cart[1:]]
    assert len(own) == len(set(own))


@pytest.mark.slow
def test_throughput_in_a_spawned_process(sqlite_url: str) -> None:
    rate = bench.throughput("sqlite", sqlite_url, None, 1, warmup=1, seconds=0.2)
    assert (rate.failed, rate.error) == (0, "")
    assert rate.placed >= 1
    assert rate.per_second > 0
    assert "checkouts/s" in rate.line()


def _count(statements: int, wire: int | None = None) -> bench.Count:
    kinds = Counter({"begin-write": 2, "begin-read": 1, "commit": 3})
    return bench.Count(statements, 1, wire, kinds=kinds, sites=Counter({"x.py:1 f": statements}))


def test_the_report_says_whether_postgresql_round_trips_grow() -> None:
    flat = bench.Backend("postgresql", counts={1: _count(50, 52), 10: _count(50, 51)})
    grows = bench.Backend("postgresql", counts={1: _count(50, 52), 10: _count(59, 61)})
    assert bench.verdict(flat).endswith(": met")
    assert "NOT MET" in bench.verdict(grows)
    assert "10 lines +9" in bench.verdict(grows)
    sqlite = bench.Backend(
        "sqlite",
        rates=[
            bench.Rate("sqlite, 1 process", 1, 30, 0, 3.0),
            bench.Rate("sqlite, 8 processes", 8, 60, 1, 3.0, "StorageBusyError: locked"),
        ],
        counts={1: _count(40), 10: _count(49)},
    )
    lines = bench.report([sqlite, grows])
    text = "\n".join(lines)
    assert "10.0 checkouts/s" in text
    assert "1 failed: StorageBusyError" in text
    assert "8 processes / 1 process 2.00x" in text
    assert "NOT MET" in text
    # No line of the report is mistaken for a timed comparison by benchmarks.versus.
    assert parse_output(text) == {}


def test_counting_on_postgresql(postgres_url: str, postgres_schema: str) -> None:
    stock_up(postgres_url, postgres_schema)
    with open_target(postgres_url, postgres_schema) as store:
        count = bench.count_checkouts(Shop(store), 1, repeats=1, warmup=1)
    _consistent(count)
    assert count.round_trips is not None
    assert count.round_trips >= count.statements  # every statement is one request at least
