"""Benchmark: full `scimaudit analyze` on 200,000 people x 2,000,000 accounts (20 apps).

Builds the synthetic store (bench/scale_data.py) in bench/out/, runs the analysis (correlation and
every finding, written to the store) and a straightforward pandas implementation of the same
findings (bench/pandas_baseline.py) side by side in one process, and prints wall and CPU seconds,
the ratio, and the headline counts of both. Also EXPLAINs every analysis SQL file on the big data
and prints any nested-loop join it finds (there should be none).

    .venv/bin/python bench/bench_analyze.py                 # the full size
    .venv/bin/python bench/bench_analyze.py --people 20000 --apps 4 --runs 1   # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas_baseline
import scale_data

from scimaudit.analytics import runner, sqlfiles
from scimaudit.config import Config
from scimaudit.store.connect import connect

OUT = Path(__file__).resolve().parent / "out"
FORBIDDEN = ("NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "CROSS_PRODUCT", "PIECEWISE_MERGE_JOIN")


def timed_analysis(config: Config) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = runner.run_analysis(config, as_of=scale_data.AS_OF)
    return time.perf_counter() - wall, time.process_time() - cpu, summary.run_id


def check_plans(config: Config) -> list[str]:
    """EXPLAIN each SQL file as the runner runs it, on the full data; return offending files."""
    bad: list[str] = []
    originals = (sqlfiles.create_temp, sqlfiles.insert_into)

    def check(con: object, name: str, params: dict[str, object]) -> None:
        plan = sqlfiles.explain(con, name, params)  # type: ignore[arg-type]
        bad.extend(f"{name}: {op}" for op in FORBIDDEN if f'"{op}"' in plan)

    def create_temp(con: object, table: str, name: str, params: dict[str, object]) -> None:
        check(con, name, params)
        originals[0](con, table, name, params)  # type: ignore[arg-type]

    def insert_into(con: object, table: str, name: str, params: dict[str, object]) -> None:
        check(con, name, params)
        originals[1](con, table, name, params)  # type: ignore[arg-type]

    sqlfiles.create_temp, sqlfiles.insert_into = create_temp, insert_into  # type: ignore[assignment]
    try:
        runner.run_analysis(config, as_of=scale_data.AS_OF)
    finally:
        sqlfiles.create_temp, sqlfiles.insert_into = originals
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="analysis runs; the best is reported")
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out/scale.duckdb")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    store = OUT / "scale.duckdb"
    if not (args.reuse and store.exists()):
        t = time.perf_counter()
        shape = scale_data.build(store, people=args.people, apps=args.apps)
        print(f"built store in {time.perf_counter() - t:.1f}s: {shape}")
    config = scale_data.bench_config(store, apps=args.apps)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

    results = [timed_analysis(config) for _ in range(args.runs)]
    wall, cpu, run_id = min(results)
    with connect(store, read_only=True) as con:
        ours = dict(
            con.execute(
                "SELECT kind, count(*) FROM finding WHERE run_id = ? GROUP BY kind", [run_id]
            ).fetchall()
        )
        accounts = con.execute(
            "SELECT count(*) FROM identity_link WHERE run_id = ?", [run_id]
        ).fetchone()
    print(
        f"scimaudit analyze: {accounts[0] if accounts else 0:,} accounts;"
        f" wall {', '.join(f'{r[0]:.2f}' for r in results)} s (best {wall:.2f} s),"
        f" CPU {cpu:.2f} s"
    )

    load, compute, theirs = pandas_baseline.run(str(store), config, scale_data.AS_OF)
    print(f"pandas baseline:   load {load:.2f} s + compute {compute:.2f} s")
    print(
        f"ratio pandas compute / scimaudit analyze: {compute / wall:.1f}x"
        f" (with load: {(load + compute) / wall:.1f}x)"
    )
    print(f"{'kind':<20} {'scimaudit':>10} {'pandas':>10}")
    for kind in sorted(set(ours) | set(theirs)):
        print(f"{kind:<20} {ours.get(kind, 0):>10,} {theirs.get(kind, 0):>10,}")
    bad = check_plans(config)
    print(
        "plans: no nested-loop joins" if not bad else "plans with nested loops: " + "; ".join(bad)
    )


if __name__ == "__main__":
    main()
