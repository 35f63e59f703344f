"""Read models behind the dashboard's Findings, Access explorer and Collections pages.

Pages call these and render what they return: no SQL or rules in the pages. Each function checks the
actor may read store-wide data (security, auditor, admin) and opens the store for that one read.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from scimaudit.analytics.access import ACCESS_COLUMNS, access_frame
from scimaudit.analytics.results import PENDING_COLUMNS
from scimaudit.analytics.results import pending_deprovisioning as pending_rows
from scimaudit.collect.scim.archive_check import ReceivedResource, resource_as_received
from scimaudit.config import Config
from scimaudit.errors import AnalysisError, ReportError, StoreError
from scimaudit.output import to_csv
from scimaudit.review.actors import READ_ALL, Actor, require_role
from scimaudit.review.db import fetch_one, open_store

ACCESS_ROW_CAP = 5000
"""Rows the access explorer shows at once; the CSV download carries all of them."""

FINDINGS_SQL = """
SELECT f.severity, f.kind, f.app, f.user_name, f.account_id, f.employee_id,
       nullif(concat_ws(' ', e.first_name, e.last_name), '') AS person, f.group_name,
       f.status, f.reason, h.first_seen, h.last_seen, f.finding_key
FROM finding f
LEFT JOIN finding_history h ON h.finding_key = f.finding_key
LEFT JOIN analysis_run r ON r.run_id = f.run_id
LEFT JOIN employee e ON e.snapshot_id = r.hr_snapshot_id AND e.employee_id = f.employee_id
WHERE f.run_id = ?
ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
         f.kind, f.app, f.user_name
"""


def latest_run(config: Config, actor: Actor, *, as_of: date | None = None) -> dict[str, Any] | None:
    """The newest complete analysis run (on or before ``as_of``), or None."""
    require_role(actor, READ_ALL, "read analysis results")
    with open_store(config) as con:
        row = fetch_one(
            con,
            "SELECT run_id, as_of, finished_at, hr_snapshot_id FROM analysis_run"
            " WHERE status = 'complete' AND as_of <= coalesce(?, DATE '9999-12-31')"
            " ORDER BY as_of DESC, run_id DESC LIMIT 1",
            [as_of],
        )
    if row is None:
        return None
    return {"run_id": row[0], "as_of": row[1], "finished_at": row[2], "hr_snapshot_id": row[3]}


def findings(config: Config, actor: Actor, run_id: int) -> pd.DataFrame:
    """Every finding of one run with the person's name and first/last seen dates."""
    require_role(actor, READ_ALL, "read findings")
    with open_store(config) as con:
        return con.execute(FINDINGS_SQL, [run_id]).df()


def pending_deprovisioning(config: Config, actor: Actor, run_id: int) -> pd.DataFrame:
    """Leaver accounts of one run still inside the deprovisioning SLA, soonest deadline first."""
    require_role(actor, READ_ALL, "read findings")
    with open_store(config) as con:
        rows = pending_rows(con, run_id=run_id)
    return pd.DataFrame(rows, columns=list(PENDING_COLUMNS))


def filter_findings(
    frame: pd.DataFrame,
    *,
    kinds: list[str] | None = None,
    apps: list[str] | None = None,
    severities: list[str] | None = None,
    include_exempted: bool = True,
) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    if kinds:
        mask &= frame["kind"].isin(kinds)
    if apps:
        mask &= frame["app"].isin(apps)
    if severities:
        mask &= frame["severity"].isin(severities)
    if not include_exempted:
        mask &= frame["status"] == "open"
    return frame[mask]


