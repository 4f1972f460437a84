"""Benchmark ``demonitor classify`` on synthetic demo registers (演示数据, not real enterprises).

For each size N (default 100k, 1M and 10M rows) this script

1. writes a Parquet register with ``write_demo_register`` into ``bench/out/`` (reused when a file
   with the same N, seed and generator version is already there); outputs go to
   ``bench/out/outputs-N/``, removed afterwards unless ``--keep-outputs``;
2. times the whole command ``demonitor classify IN.parquet -o OUT.parquet`` in a subprocess
   (exit code 0, or 3 when some rows are rejected, counts as success);
3. times a bare DuckDB copy of the same file, also in a fresh subprocess of the same
   interpreter, so that both pay the same start-up;
4. for N ≤ 100k only, times a naive per-row pandas implementation (``pandas.read_parquet`` then
   ``DataFrame.apply`` of the pure-Python reference classifier), in this process.

Goal: 10M rows in ≤ 30 s and ≤ 3× the time of the copy.

    .venv/bin/python bench/classify.py
    .venv/bin/python bench/classify.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out"
DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
DEFAULT_SEED = 2025
SUCCESS_EXIT_CODES = (0, 3)  # 3: some rows were rejected
NAIVE_MAX_ROWS = 100_000
GOAL_ROWS = 10_000_000
GOAL_SECONDS = 30.0
GOAL_RATIO = 3.0
GOAL_TEXT = "10M rows ≤ 30 s and ≤ 3× copy"

# Run with ``python -c``: the bare DuckDB copy, paths passed as arguments.
COPY_SCRIPT = """
import sys
import duckdb

source, target = (path.replace("'", "''") for path in sys.argv[1:3])
duckdb.execute(f"COPY (SELECT * FROM read_parquet('{source}')) TO '{target}' (FORMAT parquet)")
"""


@dataclass
class Measurement:
    rows: int
    register_mb: float
    generate_s: float | None = None  # None: the register was reused
    classify_s: float | None = None  # None: the command failed
    classify_exit: int | None = None
    copy_s: float | None = None
    naive_s: float | None = None
    naive_note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.classify_s is None or not self.copy_s:
            return None
        return self.classify_s / self.copy_s


def parse_sizes(text: str) -> list[int]:
    """``100000,1000000`` or ``100k,1M,10M``."""
    sizes: list[int] = []
    for part in text.split(","):
        part = part.strip().replace("_", "").lower()
        if not part:
            continue
        factor = 1
        if part[-1] in "km":
            factor = 1_000 if part[-1] == "k" else 1_000_000
            part = part[:-1]
        try:
            value = int(float(part) * factor)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a size: {part!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"sizes must be positive: {value}")
        sizes.append(value)
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


def human(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return f"{rows:,}"


def say(message: str) -> None:
    print(message, flush=True)


def register_path(out: Path, rows: int, seed: int) -> Path:
    return out / f"register-{rows}-seed{seed}.parquet"


def is_reusable(path: Path, rows: int, seed: int) -> bool:
    """The file was written by the current generator for the same rows and seed."""
    import pyarrow.parquet as pq

    from demonitor.demo.register import DEMO_METADATA_KEY, GENERATOR_VERSION

    if not path.is_file():
        return False
    try:
        metadata = pq.read_schema(path).metadata or {}
        rows_in_file = pq.ParquetFile(path).metadata.num_rows
    except Exception:  # a truncated or foreign file: write it again
        return False
    expected = {
        f"{DEMO_METADATA_KEY}.rows": str(rows),
        f"{DEMO_METADATA_KEY}.seed": str(seed),
        f"{DEMO_METADATA_KEY}.generator": GENERATOR_VERSION,
    }
    found = {key.decode(): value.decode() for key, value in metadata.items()}
    return rows_in_file == rows and all(found.get(k) == v for k, v in expected.items())


def ensure_register(path: Path, rows: int, seed: int) -> float | None:
    """Seconds spent writing the register, or None when an existing one was reused."""
    from demonitor.demo.register import write_demo_register

    if is_reusable(path, rows, seed):
        return None
    partial = path.with_suffix(".partial.parquet")
    start = time.perf_counter()
    write_demo_register(partial, rows, seed)
    elapsed = time.perf_counter() - start
    partial.replace(path)
    return elapsed


TIMED_OUT = -999  # exit code reported when a subprocess exceeded --timeout


def run_timed(command: Sequence[str], timeout: float | None) -> tuple[float, int, str]:
    """Wall time, exit code (``TIMED_OUT`` after ``timeout`` seconds) and stderr's tail."""
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, TIMED_OUT, f"timed out after {timeout} s"
    elapsed = time.perf_counter() - start
    return elapsed, completed.returncode, completed.stderr[-2_000:]


