"""One store-backed FakeGateway shared by real OS processes: SQLite (a file) and PostgreSQL.

Processes authorizing with one key make one authorization and all get its answer; capturing
with one key captures once; capturing the rest with keys of their own, one wins and the others
get the provider's refusal. A process killed after the provider answered leaves the
authorization the fake reports, and the retry with its key finds it instead of charging again.
"""

from __future__ import annotations

import os
import signal

import pytest

from commercekit.gateways.payments._fake import FakeGateway
from commercekit.gateways.payments._fake_state import FakeChargeStatus
from tests.contract import _fake_gateway_workers as workers
from tests.contract import test_storage_processes as storage_processes
from tests.contract.test_storage_processes import (
    SPAWN,
    Target,
    run_workers,
    unexpected_errors,
)

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema

RACERS = 4


@pytest.mark.slow
def test_racing_processes_authorize_and_capture_once(target: Target) -> None:
    with target.open() as store:
        results = run_workers(
            workers.race_worker, [(target.url, target.schema, "pay-race")] * RACERS
        )
        assert unexpected_errors(results) == []
        fake = FakeGateway(store=store)
        [charge] = fake.charges(payment_id="pay-race")
    assert {r["reference"] for r in results} == {charge.id}
    assert {r["first"] for r in results} == {(charge.id, str(workers.FIRST_CAPTURE.amount))}
    refusals = sorted(r["refused"] or "" for r in results)
    assert refusals == [""] + ["payment_intent_unexpected_state"] * (RACERS - 1)
    assert charge.status is FakeChargeStatus.CAPTURED
    assert (charge.count("authorize"), charge.count("capture")) == (1, 2)
    assert (charge.authorized, charge.captured) == (workers.AMOUNT, workers.AMOUNT)
    assert [op.amount_minor for op in charge.operations] == [10000, 4000, 6000]


@pytest.mark.slow
def test_a_process_killed_after_the_answer_leaves_one_authorization(target: Target) -> None:
    key = "pay-killed:authorize:1"
    with target.open() as store:
        authorized = SPAWN.Event()
        process = SPAWN.Process(
            target=workers.authorize_then_hang,
            args=(target.url, target.schema, "pay-killed", key, authorized),
            daemon=True,
        )
        process.start()
        try:
            assert authorized.wait(storage_processes.RESULT_TIMEOUT)
            assert process.pid is not None
            os.kill(process.pid, signal.SIGKILL)
            process.join(storage_processes.RESULT_TIMEOUT)
            assert process.exitcode == -signal.SIGKILL
        finally:
            if process.is_alive():
                process.kill()
                process.join()
        fake = FakeGateway(store=store)
        [charge] = fake.charges(payment_id="pay-killed")
        assert (charge.status, charge.authorized) == (FakeChargeStatus.AUTHORIZED, workers.AMOUNT)
        retried = fake.authorize(workers.request("pay-killed"), idempotency_key=key)
        assert retried.reference == charge.id
        [after] = fake.charges(payment_id="pay-killed")
        assert after.count("authorize") == 1
