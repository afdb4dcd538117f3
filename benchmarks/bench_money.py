"""Money arithmetic against plain Decimal and against py-moneyed's Money.

Targets (issue 2): add and multiply-by-int at most 6x plain Decimal, and at least 2.5x faster
than ``moneyed.Money`` (a ratio against moneyed of at most 0.4).
"""

from __future__ import annotations

from decimal import Decimal

import moneyed

from benchmarks._harness import Ratio, compare, report
from commercekit import Money


def run(rounds: int = 15, number: int = 20_000) -> list[tuple[Ratio, str]]:
    """Measure and return (ratio, target) pairs."""
    a, b = Money("19.99", "USD"), Money("5.01", "USD")
    da, db = Decimal("19.99"), Decimal("5.01")
    ma, mb = moneyed.Money("19.99", "USD"), moneyed.Money("5.01", "USD")
    return [
        (
            compare("add vs Decimal", lambda: a + b, lambda: da + db, rounds=rounds, number=number),
            "<= 6x",
        ),
        (
            compare(
                "mul by int vs Decimal", lambda: a * 3, lambda: da * 3, rounds=rounds, number=number
            ),
            "<= 6x",
        ),
        (
            compare(
                "add vs moneyed.Money", lambda: a + b, lambda: ma + mb, rounds=rounds, number=number
            ),
            "<= 0.4x",
        ),
        (
            compare(
                "mul by int vs moneyed.Money",
                lambda: a * 3,
                lambda: ma * 3,
                rounds=rounds,
                number=number,
            ),
            "<= 0.4x",
        ),
    ]


def main() -> None:
    """Print the money benchmark."""
    print("money arithmetic (median ratio, candidate / baseline)")
    print(report(run()))


if __name__ == "__main__":
    main()
