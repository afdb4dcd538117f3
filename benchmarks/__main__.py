"""Run every benchmark module in this package."""

from __future__ import annotations

import importlib
import pkgutil

import benchmarks

for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda i: i.name):
    if info.name.startswith("bench_"):
        module = importlib.import_module(f"benchmarks.{info.name}")
        module.main()
        print()
