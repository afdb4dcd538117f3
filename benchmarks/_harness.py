"""Interleaved, same-process ratio measurement.

Candidate and baseline run alternately, round after round, in one process, so that both see
the same CPU frequency, cache state and background load; the reported figure is the median of
the per-round ratios.
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable

import attrs

__all__ = ["Ratio", "compare", "report"]


@attrs.frozen
class Ratio:
    """The outcome of :func:`compare`: median time ratio and the per-call medians."""

    name: str
    ratio: float
    candidate_seconds: float
    baseline_seconds: float

    def line(self, target: str = "") -> str:
        """One human-readable line; ``target`` is appended as given (e.g. ``"<= 6x"``)."""
        suffix = f"  (target {target})" if target else ""
        return (
            f"{self.name:<48} {self.ratio:6.2f}x  "
            f"[{self.candidate_seconds * 1e9:9.1f} ns vs {self.baseline_seconds * 1e9:9.1f} ns]"
            f"{suffix}"
        )


def compare(
    name: str,
    candidate: Callable[[], object],
    baseline: Callable[[], object],
    *,
    rounds: int = 15,
    number: int = 20_000,
) -> Ratio:
    """Time ``candidate`` against ``baseline``, interleaved, and return the median ratio.

    Each round times ``number`` calls of each (the order alternating between rounds so neither
    always runs second); the ratio of a round is candidate time over baseline time.
    """
    ratios: list[float] = []
    cand_times: list[float] = []
    base_times: list[float] = []
    for index in range(rounds):
        pair = (candidate, baseline) if index % 2 == 0 else (baseline, candidate)
        times = {id(fn): timeit.timeit(fn, number=number) / number for fn in pair}
        cand, base = times[id(candidate)], times[id(baseline)]
        cand_times.append(cand)
        base_times.append(base)
        ratios.append(cand / base)
    return Ratio(
        name=name,
        ratio=statistics.median(ratios),
        candidate_seconds=statistics.median(cand_times),
        baseline_seconds=statistics.median(base_times),
    )


def report(results: list[tuple[Ratio, str]]) -> str:
    """Format several results, one line each, with their targets."""
    return "\n".join(result.line(target) for result, target in results)
