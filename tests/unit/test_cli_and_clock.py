from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from commercekit import __version__, errors
from commercekit.cli import main
from commercekit.clock import ManualClock, SystemClock, ensure_utc
from commercekit.ports import Clock


def test_demo_shows_split_bills_in_three_currencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMMERCEKIT_DATABASE_URL", raising=False)
    out = io.StringIO()
    assert main(["demo"], out=out) == 0
    text = out.getvalue()
    for shown in ("$33.34", "￥3,334", "parts add up: True", "10.05 CHF"):
        assert shown in text
    assert "parts add up: False" not in text
    # the storage tour ran on a SQLite file of its own, not in the working directory
    assert list(tmp_path.iterdir()) == []
    assert "(sqlite)" in text and "removed when the demo ends" in text
    assert "version 1 -> 2" in text and "ConflictError" in text
    assert "[True, False, True]" in text and "available 0" in text
    # the inventory tour: a bundle expanded, a short cart refused whole, a commit
    assert "from lyon" in text and "refused whole, nothing held" in text
    assert "committed" in text and "sellable now: 4" in text


def test_demo_runs_again_on_the_same_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    for _ in range(2):
        out = io.StringIO()
        assert main(["demo", "--url", url], out=out) == 0
        assert "[True, False, True]" in out.getvalue()


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "commercekit", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"commercekit {__version__}"


def test_unknown_command_exits_with_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_clocks() -> None:
    assert isinstance(SystemClock(), Clock) and isinstance(ManualClock(), Clock)
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    clock = ManualClock(datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 3, 1, 10, tzinfo=UTC)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.advance(timedelta(days=1)) == datetime(2027, 1, 2, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(errors.ValidationError):
        ensure_utc(datetime(2026, 1, 1))
    with pytest.raises(errors.ValidationError):
        ManualClock(datetime(2026, 1, 1))


def test_commerce_errors_become_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import commercekit.cli as cli

    def failing(out: object, url: object = None, schema: object = None) -> int:
        raise errors.ConfigurationError("no store configured")

    monkeypatch.setattr(cli, "_demo", failing)
    assert main(["demo"]) == 1
    assert "commercekit: error: no store configured" in capsys.readouterr().err
