"""Every script in examples/ runs to completion and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_split_bill_output() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES[0].parent / "split_bill.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "'ada': '$33.34'" in result.stdout
    assert "47.35 CHF (rounding -0.02 CHF)" in result.stdout


def test_cart_promotions_output() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES[0].parent / "cart_promotions.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "grand total 57.39 USD" in result.stdout
    assert "coupon SAVE10: refused: minimum_not_met" in result.stdout


def test_inventory_multi_location_output() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES[0].parent / "inventory_multi_location.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ada: 1 MUG from paris, 2 TEE-M from lyon, 1 TEE-M from paris" in result.stdout
    assert "linus: 2 POSTER from berlin, 1 TEE-M from berlin" in result.stdout
    assert "grace: refused, {'TEE-M': 5}" in result.stdout
    assert "expired: ['cart-linus']" in result.stdout
