"""``scimaudit snapshots``: each collection run with its status, counts, hashes, completeness."""

from __future__ import annotations

import getpass
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
import orjson

from scimaudit.cmd.common import FORMAT_OPTION, config_from
from scimaudit.collect.scim.archive_check import verify_snapshot_pages
from scimaudit.errors import ArchiveIntegrityError, InputError
from scimaudit.output import print_rows, terminal_safe
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

TABLE_COLUMNS = (
    "snapshot_id",
    "kind",
    "source",
    "status",
    "current",
    "finished_at",
    "counts",
    "sha256",
    "error",
)
COLUMNS = (
    "snapshot_id",
    "kind",
    "source",
    "status",
    "current",
    "started_at",
    "finished_at",
    "counts",
    "sha256",
    "completeness",
    "error",
)


def _completeness_line(snap: snapshots.Snapshot) -> str:
    """One line: expected / received / loaded per resource type for apps."""
    record = snap.completeness or {}
    resources = record.get("resources")
    if not isinstance(resources, dict):
        return ""
    parts = []
    for rtype, rec in resources.items():
        if isinstance(rec, dict):
            parts.append(
                f"{rtype}: expected {rec.get('expected')}, received {rec.get('received')}, "
                f"loaded {rec.get('loaded')}, retries {rec.get('retries')}"
            )
    return "; ".join(parts)


def status_text(status: str, counts: dict[str, Any]) -> str:
    """The status as shown in the table: a complete import that set rows aside says so.

    The registry keeps ``complete`` (analysis may use the snapshot: the user chose
    ``allow_errors``), but a reader must never take it for a whole export.
    """
    rejected = counts.get("rejected")
    if status == "complete" and isinstance(rejected, int) and rejected > 0:
        return f"complete (partial: {rejected} rows rejected)"
    return status


def snapshot_rows(
    con: Any, *, source: str | None, limit: int | None, full: bool
) -> list[dict[str, Any]]:
    """Rows for the listing; ``full`` keeps the whole completeness record (json output)."""
    current = {s.snapshot_id for s in snapshots.current_all(con).values()}
    rows = []
    for snap in snapshots.list_snapshots(con, source_name=source, limit=limit):
        rows.append(
            {
                "snapshot_id": snap.snapshot_id,
                "kind": snap.source_kind,
                "source": snap.source_name,
                "status": snap.status,
                "current": snap.snapshot_id in current,
                "started_at": snap.started_at,
                "finished_at": snap.finished_at,
                "as_of": snap.as_of,
                "location": snap.location,
                "counts": snap.counts,
                "sha256": snap.sha256,
                "completeness": snap.completeness if full else _completeness_line(snap),
                "error": snap.error,
            }
        )
    return rows


@click.command("snapshots")
@FORMAT_OPTION
@click.option("--source", default=None, metavar="NAME", help="Only this source (app name, hr, …).")
@click.option("--limit", type=int, default=None, help="Only the newest N snapshots.")
@click.option(
    "--verify",
    "verify_id",
    type=int,
    default=None,
    metavar="ID",
    help="Re-read app snapshot ID's archived pages and check them against its SHA-256s.",
)
@click.option(
    "--accept",
    "accept_id",
    type=int,
    default=None,
    metavar="ID",
    help="Confirm suspect snapshot ID (its user count collapsed) so that it becomes current.",
)
@click.option("--reason", default=None, help="Why the suspect snapshot is right (with --accept).")
@click.option("--actor", default=None, help="Who accepts, for the record (default: cli:<login>).")
@click.pass_context
def command(
    ctx: click.Context,
    fmt: str,
    source: str | None,
    limit: int | None,
    verify_id: int | None,
    accept_id: int | None,
    reason: str | None,
    actor: str | None,
) -> None:
    """List snapshots: status, counts, SHA-256 and completeness of every collection run.

    Status is running, complete, failed, or suspect: complete by its own record, but its user
    count fell by more than the app's collapse_share (or to 0) since the last complete snapshot,
    so it is held out of analysis. "current" marks the snapshot analysis uses for each source: its
    latest complete one. With --verify ID, re-hash every response body of that app snapshot from
    the page archive and recompute the snapshot hash instead (exit 8 when anything is missing,
    added or changed). With --accept ID --reason TEXT, confirm a suspect snapshot (recorded with
    who and why); it becomes complete.
    """
    config = config_from(ctx)
    if verify_id is not None:
        _verify(config.store.path, verify_id, config.store.lock_timeout_seconds, fmt)
        return
    if accept_id is not None:
        if not reason or not reason.strip():
            raise InputError("--accept needs --reason: say why the fall in users is real")
        with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
            snap = snapshots.accept(
                con, accept_id, accepted_by=actor or _cli_actor(), reason=reason.strip()
            )
        click.echo(
            f"snapshot {snap.snapshot_id} ({snap.source_name}) accepted by "
            f"{terminal_safe(snap.completeness['accepted']['by'])}: now complete"
        )
        return
    if reason is not None or actor is not None:
        raise InputError("--reason and --actor go with --accept ID")
    with connect(
        config.store.path, read_only=True, lock_timeout=config.store.lock_timeout_seconds
    ) as con:
        rows = snapshot_rows(con, source=source, limit=limit, full=fmt == "json")
    if fmt == "table":
        for row in rows:
            row["status"] = status_text(row["status"], row["counts"] or {})
            row["counts"] = " ".join(f"{k}={v}" for k, v in (row["counts"] or {}).items())
            row["sha256"] = (row["sha256"] or "")[:12]
            row["current"] = "yes" if row["current"] else ""
    elif fmt == "csv":
        for row in rows:
            row.pop("location", None)
    columns = {"table": TABLE_COLUMNS, "csv": COLUMNS}.get(fmt)
    # A pipe or a log gets full lines; a terminal gets its own width.
    width = None if sys.stdout.isatty() else 200
    print_rows(rows, fmt, columns=columns, title="snapshots", width=width)


def _cli_actor() -> str:
    """``cli:<login>``, as the review and remediation logs name CLI actors."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _verify(store_path: Path, snapshot_id: int, lock_timeout: float, fmt: str) -> None:
    """``snapshots --verify``: re-hash an app snapshot's archived pages and report the outcome.

    Opens the store read-only. A mismatch raises :class:`ArchiveIntegrityError` (exit 8, like every
    failed verification) after the figures are printed.
    """
    with connect(store_path, read_only=True, lock_timeout=lock_timeout) as con:
        snap = snapshots.get(con, snapshot_id)
        if snap.source_kind != "app":
            raise InputError(
                f"snapshot {snapshot_id} is an {snap.source_kind} import; --verify checks the "
                "archived SCIM pages of app snapshots"
            )
        check = verify_snapshot_pages(con, store_path, snapshot_id)
    if fmt == "json":
        click.echo(orjson.dumps(asdict(check) | {"ok": check.ok}).decode())
    else:
        click.echo(
            f"snapshot {snapshot_id} ({snap.source_name}, {snap.status}): "
            f"{check.checked:,} of {check.pages:,} responses re-hashed from {check.files} archive "
            f"file(s), {check.bytes_read:,} bytes; snapshot sha256 "
            f"{'matches' if check.ok else 'recomputed as ' + str(check.recomputed_sha256)}"
        )
    if not check.ok:
        raise ArchiveIntegrityError(
            f"snapshot {snapshot_id}: {len(check.problems)} problem(s): "
            + "; ".join(check.problems[:3])
            + (" …" if len(check.problems) > 3 else "")
        )
