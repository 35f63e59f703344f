"""Benchmark the SCIM collector against the raw-fetch floor and the scim2-client baseline.

One run measures, against a fast loopback SCIM server (``tests/faults/fast_scim_server.py``, pages
pre-rendered so the server is not the bottleneck):

(a) ``collect``: our full pull into a fresh DuckDB store (raw pages + staged account / group /
    membership rows, completeness record), in a child process whose peak RSS is sampled;
(b) the floor: the same pages fetched with one ``httpx.AsyncClient`` and ``orjson.loads`` and
    nothing else (same page size and concurrency);
(c) the peer baseline: scim2-client + scim2-models (``query(User[EnterpriseUser], ...)``), run on a
    subset and extrapolated linearly (it parses ~1–3k users/s; a full 1M pull would take many
    minutes);
(a) and (b) alternate ``--repeat`` times (default 3) and are compared by their medians; then
collect throughput vs ``concurrency`` with 50 ms injected server latency, and peak RSS at two
tenant sizes (memory must not grow with the tenant).

Run: ``.venv/bin/python bench/bench_collect.py`` (defaults: 1,000,000 users, 10,000 groups).
Figures are wall-clock on whatever machine runs it; on a shared 2-core box they are noisy, so each
line ends with the 1-minute load average when it was measured (other work on the machine takes
CPU from the collect's two loader threads more than from the single-threaded floor).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "faults" / "fast_scim_server.py"
TOKEN = "bench-token"


class Server:
    """The fast loopback SCIM server in a child process."""

    def __init__(self, users: int, groups: int, *, latency_ms: float = 0, max_results: int = 1000):
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--users", str(users), "--groups", str(groups),
             "--latency-ms", str(latency_ms), "--max-results", str(max_results),
             "--token", TOKEN, "--watch-stdin"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.base_url: str = orjson.loads(self.proc.stdout.readline())["base_url"]
        self.startup = time.perf_counter() - started

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def load() -> str:
    """The 1-minute load average, printed beside each figure."""
    return f"load {os.getloadavg()[0]:.1f}"


# ---- (b) the floor ----------------------------------------------------------------------------


async def floor_pull(base_url: str, page_size: int, concurrency: int) -> tuple[int, int, float]:
    """GET every Users and Groups page (index paging), orjson-parse, count. Nothing else."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    started = time.perf_counter()
    counts = {}
    async with httpx.AsyncClient(base_url=base_url + "/", headers=headers, limits=limits) as c:
        for path in ("Users", "Groups"):
            first = orjson.loads(
                (await c.get(path, params={"startIndex": 1, "count": page_size})).content
            )
            total = first["totalResults"]
            got = len(first["Resources"])
            semaphore = asyncio.Semaphore(concurrency)

            async def page(
                start: int, path: str = path, semaphore: asyncio.Semaphore = semaphore
            ) -> int:
                async with semaphore:
                    r = await c.get(path, params={"startIndex": start, "count": page_size})
                return len(orjson.loads(r.content)["Resources"])

            got += sum(
                await asyncio.gather(*(page(s) for s in range(1 + page_size, total + 1, page_size)))
            )
            counts[path] = got
    return counts["Users"], counts["Groups"], time.perf_counter() - started


# ---- (a) our collect, in a child process ------------------------------------------------------


def child_collect(base_url: str, store: str, page_size: int, concurrency: int) -> None:
    """Run in the child: one full collect; print a JSON line with the outcome."""
    imported = time.perf_counter()
    import pandas  # noqa: F401  - pyarrow imports it on first use; a one-time cost, not throughput

    from scimaudit.collect.scim import collect_apps
    from scimaudit.config import parse_config

    imported = time.perf_counter() - imported

    os.environ["BENCH_TOKEN"] = TOKEN
    config = parse_config(
        {
            "store": {"path": store},
            "apps": [
                {
                    "name": "bench",
                    "url": base_url,
                    "token": {"env": "BENCH_TOKEN"},
                    "page_size": page_size,
                    "concurrency": concurrency,
                    "timeout_seconds": 120,
                }
            ],
        },
        Path(store).with_suffix(".toml"),
    )
    started = time.perf_counter()
    [result] = collect_apps(config, progress=False)
    elapsed = time.perf_counter() - started
    line = {"elapsed": elapsed, "import_seconds": imported, **result.as_dict()}
    print(orjson.dumps(line).decode(), flush=True)


