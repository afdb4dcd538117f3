"""Tests of the example shops in examples/ (each shop is a package there, not installed)."""

import sys
from pathlib import Path

# The shops are packages in examples/ (examples/fastapi_shop, ...), not installed: put the
# directory on the path, as `uvicorn --app-dir examples` does.
_EXAMPLES = str(Path(__file__).resolve().parents[2] / "examples")
if _EXAMPLES not in sys.path:
    sys.path.insert(0, _EXAMPLES)
