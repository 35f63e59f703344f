"""Findings questions, one function each: the latest run, a run's findings, its pending leavers,
and one account's evidence. Read by the dashboard's Findings page; the CLI's ``findings`` command
asks its own questions through :mod:`scimaudit.analytics.results`.

These take the config, not a person: who may ask (security, auditor, admin) is checked by the
caller, above this layer (the dashboard checks the role at the top of every page run).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import orjson
import pandas as pd

from scimaudit.analytics.results import PENDING_COLUMNS
from scimaudit.analytics.results import pending_deprovisioning as pending_rows
from scimaudit.analytics.sql_steps import ANALYTICS_SQL
from scimaudit.config import Config
from scimaudit.store.connect import connect


def _open(config: Config) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds)


def latest_run(config: Config, *, as_of: date | None = None) -> dict[str, Any] | None:
    """The newest complete analysis run (on or before ``as_of``), or None."""
    with _open(config) as con:
        rows = con.execute(
            "SELECT run_id, as_of, finished_at, hr_snapshot_id FROM analysis_run"
            " WHERE status = 'complete' AND as_of <= coalesce(?, DATE '9999-12-31')"
            " ORDER BY as_of DESC, run_id DESC LIMIT 1",
            [as_of],
        ).fetchall()
    if not rows:
        return None
    row = rows[0]
    return {"run_id": row[0], "as_of": row[1], "finished_at": row[2], "hr_snapshot_id": row[3]}


def run_findings(config: Config, run_id: int) -> pd.DataFrame:
    """Every finding of one run with the person's name and first/last seen dates."""
    with _open(config) as con:
        return ANALYTICS_SQL.run(con, "reads/run_findings", {"run_id": run_id}).df()


def pending_deprovisioning_frame(config: Config, run_id: int) -> pd.DataFrame:
    """Leaver accounts of one run still inside the deprovisioning SLA, soonest deadline first
    (the rows ``scimaudit findings --pending`` prints)."""
    with _open(config) as con:
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
    """The Findings page's filters over :func:`run_findings`' frame."""
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
    """Everything the drill-down shows about one account of one run."""

    link: dict[str, Any] | None
    findings: list[dict[str, Any]]
    history: pd.DataFrame
    groups: list[str]
    snapshot_id: int | None
    """The app snapshot the account row is from: where to read the resource as received
    (:func:`scimaudit.collect.scim.archive_check.received_for_account`)."""


def account_detail(config: Config, run_id: int, app: str, account_id: str) -> AccountDetail:
    """One account: its identity link, findings with evidence, finding history and groups."""
    with _open(config) as con:
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
        snapshot_id=int(snap) if snap is not None else None,
    )