def run_collect(base_url: str, page_size: int, concurrency: int) -> dict[str, Any]:
    """Collect in a child process; sample its RSS every 20 ms for the peak."""
    with tempfile.TemporaryDirectory(prefix="bench-collect-", dir=ROOT / "bench") as tmp:
        store = str(Path(tmp) / "bench.duckdb")
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child-collect", base_url, store,
             str(page_size), str(concurrency)],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        peak = 0
        watcher = psutil.Process(proc.pid)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                try:
                    peak = max(peak, watcher.memory_info().rss)
                except psutil.Error:
                    return
                time.sleep(0.02)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        out, _ = proc.communicate()
        done.set()
        thread.join()
        result: dict[str, Any] = orjson.loads(out.splitlines()[-1])
        result["peak_rss_mb"] = peak / 2**20
        files = [p for p in Path(tmp).glob("bench.duckdb*") if p.is_file()]
        result["store_mb"] = sum(p.stat().st_size for p in files) / 2**20
        archive = Path(tmp) / "bench.duckdb.raw"
        result["archive_mb"] = sum(p.stat().st_size for p in archive.rglob("*.parquet")) / 2**20
    return result


# ---- (c) scim2-client baseline ------------------------------------------------------------------


def scim2_client_pull(base_url: str, users: int, page_size: int) -> tuple[int, float]:
    """Pull ``users`` users with scim2-client/scim2-models over httpx (sync, its usual use)."""
    warnings.simplefilter("ignore", DeprecationWarning)
    from scim2_client import BaseSyncSCIMClient
    from scim2_models import EnterpriseUser, Group, SearchRequest, User

    class HttpxSCIMClient(BaseSyncSCIMClient):
        """scim2-client 0.13 ships an engine for httpx2 only; this is the same engine for httpx."""

        def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.client = client

        def _stays_under_base_url(self, endpoint: str) -> bool:
            return True

        def _parse_json(self, response: Any) -> Any:
            return response.json()

        def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
            return self.client.request(method, url, **kwargs)

    headers = {"Authorization": f"Bearer {TOKEN}"}
    got = 0
    started = time.perf_counter()
    with httpx.Client(base_url=base_url + "/", headers=headers, timeout=120) as http:
        client = HttpxSCIMClient(http, resource_models=[User[EnterpriseUser], Group])
        for start in range(1, users + 1, page_size):
            response = client.query(
                User[EnterpriseUser],
                query_parameters=SearchRequest(start_index=start, count=page_size),
            )
            got += len(response.resources or [])
    return got, time.perf_counter() - started


