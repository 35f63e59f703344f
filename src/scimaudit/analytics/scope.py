"""The temporary tables one analysis run reads besides the store: its scope and its configuration.

``run_*`` tables say which snapshots are analysed; ``cfg_*`` tables carry the policy from the config
file and the overrides file as rows, so SQL joins them (equi-joins only) instead of having values
formatted into its text. Group *patterns* (privileged groups) are resolved here, in Python, against
the group names of the analysed snapshots: a pattern match in SQL would be a nested-loop join.
Everything is created in the connection's temp schema and replaced on the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from scimaudit.analytics.exemptions import ExemptionRow
from scimaudit.analytics.overrides import Override
from scimaudit.analytics.privileged import matches
from scimaudit.analytics.registry import KINDS
from scimaudit.analytics.selection import SnapshotChoice
from scimaudit.config import Config

_TABLES: dict[str, dict[str, str]] = {
    "run_app": {"app": "VARCHAR", "snapshot_id": "BIGINT"},
    "run_activity": {"snapshot_id": "BIGINT"},
    "run_hr_history": {"snapshot_id": "BIGINT", "as_of": "TIMESTAMPTZ"},
    "cfg_kind": {"kind": "VARCHAR", "severity": "VARCHAR"},
    "cfg_rule": {"rule": "VARCHAR", "priority": "INTEGER"},
    "cfg_domain_alias": {"alias": "VARCHAR", "canonical": "VARCHAR"},
    "cfg_service_account": {"app": "VARCHAR", "user_name_key": "VARCHAR"},
    "cfg_activity_app": {"app": "VARCHAR"},
    "cfg_override": {
        "line_no": "INTEGER",
        "app": "VARCHAR",
        "account": "VARCHAR",
        "account_key": "VARCHAR",
        "action": "VARCHAR",
        "employee_id": "VARCHAR",
        "employee_key": "VARCHAR",
        "owner": "VARCHAR",
        "owner_key": "VARCHAR",
        "reason": "VARCHAR",
        "expires": "DATE",
    },
    "cfg_exemption": {
        "config_index": "INTEGER",
        "kind": "VARCHAR",
        "app": "VARCHAR",
        "account_key": "VARCHAR",
        "group_key": "VARCHAR",
        "owner": "VARCHAR",
        "reason": "VARCHAR",
        "expires": "DATE",
    },
    "cfg_privileged_group": {
        "app": "VARCHAR",
        "group_id": "VARCHAR",
        "group_name": "VARCHAR",
        "pattern": "VARCHAR",
    },
    "cfg_role_governed": {"app": "VARCHAR"},
    "cfg_role_allowed": {
        "department_key": "VARCHAR",
        "title_key": "VARCHAR",
        "app": "VARCHAR",
        "group_key": "VARCHAR",
    },
    "cfg_sod_side": {
        "rule_name": "VARCHAR",
        "side": "VARCHAR",
        "app": "VARCHAR",
        "group_key": "VARCHAR",
        "severity": "VARCHAR",
        "cross_app": "BOOLEAN",
    },
}


def fill(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Replace temp table ``table`` (declared in ``_TABLES``) with ``rows`` in one statement.

    The rows travel as one prepared parameter (a list of structs) unnested by DuckDB: no value is
    formatted into SQL text, and there is no per-row insert.
    """
    columns = _TABLES[table]
    ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({ddl})")
    if not rows:
        return
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    con.execute(
        f"INSERT INTO {table} BY NAME SELECT unnest($rows, recursive := true)", {"rows": records}
    )


def _key(text: str | None) -> str | None:
    value = (text or "").strip().lower()
    return value or None


@dataclass(frozen=True)
class ScopeNotes:
    """What the config names that the analysed data does not have (said in the run notes)."""

    notes: list[str]


def _app_groups(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT g.app, g.group_id, g.display_name FROM scim_group AS g"
        " JOIN run_app AS r ON r.snapshot_id = g.snapshot_id ORDER BY g.app, g.display_name"
    ).fetchall()
    groups: dict[str, list[tuple[str, str]]] = {}
    for app, group_id, name in rows:
        groups.setdefault(app, []).append((group_id, name))
    return groups


