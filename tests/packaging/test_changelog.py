"""The changelog has one format, Keep a Changelog, assembled by towncrier from changelog.d/.

Every fragment in ``changelog.d/`` must have a name towncrier knows (``<issue>.<type>.md``),
or ``make changelog`` stops: the draft build here fails first. A release build, run on a copy
of the files, puts the new version's section right under the marker, above every earlier
entry, and leaves those entries exactly as they were.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- towncrier release notes start -->\n"
TYPES = ("added", "changed", "deprecated", "removed", "fixed", "security")


def towncrier(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "towncrier", "build", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_fragment_has_a_name_towncrier_knows() -> None:
    pattern = re.compile(rf"^(\d+|\+[\w-]+)\.({'|'.join(TYPES)})(\.\d+)?\.md$")
    names = [p.name for p in (ROOT / "changelog.d").iterdir() if p.name != "README.md"]
    assert [name for name in names if not pattern.match(name)] == []
    towncrier("--draft", "--version", "Unreleased", cwd=ROOT)


def test_a_release_is_inserted_above_the_earlier_entries(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "CHANGELOG.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "changelog.d", tmp_path / "changelog.d")
    (tmp_path / "changelog.d" / "+probe.fixed.md").write_text("A probe entry.\n")
    before = (tmp_path / "CHANGELOG.md").read_text()
    assert before.count(MARKER) == 1
    head, rest = before.split(MARKER)

    towncrier("--keep", "--version", "9.9.9", cwd=tmp_path)

    after = (tmp_path / "CHANGELOG.md").read_text()
    assert after.startswith(head + MARKER)
    assert after.endswith(rest), "the earlier entries changed"
    added = after[len(head + MARKER) : len(after) - len(rest)]
    assert re.match(r"\n## \[9\.9\.9\] - \d{4}-\d{2}-\d{2}\n", added), added
    assert "\n### Fixed\n\n- A probe entry.\n" in added
