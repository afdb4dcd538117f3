"""Fault injection: a thousand payments through PaymentService and StripeGateway, over a bad wire.

Each trial pays one payment: authorize, then capture all, part, or part and then the rest
(multicapture). Between StripeGateway and the Stripe simulator, every request may be lost after
the server acted, answered 409/429/500/503, time out before or after it was sent, or be reset
(``_fault_transport``). The caller retries as a host does with PaymentService: after
:class:`OutcomeUnknownError` it calls again at once, and the service repeats the call under the
claim's idempotency key; after :class:`GatewayUnavailableError` it calls again later (sleeping
is a no-op here). The gateways make one, two or three attempts per call.

What is checked is the server's side (the simulator's counts): one PaymentIntent per payment,
authorized once; exactly the captures the caller asked for, never more than was authorized;
and the caller's final view (status, reference, captured amount, no claim left) equals the
server's. The seed is random unless ``COMMERCEKIT_FAULT_SEED`` is set, and every failure
names it with the trial and what happened on the wire, so ``COMMERCEKIT_FAULT_SEED=<seed>``
replays it.
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
from collections.abc import Callable, Iterator
from datetime import timedelta

import attrs
import httpx
import pytest

from commercekit import open_store
from commercekit.clock import ManualClock
from commercekit.errors import GatewayUnavailableError, OutcomeUnknownError
from commercekit.gateways.payments import StripeGateway, from_stripe_amount, to_stripe_amount
from commercekit.money import Money, from_minor_units, to_minor_units
from commercekit.payments import Payment, PaymentStatus
from commercekit.payments._service import PaymentService
from commercekit.storage import Store
from tests.contract._backends import T0
from tests.contract._fault_transport import Fault, FaultyTransport
from tests.stripe_server import API_KEY, StripeSimulator, signed_delivery

SEED_ENV = "COMMERCEKIT_FAULT_SEED"
TRIALS = 1_000
#: Calls a caller makes for one operation before the trial fails (each may be several requests).
CALLS = 60
CURRENCIES = ("EUR", "JPY", "KWD")
WEBHOOK_SECRET = "whsec_faults_8d1e2c7b5a40"
TOKEN = "pm_card_visa"


def _seed() -> int:
    given = os.environ.get(SEED_ENV)
    return int(given) if given else random.SystemRandom().randrange(2**32)


@attrs.frozen
class Plan:
    """One trial's payment: its gateway (by attempts per call), amount and captures."""

    payment_id: str
    method: str
    amount: Money
    #: (minor units, final) per capture; ``None`` units: all that is left.
    captures: tuple[tuple[int | None, bool], ...]

    @classmethod
    def draw(cls, rng: random.Random, trial: int) -> Plan:
        currency = rng.choice(CURRENCIES)
        # Multiples of 100 minor units: whole at Stripe in every currency drawn.
        hundreds = rng.randrange(2, 500)
        part = rng.randrange(1, hundreds) * 100
        shape = rng.choice(("all", "part", "part then rest"))
        captures: tuple[tuple[int | None, bool], ...] = {
            "all": ((None, True),),
            "part": ((part, True),),
            "part then rest": ((part, False), (hundreds * 100 - part, True)),
        }[shape]
        method = f"stripe{rng.randint(1, 3)}"
        return cls(f"pay-{trial}", method, from_minor_units(hundreds * 100, currency), captures)

    @property
    def captured_minor(self) -> list[int]:
        """The minor units each capture takes."""
        whole = to_minor_units(self.amount)
        return [whole if minor is None else minor for minor, _final in self.captures]


@attrs.define
class Tally:
    """What callers were told, summed over the trials."""

    unknown: int = 0
    unavailable: int = 0
    calls: int = 0


@attrs.define
class World:
    """The simulator, the bad wire to it, and a PaymentService with a gateway per attempt count."""

    sim: StripeSimulator
    wire: FaultyTransport
    store: Store
    service: PaymentService
    client: httpx.Client

    @classmethod
    def open(cls, seed: int) -> World:
        sim = StripeSimulator(API_KEY, now=lambda: int(T0.timestamp()))
        wire = FaultyTransport(sim, random.Random(seed))
        client = httpx.Client(transport=wire)
        store = open_store("memory://", clock=ManualClock(T0))
        gateways = {
            f"stripe{attempts}": StripeGateway(
                API_KEY,
                client=client,
                max_attempts=attempts,
                sleep=lambda _seconds: None,
                random=lambda: 0.0,
                webhook_secret=WEBHOOK_SECRET,
                clock=store.clock,
                request_multicapture=True,
            )
            for attempts in (1, 2, 3)
        }
        service = PaymentService(store, gateways, sleep=lambda _seconds: None, wait=0.0)
        return cls(sim, wire, store, service, client)

    def close(self) -> None:
        self.client.close()
        self.store.close()


