"""The library logs through ``commercekit.<area>`` loggers and never prints (issue 18, point 5).

Checked on the source with ``ast``: no ``print()`` outside the modules whose job is output
(the CLI and the demo write to the ``out`` stream they are given: that is their output, not
logging), no call on the root logger (``logging.warning(...)``), and every
``logging.getLogger`` names a literal ``commercekit`` or ``commercekit.<area>[.<sub>]``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "commercekit"

#: Modules whose ``print()`` calls are their output, not logging, and why.
PRINT_ALLOWED = {
    "cli.py": "the command line prints its results to its stream (and errors to stderr)",
    "demo": "the demo prints what it shows to the stream it is given",
}
#: The ``logging`` functions that log on the root logger.
_ROOT_CALLS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_NAME = re.compile(r"commercekit(\.[a-z][a-z0-9_]*)*")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _allowed_to_print(relative: str) -> bool:
    return any(
        relative == allowed or relative.startswith(f"{allowed}/") for allowed in PRINT_ALLOWED
    )


def _calls(tree: ast.Module) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def test_the_scan_sees_the_source() -> None:
    found = dict(_modules())
    assert "storage/_store.py" in found and "cli.py" in found
    assert all((SRC / allowed).exists() for allowed in PRINT_ALLOWED)


def test_no_module_prints_outside_the_output_modules() -> None:
    offenders = [
        f"{relative}:{call.lineno}"
        for relative, tree in _modules()
        if not _allowed_to_print(relative)
        for call in _calls(tree)
        if isinstance(call.func, ast.Name) and call.func.id == "print"
    ]
    assert not offenders, f"print() outside {sorted(PRINT_ALLOWED)}; log instead: {offenders}"


def test_nothing_logs_on_the_root_logger() -> None:
    offenders = [
        f"{relative}:{call.lineno}: logging.{call.func.attr}()"
        for relative, tree in _modules()
        for call in _calls(tree)
        if isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "logging"
        and call.func.attr in _ROOT_CALLS | {"basicConfig"}
    ]
    assert not offenders, f"log through a commercekit.<area> logger: {offenders}"


def _logger_names(tree: ast.Module) -> Iterator[tuple[int, ast.expr | None]]:
    for call in _calls(tree):
        func = call.func
        called = (isinstance(func, ast.Attribute) and func.attr == "getLogger") or (
            isinstance(func, ast.Name) and func.id == "getLogger"
        )
        if called:
            yield call.lineno, call.args[0] if call.args else None


def test_every_logger_is_named_commercekit_area() -> None:
    names: dict[str, list[str]] = {}
    offenders: list[str] = []
    for relative, tree in _modules():
        for lineno, arg in _logger_names(tree):
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                offenders.append(f"{relative}:{lineno}: not a literal name")
            elif not _NAME.fullmatch(arg.value):
                offenders.append(f"{relative}:{lineno}: {arg.value!r}")
            else:
                names.setdefault(arg.value, []).append(relative)
    assert not offenders, f"loggers are getLogger('commercekit.<area>'): {offenders}"
    # The areas the logging guide lists all exist.
    for area in ("storage", "inventory", "payments", "events", "tax", "checkout", "orders"):
        assert f"commercekit.{area}" in names, f"no commercekit.{area} logger"
    assert "commercekit.gateways.stripe" in names and "commercekit.gateways.easypost" in names
