"""Imports point inward (DESIGN.md, "Which way imports run"), checked on the source with ``ast``.

Every import in ``src/commercekit`` counts, including those under ``TYPE_CHECKING`` and inside
functions. A name imported from a package's ``__init__`` is followed to the module that
defines it, so re-exports are judged by where the code really lives.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "commercekit"

BASE, CORE, PORTS, SERVICES, ADAPTERS, FACE = range(6)
LAYER_NAMES = ["base", "core", "ports", "services", "adapters", "face"]

# Longest prefix wins; a module not listed takes its area's layer (the first entry that is a
# prefix of it). Package __init__ modules are facades: they re-export and are not judged as
# importers of layers (only of private modules).
LAYERS: dict[str, int] = {
    "commercekit.errors": BASE,
    "commercekit.money": BASE,
    "commercekit.clock": BASE,
    "commercekit.rules": BASE,
    "commercekit.records": BASE,
    "commercekit.address": BASE,
    "commercekit.units": BASE,
    "commercekit.values": BASE,
    "commercekit.tax": CORE,
    "commercekit.payments": CORE,
    "commercekit.shipping": CORE,
    "commercekit.payments._service": SERVICES,
    "commercekit.payments._credit": SERVICES,
    "commercekit.payments._credit_gateway": SERVICES,
    "commercekit.payments._sql_credit": ADAPTERS,
    "commercekit.payments._schema": ADAPTERS,
    "commercekit.payments._area": ADAPTERS,
    "commercekit.payments._service_base": SERVICES,
    "commercekit.payments._service_calls": SERVICES,
    "commercekit.payments._service_store": SERVICES,
    "commercekit.payments._service_upkeep": SERVICES,
    "commercekit.gateways": ADAPTERS,
    "commercekit.gateways.webhooks": ADAPTERS,
    "commercekit.events": CORE,
    "commercekit.events._signing": CORE,
    "commercekit.events._values": CORE,
    "commercekit.events._dispatcher": SERVICES,
    "commercekit.tax._area": ADAPTERS,
    "commercekit.tax._taxjar": ADAPTERS,
    "commercekit.tax._taxjar_http": ADAPTERS,
    "commercekit.tax._taxjar_reporter": ADAPTERS,
    "commercekit.testing": FACE,
    "commercekit.pricing": CORE,
    "commercekit.pricing._sql_usage": ADAPTERS,
    "commercekit.pricing._area": ADAPTERS,
    "commercekit.cart": CORE,
    "commercekit.cart._service": SERVICES,
    "commercekit.cart._usage": SERVICES,
    "commercekit.cart._area": ADAPTERS,
    "commercekit.inventory": CORE,
    "commercekit.inventory._base": SERVICES,
    "commercekit.inventory._service": SERVICES,
    "commercekit.inventory._ledger": SERVICES,
    "commercekit.inventory._lifecycle": SERVICES,
    "commercekit.inventory._reservations": SERVICES,
    "commercekit.inventory._bundles_policies": SERVICES,
    "commercekit.inventory._events": SERVICES,
    "commercekit.inventory._planning": SERVICES,
    "commercekit.inventory._locations": CORE,
    "commercekit.inventory._sql_stock": ADAPTERS,
    "commercekit.inventory._sql_reservations": ADAPTERS,
    "commercekit.inventory._sql_rules": ADAPTERS,
    "commercekit.inventory._sql_planning": ADAPTERS,
    "commercekit.inventory._schema": ADAPTERS,
    "commercekit.inventory._area": ADAPTERS,
    "commercekit.orders": CORE,
    "commercekit.orders._service": SERVICES,
    "commercekit.orders._tax_reports": SERVICES,
    "commercekit.orders._sql_numbers": ADAPTERS,
    "commercekit.orders._schema": ADAPTERS,
    "commercekit.orders._area": ADAPTERS,
    "commercekit.orders._codec": ADAPTERS,
    "commercekit.checkout": SERVICES,
    "commercekit.checkout._area": ADAPTERS,
    "commercekit.ports": PORTS,
    "commercekit.storage": ADAPTERS,
    "commercekit.areas": ADAPTERS,
    "commercekit.codec": ADAPTERS,
    "commercekit": FACE,
    "commercekit.cli": FACE,
    "commercekit.demo": FACE,
    "commercekit.__main__": FACE,
}


@attrs.frozen
class Import:
    """One imported name (or module), resolved to the module that defines it."""

    importer: str
    #: The module the statement names (``from X import y``: ``X``, or ``X.y`` if a module).
    written: str
    #: The module that defines what was imported.
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted((SRC / ROOT).rglob("*.py"))}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


@functools.cache
def _imports_of(module: str) -> list[tuple[str, list[str], int]]:
    """(from-module, names, line) for every import statement in ``module``."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    package = module if _is_package(module) else module.rpartition(".")[0]
    found: list[tuple[str, list[str], int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base]) if base else ".".join(parent)
            found.append((base, [alias.name for alias in node.names], node.lineno))
    return [f for f in found if f[0] == ROOT or f[0].startswith(ROOT + ".")]