def _until_answered(call: Callable[[], Payment], tally: Tally) -> Payment:
    """Call until answered, as a host does: again after an unknown outcome or an outage."""
    for _ in range(CALLS):
        tally.calls += 1
        try:
            return call()
        except OutcomeUnknownError:
            tally.unknown += 1  # the service repeats the call under the claim's key
        except GatewayUnavailableError:
            tally.unavailable += 1  # nothing was done; later (no wait: sleep is injected)
    raise AssertionError(f"no answer after {CALLS} calls")


def _pay(world: World, plan: Plan, tally: Tally) -> Payment:
    service, currency = world.service, plan.amount.currency

    def authorize() -> Payment:
        return service.authorize(plan.payment_id, plan.method, plan.amount, TOKEN)

    payment = _until_answered(authorize, tally)
    for minor, final in plan.captures:
        amount = None if minor is None else from_minor_units(minor, currency)

        def capture(amount: Money | None = amount, final: bool = final) -> Payment:
            return service.capture(plan.payment_id, amount, final=final)

        payment = _until_answered(capture, tally)
    return payment


def _check(world: World, plan: Plan, payment: Payment, intents: list[str]) -> None:
    """The server's side against the plan, and the caller's view against the server's."""
    assert len(intents) == 1, f"{len(intents)} PaymentIntents for one payment"
    intent_id = intents[0]
    stats, intent = world.sim.stats(intent_id), world.sim.intent(intent_id)
    currency = plan.amount.currency
    asked = [to_stripe_amount(from_minor_units(m, currency)) for m in plan.captured_minor]
    assert (stats.authorizations, stats.declines, stats.canceled) == (1, 0, False)
    assert list(stats.captures) == asked, "the server's captures are not the ones asked"
    assert sum(stats.captures) <= intent["amount"], "more captured than authorized"
    received = from_stripe_amount(intent["amount_received"], currency)
    assert intent["status"] == "succeeded"
    assert (payment.status, payment.reference, payment.pending) == (
        PaymentStatus.CAPTURED,
        intent_id,
        None,
    ), "the caller's view is not the server's"
    assert payment.captured == received == world.service.get(plan.payment_id).captured


def _trials(seed: int, count: int) -> tuple[World, Tally, str | None]:
    """Run ``count`` trials; the world, what callers were told, and the first failure if any."""
    world = World.open(seed)
    tally = Tally()
    for trial in range(count):
        # One generator per trial: a trial's draws depend on (seed, trial) alone.
        rng = random.Random(f"{seed}:{trial}")
        world.wire.rng = rng
        plan = Plan.draw(rng, trial)
        seen, wired = len(world.sim.intent_ids()), len(world.wire.log)
        try:
            payment = _pay(world, plan, tally)
            _check(world, plan, payment, world.sim.intent_ids()[seen:])
        except Exception as exc:
            wire = "\n".join(f"  {hit}" for hit in world.wire.log[wired:])
            return (
                world,
                tally,
                (
                    f"{SEED_ENV}={seed}, trial {trial}: {plan}\n{type(exc).__name__}: {exc}\n"
                    f"the wire (the trial's requests):\n{wire}"
                ),
            )
    return world, tally, None


def test_a_thousand_payments_over_a_bad_wire_charge_once_and_tell_the_truth() -> None:
    seed = _seed()
    print(f"{SEED_ENV}={seed}")  # shown with the output of a failing run
    world, tally, failure = _trials(seed, TRIALS)
    world.close()
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    faults = collections.Counter(hit.fault for hit in world.wire.log)
    # Every fault happened, and callers met both errors: the run tested what it claims.
    missing = [fault.value for fault in Fault if faults[fault] < 20]
    assert not missing, f"{SEED_ENV}={seed}: too few {missing}"
    assert tally.unknown >= 20 and tally.unavailable >= 20, f"{SEED_ENV}={seed}: {tally}"
    assert len(world.sim.intent_ids()) == TRIALS


