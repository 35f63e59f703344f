"""Benchmark: full `scimaudit analyze` on 200,000 people x 2,000,000 accounts (20 apps).

Builds the synthetic store (bench/scale_data.py) in bench/out/, runs the analysis (correlation and
every finding, written to the store) and a straightforward pandas implementation of the same
findings (bench/pandas_baseline.py) side by side in one process, and prints wall and CPU seconds
with the load average around every figure (the machine is shared: a figure without its load says
little), the ratio, the headline counts of both, and the wall/CPU of the heaviest SQL steps of the
best run. Also EXPLAINs every analysis SQL file on the big data and prints any nested-loop join it
finds (there should be none).

    .venv/bin/python bench/bench_analyze.py                 # the full size
    .venv/bin/python bench/bench_analyze.py --people 20000 --apps 4 --runs 1   # a quick look
    .venv/bin/python bench/bench_analyze.py --reuse --no-pandas --no-plans     # analysis only
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas_baseline
import scale_data

from scimaudit.analytics import runner, sql_steps
from scimaudit.config import Config
from scimaudit.store.connect import connect

OUT = Path(__file__).resolve().parent / "out"
FORBIDDEN = ("NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "CROSS_PRODUCT", "PIECEWISE_MERGE_JOIN")


def load() -> float:
    return os.getloadavg()[0]


@dataclass
class Timing:
    """One measured run: wall and CPU seconds (all threads), the 1-minute load before/after."""

    wall: float
    cpu: float
    load_before: float
    load_after: float
    steps: list[tuple[str, float, float]] = field(default_factory=list)

    def text(self) -> str:
        outside = self.wall - sum(s[1] for s in self.steps)
        return (
            f"wall {self.wall:.2f} s, CPU {self.cpu:.2f} s"
            f" (load {self.load_before:.1f} -> {self.load_after:.1f});"
            f" outside the SQL steps {outside:.2f} s wall"
        )


@contextmanager
def step_timer(steps: list[tuple[str, float, float]]) -> Iterator[None]:
    """Record (SQL file, wall, CPU) for every SQL step the runner executes while active."""
    originals = (sql_steps.create_temp, sql_steps.insert_into, sql_steps.execute)

    def timed(fn: Callable[..., None], name_at: int) -> Callable[..., None]:
        def run(con: Any, *args: Any) -> None:
            wall, cpu = time.perf_counter(), time.process_time()
            fn(con, *args)
            steps.append((args[name_at], time.perf_counter() - wall, time.process_time() - cpu))

        return run

    sql_steps.create_temp = timed(originals[0], 1)  # type: ignore[assignment]
    sql_steps.insert_into = timed(originals[1], 1)  # type: ignore[assignment]
    sql_steps.execute = timed(originals[2], 0)  # type: ignore[assignment]
    try:
        yield
    finally:
        sql_steps.create_temp, sql_steps.insert_into, sql_steps.execute = originals


def timed_analysis(config: Config) -> tuple[Timing, int]:
    steps: list[tuple[str, float, float]] = []
    before = load()
    wall, cpu = time.perf_counter(), time.process_time()
    with step_timer(steps):
        summary = runner.run_analysis(config, as_of=scale_data.AS_OF)
    timing = Timing(time.perf_counter() - wall, time.process_time() - cpu, before, load(), steps)
    return timing, summary.run_id


def print_steps(timing: Timing, top: int) -> None:
    steps = sorted(timing.steps, key=lambda s: -s[1])
    in_steps = sum(s[1] for s in timing.steps), sum(s[2] for s in timing.steps)
    print(f"heaviest SQL steps of the best run (of {len(steps)}; wall / CPU seconds):")
    for name, wall, cpu in steps[:top]:
        print(f"  {name:<40} {wall:6.2f} {cpu:6.2f}")
    print(
        f"  {'all SQL steps':<40} {in_steps[0]:6.2f} {in_steps[1]:6.2f}\n"
        f"  {'other (snapshots, scope, commit, close)':<40}"
        f" {timing.wall - in_steps[0]:6.2f} {timing.cpu - in_steps[1]:6.2f}"
    )


def check_plans(config: Config) -> list[str]:
    """EXPLAIN each SQL file as the runner runs it, on the full data; return offending files."""
    bad: list[str] = []
    originals = (sql_steps.create_temp, sql_steps.insert_into)

    def check(con: object, name: str, params: dict[str, object]) -> None:
        plan = sql_steps.explain(con, name, params)  # type: ignore[arg-type]
        bad.extend(f"{name}: {op}" for op in FORBIDDEN if f'"{op}"' in plan)

    def create_temp(con: object, table: str, name: str, params: dict[str, object]) -> None:
        check(con, name, params)
        originals[0](con, table, name, params)  # type: ignore[arg-type]

    def insert_into(con: object, table: str, name: str, params: dict[str, object]) -> None:
        check(con, name, params)
        originals[1](con, table, name, params)  # type: ignore[arg-type]

    sql_steps.create_temp, sql_steps.insert_into = create_temp, insert_into  # type: ignore[assignment]
    try:
        runner.run_analysis(config, as_of=scale_data.AS_OF)
    finally:
        sql_steps.create_temp, sql_steps.insert_into = originals
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="analysis runs; the best is reported")
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out/scale.duckdb")
    parser.add_argument("--steps", type=int, default=12, help="heaviest SQL steps to list")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--no-plans", action="store_true", help="skip the nested-loop check")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    store = OUT / "scale.duckdb"
    if not (args.reuse and store.exists()):
        t = time.perf_counter()
        shape = scale_data.build(store, people=args.people, apps=args.apps)
        print(f"built store in {time.perf_counter() - t:.1f}s: {shape}")
    config = scale_data.bench_config(store, apps=args.apps)
    print(f"machine: {os.cpu_count()} cores, load average {load():.1f}")

    results = [timed_analysis(config) for _ in range(args.runs)]
    best, run_id = min(results, key=lambda r: r[0].wall)
    with connect(store, read_only=True) as con:
        ours = dict(
            con.execute(
                "SELECT kind, count(*) FROM finding WHERE run_id = ? GROUP BY kind", [run_id]
            ).fetchall()
        )
        accounts = con.execute(
            "SELECT count(*) FROM identity_link WHERE run_id = ?", [run_id]
        ).fetchone()
    print(f"scimaudit analyze: {accounts[0] if accounts else 0:,} accounts")
    for n, (timing, _) in enumerate(results, 1):
        print(f"  run {n}: {timing.text()}")
    print(f"  best: {best.text()}")
    print_steps(best, args.steps)
    if args.no_pandas:
        theirs: dict[str, Any] = {}
    else:
        before = load()
        pandas_load, compute, theirs = pandas_baseline.run(str(store), config, scale_data.AS_OF)
        print(
            f"pandas baseline:   load {pandas_load:.2f} s + compute {compute:.2f} s"
            f" (load average {before:.1f} -> {load():.1f})"
        )
        print(
            f"ratio pandas compute / scimaudit analyze: {compute / best.wall:.1f}x"
            f" (with load: {(pandas_load + compute) / best.wall:.1f}x)"
        )
    print(f"{'kind':<20} {'scimaudit':>10} {'pandas':>10}")
    for kind in sorted(set(ours) | set(theirs)):
        other = f"{theirs[kind]:,}" if kind in theirs else "-"
        print(f"{kind:<20} {ours.get(kind, 0):>10,} {other:>10}")
    if not args.no_plans:
        bad = check_plans(config)
        print(
            "plans: no nested-loop joins"
            if not bad
            else "plans with nested loops: " + "; ".join(bad)
        )


if __name__ == "__main__":
    main()
