"""Eight processes spending one gift card at once: SQLite (a file) and PostgreSQL.

The card holds 100.00 EUR and every hold asks 5.00: 32 requests under keys of their own and 4
under keys two processes share, 36 distinct requests for 180.00. Holds are refused only when
less than 5.00 is left, so exactly 20 succeed whatever the interleaving: more would take the
balance below zero, fewer would refuse a hold the card could cover. A shared key and a retried
one must each make one hold. Then every hold is captured (all, or part and a final rest) or
voided, racing again, and the card must end at 100.00 less what was captured, holding nothing.
"""

from __future__ import annotations

from collections import Counter

import pytest

from commercekit import Money
from commercekit.money import from_minor_units
from commercekit.payments._credit import StoreCreditGateway, issue_gift_card
from commercekit.storage import Store, open_store
from tests.contract import _credit_workers as credit
from tests.contract import test_storage_processes as storage_processes
from tests.contract.test_storage_processes import (
    PROCESSES,
    Target,
    count,
    run_workers,
    unexpected_errors,
)

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema

BALANCE = Money("100.00", "EUR")


@pytest.mark.slow
def test_racing_processes_never_hold_more_than_the_balance(target: Target) -> None:
    with open_store(target.url, schema=target.schema, migrate=True, areas=credit.AREAS) as store:
        code, card = issue_gift_card(store, BALANCE, key=credit.KEY)
        plan = [(target.url, target.schema, code, index) for index in range(PROCESSES)]
        results = run_workers(credit.spend_worker, plan)
        assert unexpected_errors(results) == []

        outcomes = [r["outcomes"] for r in results]
        unique: dict[str, str] = {}
        for seen in outcomes:
            for key, outcome in seen.items():
                # Two processes that sent the same key got the same answer.
                assert unique.setdefault(key, outcome) == outcome, key
        assert len(unique) == PROCESSES * credit.ATTEMPTS + PROCESSES // 2
        granted = [ref for ref in unique.values() if ref != "declined"]
        fits = int(BALANCE.amount) // int(credit.HOLD.amount)
        assert len(granted) == len(set(granted)) == fits
        # A retry under a worker's first key answered what the first attempt did.
        assert all(r["retried"] == r["outcomes"][f"w{r['index']}-a0"] for r in results)

        holds = count(store, "SELECT COUNT(*) FROM ck_credit_holds")
        held_sum = count(store, "SELECT COALESCE(SUM(authorized), 0) FROM ck_credit_holds")
        assert holds == fits and held_sum == fits * 500 <= 10_000
        statuses = Counter(row[0] for row in _rows(store, "SELECT status FROM ck_credit_holds"))
        assert statuses["held"] == 0 and sum(statuses.values()) == fits

        captured = sum(r["captured"] for r in results)
        assert captured == count(store, "SELECT SUM(captured) FROM ck_credit_holds")
        after = StoreCreditGateway(store, key=credit.KEY).gift_card(code)
        assert after is not None and after.id == card.id
        assert after.balance == BALANCE - from_minor_units(captured, "EUR")
        assert after.held == Money("0", "EUR")


def _rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.transaction(readonly=True) as tx:
        return [tuple(row) for row in tx.execute(sql).fetchall()]
