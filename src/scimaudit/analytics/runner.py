"""One ``scimaudit analyze`` run: correlation, every finding kind, populations and history.

The run reads only complete snapshots current on the analysis date (see :mod:`selection`), puts
the config's policy into temporary tables (:mod:`scope`), then runs the SQL files in a fixed order
inside one transaction, so a run is stored whole or not at all:

1. ``correlation/``: ``employment`` (HR rows → the person they are an employment of) →
   ``person`` (one per person, their current employment; numbered: pidx) → ``hr_key`` /
   ``account_key`` (accounts keyed by rowid, so later joins are on integers) →
   ``link_decision`` (one aggregate decides every account) → ``name_match`` (hints for the
   unmatched) → ``override_match`` → ``link`` → ``group`` → ``membership`` +
   ``membership_nested`` (nested groups expanded); stored as ``identity_link`` and
   ``override_record`` (the overrides as evidence)
2. ``assess/``: per-item judgements shared by a finding and its population (stale access, role
   drift), so what was tested and what failed can never disagree
3. ``findings/<kind>`` for every kind in the registry, then its population query; findings on
   accounts whose userName or email is a look-alike say so (:mod:`lookalike`); then
   ``pending/deprovision_pending`` (leavers inside the SLA: visible, not findings)
4. ``finalize/finding`` (stable keys, default severities, exemptions) into ``finding_run``, stored
   by ``finalize/finding_store``; ``finalize/finding_population``
5. ``history/merge_found``, ``history/resolve_missing``: first-seen / last-seen / resolved dates

A run that fails is recorded as ``failed`` with its error and leaves no findings behind.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import orjson

from scimaudit import __version__
from scimaudit.analytics import sql_steps
from scimaudit.analytics.exemptions import ExemptionRow, load_exemptions
from scimaudit.analytics.lookalike import flag_lookalike_findings
from scimaudit.analytics.overrides import Override, load_overrides
from scimaudit.analytics.registry import KINDS
from scimaudit.analytics.results import RunSummary, run_summary
from scimaudit.analytics.scope import build_scope
from scimaudit.analytics.selection import SnapshotChoice, choose_snapshots
from scimaudit.config import Config
from scimaudit.store.connect import connect

CORRELATION_STEPS = (
    ("employment", "correlation/employment"),
    ("person", "correlation/person"),
    ("hr_key", "correlation/hr_key"),
    ("account_key", "correlation/account_key"),
    ("link_decision", "correlation/link_decision"),
    ("name_match", "correlation/name_match"),
    ("override_match", "correlation/override_match"),
    ("link", "correlation/link"),
    ("multi_account", "correlation/multi_account"),
    ("grp", "correlation/group"),
    ("member", "correlation/membership"),
)
ASSESS_STEPS = (
    ("assess_leaver", "assess/leaver"),
    ("signin", "assess/signin"),
    ("assess_stale", "assess/stale_access"),
    ("role_allowed", "assess/role_allowed"),
    ("assess_role", "assess/role_drift"),
)

_FINDING_NEW = (
    "CREATE OR REPLACE TEMP TABLE finding_new (kind VARCHAR NOT NULL, app VARCHAR,"
    " account_id VARCHAR, user_name VARCHAR, employee_id VARCHAR, group_name VARCHAR,"
    " detail VARCHAR, severity VARCHAR, reason VARCHAR NOT NULL, evidence JSON NOT NULL,"
    " snapshot_ids BIGINT[] NOT NULL)"
)
_POPULATION_NEW = (
    "CREATE OR REPLACE TEMP TABLE population_new (kind VARCHAR NOT NULL, app VARCHAR NOT NULL,"
    " tested BIGINT NOT NULL, not_assessable BIGINT NOT NULL, unit VARCHAR NOT NULL, note VARCHAR)"
)


def today_utc() -> date:
    return datetime.now(UTC).date()


def policy_params(config: Config, overrides: list[Override]) -> dict[str, Any]:
    """The parameters a run used, for its record (no secrets; the overrides file by hash)."""
    policy = config.policy.model_dump(mode="json")
    correlation = config.correlation.model_dump(mode="json")
    overrides_digest = hashlib.sha256(
        orjson.dumps([asdict(o) for o in overrides], default=str)
    ).hexdigest()
    return {
        "policy": policy,
        "correlation": correlation,
        "overrides": {"lines": len(overrides), "sha256": overrides_digest},
        "apps": {
            a.name: {
                "privileged_groups": a.privileged_groups,
                "service_accounts": a.service_accounts,
                "activity_attribute": a.activity_attribute,
            }
            for a in config.apps
        },
    }


def sql_params(config: Config, run_id: int, as_of: date, hr_snapshot_id: int) -> dict[str, Any]:
    """Every ``$name`` the SQL files may use; each file is bound to the ones it names."""
    policy = config.policy
    return {
        "run_id": run_id,
        "as_of": as_of,
        "hr_snapshot_id": hr_snapshot_id,
        "fold_plus": config.correlation.fold_plus_addressing,
        "stale_after_days": policy.stale_after_days,
        "deprovision_sla_hours": policy.deprovision_sla_hours,
        "peer_threshold": policy.peer_threshold,
        "peer_min_group_size": policy.peer_min_group_size,
        "peer_by_title": policy.peer_group == "department_title",
        "never_used_since": policy.never_used_since,
    }


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql_steps.sql_text("macros"))


def analyze(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    as_of: date | None = None,
    overrides: list[Override] | None = None,
    exemptions: list[ExemptionRow] | None = None,
) -> RunSummary:
    """Run one analysis on an open, migrated store connection and return its summary.

    ``overrides`` / ``exemptions`` default to those the config names (read and validated first, so
    a bad file stops the run before anything is written).
    """
    started = time.perf_counter()
    day = as_of or today_utc()
    if overrides is None:
        overrides = load_overrides(config.correlation.overrides)
    if exemptions is None:
        exemptions = load_exemptions(config)
    con.execute("SET TimeZone = 'UTC'")
    # No result here depends on row order: let DuckDB write temp and stored tables in parallel.
    con.execute("SET preserve_insertion_order = false")
    # Pushing partial aggregates below our joins (activity per account, peers per group) costs
    # more than it saves here: measured 2x slower on the 2M-account benchmark.
    con.execute("SET disabled_optimizers = 'partial_aggregate_pushdown'")
    # DuckDB draws a progress bar on stdout for any statement over 2 s (a 2M-row insert on a busy
    # machine): it would land in the command's output.
    con.execute("SET enable_progress_bar = false")
    choice = choose_snapshots(con, config, day)
    params_record = policy_params(config, overrides)
    params_json = orjson.dumps(params_record, option=orjson.OPT_SORT_KEYS).decode()
    row = con.execute(
        "INSERT INTO analysis_run (as_of, started_at, status, hr_snapshot_id, snapshot_ids, params,"
        " params_sha256, tool_version, notes)"
        " VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?) RETURNING run_id",
        [
            day,
            datetime.now(UTC),
            choice.hr.snapshot_id,
            orjson.dumps(choice.ids()).decode(),
            params_json,
            hashlib.sha256(params_json.encode()).hexdigest(),
            __version__,
            orjson.dumps(choice.notes).decode(),
        ],
    ).fetchone()
    assert row is not None
    run_id = int(row[0])
    params = sql_params(config, run_id, day, choice.hr.snapshot_id)
    con.execute("BEGIN TRANSACTION")
    try:
        notes = [*choice.notes, *correlate(con, config, choice, overrides, exemptions, params)]
        _run_steps(con, params)
        con.execute(
            "UPDATE analysis_run SET status = 'complete', finished_at = ?,"
            " notes = ? WHERE run_id = ?",
            [datetime.now(UTC), orjson.dumps(notes).decode(), run_id],
        )
        con.execute("COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        message = " ".join(str(exc).split())[:500] or type(exc).__name__
        con.execute(
            "UPDATE analysis_run SET status = 'failed', finished_at = ?,"
            " error = ? WHERE run_id = ?",
            [datetime.now(UTC), message, run_id],
        )
        raise
    return run_summary(con, run_id, elapsed_seconds=time.perf_counter() - started)


def correlate(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    choice: SnapshotChoice,
    overrides: list[Override],
    exemptions: list[ExemptionRow],
    params: dict[str, Any],
) -> list[str]:
    """Fill the scope tables and run the correlation steps into temp tables (nothing stored).

    Leaves ``person``, ``link``, ``grp`` and ``member`` for the findings (or for an access query);
    returns notes on configuration that names data the snapshots do not have.
    """
    install_macros(con)
    notes = build_scope(con, config, choice, overrides, exemptions).notes
    for table, name in CORRELATION_STEPS:
        sql_steps.create_temp(con, table, name, params)
    sql_steps.insert_into(con, "member", "correlation/membership_nested", params)
    return notes


def _run_steps(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    sql_steps.insert_into(con, "identity_link", "correlation/identity_link", params)
    sql_steps.insert_into(con, "correlation_override", "correlation/override_record", params)
    for table, name in ASSESS_STEPS:
        sql_steps.create_temp(con, table, name, params)
    con.execute(_FINDING_NEW)
    con.execute(_POPULATION_NEW)
    for kind in KINDS:
        sql_steps.insert_into(con, "finding_new", f"findings/{kind.id}", params)
        sql_steps.insert_into(
            con, "population_new", kind.population_sql, {**params, "kind": kind.id}
        )
    flag_lookalike_findings(con)
    sql_steps.insert_into(con, "deprovision_pending", "pending/deprovision_pending", params)
    sql_steps.create_temp(con, "finding_run", "finalize/finding", params)
    sql_steps.insert_into(con, "finding", "finalize/finding_store", params)
    sql_steps.insert_into(con, "finding_population", "finalize/finding_population", params)
    sql_steps.execute(con, "history/merge_found", params)
    sql_steps.execute(con, "history/resolve_missing", params)


def run_analysis(config: Config, *, as_of: date | None = None) -> RunSummary:
    """Open the configured store, run one analysis as of ``as_of`` (default today, UTC), close it.

    Raises :class:`~scimaudit.errors.AnalysisError` when a needed snapshot has never been collected
    completely, :class:`~scimaudit.errors.InputError` for a bad overrides file and
    :class:`~scimaudit.errors.ConfigError` for bad exemptions.
    """
    overrides = load_overrides(config.correlation.overrides)
    exemptions = load_exemptions(config)
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        return analyze(con, config, as_of=as_of, overrides=overrides, exemptions=exemptions)