def build_scope(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    choice: SnapshotChoice,
    overrides: Sequence[Override],
    exemptions: Sequence[ExemptionRow],
) -> ScopeNotes:
    """Create every ``run_*`` / ``cfg_*`` temp table for one run; return notes on config gaps."""
    notes: list[str] = []
    fill(con, "run_app", [(name, s.snapshot_id) for name, s in sorted(choice.apps.items())])
    fill(con, "run_activity", [(s.snapshot_id,) for s in choice.activity])
    fill(con, "run_hr_history", [(s.snapshot_id, s.as_of) for s in choice.hr_history])
    fill(con, "cfg_kind", [(k.id, k.severity) for k in KINDS])
    fill(
        con,
        "cfg_rule",
        [(rule, i) for i, rule in enumerate(dict.fromkeys(config.correlation.rules))],
    )
    fill(
        con,
        "cfg_domain_alias",
        [(_key(a), _key(c)) for a, c in sorted(config.correlation.domain_aliases.items())],
    )
    analysed = set(choice.apps)
    apps = [a for a in config.apps if a.name in analysed]
    fill(
        con,
        "cfg_service_account",
        sorted({(a.name, _key(u)) for a in apps for u in a.service_accounts if _key(u)}),
    )
    fill(con, "cfg_activity_app", [(a.name,) for a in apps if a.activity_attribute])
    fill(
        con,
        "cfg_override",
        [
            (
                o.line_no,
                o.app,
                o.account,
                _key(o.account),
                o.action,
                o.employee_id,
                _key(o.employee_id),
                o.owner,
                _key(o.owner),
                o.reason,
                o.expires,
            )
            for o in overrides
        ],
    )
    fill(
        con,
        "cfg_exemption",
        [
            (
                e.config_index,
                e.kind,
                e.app,
                e.account_key,
                e.group_key,
                e.owner,
                e.reason,
                e.expires,
            )
            for e in exemptions
        ],
    )
    groups = _app_groups(con)
    privileged = []
    for app in apps:
        for pattern in app.privileged_groups:
            hits = [
                (app.name, gid, name, pattern)
                for gid, name in groups.get(app.name, [])
                if matches(pattern, name)
            ]
            if not hits:
                notes.append(f"app {app.name!r}: privileged group {pattern!r} matches no group")
            privileged.extend(hits)
    fill(con, "cfg_privileged_group", sorted(set(privileged)))
    policy = config.policy
    known = {app: {name.lower() for _, name in items} for app, items in groups.items()}
    governed = sorted({r.app for r in policy.role_policy if r.app in analysed})
    fill(con, "cfg_role_governed", [(a,) for a in governed])
    allowed = set()
    for i, rule in enumerate(policy.role_policy):
        for group in rule.groups:
            if rule.app in analysed and group.lower() not in known.get(rule.app, set()):
                notes.append(
                    f"policy.role_policy[{i}]: group {group!r} is not a group of app {rule.app!r}"
                )
            allowed.add((_key(rule.department), _key(rule.title) or "", rule.app, _key(group)))
    fill(con, "cfg_role_allowed", sorted(allowed, key=str))
    sides = []
    for i, sod in enumerate(policy.sod):
        name = sod.name or f"sod[{i}]"
        if sod.app is not None and sod.groups is not None:
            pairs = [("left", sod.app, sod.groups[0]), ("right", sod.app, sod.groups[1])]
        else:
            assert sod.left is not None and sod.right is not None
            pairs = [
                ("left", sod.left["app"], sod.left["group"]),
                ("right", sod.right["app"], sod.right["group"]),
            ]
        cross = pairs[0][1] != pairs[1][1]
        for side, app_name, group in pairs:
            if app_name not in analysed:
                notes.append(f"policy.sod[{i}] ({name}): app {app_name!r} is not analysed")
            elif group.lower() not in known.get(app_name, set()):
                notes.append(f"policy.sod[{i}] ({name}): {app_name}/{group} is not a group")
            sides.append((name, side, app_name, _key(group), sod.severity, cross))
    fill(con, "cfg_sod_side", sides)
    return ScopeNotes(notes)
