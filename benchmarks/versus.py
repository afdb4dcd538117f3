"""Compare two versions of commercekit on one machine: ``python -m benchmarks.versus``.

Usage::

    python -m benchmarks.versus [--base REV] [--head REV|DIR] [--rounds N | --quick]
                                [--only money,pricing,...] [--fail-over 1.10]

The base defaults to the commit in ``benchmarks/BASE_COMMIT``; the head defaults to this
working tree as it is on disk, uncommitted changes included. A revision is checked out with
``git worktree add --detach`` into a temporary directory that is removed at the end, also on an
error or Ctrl-C. Set ``COMMERCEKIT_TEST_POSTGRES_URL`` to include the PostgreSQL measurements.

Method
------

*Subprocesses.* Each run is a fresh ``python -m benchmarks.<module>`` whose working directory
is that side's tree, with ``<tree>/src`` and ``<tree>`` first on ``PYTHONPATH``: each side runs
its own benchmark script against its own library code (the virtual environment's editable
install of commercekit comes after ``PYTHONPATH``, and a check run once per side fails loudly if
``commercekit`` or ``benchmarks`` resolves to another tree). Two versions of one package cannot
share a process, and a fresh process also gives each run the same start: empty caches, no
interpreter specialisation left over from the other side, no shared database connections.

*Ratio of ratios.* Each benchmark line already carries a ratio: the library's time over a
hand-written baseline's, measured interleaved in the same process. The baseline code is the same
on both sides, so it moves only with the machine (CPU frequency, background load, disk), and
dividing by it cancels most of that. The primary figure of a measurement is therefore, for each
round, head ratio / base ratio, and the report gives the median over the rounds. It is above 1
when the head's library became slower relative to the same baseline. The median of head time /
base time is printed next to it: it is what a user would feel, but it carries the machine's
drift between the two runs, so it is the noisier of the two. (For a line whose baseline is the
library itself, such as pricing's "1,000 lines vs 100 lines", the primary figure measures a
change of scaling rather than of speed, and the time column is the one to read for speed.)

*ABBA.* Within a module, a round is one base run and one head run back to back, and the order
alternates: base-head, head-base, base-head, ... So neither side always runs first (with a cold
disk cache, or a CPU still at its idle clock) or always second (after the other side warmed the
database server or heated the CPU), and a drift across the session falls on both sides alike.
The per-round figures pair the two runs of one round, which ran closest together in time.

A measurement is flagged ``SLOWER`` when its primary figure exceeds ``--threshold`` (1.10). The
exit status is 0 even then (this is a report); with ``--fail-over X`` it is 1 when any primary
figure exceeds X. It is 2 when a benchmark run failed or the comparison could not start (an
unknown revision, a side whose ``commercekit`` does not import). Printed ratios have two
decimals, so a ratio of 0.40 is known only to about 1%; the report marks where that limits the
primary figure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

__all__ = [
    "Measurement",
    "Side",
    "main",
    "parse_line",
    "parse_output",
]

REPO = Path(__file__).resolve().parents[1]
BASE_COMMIT_FILE = Path(__file__).with_name("BASE_COMMIT")
POSTGRES_ENV = "COMMERCEKIT_TEST_POSTGRES_URL"

# Rounds per module (one round = one base run and one head run). Measured on an idle 2-CPU
# machine with PostgreSQL: one run of money takes ~2.5 s, pricing ~3.5 s, storage ~10 s and
# inventory ~50 s, so the default is ~14 minutes in all and --quick ~3 minutes. A busy machine
# stretches that (inventory runs took 2-6x as long at a load average of 5-16).
DEFAULT_ROUNDS = {"money": 10, "pricing": 10, "storage": 6, "inventory": 6, "checkout": 2}
QUICK_ROUNDS = {"money": 4, "pricing": 4, "storage": 2, "inventory": 1, "checkout": 1}
OTHER_ROUNDS, OTHER_QUICK_ROUNDS = 6, 2  # for a bench_* module not listed above
THRESHOLD = 1.10

# The harness's line: name, ratio, candidate and baseline times (see _harness.Ratio.line).
_HARNESS_LINE = re.compile(
    r"^(?P<name>\S.*?)\s+(?P<ratio>\d+(?:\.\d+)?)x\s+"
    r"\[\s*(?P<cand>\d+(?:\.\d+)?) ns vs\s+(?P<base>\d+(?:\.\d+)?) ns\]"
    r"(?:\s+\(target .*\))?\s*$"
)
# bench_storage's own line: operations per second of each side and the throughput ratio.
_STORAGE_LINE = re.compile(
    r"^(?P<name>\S.*?)\s+store\s+(?P<cand_ops>\d+(?:\.\d+)?)/s\s+"
    r"hand\s+(?P<base_ops>\d+(?:\.\d+)?)/s\s+"
    r"store/hand\s+(?P<throughput>\d+(?:\.\d+)?)x(?:\s+\(.*\))?\s*$"
)
# Run in each side's environment before any benchmark: where the two packages come from.
_WHERE = "import benchmarks, commercekit; print(commercekit.__file__); print(benchmarks.__file__)"


@dataclass(frozen=True)
class Measurement:
    """One line of a benchmark's output.

    ``ratio`` is candidate time / baseline time as the benchmark printed it (for bench_storage,
    the inverse of its throughput ratio); ``resolution`` is the relative error its two printed
    decimals allow (half a step over the printed value).
    """

    name: str
    candidate_seconds: float
    baseline_seconds: float
    ratio: float
    resolution: float


def parse_line(line: str) -> Measurement | None:
    """The measurement on ``line``, or ``None`` for a header, note or blank line."""
    text = line.rstrip()
    match = _HARNESS_LINE.match(text)
    if match:
        ratio = float(match["ratio"])
        cand, base = float(match["cand"]) * 1e-9, float(match["base"]) * 1e-9
        if ratio <= 0 or cand <= 0 or base <= 0:
            return None
        return Measurement(match["name"].strip(), cand, base, ratio, 0.005 / ratio)
    match = _STORAGE_LINE.match(text)
    if match:
        cand_ops, base_ops = float(match["cand_ops"]), float(match["base_ops"])
        throughput = float(match["throughput"])
        if cand_ops <= 0 or base_ops <= 0 or throughput <= 0:
            return None
        return Measurement(
            match["name"].strip(), 1 / cand_ops, 1 / base_ops, 1 / throughput, 0.005 / throughput
        )
    return None


def parse_output(text: str) -> dict[str, Measurement]:
    """Every measurement in a module's output, by name, in order of appearance.

    A name printed twice keeps both, the second as ``"<name> #2"``.
    """
    found: dict[str, Measurement] = {}
    for line in text.splitlines():
        measurement = parse_line(line)
        if measurement is None:
            continue
        name, count = measurement.name, 1
        while name in found:
            count += 1
            name = f"{measurement.name} #{count}"
        found[name] = measurement
    return found


@dataclass(frozen=True)
class Side:
    """One version under test: a label, a source tree and how it was obtained."""

    label: str
    tree: Path
    description: str

    def env(self) -> dict[str, str]:
        """The environment of this side's runs: its own ``src`` and tree first on the path."""
        env = dict(os.environ)
        paths = [str(self.tree / "src"), str(self.tree)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env


class VersusError(Exception):
    """A problem that stops the comparison (bad revision, a side that does not import, ...)."""


class RunFailed(Exception):
    """A benchmark subprocess exited with an error or timed out."""


@dataclass
class ModuleResult:
    """All runs of one module: per round, the parsed output of each side."""

    module: str
    rounds: list[dict[str, dict[str, Measurement]]] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Row:
    """The figures of one measurement present on both sides."""

    name: str
    rounds: int
    ratio_of_ratios: float
    low: float
    high: float
    time_ratio: float
    base_ratio: float
    head_ratio: float
    resolution: float


# --- git and worktrees -------------------------------------------------------------------


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "--no-optional-locks", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise VersusError(f"git {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout.strip()


def _resolve(rev: str) -> str:
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except VersusError:
        raise VersusError(f"{rev!r} is neither a directory nor a commit of {REPO}") from None


def _describe(commit: str) -> str:
    return _git("log", "-1", "--format=%h %s", commit)


def _default_base() -> str:
    try:
        text = BASE_COMMIT_FILE.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VersusError(f"{BASE_COMMIT_FILE} is missing; pass --base REV") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("#")]
    if not lines:
        raise VersusError(f"{BASE_COMMIT_FILE} holds no commit; pass --base REV")
    return lines[0]


def _check_tree(tree: Path) -> None:
    if not (tree / "src" / "commercekit").is_dir() or not (tree / "benchmarks").is_dir():
        raise VersusError(f"{tree} has no src/commercekit or no benchmarks directory")


@contextlib.contextmanager
def _side(label: str, spec: str | None, scratch: Path) -> Iterator[Side]:
    """The side named by ``spec``: this working tree (None), another directory or a revision."""
    if spec is None or Path(spec).is_dir():
        tree = REPO if spec is None else Path(spec).resolve()
        _check_tree(tree)
        if tree == REPO:
            changed = _git("status", "--porcelain", "--untracked-files=no").splitlines()
            head = _describe("HEAD")
            description = f"working tree {tree} (HEAD {head}; {len(changed)} changed files)"
        else:
            description = f"directory {tree}"
        yield Side(label, tree, description)
        return
    commit = _resolve(spec)
    tree = scratch / label
    _git("worktree", "add", "--detach", str(tree), commit)
    try:
        _check_tree(tree)
        yield Side(label, tree, f"commit {_describe(commit)} ({commit})")
    finally:
        removed = subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if removed.returncode != 0:
            print(
                f"versus: could not remove worktree {tree}: {removed.stderr.strip()}",
                file=sys.stderr,
            )


# --- subprocesses --------------------------------------------------------------------------


def _stop(process: subprocess.Popen[str]) -> None:
    """End ``process`` and its children (its own session): SIGINT first, so that a benchmark's
    ``finally`` drops its PostgreSQL schema, then SIGKILL."""
    for sig, grace in ((signal.SIGINT, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGINT:
            # The leader is gone; workers it spawned may not be.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        return


def _run(side: Side, argv: Sequence[str], timeout: float) -> tuple[str, float]:
    """Run ``python *argv`` in ``side``'s tree and environment; stdout and wall time."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *argv],
        cwd=side.tree,
        env=side.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise RunFailed(
            f"{side.label}: python {' '.join(argv)} timed out after {timeout:.0f} s"
        ) from None
    except BaseException:
        _stop(process)
        raise
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        tail = "\n".join(err.strip().splitlines()[-15:])
        raise RunFailed(
            f"{side.label}: python {' '.join(argv)} exited with {process.returncode}\n{tail}"
        )
    return out, seconds


def _verify(side: Side) -> None:
    """Fail loudly unless ``commercekit`` and ``benchmarks`` come from ``side``'s own tree."""
    try:
        out, _ = _run(side, ["-c", _WHERE], timeout=120)
    except RunFailed as failure:
        raise VersusError(f"the {side.label} side does not import:\n{failure}") from None
    lines = out.strip().splitlines()
    expected = [side.tree / "src" / "commercekit", side.tree / "benchmarks"]
    if len(lines) < len(expected):
        raise VersusError(f"unexpected output from the {side.label} side's check: {out!r}")
    for found, package_dir in zip(lines[-2:], expected, strict=True):
        path = Path(found).resolve()
        if not path.is_relative_to(package_dir.resolve()):
            raise VersusError(
                f"on the {side.label} side {path} was imported, not a module of"
                f" {package_dir}; PYTHONPATH did not take precedence"
            )


def _modules(sides: Sequence[Side]) -> dict[str, list[str]]:
    """Benchmark module names (``bench_`` dropped) and the sides that have each."""
    found: dict[str, list[str]] = {}
    for side in sides:
        for path in sorted((side.tree / "benchmarks").glob("bench_*.py")):
            found.setdefault(path.stem.removeprefix("bench_"), []).append(side.label)
    return dict(sorted(found.items()))


def _measure_module(
    module: str, base: Side, head: Side, rounds: int, timeout: float, verbose: bool
) -> ModuleResult:
    result = ModuleResult(module)
    start = time.perf_counter()
    argv = ["-m", f"benchmarks.bench_{module}"]
    try:
        for index in range(rounds):
            order = (base, head) if index % 2 == 0 else (head, base)
            outputs: dict[str, dict[str, Measurement]] = {}
            for side in order:
                out, seconds = _run(side, argv, timeout)
                outputs[side.label] = parse_output(out)
                print(
                    f"  {module:<10} round {index + 1}/{rounds}  {side.label}  {seconds:6.1f} s"
                    f"  {len(outputs[side.label])} measurements",
                    file=sys.stderr,
                    flush=True,
                )
                if verbose:
                    print(out.rstrip(), file=sys.stderr)
                if not outputs[side.label]:
                    print(
                        f"  warning: no measurement line parsed from the {side.label} side's"
                        f" bench_{module} output:\n{out.rstrip()}",
                        file=sys.stderr,
                    )
            result.rounds.append(outputs)
    except RunFailed as failure:
        result.error = str(failure)
        print(f"  {module}: FAILED\n{failure}", file=sys.stderr, flush=True)
    result.seconds = time.perf_counter() - start
    return result


# --- figures and report -------------------------------------------------------------------


def summarise(result: ModuleResult) -> tuple[list[Row], list[str], list[str]]:
    """Rows for the measurements on both sides; names only in base; names only in head."""
    base_names: dict[str, None] = {}
    head_names: dict[str, None] = {}
    for outputs in result.rounds:
        base_names.update(dict.fromkeys(outputs.get("base", {})))
        head_names.update(dict.fromkeys(outputs.get("head", {})))
    rows: list[Row] = []
    for name in base_names:
        if name not in head_names:
            continue
        pairs = [
            (outputs["base"][name], outputs["head"][name])
            for outputs in result.rounds
            if name in outputs.get("base", {}) and name in outputs.get("head", {})
        ]
        if not pairs:
            continue
        of_ratios = [head.ratio / base.ratio for base, head in pairs]
        of_times = [head.candidate_seconds / base.candidate_seconds for base, head in pairs]
        base_ratio = statistics.median(base.ratio for base, _ in pairs)
        head_ratio = statistics.median(head.ratio for _, head in pairs)
        resolution = statistics.median(base.resolution + head.resolution for base, head in pairs)
        rows.append(
            Row(
                name=name,
                rounds=len(pairs),
                ratio_of_ratios=statistics.median(of_ratios),
                low=min(of_ratios),
                high=max(of_ratios),
                time_ratio=statistics.median(of_times),
                base_ratio=base_ratio,
                head_ratio=head_ratio,
                resolution=resolution,
            )
        )
    only_base = [name for name in base_names if name not in head_names]
    only_head = [name for name in head_names if name not in base_names]
    return rows, only_base, only_head


def _table(results: Sequence[ModuleResult], threshold: float) -> tuple[str, list[Row]]:
    """The report's text and every row."""
    all_rows: list[Row] = []
    width = 44
    for result in results:
        for outputs in result.rounds:
            for side_output in outputs.values():
                width = max(width, *(len(name) for name in side_output))
    header = (
        f"{'measurement':<{width}}  {'n':>2}  {'head/base':>9} {'(range)':<13}  "
        f"{'time h/b':>8}  {'base x':>7}  {'head x':>7}"
    )
    out: list[str] = []
    for result in results:
        rows, only_base, only_head = summarise(result)
        all_rows += rows
        title = f"== {result.module}: {len(result.rounds)} rounds, {result.seconds:.0f} s"
        out += ["", title + " " + "=" * max(3, len(header) - len(title) - 1), header]
        for row in rows:
            flag = "  SLOWER" if row.ratio_of_ratios > threshold else ""
            coarse = " ~" if row.resolution > 0.01 else ""
            span = f"({row.low:.2f}-{row.high:.2f})"
            out.append(
                f"{row.name:<{width}}  {row.rounds:>2}  {row.ratio_of_ratios:>9.3f} {span:<13}  "
                f"{row.time_ratio:>8.3f}  {row.base_ratio:>6.2f}x  {row.head_ratio:>6.2f}x"
                f"{coarse}{flag}"
            )
        for name in only_base:
            out.append(f"{name:<{width}}  unmatched: only in base output")
        for name in only_head:
            out.append(f"{name:<{width}}  unmatched: only in head output")
        if result.error:
            lines = result.error.splitlines()
            out.append(f"FAILED: {lines[0]}")
            out += [f"  {line}" for line in lines[-1:] if len(lines) > 1]
    return "\n".join(out), all_rows


def _legend(threshold: float) -> str:
    return "\n".join(
        [
            "head/base: median over rounds of (head ratio / base ratio), each run's ratio being"
            " library time / its own baseline's time (the primary figure; > 1 = head slower).",
            "time h/b:  median over rounds of head library time / base library time (carries"
            " machine drift between the two runs).",
            "base x, head x: median of the ratio each side printed. n: rounds with the"
            " measurement on both sides.",
            f"SLOWER: primary figure above {threshold:.2f}.  ~: the printed ratios' two decimals"
            " limit the primary figure to worse than +-1%.",
        ]
    )


# --- command line --------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.versus",
        description="Compare the benchmarks of two versions of commercekit, interleaved.",
    )
    parser.add_argument(
        "--base", metavar="REV", help="base revision (default: benchmarks/BASE_COMMIT)"
    )
    parser.add_argument(
        "--head",
        metavar="REV|DIR",
        help="head revision, or a directory holding a tree (default: this working tree)",
    )
    parser.add_argument("--rounds", type=int, metavar="N", help="rounds for every module")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (~3 minutes)")
    parser.add_argument(
        "--only", metavar="LIST", help="comma-separated modules, e.g. money,pricing"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help=f"flag SLOWER above this primary figure (default {THRESHOLD})",
    )
    parser.add_argument(
        "--fail-over",
        type=float,
        metavar="X",
        help="exit with status 1 when any primary figure exceeds X",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds allowed per run (default 1800)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="echo every run's output")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def _on_terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print the report; the exit status."""
    args = _arguments(argv)
    signal.signal(signal.SIGTERM, _on_terminate)
    signal.signal(signal.SIGHUP, _on_terminate)
    scratch = Path(tempfile.mkdtemp(prefix="ck-versus-"))
    began = time.perf_counter()
    try:
        with (
            _side("base", args.base or _default_base(), scratch) as base,
            _side("head", args.head, scratch) as head,
        ):
            return _compare(args, base, head, began)
    except VersusError as error:
        print(f"versus: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nversus: interrupted; worktrees removed", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _load() -> str:
    """The load averages and CPU count, with a warning when the machine is busy."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    cpus = os.cpu_count() or 1
    text = f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {cpus} CPUs"
    if one > 0.75 * cpus:
        text += " -- BUSY machine: expect noisy figures, and rerun when it is idle"
    return text


def _compare(args: argparse.Namespace, base: Side, head: Side, began: float) -> int:
    available = _modules([base, head])
    if args.only:
        wanted = [name.strip().removeprefix("bench_") for name in args.only.split(",")]
        unknown = [name for name in wanted if name and name not in available]
        if unknown:
            raise VersusError(
                f"no benchmark module {', '.join(unknown)}; there are {', '.join(available)}"
            )
        modules = {name: available[name] for name in wanted if name}
    else:
        modules = available
    print(f"base: {base.description}", file=sys.stderr)
    print(f"head: {head.description}", file=sys.stderr)
    if not os.environ.get(POSTGRES_ENV):
        print(f"(PostgreSQL skipped: set {POSTGRES_ENV} to include it)", file=sys.stderr)
    for side in (base, head):
        _verify(side)
    load_before = _load()
    print(f"before: {load_before}", file=sys.stderr)
    results: list[ModuleResult] = []
    missing: list[str] = []
    for module, sides in modules.items():
        if len(sides) < 2:
            missing.append(f"bench_{module} exists only on the {sides[0]} side")
            continue
        if args.rounds is not None:
            rounds = args.rounds
        elif args.quick:
            rounds = QUICK_ROUNDS.get(module, OTHER_QUICK_ROUNDS)
        else:
            rounds = DEFAULT_ROUNDS.get(module, OTHER_ROUNDS)
        results.append(_measure_module(module, base, head, rounds, args.timeout, args.verbose))
    text, rows = _table(results, args.threshold)
    print(f"base: {base.description}")
    print(f"head: {head.description}")
    print(f"before: {load_before}")
    print(f"after:  {_load()}")
    print(text)
    for note in missing:
        print(f"\nunmatched module: {note}")
    print()
    print(_legend(args.threshold))
    slower = [row for row in rows if row.ratio_of_ratios > args.threshold]
    print(
        f"\n{len(rows)} measurements compared in {time.perf_counter() - began:.0f} s;"
        f" {len(slower)} SLOWER (> {args.threshold:.2f})"
        + (": " + "; ".join(row.name for row in slower) if slower else "")
    )
    if any(result.error for result in results):
        print("some benchmark runs FAILED (see above); exit status 2")
        return 2
    if args.fail_over is not None and any(row.ratio_of_ratios > args.fail_over for row in rows):
        print(f"a primary figure exceeds --fail-over {args.fail_over:.2f}; exit status 1")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
