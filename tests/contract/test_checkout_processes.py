"""Checkouts racing for limited promotions in real OS processes: SQLite (a file) and PostgreSQL.

Twice as many checkouts as the promotion's limit race through
:func:`~commercekit.cart.consume_promotions`. The mix makes the outcome exact whatever the
interleaving: 8 guest checkouts are limited only by the promotion's total, and 16 customer
checkouts form four independent squares (two customers sharing two single-use codes, each
customer limited to one use). Had fewer than 12 succeeded, the total limit would have refused
nobody, so all 8 guests and, in each square, two checkouts (any race on a square grants two
unless another limit intervenes) would have succeeded: 16. Hence exactly 12 succeed, and the
other 12 are refused by whichever limit they met first.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.contract import _checkout_workers as checkout
from tests.contract import test_storage_processes as storage_processes
from tests.contract.test_storage_processes import (
    PROCESSES,
    Target,
    run_workers,
    unexpected_errors,
)

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema


def _checkouts() -> list[tuple[str | None, str | None]]:
    guests: list[tuple[str | None, str | None]] = [(None, None)] * 8
    customers: list[tuple[str | None, str | None]] = []
    for square in range(4):  # customers a and b, codes x and y: a-x, a-y, b-x, b-y
        first, second = f"cust-{square}a", f"cust-{square}b"
        x, y = checkout.CODES[2 * square], checkout.CODES[2 * square + 1]
        customers += [(first, x), (first, y), (second, x), (second, y)]
    return guests + customers


@pytest.mark.slow
def test_racing_checkouts_never_pass_any_usage_limit(target: Target) -> None:
    checkouts = _checkouts()
    assert len(checkouts) == 2 * checkout.LIMIT
    share = len(checkouts) // PROCESSES
    # Interleave so that every process holds guests and customers of several squares.
    plan = [(target.url, target.schema, checkouts[i::PROCESSES]) for i in range(PROCESSES)]
    assert sum(len(p[2]) for p in plan) == share * PROCESSES == len(checkouts)
    with target.open() as store:
        results = run_workers(checkout.checkout_worker, plan)
        assert unexpected_errors(results) == []
        granted = [tuple(g) for r in results for g in r["granted"]]
        refused = [tuple(g) for r in results for g in r["refused"]]
        assert len(granted) == checkout.LIMIT
        assert len(refused) == len(checkouts) - checkout.LIMIT
        by_customer = Counter(customer for customer, _ in granted if customer is not None)
        by_code = Counter(code for _, code in granted if code is not None)
        assert set(by_customer.values()) <= {1}
        assert set(by_code.values()) <= {1}
        with store.transaction(readonly=True) as tx:
            usage = tx.promotion_usage
            assert usage.count("limited").total == checkout.LIMIT
            assert usage.count("single-use").total == sum(by_code.values())
            for customer, _ in checkouts:
                if customer is not None:
                    mine = usage.count("limited", customer).by_customer
                    assert mine == by_customer[customer] <= 1, customer
            for code in checkout.CODES:
                assert usage.count(f"code:{code}").total == by_code[code] <= 1, code
