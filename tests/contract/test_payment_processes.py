"""Captures racing in real OS processes, on a SQLite file and on PostgreSQL.

Several processes capture the same authorized payment at once, or one captures while another
delivers the provider's webhook about that capture. The gateway double stores every call it
receives in the shared store, so the calls of all processes are counted: whatever the
interleaving, the provider is asked to capture once and the payment records one capture.
"""

from __future__ import annotations

import pytest

from commercekit import Money
from commercekit.payments import PaymentOperation, PaymentStatus
from commercekit.payments._service import PaymentService
from tests.contract import _payment_workers as workers
from tests.contract import test_storage_processes as storage_processes
from tests.contract.test_storage_processes import Target, run_workers, unexpected_errors

target = storage_processes.target  # the same backends: a SQLite file and a PostgreSQL schema

CAPTURERS = 3
AMOUNT = Money("120.00", "EUR")


def _authorize(target: Target) -> None:
    with target.open() as store:
        service = PaymentService(store, {"card": workers.RecordedGateway(store)})
        payment = service.authorize("race-1", "card", AMOUNT, "tok_visa")
        assert (payment.status, payment.reference) == (PaymentStatus.AUTHORIZED, workers.REFERENCE)


def _check_one_capture(target: Target) -> None:
    with target.open() as store:
        calls = workers.capture_calls(store)
        payment = PaymentService(store, {}).get("race-1")
    assert len(calls) == 1, calls
    assert calls[0].key == "race-1:capture:1"
    assert calls[0].amount_minor == 12000
    captures = [t for t in payment.transitions if t.operation is PaymentOperation.CAPTURE]
    assert len(captures) == 1
    assert captures[0].key == "race-1:capture:1"
    assert (payment.status, payment.captured, payment.pending) == (
        PaymentStatus.CAPTURED,
        AMOUNT,
        None,
    )


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.3], ids=["instant", "slow-provider"])
def test_processes_capturing_at_once_make_one_capture(target: Target, delay: float) -> None:
    _authorize(target)
    plan = [(target.url, target.schema, "capture", "race-1", delay)] * CAPTURERS
    results = run_workers(workers.payment_worker, plan)
    assert unexpected_errors(results) == []
    outcomes = sorted(r["outcome"] for r in results)
    _check_one_capture(target)
    if delay:
        # The call stays in flight while the others claim: each loser waits for the winner's
        # record and returns the captured payment.
        assert outcomes == ["captured"] * CAPTURERS
    else:
        # A loser that first read the payment after the winner recorded is told it is captured.
        assert "captured" in outcomes
        assert set(outcomes) <= {"captured", "refused"}


@pytest.mark.slow
def test_a_webhook_and_a_client_capturing_at_once_record_one_capture(target: Target) -> None:
    _authorize(target)
    plan = [
        (target.url, target.schema, "capture", "race-1", 0.3),
        (target.url, target.schema, "webhook", "race-1", 0.0),
    ]
    results = run_workers(workers.payment_worker, plan)
    assert unexpected_errors(results) == []
    outcomes = sorted(r["outcome"] for r in results)
    # The webhook comes while the capture is claimed (its answer records it) or after.
    assert outcomes[0] == "captured"
    assert outcomes[1] in {"webhook:authorized", "webhook:captured"}
    _check_one_capture(target)
