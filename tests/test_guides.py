"""The guides copy and run: each guide's snippets, in order, pass in a fresh namespace.

Sphinx runs the guides' doctests with ``doctest_global_setup`` (docs/conf.py), which imports
most of commercekit for the API reference's docstring examples. A reader copying a guide has
none of that. Here every ``.. doctest::`` block and every bare ``>>>`` block of a guide is
taken in document order and run by :mod:`doctest` in one namespace that starts empty, as the
snippets would run pasted one after the other into a new interpreter. A name the guide uses
without importing it is a ``NameError`` and fails the test.

The guides listed in :data:`FIRST_SNIPPET_IMPORTS` also keep every import in their first
snippet, so that a reader who copies any later snippet knows where its names come from.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: The guides, each run on its own.
GUIDES = (
    "tutorial.rst",
    "concepts/money-and-rounding.rst",
    "concepts/promotion-stacking.rst",
    "concepts/tax.rst",
    "concepts/reservations.rst",
    "concepts/idempotency.rst",
    "getting-started.rst",
    "money.rst",
    "storage.rst",
    "pricing.rst",
    "tax.rst",
    "inventory.rst",
    "events.rst",
    "payments.rst",
    "shipping.rst",
    "checkout.rst",
    "orders.rst",
    "logging.rst",
    "operations.rst",
)

#: Guides whose first snippet imports everything the guide uses.
FIRST_SNIPPET_IMPORTS = (
    "tutorial.rst",
    "concepts/money-and-rounding.rst",
    "concepts/promotion-stacking.rst",
    "concepts/tax.rst",
    "concepts/reservations.rst",
    "concepts/idempotency.rst",
    "getting-started.rst",
    "money.rst",
    "pricing.rst",
    "tax.rst",
    "inventory.rst",
    "payments.rst",
    "shipping.rst",
    "checkout.rst",
    "orders.rst",
)

# What Sphinx's doctest builder uses by default (doctest_default_flags), without
# IGNORE_EXCEPTION_DETAIL: an error message a guide shows must be the one raised.
FLAGS = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\.\s+doctest::")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_IMPORT = re.compile(r"^>>>\s+(import|from)\s")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def snippets(text: str) -> list[tuple[int, str]]:
    """The guide's doctest snippets, dedented, in document order, with their first line.

    A snippet is the body of a ``.. doctest::`` directive (its options skipped), or a
    paragraph that starts with ``>>>`` outside any directive (a reST doctest block). Each
    comes with the 0-based index of its first line in ``text``.
    """
    lines = text.splitlines()
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _DIRECTIVE.match(line)
        if directive:
            base = len(directive.group("indent"))
            i += 1
            body: list[str] = []
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
                body.append(lines[i])
                i += 1
            start = i - len(body)
            content = [(start + n, row) for n, row in enumerate(body) if not _OPTION.match(row)]
            while content and not content[0][1].strip():
                content.pop(0)
            if content:
                margin = min(_indent(row) for _, row in content if row.strip())
                snippet = "\n".join(row[margin:] for _, row in content).strip("\n") + "\n"
                found.append((content[0][0], snippet))
            continue
        if line.lstrip().startswith(">>>") and (i == 0 or not lines[i - 1].strip()):
            margin = _indent(line)
            start = i
            block: list[str] = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][margin:])
                i += 1
            found.append((start, "\n".join(block) + "\n"))
            continue
        i += 1
    return found


def _run(name: str) -> tuple[doctest.TestResults, str]:
    """Run the guide's snippets in order in one namespace that starts empty."""
    path = DOCS / name
    namespace: dict[str, object] = {"__name__": "__guide__"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    try:
        for start, source in snippets(path.read_text(encoding="utf-8")):
            # Failures are reported at the guide's own line numbers.
            test = parser.get_doctest(source, {}, name, str(path), start)
            test.globs = namespace  # DocTest copies the globals it is given: share them
            runner.run(test, out=report.append, clear_globs=False)
    finally:
        namespace.clear()
    return doctest.TestResults(runner.failures, runner.tries), "".join(report)


@pytest.mark.parametrize("name", GUIDES)
def test_guide_runs_in_a_fresh_namespace(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a guide that writes a file writes it here
    monkeypatch.delenv("COMMERCEKIT_DATABASE_URL", raising=False)
    results, report = _run(name)
    assert results.attempted > 0, f"{name} has no doctest snippets"
    assert results.failed == 0, f"{name}: {results.failed} example(s) failed\n{report}"


@pytest.mark.parametrize("name", FIRST_SNIPPET_IMPORTS)
def test_first_snippet_holds_every_import(name: str) -> None:
    found = snippets((DOCS / name).read_text(encoding="utf-8"))
    assert found, f"{name} has no doctest snippets"
    assert any(_IMPORT.match(line) for line in found[0][1].splitlines()), (
        f"{name}: the first snippet imports nothing"
    )
    later = [
        line for _, snippet in found[1:] for line in snippet.splitlines() if _IMPORT.match(line)
    ]
    assert later == [], f"{name}: imports after the first snippet: {later}"


def test_snippets_are_found_in_order() -> None:
    text = (
        "Title\n=====\n\n.. doctest::\n   :options: +ELLIPSIS\n\n   >>> a = 1\n   >>> a\n   1\n"
        "\nProse.\n\n>>> a + 1\n2\n\n.. code-block:: python\n\n   ignored = True\n\n"
        "- a list\n\n  .. doctest::\n\n     >>> a + 2\n     3\n"
    )
    assert snippets(text) == [
        (6, ">>> a = 1\n>>> a\n1\n"),
        (12, ">>> a + 1\n2\n"),
        (23, ">>> a + 2\n3\n"),
    ]