def time_classify(
    source: Path, target: Path, extra: Sequence[str], timeout: float | None
) -> tuple[float, int, str]:
    command = [sys.executable, "-m", "demonitor", "classify", str(source), "-o", str(target)]
    return run_timed([*command, *extra], timeout)


def time_copy(source: Path, target: Path, timeout: float | None) -> tuple[float, int, str]:
    return run_timed([sys.executable, "-c", COPY_SCRIPT, str(source), str(target)], timeout)


def naive_classifier() -> tuple[Callable[[Mapping[str, Any]], dict[str, object]] | None, str]:
    """The pure-Python reference classifier for one row, or None and why it is missing."""
    try:
        from demonitor.core.classify import classify_unit
        from demonitor.engine.rules import load_classification_rules
    except ImportError as error:
        return None, f"not available ({error})"
    try:
        rules = load_classification_rules()
    except Exception as error:  # the rules are someone else's work in progress
        return None, f"not available (rules: {error})"

    def classify_one(row: Mapping[str, Any]) -> dict[str, object]:
        return classify_unit(row, rules)

    return classify_one, ""


def time_naive(source: Path) -> tuple[float | None, str]:
    """``pandas.read_parquet`` + ``DataFrame.apply(classify_one_row, axis=1)``, in-process."""
    try:
        import pandas as pd
    except ImportError as error:
        return None, f"not available ({error})"
    classify_one, why = naive_classifier()
    if classify_one is None:
        return None, why

    def classify_one_row(row: pd.Series[Any]) -> dict[str, object]:
        return classify_one({str(key): value for key, value in row.items()})

    start = time.perf_counter()
    frame = pd.read_parquet(source)
    results = frame.apply(classify_one_row, axis=1)
    elapsed = time.perf_counter() - start
    return elapsed, f"{len(results):,} rows"


def measure(
    rows: int,
    seed: int,
    out: Path,
    naive_max: int,
    keep_outputs: bool,
    classify_args: Sequence[str],
    timeout: float | None,
) -> Measurement:
    source = register_path(out, rows, seed)
    say(f"\n== {human(rows)} rows ==")
    generate_s = ensure_register(source, rows, seed)
    size_mb = source.stat().st_size / 1e6
    if generate_s is None:
        say(f"register: reused {source.name} ({size_mb:,.0f} MB)")
    else:
        say(f"register: wrote {source.name} in {generate_s:.1f} s ({size_mb:,.0f} MB)")
    result = Measurement(rows=rows, register_mb=size_mb, generate_s=generate_s)

    # Outputs (and whatever temporary files the commands leave) go to a directory of their own.
    outputs = out / f"outputs-{rows}"
    shutil.rmtree(outputs, ignore_errors=True)
    outputs.mkdir()
    classified, copied = outputs / "classified.parquet", outputs / "copy.parquet"
    seconds, code, stderr = time_classify(source, classified, classify_args, timeout)
    result.classify_exit = code
    if code in SUCCESS_EXIT_CODES:
        result.classify_s = seconds
        say(f"classify: {seconds:.2f} s, exit {code} ({rows / seconds:,.0f} rows/s)")
    else:
        say(f"classify: FAILED with exit {code} after {seconds:.2f} s\n{stderr.strip()}")

    seconds, code, stderr = time_copy(source, copied, timeout)
    if code == 0:
        result.copy_s = seconds
        say(f"copy:     {seconds:.2f} s (bare DuckDB COPY in a fresh interpreter)")
    else:
        say(f"copy:     FAILED with exit {code}\n{stderr.strip()}")
    if not keep_outputs:
        shutil.rmtree(outputs, ignore_errors=True)

    if rows <= naive_max:
        result.naive_s, result.naive_note = time_naive(source)
        if result.naive_s is None:
            say(f"naive: {result.naive_note}")
        else:
            say(
                f"naive:    {result.naive_s:.2f} s ({rows / result.naive_s:,.0f} rows/s; "
                "pandas.read_parquet + DataFrame.apply of core.classify.classify_unit)"
            )
    return result