def findings_by_app_and_kind(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts for a stacked bar chart: one row per app, one column per kind."""
    if frame.empty:
        return pd.DataFrame()
    counts = frame.assign(app=frame["app"].fillna("(cross-app)"))
    return counts.pivot_table(
        index="app", columns="kind", values="finding_key", aggfunc="count", fill_value=0
    )


@dataclass(frozen=True)
class AccountDetail:
    link: dict[str, Any] | None
    findings: list[dict[str, Any]]
    history: pd.DataFrame
    groups: list[str]
    resource: ReceivedResource | None
    resource_note: str | None = None


def account_detail(
    config: Config, actor: Actor, run_id: int, app: str, account_id: str
) -> AccountDetail:
    """One account: its identity link, findings with evidence, finding history and groups."""
    require_role(actor, READ_ALL, "read account details")
    with open_store(config) as con:
        cur = con.execute(
            "SELECT l.*, nullif(concat_ws(' ', e.first_name, e.last_name), '') AS person,"
            " e.email AS person_email, e.status AS hr_status, e.department, e.title"
            " FROM identity_link l JOIN analysis_run r USING (run_id)"
            " LEFT JOIN employee e ON e.snapshot_id = r.hr_snapshot_id"
            " AND e.employee_id = l.employee_id"
            " WHERE l.run_id = ? AND l.app = ? AND l.account_id = ?",
            [run_id, app, account_id],
        )
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
        link = dict(zip(names, rows[0], strict=True)) if rows else None
        found = con.execute(
            "SELECT kind, severity, status, group_name, reason, evidence, exemption FROM finding"
            " WHERE run_id = ? AND app = ? AND account_id = ? ORDER BY kind",
            [run_id, app, account_id],
        ).fetchall()
        history = con.execute(
            "SELECT kind, first_seen, last_seen, resolved_on FROM finding_history"
            " WHERE app = ? AND account_id = ? ORDER BY first_seen",
            [app, account_id],
        ).df()
        snap = link["snapshot_id"] if link else None
        groups = [
            str(r[0])
            for r in con.execute(
                "SELECT g.display_name FROM membership m JOIN scim_group g"
                " ON g.snapshot_id = m.snapshot_id AND g.group_id = m.group_id"
                " WHERE m.snapshot_id = ? AND m.account_id = ? ORDER BY 1",
                [snap, account_id],
            ).fetchall()
        ]
        received: ReceivedResource | None = None
        note = None
        try:
            if snap is not None:
                received = resource_as_received(con, config.store.path, int(snap), account_id)
        except StoreError as exc:
            note = f"the resource as received cannot be shown: {exc}"
    return AccountDetail(
        link=link,
        findings=[
            {
                "kind": k,
                "severity": s,
                "status": st,
                "group": g,
                "reason": r,
                "evidence": orjson.loads(ev) if ev else {},
                "exemption": orjson.loads(ex) if ex else None,
            }
            for k, s, st, g, r, ev, ex in found
        ],
        history=history,
        groups=groups,
        resource=received,
        resource_note=note,
    )


@dataclass(frozen=True)
class AccessView:
    as_of: date
    rows: pd.DataFrame
    total: int
    snapshots: dict[str, int]
    notes: list[str]


def access_as_of(
    config: Config,
    actor: Actor,
    day: date,
    *,
    person: str | None = None,
    app: str | None = None,
    access: str | None = None,
) -> AccessView:
    """Who had which active account and group (direct or nested) on ``day``: the same answer as
    ``scimaudit access`` and campaign items (:func:`~scimaudit.analytics.access.access_frame`),
    then narrowed by the page's free-text filters (person: name, login or employee id; access:
    part of a group name)."""
    require_role(actor, READ_ALL, "explore access")
    with open_store(config) as con:
        try:
            answer = access_frame(con, config, day, app=app or None)
        except AnalysisError:
            return AccessView(day, pd.DataFrame(columns=list(ACCESS_COLUMNS)), 0, {}, [])
    frame = answer.frame
    frame["access"] = frame["group_name"]
    if person:
        needle = person.lower()
        mask = (
            frame["person"].fillna("").str.lower().str.contains(needle, regex=False)
            | frame["user_name"].fillna("").str.lower().str.contains(needle, regex=False)
            | frame["employee_id"].fillna("").str.lower().eq(needle)
        )
        frame = frame[mask]
    if access:
        frame = frame[
            frame["access"].fillna("").str.lower().str.contains(access.lower(), regex=False)
        ]
    snaps = {k.split(":", 1)[1]: v for k, v in answer.snapshot_ids.items() if k.startswith("app:")}
    return AccessView(day, frame.reset_index(drop=True), len(frame), snaps, answer.notes)


def access_over_time(config: Config, actor: Actor) -> pd.DataFrame:
    """Accounts per app in every complete snapshot (for a line chart)."""
    require_role(actor, READ_ALL, "see access over time")
    with open_store(config) as con:
        return con.execute(
            "SELECT s.as_of, s.source_name AS app, count(a.account_id) AS accounts"
            " FROM snapshot s LEFT JOIN account a ON a.snapshot_id = s.snapshot_id"
            " WHERE s.source_kind = 'app' AND s.status = 'complete'"
            " GROUP BY ALL ORDER BY s.as_of"
        ).df()


def collections(config: Config, actor: Actor, *, limit: int = 500) -> pd.DataFrame:
    """Recent snapshots: source, status, timings, counts, hash, failure reason."""
    require_role(actor, READ_ALL, "see collections")
    with open_store(config) as con:
        frame = con.execute(
            "SELECT snapshot_id, source_kind, source_name, status, as_of, started_at, finished_at,"
            " epoch(finished_at) - epoch(started_at) AS seconds, counts, completeness, sha256,"
            " error, location FROM snapshot ORDER BY snapshot_id DESC LIMIT ?",
            [limit],
        ).df()
    frame["counts"] = [_compact(c) for c in frame["counts"]]
    frame["completeness"] = [_compact(c) for c in frame["completeness"]]
    return frame


def _compact(raw: Any) -> str:
    """A JSON object as ``key=value`` pairs (nested keys dotted), for a table cell."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return ""
    try:
        value = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    except orjson.JSONDecodeError:
        return str(raw)
    flat: list[str] = []

    def walk(v: Any, prefix: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{prefix}{k}.")
        elif not isinstance(v, list):
            flat.append(f"{prefix[:-1]}={v}")

    walk(value, "")
    return ", ".join(flat[:12]) + (" …" if len(flat) > 12 else "")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as CSV with formula-looking cells defused (for download buttons)."""
    rows = [
        {str(k): (None if _isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")
    ]
    return to_csv(rows, list(frame.columns)).encode("utf-8")


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


PACK_KINDS = ("sox", "hipaa", "leavers", "privileged")


def _scimaudit(
    config: Config, args: list[str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run the scimaudit CLI in a child process.

    Evidence packs open the store read-only; DuckDB refuses a read-only and a read-write connection
    to one file inside one process, and the dashboard's own connections are read-write, so packs are
    built (and verified) in a separate process, which simply waits its turn for the file lock.
    """
    cmd = [sys.executable, "-m", "scimaudit"]
    if config.source is not None:
        cmd += ["--config", str(config.source)]
    return subprocess.run(cmd + args, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass(frozen=True)
class Pack:
    """A generated evidence pack, ready to download (the PDF and its sidecar manifest)."""

    name: str
    pdf: bytes
    manifest_name: str | None
    manifest: bytes | None
    summary: str


def build_pack(config: Config, actor: Actor, kind: str, *, as_of: date | None = None) -> Pack:
    """Produce one evidence pack with ``scimaudit report`` in a child process."""
    require_role(actor, READ_ALL, "generate evidence packs")
    if kind not in PACK_KINDS:
        raise ReportError(f"unknown pack {kind!r}; choose {', '.join(PACK_KINDS)}")
    with tempfile.TemporaryDirectory(prefix="scimaudit-pack-") as tmp:
        args = ["report", kind, "--out", tmp] + (["--as-of", as_of.isoformat()] if as_of else [])
        proc = _scimaudit(config, args)
        if proc.returncode != 0:
            raise ReportError(_last_lines(proc.stderr or proc.stdout))
        pdfs = sorted(Path(tmp).glob("*.pdf"))
        if not pdfs:
            raise ReportError(f"`scimaudit report {kind}` wrote no PDF")
        sidecars = sorted(Path(tmp).glob("*.manifest.json"))
        summary = "\n".join(
            line
            for line in proc.stdout.strip().splitlines()
            if tmp not in line  # where the child wrote it is gone once downloaded
        )
        return Pack(
            name=pdfs[0].name,
            pdf=pdfs[0].read_bytes(),
            manifest_name=sidecars[0].name if sidecars else None,
            manifest=sidecars[0].read_bytes() if sidecars else None,
            summary=summary,
        )


def verify_upload(
    config: Config, actor: Actor, name: str, pdf: bytes, manifest: bytes | None = None
) -> tuple[bool, str]:
    """Run ``scimaudit verify`` on an uploaded PDF (and its sidecar manifest, if given) against
    the store; return (intact?, its report)."""
    require_role(actor, READ_ALL, "verify evidence")
    with tempfile.TemporaryDirectory(prefix="scimaudit-verify-") as tmp:
        path = Path(tmp) / (Path(name).name or "upload.pdf")
        path.write_bytes(pdf)
        if manifest is not None:  # the sidecar lives beside the PDF: <stem>.manifest.json
            path.with_name(path.stem + ".manifest.json").write_bytes(manifest)
        proc = _scimaudit(config, ["verify", str(path)], timeout=300)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip().replace(tmp + "/", "")


def _last_lines(text: str, n: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-n:]) or "the report command failed without a message"
