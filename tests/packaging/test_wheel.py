"""The package as users meet it: built, installed into a clean virtual environment, used.

``python -m build`` makes the sdist and then the wheel *from the sdist* (so a file the sdist
forgets breaks the wheel), once per run. A fresh ``python -m venv`` gets the wheel with its
``postgres`` extra (dependencies from the package index, through pip's cache) and pytest (the
contract suites users run are pytest classes). In that environment, with the repository out
of sight (another working directory, no ``PYTHONPATH``):

- every module of the installed package imports, and every name in each module's
  ``__all__`` (the packages of ``tests/test_public_api.py`` among them) is there;
- ``examples/quickstart.py`` runs, and so does the ``commercekit`` command;
- ``mypy --strict`` checks ``examples/*.py`` as a user's code, against the installed package
  (its ``py.typed``), with no project configuration.

Marked slow: it takes a minute or so, most of it pip and mypy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from email.parser import HeaderParser
from pathlib import Path

import pytest

from tests.test_public_api import PUBLIC

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: What the sdist must hold for `make test` and `make docs` to run from it.
SDIST_NEEDS = [
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "Makefile",
    ".ci/run",
    "changelog.d/README.md",
    "src/commercekit/__init__.py",
    "src/commercekit/py.typed",
    "tests/conftest.py",
    "tests/test_examples.py",
    "tests/fixtures/schema_v2.sqlite",
    "docs/conf.py",
    "docs/index.rst",
    "examples/quickstart.py",
    "benchmarks/__init__.py",
]

#: Run in the clean environment: import every module, then every name of every ``__all__``.
IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import commercekit
public = json.loads(sys.argv[1])
modules = ["commercekit"] + sorted(
    info.name for info in pkgutil.walk_packages(commercekit.__path__, "commercekit.")
    if not info.name.endswith("__main__")
)
names = 0
for name in sorted(set(modules) | set(public)):
    module = importlib.import_module(name)
    for attribute in getattr(module, "__all__", ()):
        getattr(module, attribute)
        names += 1
missing = [name for name in public if not getattr(sys.modules[name], "__all__", None)]
assert not missing, f"public modules without __all__: {missing}"
print(commercekit.__file__)
print(f"{len(modules)} modules, {names} names")
"""


def run(*args: str | Path, cwd: Path, timeout: float = 600) -> str:
    """Run a command with a clean environment (no PYTHONPATH, no virtualenv); its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the sdist and the wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("commercekit-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[Path]:
    """The python of a fresh virtual environment with the wheel installed (and pytest)."""
    folder = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", folder / "env", cwd=folder)
    python = folder / "env" / "bin" / "python"
    pip: list[str | Path] = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    run(*pip, f"{wheel}[postgres]", "pytest>=8", cwd=folder)
    yield python
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory outside the repository, holding a copy of the examples."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("_*"))
    return tmp_path


def test_the_sdist_holds_what_the_tests_and_docs_need(dist: Path) -> None:
    (sdist,) = dist.glob("commercekit-*.tar.gz")
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {name.removeprefix(f"{top}/") for name in archive.getnames()}
    assert [need for need in SDIST_NEEDS if need not in names] == []
    assert not [n for n in names if "__pycache__" in n or n.startswith(("docs/_build", ".venv"))]


def test_the_wheel_holds_the_package_and_its_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = HeaderParser().parsestr(archive.read(meta_name).decode())
    assert "commercekit/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "examples/", "docs/"))]
    assert meta["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Keywords"] and meta["Summary"]
    assert meta["Description-Content-Type"] == "text/markdown"
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers and "Intended Audience :: Developers" in classifiers
    extras = set(meta.get_all("Provides-Extra") or [])
    assert {"postgres", "docs", "dev"} <= extras
    requires = meta.get_all("Requires-Dist") or []
    assert any(
        r.startswith("psycopg[binary,pool]") and "extra == 'postgres'" in r for r in requires
    )


def test_every_public_name_imports_from_the_installed_wheel(venv: Path, elsewhere: Path) -> None:
    out = run(venv, "-c", IMPORT_EVERYTHING, json.dumps(PUBLIC), cwd=elsewhere)
    location, counts = out.splitlines()[-2:]
    assert Path(location).is_relative_to(venv.parent.parent), "imported the repository's copy"
    assert int(counts.split()[0]) > len(PUBLIC)


def test_the_quickstart_runs_on_the_installed_wheel(venv: Path, elsewhere: Path) -> None:
    out = run(venv, elsewhere / "examples" / "quickstart.py", cwd=elsewhere)
    assert "Order #1001 (paid)" in out
    assert "same key, same order #1001; MUG left: 18" in out
    command = venv.parent / "commercekit"
    assert "demo" in run(command, "--help", cwd=elsewhere)


def test_the_examples_type_check_strictly_against_the_installed_wheel(
    venv: Path, elsewhere: Path
) -> None:
    """``mypy --strict examples/*.py`` as a user runs it: no project config, the wheel's types."""
    config = elsewhere / "mypy.ini"
    config.write_text("[mypy]\n")
    scripts = sorted(p.name for p in (elsewhere / "examples").glob("*.py"))
    out = run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--config-file",
        config,
        "--python-executable",
        venv,
        "--cache-dir",
        elsewhere / ".mypy_cache",
        *(f"examples/{name}" for name in scripts),
        cwd=elsewhere,
    )
    assert f"Success: no issues found in {len(scripts)} source files" in out
