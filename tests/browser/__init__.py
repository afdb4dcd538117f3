"""Tests in a real headless Chromium (see conftest.py): the example shop and the built docs."""

import sys
from pathlib import Path

# The FastAPI shop is a package in examples/, not installed (see tests/examples/__init__.py).
_EXAMPLES = str(Path(__file__).resolve().parents[2] / "examples")
if _EXAMPLES not in sys.path:
    sys.path.insert(0, _EXAMPLES)