# ---- the run ----------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-collect":
        child_collect(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description="SCIM collector benchmark")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="alternating floor/collect rounds")
    parser.add_argument("--small-users", type=int, default=100_000, help="second size, for memory")
    parser.add_argument("--baseline-users", type=int, default=20_000, help="scim2-client subset")
    parser.add_argument("--latency-users", type=int, default=20_000)
    parser.add_argument("--latency-page-size", type=int, default=100)
    args = parser.parse_args()
    P, C = args.page_size, args.concurrency

    print(f"# SCIM collect benchmark: {args.users:,} users, {args.groups:,} groups, page {P}, "
          f"concurrency {C}, {os.cpu_count()} CPUs")  # fmt: skip
    big = Server(args.users, args.groups)
    print(f"server ready in {big.startup:.1f}s at {big.base_url}")
    try:
        # (a) and (b) alternate, --repeat times: on a shared machine single runs vary by 30 %,
        # so each side is reported by its median and the ratio is taken of the medians
        floors: list[float] = []
        collects: list[dict[str, Any]] = []
        for round_no in range(1, args.repeat + 1):
            fu, fg, floor_s = asyncio.run(floor_pull(big.base_url, P, C))
            floors.append(floor_s)
            print(
                f"(b) floor    #{round_no}: {fu:,} users + {fg:,} groups in {floor_s:.1f}s"
                f" = {fu / floor_s:,.0f} users/s; {load()}"
            )
            ours = run_collect(big.base_url, P, C)
            collects.append(ours)
            users = ours["counts"].get("users", 0)
            print(
                f"(a) collect  #{round_no}: {users:,} users, {ours['counts'].get('groups', 0):,} "
                f"groups, {ours['counts'].get('memberships', 0):,} memberships, status "
                f"{ours['status']} in {ours['elapsed']:.1f}s = {users / ours['elapsed']:,.0f} "
                f"users/s; peak RSS {ours['peak_rss_mb']:.0f} MiB; store {ours['store_mb']:.0f} MiB"
                f" + page archive {ours['archive_mb']:.0f} MiB; {load()}"
            )
        floor_s = statistics.median(floors)
        ours = sorted(collects, key=lambda r: float(r["elapsed"]))[len(collects) // 2]
    finally:
        big.stop()

    small = Server(args.small_users, max(args.groups // 10, 1))
    try:
        ours_small = run_collect(small.base_url, P, C)
        print(f"(a) collect at {args.small_users:,} users: {ours_small['elapsed']:.1f}s, "
              f"peak RSS {ours_small['peak_rss_mb']:.0f} MiB; {load()}")  # fmt: skip
        b_users, b_s = scim2_client_pull(small.base_url, args.baseline_users, P)
        minutes = args.users / (b_users / b_s) / 60
        print(f"(c) scim2-client: {b_users:,} users in {b_s:.1f}s = {b_users / b_s:,.0f} users/s "
              f"(subset; extrapolated to {args.users:,}: {minutes:.0f} min); {load()}")  # fmt: skip
    finally:
        small.stop()

    print(f"# throughput vs concurrency with 50 ms latency ({args.latency_users:,} users, "
          f"page {args.latency_page_size})")  # fmt: skip
    slow = Server(args.latency_users, 10, latency_ms=50)
    scaling = []
    try:
        for conc in (1, 2, 4, 8):
            r = run_collect(slow.base_url, args.latency_page_size, conc)
            rate = r["counts"].get("users", 0) / r["elapsed"]
            scaling.append((conc, rate))
            print(
                f"  concurrency {conc}: {r['elapsed']:.1f}s = {rate:,.0f} users/s ({r['status']}); "
                f"{load()}"
            )
    finally:
        slow.stop()

    rate_a = users / ours["elapsed"]
    rate_b = fu / floor_s
    print(f"# medians of {args.repeat}: floor {floor_s:.1f}s = {rate_b:,.0f} users/s, collect "
          f"{ours['elapsed']:.1f}s = {rate_a:,.0f} users/s (peak RSS "
          f"{max(c['peak_rss_mb'] for c in collects):.0f} MiB at most)")  # fmt: skip
    rate_c = b_users / b_s
    print("# summary")
    print(f"collect / floor       = {rate_a / rate_b:.2f}  (target >= 0.7)")
    print(f"collect / scim2-client = {rate_a / rate_c:.1f}  (target >= 5)")
    print(f"peak RSS: {ours_small['peak_rss_mb']:.0f} MiB at {args.small_users:,} users, "
          f"{max(c['peak_rss_mb'] for c in collects):.0f} MiB at {args.users:,} users")  # fmt: skip
    print(f"latency scaling 1 -> 8 connections: {scaling[-1][1] / scaling[0][1]:.1f}x")


if __name__ == "__main__":
    main()
