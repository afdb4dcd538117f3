"""Every script in examples/ runs to completion and prints what it promises.

Each script runs in a fresh interpreter, as a user runs it. ``workers_postgres.py`` needs a
PostgreSQL server: it runs against a fresh schema when ``COMMERCEKIT_TEST_POSTGRES_URL`` is
set (and is skipped, like every PostgreSQL test, when it is not). The examples are
type-checked with ``mypy --strict`` twice: with the project (``[tool.mypy] files`` lists
``examples``), and as a user's code against the installed wheel in
``tests/packaging/test_wheel.py``.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).parent.parent / "examples"
#: Scripts that need a server, run by their own tests below.
NEEDS_SERVER = {"workers_postgres.py"}
EXAMPLES = sorted(p for p in FOLDER.glob("*.py") if p.name not in NEEDS_SERVER)


@functools.cache
def run_example(name: str, *args: str, timeout: float = 120) -> str:
    """Run ``examples/name`` with ``args``; its standard output (it must exit 0).

    Cached: a script's run serves both its smoke test and its output test.
    """
    env = {k: v for k, v in os.environ.items() if k != "COMMERCEKIT_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, str(FOLDER / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_issue_s_examples_exist() -> None:
    """The common jobs each have a script (promotions: cart_promotions.py)."""
    names = {p.name for p in FOLDER.glob("*.py")}
    assert {
        "quickstart.py",
        "cart_promotions.py",
        "eu_vat_shop.py",
        "us_sales_tax_shop.py",
        "multi_currency.py",
        "custom_gateway.py",
        "workers_postgres.py",
    } <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path) -> None:
    assert run_example(script.name).strip()


def test_quickstart_output() -> None:
    out = run_example("quickstart.py")
    assert "coupon SPRING50: refused (unknown_code)" in out
    assert "coupon WELCOME10: accepted, total now 47.74 USD" in out
    assert "Order #1001 (paid)" in out
    # 49.00 - 4.90 = 44.10; 8.25% tax is 3.638, so 3.64; plus 5.00 shipping.
    for row in ("Discounts", "-$4.90"), ("Tax", "$3.64"), ("Total", "$52.74"):
        assert any(line.split()[0] == row[0] and line.endswith(row[1]) for line in out.splitlines())
    assert "total in de_DE: 52,74\xa0$" in out
    assert "same key, same order #1001; MUG left: 18" in out


def test_multi_currency_output() -> None:
    out = run_example("multi_currency.py")
    # USD: the shop's own prices where it set them, the poster converted (7.45 x 1.0842).
    assert "1 x POSTER at     8.08 USD = 8.08 USD" in out
    assert "total 61.06 USD: en_US $61.06" in out
    # JPY has no minor unit, KWD three; each rounded half-up once, per unit.
    assert "2 x MUG    at     1948 JPY = 3896 JPY" in out
    assert "total 9149 JPY: ja_JP \uffe59,149" in out
    assert "2 x MUG    at    3.997 KWD = 7.994 KWD" in out
    assert "total 18.768 KWD" in out
    assert "total 56.35 EUR: de_DE 56,35\xa0€" in out


def test_eu_vat_shop_output() -> None:
    out = run_example("eu_vat_shop.py")
    assert "LAMP    119.00 EUR  VAT DE 19% 19.00 EUR" in out
    assert "LAMP    120.00 EUR  VAT FR 20% 20.00 EUR" in out  # the net kept, French VAT on it
    assert "[reverse_charge] Reverse charge" in out
    assert "[vat_id_invalid] checksum: FR40303265046" in out
    assert "[export] Export to CH" in out
    assert out.count("VAT 0.00 EUR, paid 155.19 EUR") == 2  # the business and the export
    assert "FR at 20%: 41.34 EUR" in out


def test_us_sales_tax_shop_output() -> None:
    out = run_example("us_sales_tax_shop.py")
    assert "LAMP     Special district tax   US-CA:SACRAMENTO:special       0.015 0.75 USD" in out
    assert "shipping City tax               US-TX:AUSTIN:city               0.01 0.08 USD" in out
    assert "[no_registration] the seller is not registered to collect sales tax in US-NY" in out
    assert "[exempt_certificate] exempt in US-CA under certificate CA-RESALE-7" in out
    assert "tess returns the lamp: refunded 61.15 USD" in out
    assert "5 reported to the tax service" in out
    assert "sales tax to remit for CA: 4.37 USD" in out
    assert "sales tax to remit for TX: 0.12 USD" in out  # 4.78 collected, 4.66 refunded


def test_custom_gateway_passes_the_contract() -> None:
    out = run_example("custom_gateway.py")
    assert "20 passed, 1 skipped" in out  # skipped: no 3-D Secure at the toy bank
    assert "needs action_token and the complete_action fixture" in out
    assert "contract suite passed" in out
    assert "order-7 through toybank: captured, captured 42.00 EUR" in out


def test_workers_postgres_needs_a_url() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COMMERCEKIT_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, str(FOLDER / "workers_postgres.py")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert "give a postgresql:// URL, or set COMMERCEKIT_DATABASE_URL" in result.stderr


@pytest.mark.slow
def test_workers_postgres(postgres_url: str, postgres_schema: str) -> None:
    out = run_example("workers_postgres.py", postgres_url, "--schema", postgres_schema)
    assert "4 workers, 32 checkouts:" in out
    assert "placed 26 orders, refused 6 for stock" in out
    assert "lamps: 10 on the shelf, 10 sold, 0 left" in out
    assert "confirmations sent for 26 of 26 orders" in out
    assert "order numbers 1001 to 1026, one per order" in out


def test_split_bill_output() -> None:
    out = run_example("split_bill.py")
    assert "'ada': '$33.34'" in out
    assert "47.35 CHF (rounding -0.02 CHF)" in out


def test_cart_promotions_output() -> None:
    out = run_example("cart_promotions.py")
    assert "grand total 57.39 USD" in out
    assert "coupon SAVE10: refused: minimum_not_met" in out


def test_inventory_multi_location_output() -> None:
    out = run_example("inventory_multi_location.py")
    assert "ada: 1 MUG from paris, 2 TEE-M from lyon, 1 TEE-M from paris" in out
    assert "linus: 2 POSTER from berlin, 1 TEE-M from berlin" in out
    assert "grace: refused, {'TEE-M': 5}" in out
    assert "expired: ['cart-linus']" in out
