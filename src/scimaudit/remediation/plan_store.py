"""Plans in the store: written once, read back only through the hash check.

The plan is stored twice on purpose: as its canonical JSON document (exactly what the reviewer saw
and what the hash covers) and as rows (``remediation_plan_operation`` and its sources) that reports
and :func:`~scimaudit.remediation.status.operation_status` join on. :func:`load_verified_plan`
checks that the document still hashes to the value the operator approved *and* that the rows still
say the same thing, so an edit to either is caught before anything is sent to an app.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import orjson

from scimaudit.errors import RemediationError
from scimaudit.remediation.model import Plan, plan_from_document

_OP_COLUMNS = (
    "plan_id",
    "seq",
    "app",
    "action",
    "resource_type",
    "resource_id",
    "account_id",
    "user_name",
    "group_id",
    "group_name",
    "method",
    "path",
    "body",
    "snapshot_id",
    "expected_etag",
    "expected_last_modified",
)
_SOURCE_COLUMNS = (
    "plan_id",
    "seq",
    "source_kind",
    "campaign_id",
    "item_id",
    "finding_key",
    "finding_kind",
    "reason",
    "decided_by",
)

_EXCLUSION_COLUMNS = (
    "plan_id",
    "app",
    "account_id",
    "user_name",
    "group_name",
    "why",
    *_SOURCE_COLUMNS[2:],
)


@dataclass(frozen=True)
class PlanSummary:
    """One stored plan as listed by a bare ``remediate status`` (counts, no operations)."""

    plan_id: str
    sha256: str
    created_at: datetime
    created_by: str
    op_count: int
    excluded_count: int
    sources: dict[str, Any]


def _placeholders(n: int) -> str:
    return ", ".join("?" * n)


def save_plan(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Insert the plan, its operations and their sources (inside the caller's transaction)."""
    document = plan.canonical_json()
    sha = hashlib.sha256(document).hexdigest()
    con.execute(
        "INSERT INTO remediation_plan (plan_id, created_at, created_by, sha256, canonical_json,"
        " sources, snapshot_ids, op_count, excluded_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            plan.plan_id,
            plan.created_at,
            plan.created_by,
            sha,
            document.decode(),
            orjson.dumps(plan.sources, option=orjson.OPT_SORT_KEYS).decode(),
            orjson.dumps({a: r.snapshot_id for a, r in plan.snapshots.items()}).decode(),
            len(plan.operations),
            len(plan.excluded),
        ],
    )
    op_rows = [
        [
            plan.plan_id,
            op.seq,
            op.app,
            op.action,
            op.resource_type,
            op.resource_id,
            op.account_id,
            op.user_name,
            op.group_id,
            op.group_name,
            op.method,
            op.path,
            orjson.dumps(op.body).decode() if op.body is not None else None,
            op.snapshot_id,
            op.expected_etag,
            op.expected_last_modified,
        ]
        for op in plan.operations
    ]
    source_rows = [
        [
            plan.plan_id,
            op.seq,
            s.source_kind,
            s.campaign_id,
            s.item_id,
            s.finding_key,
            s.finding_kind,
            s.reason,
            s.decided_by,
        ]
        for op in plan.operations
        for s in op.sources
    ]
    exclusion_rows = [
        [
            plan.plan_id,
            ex.app,
            ex.account_id,
            ex.user_name,
            ex.group_name,
            ex.why,
            s.source_kind,
            s.campaign_id,
            s.item_id,
            s.finding_key,
            s.finding_kind,
            s.reason,
            s.decided_by,
        ]
        for ex in plan.excluded
        for s in ex.sources
    ]
    if exclusion_rows:
        con.executemany(
            f"INSERT INTO remediation_plan_exclusion ({', '.join(_EXCLUSION_COLUMNS)})"
            f" VALUES ({_placeholders(len(_EXCLUSION_COLUMNS))})",
            exclusion_rows,
        )
    if op_rows:
        con.executemany(
            f"INSERT INTO remediation_plan_operation ({', '.join(_OP_COLUMNS)})"
            f" VALUES ({_placeholders(len(_OP_COLUMNS))})",
            op_rows,
        )
    if source_rows:
        con.executemany(
            f"INSERT INTO remediation_operation_source ({', '.join(_SOURCE_COLUMNS)})"
            f" VALUES ({_placeholders(len(_SOURCE_COLUMNS))})",
            source_rows,
        )


