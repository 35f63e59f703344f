"""Benchmark: many reviewers deciding at once while `analyze` and `collect` run (issue 15, item 8).

Target: 200 reviewers, each deciding their 20 items one by one through the library calls the
dashboard makes (``decide``, and with ``--queue-reads`` also ``my_queue`` after every decision, as
the page re-runs), with a think time of 2 s between decisions; 0 refused, p95 decision latency
under 1 s; and `scimaudit analyze`, `scimaudit collect --source hr` and `scimaudit review status`
started meanwhile, in their own processes, all exiting 0 (no "store locked"). Afterwards every
decision is checked to be in the log once, on the right item, by the right reviewer, and the hash
chain verified.

Run: ``.venv/bin/python bench/bench_review_load.py [--reviewers 200] [--think 2] [--queue-reads]``.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from load_support import load_campaign  # noqa: E402
from review_support import actor  # noqa: E402
from scimaudit.config import CONFIG_ENV, Config  # noqa: E402
from scimaudit.review.db import review_view  # noqa: E402
from scimaudit.review.decisions import decide, verify_chain  # noqa: E402
from scimaudit.review.queries import my_queue  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def cli_loop(config: Config, args: list[str], stop: threading.Event, out: list[str]) -> None:
    """Run a scimaudit command again and again until ``stop``; record exit codes and times."""
    env = {**os.environ, CONFIG_ENV: str(config.source)}
    while not stop.is_set():
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "scimaudit", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.perf_counter() - start
        last = (done.stderr.strip().splitlines() or [""])[-1][:120]
        out.append(
            f"exit {done.returncode} in {took:.1f}s" + (f" ({last})" if done.returncode else "")
        )
        stop.wait(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=20, help="per reviewer")
    parser.add_argument("--think", type=float, default=2.0, help="seconds between decisions")
    parser.add_argument("--queue-reads", action="store_true", help="read my_queue after each")
    args = parser.parse_args()
    groups = 4
    reports = max(1, args.decisions // (groups + 1))
    with tempfile.TemporaryDirectory(prefix="scimaudit-load-") as tmp:
        start = time.perf_counter()
        config, cid, people, queues = load_campaign(Path(tmp), args.reviewers, reports, groups)
        queues.pop("C0", None)
        by_id = {p.id: p for p in people}
        items = sum(len(q) for q in queues.values())
        print(
            f"setup: {len(queues)} reviewers, {items} items, campaign {cid}"
            f" ({time.perf_counter() - start:.1f}s)"
        )

        latencies: list[float] = []
        reads: list[float] = []
        refused: list[str] = []
        lock = threading.Lock()

        def reviewer(rid: str) -> None:
            who = actor(by_id[rid])
            rng = random.Random(rid)
            time.sleep(rng.uniform(0, args.think))  # managers do not all click at the same instant
            for n, item in enumerate(queues[rid]):
                t0 = time.perf_counter()
                try:
                    decide(
                        config,
                        who,
                        cid,
                        [item],
                        "revoke" if n % 3 == 0 else "keep",
                        f"{rid}:{item}",
                    )
                except Exception as exc:
                    with lock:
                        refused.append(f"{type(exc).__name__}: {exc}")
                took = time.perf_counter() - t0
                t1 = time.perf_counter()
                if args.queue_reads:
                    my_queue(config, who, cid)
                with lock:
                    latencies.append(took)
                    if args.queue_reads:
                        reads.append(time.perf_counter() - t1)
                time.sleep(args.think * rng.uniform(0.8, 1.2))

        stop = threading.Event()
        side: dict[str, list[str]] = {"analyze": [], "collect --source hr": [], "review status": []}
        loops = [
            threading.Thread(target=cli_loop, args=(config, name.split(), stop, out), daemon=True)
            for name, out in side.items()
        ]
        threads = [threading.Thread(target=reviewer, args=(rid,)) for rid in queues]
        start = time.perf_counter()
        for t in threads + loops:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        stop.set()
        for t in loops:
            t.join(timeout=600)

        print(f"decisions: {len(latencies)} in {wall:.1f}s, refused {len(refused)}")
        if refused:
            print("  e.g.", refused[0])
        ms = [x * 1000 for x in latencies]
        print(
            f"decision latency ms: p50 {statistics.median(ms):.0f}  p95 {pct(ms, 0.95):.0f}"
            f"  p99 {pct(ms, 0.99):.0f}  max {max(ms):.0f}"
        )
        if reads:
            rs = [x * 1000 for x in reads]
            print(f"my_queue ms: p50 {statistics.median(rs):.0f}  p95 {pct(rs, 0.95):.0f}")
        for name, out in side.items():
            print(f"scimaudit {name}: {len(out)} run(s): " + "; ".join(out))

        with review_view(config, cid) as con:
            rows = con.execute(
                "SELECT d.item_id, d.decision, d.reason, d.actor_employee_id"
                " FROM campaign_decision_current d WHERE d.campaign_id = ?",
                [cid],
            ).fetchall()
            records = con.execute(
                "SELECT count(*) FROM review_log WHERE campaign_id = ? AND kind = 'decision'", [cid]
            ).fetchall()[0][0]
        expected = {
            item: ("revoke" if n % 3 == 0 else "keep", f"{rid}:{item}", rid)
            for rid, q in queues.items()
            for n, item in enumerate(q)
        }
        got = {i: (d, r, b) for i, d, r, b in rows}
        lost = sum(1 for i in expected if i not in got)
        misplaced = sum(1 for i, v in got.items() if expected.get(i) != v)
        chain = verify_chain(config, cid)
        print(
            f"check: {len(got)} decided items, {records} decision records, lost {lost},"
            f" misplaced {misplaced}, chain {'verified' if chain.ok else chain.problems[:3]}"
        )


if __name__ == "__main__":
    main()