def test_the_same_seed_replays_the_same_wire() -> None:
    first, told, failure = _trials(20260301, 40)
    again, told_again, failure_again = _trials(20260301, 40)
    first.close()
    again.close()
    assert [str(hit) for hit in first.wire.log] == [str(hit) for hit in again.wire.log]
    assert (told, failure) == (told_again, failure_again)
    assert {hit.fault for hit in first.wire.log} >= set(Fault)


# -- an outage after an unknown outcome ---------------------------------------------------------


@pytest.fixture
def world() -> Iterator[World]:
    """A world whose wire is sound: the tests below script the simulator's faults."""
    opened = World.open(0)
    opened.wire.rate = 0.0
    yield opened
    opened.close()


def test_an_outage_after_an_unknown_outcome_does_not_authorize_twice(world: World) -> None:
    service, amount = world.service, Money("120.00", "EUR")
    world.sim.drop_next()  # Stripe creates the PaymentIntent; the answer is lost
    with pytest.raises(OutcomeUnknownError):
        service.authorize("pay-a", "stripe1", amount, TOKEN)
    world.sim.refuse_next()  # the retry finds Stripe unreachable: it did nothing
    with pytest.raises(GatewayUnavailableError):
        service.authorize("pay-a", "stripe1", amount, TOKEN)
    payment = service.authorize("pay-a", "stripe1", amount, TOKEN)
    assert world.sim.intent_ids() == [payment.reference]
    assert payment.authorized == amount


def test_an_outage_after_an_unknown_outcome_does_not_capture_twice(world: World) -> None:
    service, part = world.service, Money("30.00", "EUR")
    held = service.authorize("pay-c", "stripe1", Money("100.00", "EUR"), TOKEN)
    assert held.reference is not None
    world.sim.drop_next()  # Stripe captures; the answer is lost
    with pytest.raises(OutcomeUnknownError):
        service.capture("pay-c", part, final=False)
    world.sim.refuse_next()
    with pytest.raises(GatewayUnavailableError):
        service.capture("pay-c", part, final=False)
    payment = service.capture("pay-c", part, final=False)
    assert world.sim.stats(held.reference).captures == (to_stripe_amount(part),)
    assert payment.captured == part


# -- a 500 Stripe stored after it acted ---------------------------------------------------------


@pytest.fixture
def crashed(world: World) -> tuple[World, Payment, int]:
    """A payment whose capture Stripe did, then answered 500 and stored that answer."""
    amount = Money("80.00", "EUR")
    world.service.authorize("pay-crash", "stripe3", amount, TOKEN)
    world.sim.crash_next()
    with pytest.raises(OutcomeUnknownError):
        world.service.capture("pay-crash")
    return world, world.service.get("pay-crash"), to_stripe_amount(amount)


def test_a_stored_500_never_captures_twice_nor_reads_as_a_failure(
    crashed: tuple[World, Payment, int],
) -> None:
    world, payment, units = crashed
    assert payment.reference is not None
    for _ in range(3):
        try:
            answered = world.service.capture("pay-crash")
        except OutcomeUnknownError:
            continue  # Stripe replays the stored 500 for the key: unknown, never "declined"
        assert answered.captured_minor == units  # once the caller learns it, it is the truth
        break
    assert world.sim.stats(payment.reference).captures == (units,)
    after = world.service.get("pay-crash")
    assert after.status is not PaymentStatus.FAILED and after.captured_minor in (0, units)


def test_a_stored_500_is_learned_from_the_webhook(crashed: tuple[World, Payment, int]) -> None:
    world, payment, units = crashed
    assert payment.reference is not None
    succeeded = [e for e in world.sim.events if e["type"] == "payment_intent.succeeded"]
    payload, headers = signed_delivery(succeeded[-1], WEBHOOK_SECRET, int(T0.timestamp()))
    world.service.handle_webhook("stripe3", payload, headers)
    with contextlib.suppress(OutcomeUnknownError):  # the stored 500 again: the webhook tells
        world.service.recover("pay-crash", older_than=timedelta(0))
    after = world.service.get("pay-crash")
    assert (after.status, after.captured_minor) == (PaymentStatus.CAPTURED, units)
