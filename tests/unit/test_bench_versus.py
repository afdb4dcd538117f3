"""The line parser of benchmarks/versus.py, on lines copied from each module's real output."""

from __future__ import annotations

import pytest
from benchmarks.versus import parse_line, parse_output

MONEY = """\
money arithmetic (median ratio, candidate / baseline)
add vs Decimal                                     4.82x  [    784.8 ns vs     166.1 ns]  (target <= 6x)
mul by int vs Decimal                              4.06x  [    534.7 ns vs     129.2 ns]  (target <= 6x)
add vs moneyed.Money                               0.40x  [    435.0 ns vs    1080.5 ns]  (target <= 0.4x)
mul by int vs moneyed.Money                        0.39x  [    976.1 ns vs    2492.1 ns]  (target <= 0.4x)
"""  # noqa: E501

PRICING = """\
cart pricing (median ratio, candidate / baseline)
100 lines, 20 promos, tax vs Decimal               2.56x  [3074805.9 ns vs 1226016.4 ns]  (target <= 3x)
1,000 lines vs 100 lines                           9.95x  [32693322.2 ns vs 3349531.2 ns]  (target <= 15x)
"""  # noqa: E501

STORAGE = """\
storage, one record per transaction (median of interleaved rounds)
sqlite: write (add, 1 tx)                store     4815/s  hand     5348/s  store/hand 1.08x  (target >= 0.7x: ok)
sqlite: read (get by id, 1 read tx)      store    28897/s  hand    40233/s  store/hand 0.68x  (target >= 0.7x: BELOW TARGET)
postgresql: write (add, 1 tx)            store     1001/s  hand      918/s  store/hand 1.01x  (target >= 0.7x: ok)
postgresql: read (get by id, 1 read tx)  store     2834/s  hand     3102/s  store/hand 0.87x  (target >= 0.7x: ok)
"""  # noqa: E501

STORAGE_WITHOUT_POSTGRES = """\
storage, one record per transaction (median of interleaved rounds)
  (PostgreSQL skipped: set COMMERCEKIT_TEST_POSTGRES_URL to include it)
sqlite: write (add, 1 tx)                store     4815/s  hand     5348/s  store/hand 1.08x  (target >= 0.7x: ok)
"""  # noqa: E501

INVENTORY = """\
inventory reservations (median time ratio, library / hand-written SQL)
reserve, sqlite, 1 process                         1.04x  [ 338212.4 ns vs  331547.4 ns]  (target <= 1.25x time (>= 0.8x throughput))
reserve, sqlite, 4 processes                       1.24x  [ 360107.0 ns vs  293677.1 ns]  (target <= 1.25x time (>= 0.8x throughput))
reserve, postgresql, 1 process                     1.21x  [1779071.8 ns vs 1501400.0 ns]  (target <= 1.25x time (>= 0.8x throughput))
reserve, postgresql, 4 processes                   1.20x  [1811837.4 ns vs 1587303.9 ns]  (target <= 1.25x time (>= 0.8x throughput))
"""  # noqa: E501


def test_harness_line() -> None:
    line = MONEY.splitlines()[1]
    got = parse_line(line)
    assert got is not None
    assert got.name == "add vs Decimal"
    assert got.ratio == pytest.approx(4.82)
    assert got.candidate_seconds == pytest.approx(784.8e-9)
    assert got.baseline_seconds == pytest.approx(166.1e-9)
    assert got.resolution == pytest.approx(0.005 / 4.82)


def test_harness_line_with_commas_and_large_times() -> None:
    got = parse_line(PRICING.splitlines()[2])
    assert got is not None
    assert got.name == "1,000 lines vs 100 lines"
    assert (got.candidate_seconds, got.baseline_seconds, got.ratio) == pytest.approx(
        (32693322.2e-9, 3349531.2e-9, 9.95)
    )


def test_harness_line_with_nested_parentheses_in_target() -> None:
    got = parse_line(INVENTORY.splitlines()[2])
    assert got is not None
    assert got.name == "reserve, sqlite, 4 processes"
    assert got.ratio == pytest.approx(1.24)
    assert got.candidate_seconds == pytest.approx(360107.0e-9)


def test_storage_line_is_turned_into_times_and_a_time_ratio() -> None:
    got = parse_line(STORAGE.splitlines()[2])
    assert got is not None
    assert got.name == "sqlite: read (get by id, 1 read tx)"
    assert got.candidate_seconds == pytest.approx(1 / 28897)
    assert got.baseline_seconds == pytest.approx(1 / 40233)
    assert got.ratio == pytest.approx(1 / 0.68)  # store/hand throughput 0.68x
    assert got.resolution == pytest.approx(0.005 / 0.68)


@pytest.mark.parametrize(
    "line",
    [
        "money arithmetic (median ratio, candidate / baseline)",
        "cart pricing (median ratio, candidate / baseline)",
        "storage, one record per transaction (median of interleaved rounds)",
        "  (PostgreSQL skipped: set COMMERCEKIT_TEST_POSTGRES_URL to include it)",
        "inventory reservations (median time ratio, library / hand-written SQL)",
        "",
        "   ",
    ],
)
def test_headers_and_notes_are_not_measurements(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("output", "names"),
    [
        (
            MONEY,
            [
                "add vs Decimal",
                "mul by int vs Decimal",
                "add vs moneyed.Money",
                "mul by int vs moneyed.Money",
            ],
        ),
        (PRICING, ["100 lines, 20 promos, tax vs Decimal", "1,000 lines vs 100 lines"]),
        (
            STORAGE,
            [
                "sqlite: write (add, 1 tx)",
                "sqlite: read (get by id, 1 read tx)",
                "postgresql: write (add, 1 tx)",
                "postgresql: read (get by id, 1 read tx)",
            ],
        ),
        (STORAGE_WITHOUT_POSTGRES, ["sqlite: write (add, 1 tx)"]),
        (
            INVENTORY,
            [
                "reserve, sqlite, 1 process",
                "reserve, sqlite, 4 processes",
                "reserve, postgresql, 1 process",
                "reserve, postgresql, 4 processes",
            ],
        ),
    ],
)
def test_every_measurement_of_each_module_is_found(output: str, names: list[str]) -> None:
    assert list(parse_output(output)) == names


def test_a_repeated_name_is_kept_under_a_suffix() -> None:
    line = MONEY.splitlines()[1]
    assert list(parse_output(f"{line}\n{line}\n")) == ["add vs Decimal", "add vs Decimal #2"]


def test_a_zero_rate_is_not_a_measurement() -> None:
    line = "sqlite: write (add, 1 tx)  store 0/s  hand 5348/s  store/hand 0.00x  (target ...)"
    assert parse_line(line) is None
