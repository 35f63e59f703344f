"""Where each requested revocation stands: requested → applied → verified (or why it stopped).

Evidence packs and the campaign report show this per item, so a reviewer's "revoke" is traceable to
the SCIM request that removed the access and to the later snapshot that proved it gone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb

from scimaudit.remediation.sources import REMEDIATION_SQL

State = Literal[
    "excluded",  # the plan left it out (break-glass, decision not final, already gone, ...)
    "requested",  # planned, not yet applied by an executed run
    "applied",  # the app accepted the request
    "already_done",  # nothing to do at apply time: the access was already gone
    "conflict",  # skipped: the resource changed since the snapshot (not clobbered)
    "failed",  # the app refused or could not be reached
    "refused",  # a safety rule stopped it at apply time
    "verified",  # a later snapshot shows the access gone
    "still_present",  # a later snapshot still shows the access
]


@dataclass(frozen=True)
class OperationStatus:
    """One requested revocation (one plan operation × one reason it was asked for)."""

    plan_id: str
    seq: int | None  # None for an exclusion
    app: str
    action: str | None  # remove_member | deactivate | delete; None for an exclusion
    account_id: str
    user_name: str | None
    group_name: str | None
    source_kind: str  # campaign | finding
    campaign_id: int | None
    item_id: int | None
    finding_key: str | None
    finding_kind: str | None
    requested_at: datetime
    requested_by: str
    apply_outcome: str | None
    applied_at: datetime | None
    verify_outcome: str | None
    verified_at: datetime | None
    verify_snapshot_id: int | None
    detail: str | None
    state: State

    def as_dict(self) -> dict[str, Any]:
        """The status as a plain dict, for ``remediate status --format json|csv``."""
        return asdict(self)


def _state(seq: int | None, apply_outcome: str | None, verify_outcome: str | None) -> State:
    """Where a request stands: a verify outcome wins over an apply outcome, else ``requested``."""
    if seq is None:
        return "excluded"
    if verify_outcome in ("verified", "still_present"):
        return "verified" if verify_outcome == "verified" else "still_present"
    if apply_outcome in ("applied", "already_done", "conflict", "failed", "refused"):
        return apply_outcome  # type: ignore[return-value]
    return "requested"


def operation_status(
    con: duckdb.DuckDBPyConnection,
    *,
    plan_id: str | None = None,
    campaign_id: int | None = None,
    app: str | None = None,
) -> list[OperationStatus]:
    """Status of every requested revocation, optionally for one plan, campaign and/or app.

    One row per (plan operation, source) and per (exclusion, source), ordered by plan then execution
    order; join on ``(campaign_id, item_id)`` for campaign items or on ``finding_key`` for findings.
    Works on a read-only connection. A store without remediation tables gives an empty list.
    """
    try:
        rows = REMEDIATION_SQL.run(
            con,
            "operation_status",
            {"plan_id": plan_id, "campaign_id": campaign_id, "app": app},
        ).fetchall()
    except duckdb.CatalogException:
        return []
    columns = [d[0] for d in con.description or []]
    out = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        out.append(
            OperationStatus(
                **values,
                state=_state(values["seq"], values["apply_outcome"], values["verify_outcome"]),
            )
        )
    return out