def _definer(module: str, name: str, seen: frozenset[str] = frozenset()) -> str:
    """The module that defines ``name`` as seen from ``module`` (following re-exports)."""
    if f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    if module in seen or module not in MODULES:
        return module
    for source, names, _ in _imports_of(module):
        if name in names:
            return _definer(source, name, seen | {module})
    return module


def all_imports() -> Iterator[Import]:
    """Every import in the package, each name resolved to its defining module."""
    for module in MODULES:
        for source, names, line in _imports_of(module):
            if not names:
                yield Import(module, source, source, line)
            for name in names:
                written = f"{source}.{name}" if f"{source}.{name}" in MODULES else source
                yield Import(module, written, _definer(source, name), line)


def layer(module: str) -> int:
    """The layer of ``module``: its longest listed prefix."""
    best = max(
        (prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")),
        key=len,
    )
    return LAYERS[best]


def area(module: str) -> str:
    """``commercekit.X`` for any module under ``commercekit.X``."""
    return ".".join(module.split(".")[:2])


def is_private(module: str) -> bool:
    """Whether any part of the dotted name after ``commercekit`` starts with an underscore."""
    return any(part.startswith("_") for part in module.split(".")[1:])


def test_every_module_has_a_layer() -> None:
    assert all(layer(module) in range(6) for module in MODULES)


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{imp.importer}:{imp.line} ({LAYER_NAMES[layer(imp.importer)]}) imports {imp.target}"
        f" ({LAYER_NAMES[layer(imp.target)]})"
        for imp in all_imports()
        if not _is_package(imp.importer) and layer(imp.target) > layer(imp.importer)
    ]
    assert upward == []


def test_no_area_imports_another_areas_private_module() -> None:
    reaching = [
        f"{imp.importer}:{imp.line} imports {imp.written}"
        for imp in all_imports()
        if is_private(imp.written) and area(imp.written) != area(imp.importer)
    ]
    assert reaching == []


@pytest.mark.parametrize(
    ("importer", "target", "upward"),
    [
        ("commercekit.ports._storage", "commercekit.storage._store", True),
        ("commercekit.pricing._catalog", "commercekit.cart._service", True),
        ("commercekit.storage._store", "commercekit.inventory._records", False),
    ],
)
def test_the_layer_table_catches_what_it_should(importer: str, target: str, upward: bool) -> None:
    # A guard against a table that has grown to accept everything.
    assert (layer(target) > layer(importer)) is upward


def test_re_exports_are_followed_to_their_definer() -> None:
    assert _definer("commercekit.inventory", "StockLevel") == "commercekit.inventory._records"
    assert _definer("commercekit.storage", "StockLevel") == "commercekit.inventory._records"
    assert _definer("commercekit.ports", "STOCK") == "commercekit.ports._inventory"
