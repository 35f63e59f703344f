"""The store: numbered migrations, refusal of newer files, snapshot registry semantics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scimaudit.errors import SchemaVersionError, StoreLockedError
from scimaudit.store import connect
from scimaudit.store import snapshots as snap
from scimaudit.store.migrations import available, current_version, migrate


def test_fresh_store_has_every_migration(tmp_path: Path) -> None:
    with connect(tmp_path / "s.duckdb") as con:
        versions = [
            r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        ]
    assert versions == [m.version for m in available()]
    assert versions[0] == 1


def test_old_store_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=1)
    con.execute(
        "INSERT INTO snapshot (source_kind, source_name, status, started_at, as_of, tool_version)"
        " VALUES ('hr', 'hr', 'complete', now(), now(), '0.0.1')"
    )
    assert current_version(con) == 1
    con.close()
    with connect(path) as con:
        assert current_version(con) == available()[-1].version
        # data written under the old schema survives the upgrade
        assert con.execute("SELECT count(*) FROM snapshot").fetchone() == (1,)


def test_a_migration_that_landed_late_is_still_applied(tmp_path: Path) -> None:
    """A store made while a lower-numbered migration was unreleased gets it when it lands."""
    shipped = available()
    assert len(shipped) >= 3
    skipped = shipped[-2].version  # as if this one had not landed when the store was made
    con = duckdb.connect(str(tmp_path / "gap.duckdb"))
    current_version(con)
    for mig in shipped:
        if mig.version != skipped:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())", [mig.version, mig.name]
            )
    assert migrate(con) == [skipped]
    assert migrate(con) == []
    con.close()


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with connect(path) as con:
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    with pytest.raises(SchemaVersionError, match="schema version 999"), connect(path):
        pass


def test_snapshot_registry_current_ignores_failed_and_running(tmp_path: Path) -> None:
    with connect(tmp_path / "s.duckdb") as con:
        good = snap.begin(con, "app", "chat", location="https://chat/scim/v2")
        snap.finish(con, good, "complete", counts={"users": 10}, sha256="aa")
        bad = snap.begin(con, "app", "chat", location="https://chat/scim/v2")
        snap.finish(con, bad, "failed", error="HTTP 500 on page 3")
        snap.begin(con, "app", "chat", location="https://chat/scim/v2")  # still running
        current = snap.current(con, "app", "chat")
        assert current is not None and current.snapshot_id == good
        assert current.counts == {"users": 10}
        listed = snap.list_snapshots(con, source_name="chat")
        assert [s.status for s in listed] == ["running", "failed", "complete"]
        assert snap.current(con, "app", "code") is None
        assert set(snap.current_all(con)) == {("app", "chat")}


def test_reap_interrupted_marks_dead_runner_failed(tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(child.stdout)
    with connect(tmp_path / "s.duckdb") as con:
        sid = snap.begin(con, "app", "chat", location=None)
        con.execute("UPDATE snapshot SET runner_pid = ? WHERE snapshot_id = ?", [dead_pid, sid])
        alive = snap.begin(con, "app", "code", location=None)  # our own pid: alive
        assert snap.reap_interrupted(con) == [sid]
        assert snap.get(con, sid).status == "failed"
        assert "interrupted" in (snap.get(con, sid).error or "")
        assert snap.get(con, alive).status == "running"
        assert os.getpid() != dead_pid


def test_locked_store_waits_then_reports(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with connect(path):
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('held', flush=True);"
            " time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(StoreLockedError, match="locked by another scimaudit process"),
            connect(path, lock_timeout=0.5),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with connect(path, lock_timeout=5) as con:  # released: opens again
        assert con.execute("SELECT 1").fetchone() == (1,)
