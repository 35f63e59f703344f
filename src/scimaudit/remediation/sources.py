"""Where revocations come from: a campaign's final revoke decisions, or selected open findings.

Only *final* campaign decisions are taken: a reviewer may change a decision until they sign off
(issue 6), so a revoke that is still changeable is reported as excluded, not acted on. Findings are
taken from the latest complete analysis run; exempted findings are accepted risk and never taken.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from scimaudit.errors import RemediationError
from scimaudit.remediation.model import ExcludedRevocation, OperationSource, Revocation
from scimaudit.sqlfiles import SqlFolder

ACCOUNT_LEVEL_KINDS = frozenset({"terminated_active", "orphaned_account"})
"""Finding kinds about the account itself: remediated by deactivating or deleting the account."""


REMEDIATION_SQL = SqlFolder("scimaudit.remediation")
"""The ``.sql`` files of this stage (:mod:`scimaudit.sqlfiles`: one loader, one binding rule)."""


def campaign_revocations(
    con: duckdb.DuckDBPyConnection, campaign_id: int
) -> tuple[list[Revocation], list[ExcludedRevocation]]:
    """Final revoke decisions of a campaign as revocations; changeable ones as exclusions."""
    if (
        con.execute("SELECT 1 FROM campaign WHERE campaign_id = ?", [campaign_id]).fetchone()
        is None
    ):
        raise RemediationError(f"no campaign with id {campaign_id}")
    rows = REMEDIATION_SQL.run(con, "campaign_revocations", {"campaign_id": campaign_id}).fetchall()
    wanted: list[Revocation] = []
    pending: list[ExcludedRevocation] = []
    for cid, item_id, app, account_id, user_name, group_name, group_id, reason, by, final in rows:
        source = OperationSource(
            source_kind="campaign",
            campaign_id=int(cid),
            item_id=int(item_id),
            reason=reason,
            decided_by=by,
        )
        if not final:
            pending.append(
                ExcludedRevocation(
                    app=app,
                    account_id=account_id,
                    user_name=user_name,
                    group_name=group_name,
                    why="decision not final: reviewer has not signed off, campaign still open",
                    sources=(source,),
                )
            )
            continue
        wanted.append(
            Revocation(
                app=app,
                account_id=account_id,
                user_name=user_name,
                group_id=group_id if group_name is not None else None,
                group_name=group_name,
                source=source,
            )
        )
    return wanted, pending


def latest_analysis_run(con: duckdb.DuckDBPyConnection) -> int:
    """The latest complete analysis run; none is a RemediationError telling to run ``analyze``."""
    row = con.execute("SELECT max(run_id) FROM analysis_run WHERE status = 'complete'").fetchone()
    if row is None or row[0] is None:
        raise RemediationError("no complete analysis run: run `scimaudit analyze` first")
    return int(row[0])


def finding_revocations(
    con: duckdb.DuckDBPyConnection, kinds: Sequence[str], *, run_id: int | None = None
) -> tuple[list[Revocation], int]:
    """Open findings of ``kinds`` as revocations, from ``run_id`` (default: latest complete run).

    Account-level kinds (:data:`ACCOUNT_LEVEL_KINDS`) and findings naming no group remove the
    account (per the app's ``remove_account`` policy); a finding naming a group removes that
    membership.
    """
    run = run_id if run_id is not None else latest_analysis_run(con)
    rows = REMEDIATION_SQL.run(
        con, "finding_revocations", {"run_id": run, "kinds": list(kinds)}
    ).fetchall()
    out: list[Revocation] = []
    for finding_key, kind, app, account_id, user_name, group_name, reason in rows:
        membership = group_name is not None and kind not in ACCOUNT_LEVEL_KINDS
        out.append(
            Revocation(
                app=app,
                account_id=account_id,
                user_name=user_name,
                group_name=group_name if membership else None,
                source=OperationSource(
                    source_kind="finding",
                    finding_key=finding_key,
                    finding_kind=kind,
                    reason=reason,
                ),
            )
        )
    return out, run
