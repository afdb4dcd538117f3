"""Every public name is importable and appears in the API reference (like httpx's test).

The reference is built once per run with Sphinx into a temporary folder; its ``objects.inv``
lists every documented object. A name counts as documented under its package's path or under
the module that defines it.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sphinx.util.inventory import InventoryFile

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    "commercekit",
    "commercekit.areas",
    "commercekit.cart",
    "commercekit.clock",
    "commercekit.codec",
    "commercekit.errors",
    "commercekit.inventory",
    "commercekit.money",
    "commercekit.ports",
    "commercekit.pricing",
    "commercekit.records",
    "commercekit.rules",
    "commercekit.storage",
    "commercekit.address",
    "commercekit.tax",
    "commercekit.values",
    "commercekit.payments",
    "commercekit.gateways.payments",
    "commercekit.testing",
    "commercekit.shipping",
    "commercekit.units",
    "commercekit.gateways.shipping",
    "commercekit.gateways.http",
    "commercekit.events",
    "commercekit.gateways.webhooks",
    "commercekit.orders",
    "commercekit.checkout",
]


def _resolve(path: str) -> Any:
    """The object a documented dotted path names, or a sentinel if it does not import."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return _MISSING
        return obj
    return _MISSING


_MISSING = object()


@pytest.fixture(scope="module")
def documented(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int]]:
    """(name, id of the object) for everything the built reference documents."""
    out = tmp_path_factory.mktemp("html")
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(ROOT / "docs"), str(out)],
        check=True,
        capture_output=True,
    )
    with (out / "objects.inv").open("rb") as stream:
        inventory = InventoryFile.load(stream, "", lambda base, uri: uri)
    paths = {name for entries in inventory.values() for name in entries}
    return {
        (path.rpartition(".")[2], id(_resolve(path)))
        for path in paths
        if path.startswith("commercekit")
    }


def _names(package: str) -> list[tuple[str, Any]]:
    module = importlib.import_module(package)
    return [(name, getattr(module, name)) for name in module.__all__ if name != "__version__"]


@pytest.mark.parametrize("package", PUBLIC)
def test_every_name_in_all_is_importable(package: str) -> None:
    module = importlib.import_module(package)
    assert list(module.__all__) == sorted(set(module.__all__), key=list(module.__all__).index)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("package", PUBLIC)
def test_every_public_name_is_in_the_api_reference(
    package: str, documented: set[tuple[str, int]]
) -> None:
    undocumented = [name for name, value in _names(package) if (name, id(value)) not in documented]
    assert undocumented == []