def format_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_rate(rows: int, seconds: float | None) -> str:
    return "-" if not seconds else f"{rows / seconds:,.0f}"


def failure(result: Measurement) -> str:
    return "timeout" if result.classify_exit == TIMED_OUT else f"exit {result.classify_exit}"


def report(results: Sequence[Measurement]) -> bool:
    """Print the table and the goal line; True when the goal is met (or not measured)."""
    header = ("N", "generate s", "classify s", "rows/s", "copy s", "ratio", "naive rows/s")
    lines = [header]
    for r in results:
        lines.append(
            (
                human(r.rows),
                "reused" if r.generate_s is None else f"{r.generate_s:.1f}",
                format_seconds(r.classify_s) if r.classify_s is not None else failure(r),
                format_rate(r.rows, r.classify_s),
                format_seconds(r.copy_s),
                "-" if r.ratio is None else f"{r.ratio:.2f}×",
                format_rate(r.rows, r.naive_s) if r.naive_s else ("n/a" if r.naive_note else "-"),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    say("")
    for number, line in enumerate(lines):
        say("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            say("  ".join("-" * width for width in widths))
    for r in results:
        if r.naive_s and r.classify_s:
            say(
                f"naive per-row pandas at {human(r.rows)}: {r.rows / r.naive_s:,.0f} rows/s, "
                f"{r.naive_s / r.classify_s:.1f}× the time of demonitor classify"
            )
        elif r.naive_note and not r.naive_s:
            say(f"naive at {human(r.rows)}: {r.naive_note}")

    goal = next((r for r in results if r.rows == GOAL_ROWS), None)
    if goal is None or goal.classify_s is None or goal.ratio is None:
        say(f"goal: {GOAL_TEXT}: not measured")
        return goal is None
    met = goal.classify_s <= GOAL_SECONDS and goal.ratio <= GOAL_RATIO
    say(
        f"goal: {GOAL_TEXT}: {'MET' if met else 'NOT MET'} "
        f"({goal.classify_s:.1f} s, {goal.ratio:.2f}× copy)"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark demonitor classify on synthetic registers (演示数据)."
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated row counts, e.g. 100000,1000000 or 100k,1M (default 100k,1M,10M)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="working directory")
    parser.add_argument(
        "--naive-max",
        type=int,
        default=NAIVE_MAX_ROWS,
        help="largest N for the naive pandas run (0 to skip)",
    )
    parser.add_argument(
        "--keep-outputs",
        action="store_true",
        help="keep the classified and copied files (in OUT/outputs-N/)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the goal is measured and not met"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=0,
        help="seconds before a classify or copy subprocess is stopped (default: no limit)",
    )
    parser.add_argument(
        "classify_args",
        nargs="*",
        help="extra options for demonitor classify, after --, e.g. -- --threads 2",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    say(f"python {sys.version.split()[0]}, out {out}, seed {args.seed}")

    results = [
        measure(
            rows,
            args.seed,
            out,
            args.naive_max,
            args.keep_outputs,
            args.classify_args,
            args.timeout or None,
        )
        for rows in args.sizes
    ]
    met = report(results)
    failed = any(r.classify_s is None or r.copy_s is None for r in results)
    if failed:
        return 1
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
