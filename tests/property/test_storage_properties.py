"""Hypothesis properties of the store: exact round trips and counters that keep their rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commercekit import Money, from_minor_units
from commercekit.errors import InsufficientStockError, ReservationError
from commercekit.money import all_currencies
from commercekit.storage import AggregateKind, MovementKind, Store, open_store

CODES = [c.code for c in all_currencies()]


@attrs.frozen
class Doc:
    id: str
    version: int = 0
    title: str = ""
    prices: tuple[Money, ...] = ()
    weights: dict[str, Decimal] = attrs.Factory(dict)
    total: Money | None = None


DOCS = AggregateKind("doc", Doc, amount=lambda d: d.total)

texts = st.text(st.characters(codec="utf-8"), max_size=50)
moneys = st.builds(
    from_minor_units, st.integers(-(10**18), 10**18), st.sampled_from(CODES)
) | st.builds(
    Money,
    st.decimals(min_value=-(10**9), max_value=10**9, places=8, allow_nan=False),
    st.sampled_from(["USD", "JPY", "KWD"]),
)
docs = st.builds(
    Doc,
    id=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40),
    title=texts,
    prices=st.tuples(moneys) | st.tuples(moneys, moneys) | st.just(()),
    weights=st.dictionaries(texts, st.decimals(allow_nan=False, allow_infinity=False), max_size=3),
    total=st.none() | st.builds(from_minor_units, st.integers(-(10**18), 10**18), st.just("EUR")),
)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with open_store("memory://") as shared:
        yield shared


@settings(max_examples=150)
@given(doc=docs)
def test_aggregates_round_trip_exactly(store: Store, doc: Doc) -> None:
    with store.transaction() as tx:
        repo = tx.aggregates(DOCS)
        stored = repo.find(doc.id)
        if stored is not None:
            repo.delete(stored)
        saved = repo.add(doc)
        assert repo.get(doc.id) == saved == attrs.evolve(doc, version=1)


operations = st.lists(
    st.tuples(
        st.sampled_from(["receive", "adjust", "reserve", "unreserve", "sell", "floor"]),
        st.integers(-20, 20),
    ),
    max_size=40,
)


@settings(max_examples=100)
@given(ops=operations)
def test_stock_counters_keep_their_rules(ops: list[tuple[str, int]]) -> None:
    with open_store("memory://") as store, store.transaction() as tx:
        stock = tx.stock
        stock.ensure("S", "L")
        for op, n in ops:
            try:
                if op == "receive" and n > 0:
                    stock.move("S", "L", n, MovementKind.RECEIVE)
                elif op == "adjust" and n != 0:
                    stock.move("S", "L", n, MovementKind.ADJUST)
                elif op == "reserve" and n > 0:
                    stock.reserve("S", "L", n)
                elif op == "unreserve" and n > 0:
                    stock.unreserve("S", "L", n)
                elif op == "sell" and n > 0:
                    stock.sell_reserved("S", "L", n)
                elif op == "floor" and n <= 0:
                    stock.set_floor("S", "L", n)
            except (InsufficientStockError, ReservationError):
                pass  # refused operations must leave the row as it was: checked below
            level = stock.level("S", "L")
            assert level is not None
            assert level.available >= level.floor
            assert level.reserved >= 0
            assert level.on_hand == sum(m.quantity for m in stock.movements("S", "L"))


offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets
)


@given(moments, moments)
def test_sqlite_time_text_round_trips_and_sorts_like_time(a: datetime, b: datetime) -> None:
    from commercekit.storage._sqlite import SqliteBackend

    backend = SqliteBackend(":memory:", busy_timeout=1)
    text_a, text_b = backend.to_db_time(a), backend.to_db_time(b)
    assert len(text_a) == len(text_b) == 27 and text_a.endswith("Z")
    assert backend.from_db_time(text_a) == a
    assert (text_a < text_b) == (a < b) and (text_a == text_b) == (a == b)