def _stored(con: duckdb.DuckDBPyConnection, plan_id: str) -> tuple[str, str]:
    """The stored (sha256, canonical JSON) of a plan, for re-hashing before use."""
    row = con.execute(
        "SELECT sha256, canonical_json FROM remediation_plan WHERE plan_id = ?", [plan_id]
    ).fetchone()
    if row is None:
        raise RemediationError(f"no remediation plan {plan_id} (see `scimaudit remediate status`)")
    return str(row[0]), str(row[1])


def load_plan(con: duckdb.DuckDBPyConnection, plan_id: str) -> Plan:
    """Read a plan's document for display (no approval check; see :func:`load_verified_plan`)."""
    _, document = _stored(con, plan_id)
    return plan_from_document(orjson.loads(document))


def _rows_match(con: duckdb.DuckDBPyConnection, plan: Plan, plan_id: str) -> str | None:
    """None when the operation rows say what the document says; else the first difference."""
    rows = con.execute(
        f"SELECT {', '.join(_OP_COLUMNS[1:])} FROM remediation_plan_operation"
        " WHERE plan_id = ? ORDER BY seq",
        [plan_id],
    ).fetchall()
    if len(rows) != len(plan.operations):
        return f"{len(rows)} operation rows for {len(plan.operations)} planned operations"
    for row, op in zip(rows, plan.operations, strict=True):
        stored = dict(zip(_OP_COLUMNS[1:], row, strict=True))
        stored["body"] = orjson.loads(stored["body"]) if stored["body"] is not None else None
        for column, value in stored.items():
            if getattr(op, column) != value:
                return f"operation {op.seq}: {column} was changed"
    return None


def load_verified_plan(con: duckdb.DuckDBPyConnection, plan_id: str, sha256: str) -> Plan:
    """The plan ``plan_id``, only if it is exactly the one whose SHA-256 is ``sha256``.

    :raises RemediationError: when the given hash is not the plan's, when the stored document no
        longer hashes to its recorded value, or when its operation rows were altered.
    """
    recorded, document = _stored(con, plan_id)
    given = sha256.strip().lower()
    actual = hashlib.sha256(document.encode()).hexdigest()
    if not hmac.compare_digest(given, recorded):
        raise RemediationError(
            f"plan {plan_id}: the SHA-256 given ({given[:12]}…) is not this plan's "
            f"({recorded[:12]}…); apply only the plan you reviewed"
        )
    if not hmac.compare_digest(actual, recorded):
        raise RemediationError(
            f"plan {plan_id} was changed after it was made: its document hashes to "
            f"{actual[:12]}…, not the recorded {recorded[:12]}…; refused. Make a new plan."
        )
    plan = plan_from_document(orjson.loads(document))
    problem = _rows_match(con, plan, plan_id)
    if problem is not None:
        raise RemediationError(
            f"plan {plan_id} was changed after it was made ({problem}); refused. Make a new plan."
        )
    return plan


def list_plans(con: duckdb.DuckDBPyConnection, *, limit: int = 50) -> list[PlanSummary]:
    """The newest ``limit`` stored plans, newest first."""
    rows = con.execute(
        "SELECT plan_id, sha256, created_at, created_by, op_count, excluded_count, sources"
        " FROM remediation_plan ORDER BY created_at DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [
        PlanSummary(
            plan_id=r[0],
            sha256=r[1],
            created_at=r[2],
            created_by=r[3],
            op_count=int(r[4]),
            excluded_count=int(r[5]),
            sources=orjson.loads(r[6]),
        )
        for r in rows
    ]
