"""Kill ``scimaudit collect`` mid-pull (SIGKILL, or SIGTERM which it handles): the store stays
consistent, what was loaded is kept as a failed snapshot, and the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from scimaudit.collect.scim.archive_check import verify_snapshot_pages
from scimaudit.store import connect, snapshots

pytestmark = pytest.mark.slow

FAST_SERVER = Path(__file__).resolve().parent / "faults" / "fast_scim_server.py"


def write_config(path: Path, store: Path, url: str, *, page_size: int, concurrency: int) -> None:
    path.write_text(
        f'[store]\npath = "{store}"\n'
        f'[[apps]]\nname = "big"\nurl = "{url}"\ntoken = {{ env = "KILL_TEST_TOKEN" }}\n'
        f"page_size = {page_size}\nconcurrency = {concurrency}\n"
    )


USERS = 20000


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_mid_collect_leaves_a_consistent_store(tmp_path: Path, sig: signal.Signals) -> None:
    server = subprocess.Popen(
        [sys.executable, str(FAST_SERVER), "--users", str(USERS), "--groups", "20",
         "--latency-ms", "40", "--token", "kill-token", "--watch-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ready = orjson.loads(server.stdout.readline())
        store = tmp_path / "store.duckdb"
        slow_cfg, fast_cfg = tmp_path / "slow.toml", tmp_path / "fast.toml"
        write_config(slow_cfg, store, ready["base_url"], page_size=200, concurrency=1)
        write_config(fast_cfg, store, ready["base_url"], page_size=1000, concurrency=4)
        env = {**os.environ, "KILL_TEST_TOKEN": "kill-token"}
        argv = [sys.executable, "-m", "scimaudit", "--config"]
        victim = subprocess.Popen(
            [*argv, str(slow_cfg), "collect", "--app", "big", "--no-progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        archive = tmp_path / "store.duckdb.raw"
        deadline = time.monotonic() + 60
        # 100 pages of 200 users at 40 ms each, one at a time: the first 8 MiB archive file
        # closes about halfway; kill once it is there, so loaded pages are cut off too
        while not list(archive.glob("*/*.parquet")):
            assert victim.poll() is None, "collect ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)
        assert victim.poll() is None
        victim.send_signal(sig)
        _, stderr = victim.communicate(timeout=30)

        with connect(store) as con:
            [snap] = snapshots.list_snapshots(con)
            assert snapshots.current(con, "app", "big") is None
            if sig == signal.SIGKILL:
                assert snap.status == "running"  # nobody could say otherwise
            else:  # closed at once, with the reason, and the exit code a shell expects
                assert victim.returncode == 143, stderr.decode()
                assert snap.status == "failed"
                assert snap.error == "interrupted: stopped by SIGTERM before finishing"
                assert "terminated" in stderr.decode() and "Traceback" not in stderr.decode()

        done = subprocess.run(
            [*argv, str(fast_cfg), "collect", "--app", "big", "--json", "--no-progress"],
            env=env,
            capture_output=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr.decode()
        with connect(store) as con:
            killed, finished = sorted(snapshots.list_snapshots(con), key=lambda s: s.snapshot_id)
            assert killed.status == "failed" and "interrupted" in (killed.error or "")
            assert killed.counts is None or killed.counts.get("users", 0) < USERS
            assert finished.status == "complete"
            assert finished.counts["users"] == USERS
            current = snapshots.current(con, "app", "big")
            assert current is not None and current.snapshot_id == finished.snapshot_id
            rows = con.execute(
                "SELECT count(*) FROM account WHERE snapshot_id = ?", [finished.snapshot_id]
            ).fetchone()
            assert rows == (USERS,)
            # every archive file left is one the store refers to (the killed run's partial
            # file is gone), and the finished snapshot's bytes check out against its hashes
            referenced = {
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT archive_file FROM raw_scim_page WHERE archive_file IS NOT NULL"
                ).fetchall()
            }
            on_disk = {str(p.relative_to(archive)) for p in archive.rglob("*") if p.is_file()}
            assert on_disk == referenced
            check = verify_snapshot_pages(con, store, finished.snapshot_id)
            assert check.ok and check.checked == check.pages > 0, check.problems
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=10)
