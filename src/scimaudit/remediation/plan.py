"""Turn revocations into a reviewed-before-applied plan of SCIM operations, per app.

Every operation is computed against the app's *current complete snapshot* (not the campaign's
frozen one: the freshest facts win), and carries what the snapshot said the resource looked like
(its ETag, ``meta.version``, and ``meta.lastModified``) so that ``apply`` can skip a resource
changed since then instead of clobbering it (RFC 7644 §3.14). Requests that would do nothing (the
person is no longer a member, the account is already inactive or gone) and requests the safety
rules forbid (break-glass accounts) become *exclusions*, listed in the plan with their reason, so
the reviewer sees everything that was asked for and what became of it.
"""

from __future__ import annotations

import getpass
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from scimaudit.analytics.registry import NOTE_KINDS
from scimaudit.config import Config
from scimaudit.errors import RemediationError
from scimaudit.remediation import safety, scim_ops
from scimaudit.remediation.model import (
    Action,
    ExcludedRevocation,
    OperationSource,
    Plan,
    PlanOperation,
    Revocation,
    SnapshotRef,
)
from scimaudit.remediation.plan_store import save_plan
from scimaudit.remediation.sources import REMEDIATION_SQL, campaign_revocations, finding_revocations
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

_ACTION_ORDER = {"remove_member": 0, "deactivate": 1, "delete": 1}


def default_actor() -> str:
    """``cli:<login>``: who runs the command, as the review log names CLI actors."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@dataclass
class _Draft:
    """An operation being assembled; several revocations may ask for the same one."""

    app: str
    action: Action
    resource_type: str
    resource_id: str
    account_id: str
    user_name: str | None
    group_id: str | None
    group_name: str | None
    snapshot_id: int
    expected_etag: str | None
    expected_last_modified: str | None
    body: dict[str, Any] | None
    sources: list[OperationSource] = field(default_factory=list)


@dataclass(frozen=True)
class AppFacts:
    """What one app snapshot says about the accounts and groups a plan touches."""

    snapshot_id: int
    accounts: dict[str, tuple[str | None, bool | None, str | None, str | None]]
    groups: dict[str, tuple[str, str | None]]  # group_id -> (display_name, etag)
    members: set[tuple[str, str]]  # (group_id, account_id)
    group_last_modified: dict[str, str]


def app_facts(
    con: duckdb.DuckDBPyConnection,
    snapshot_id: int,
    account_ids: Sequence[str],
    *,
    with_last_modified: bool = True,
) -> AppFacts:
    """What snapshot ``snapshot_id`` says about these accounts and the groups they are in."""
    params = {"snapshot_id": snapshot_id, "account_ids": sorted(set(account_ids))}
    accounts = {
        row[0]: (row[1], row[2], row[3], row[4])
        for row in REMEDIATION_SQL.run(con, "account_state", params).fetchall()
    }
    groups: dict[str, tuple[str, str | None]] = {}
    members: set[tuple[str, str]] = set()
    for group_id, name, etag, member in REMEDIATION_SQL.run(con, "group_state", params).fetchall():
        groups[group_id] = (name, etag)
        if member is not None:
            members.add((group_id, member))
    last_modified: dict[str, str] = {}
    if with_last_modified and members:
        wanted_groups = sorted({gid for gid, _ in members})
        last_modified = {
            row[0]: row[1]
            for row in REMEDIATION_SQL.run(
                con,
                "group_last_modified",
                {"snapshot_id": snapshot_id, "group_ids": wanted_groups},
            ).fetchall()
            if row[1]
        }
    return AppFacts(snapshot_id, accounts, groups, members, last_modified)


def _find_group(facts: AppFacts, rev: Revocation) -> tuple[str | None, str | None]:
    """(group_id, why-not) for a membership revocation: by id first, then by display name."""
    if rev.group_id and rev.group_id in facts.groups:
        return rev.group_id, None
    named = [gid for gid, (name, _) in facts.groups.items() if name == rev.group_name]
    if len(named) == 1:
        return named[0], None
    if len(named) > 1:
        return None, f'{len(named)} groups are named "{rev.group_name}"; cannot tell which'
    return None, f'group "{rev.group_name}" is not in snapshot {facts.snapshot_id}'


def _excluded(rev: Revocation, user_name: str | None, why: str) -> ExcludedRevocation:
    """A revocation left out of the plan, with the reason shown to the reviewer."""
    return ExcludedRevocation(
        app=rev.app,
        account_id=rev.account_id,
        user_name=user_name,
        group_name=rev.group_name,
        why=why,
        sources=(rev.source,),
    )


def _draft_for(cfg: Config, facts: AppFacts, rev: Revocation) -> _Draft | ExcludedRevocation:
    """The operation one revocation needs, or why it needs none (or must not get one)."""
    app = cfg.app(rev.app)
    account = facts.accounts.get(rev.account_id)
    if account is None:
        return _excluded(
            rev, rev.user_name, f"account not in snapshot {facts.snapshot_id}: already removed"
        )
    user_name, active, etag, last_modified = account
    if safety.is_break_glass(app, user_name):
        return _excluded(rev, user_name, "break-glass account: remediation never touches it")
    if rev.group_name is not None or rev.group_id is not None:
        group_id, why = _find_group(facts, rev)
        if group_id is None:
            return _excluded(rev, user_name, why or "group not found")
        name, group_etag = facts.groups[group_id]
        if (group_id, rev.account_id) not in facts.members:
            return _excluded(
                rev, user_name, f'not a member of "{name}" in snapshot {facts.snapshot_id}'
            )
        return _Draft(
            app=rev.app,
            action="remove_member",
            resource_type="Group",
            resource_id=group_id,
            account_id=rev.account_id,
            user_name=user_name,
            group_id=group_id,
            group_name=name,
            snapshot_id=facts.snapshot_id,
            expected_etag=group_etag,
            expected_last_modified=facts.group_last_modified.get(group_id),
            body=scim_ops.remove_member_body(rev.account_id),
        )
    action: Action = app.remove_account
    if action == "deactivate" and active is False:
        return _excluded(rev, user_name, f"already inactive in snapshot {facts.snapshot_id}")
    body = (
        scim_ops.deactivate_body(active_as_string=app.active_as_string)
        if action == "deactivate"
        else None
    )
    return _Draft(
        app=rev.app,
        action=action,
        resource_type="User",
        resource_id=rev.account_id,
        account_id=rev.account_id,
        user_name=user_name,
        group_id=None,
        group_name=None,
        snapshot_id=facts.snapshot_id,
        expected_etag=etag,
        expected_last_modified=last_modified,
        body=body,
    )


def build_plan(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    revocations: Sequence[Revocation],
    *,
    actor: str,
    sources: dict[str, Any],
    pre_excluded: Sequence[ExcludedRevocation] = (),
    now: datetime | None = None,
) -> Plan:
    """Compute (not store) the plan for ``revocations`` against each app's current snapshot.

    :raises RemediationError: when an app's current snapshot is older than
        ``[remediation] max_snapshot_age_hours``.
    """
    now = now or datetime.now(UTC)
    by_app: dict[str, list[Revocation]] = defaultdict(list)
    excluded: list[ExcludedRevocation] = list(pre_excluded)
    configured = {a.name for a in cfg.apps}
    for rev in revocations:
        if rev.app not in configured:
            excluded.append(_excluded(rev, rev.user_name, f"app {rev.app} is not in the config"))
        else:
            by_app[rev.app].append(rev)

    drafts: dict[tuple[str, str, str, str], _Draft] = {}
    refs: dict[str, SnapshotRef] = {}
    for app_name in sorted(by_app):
        snap = snapshots.current(con, "app", app_name)
        if snap is None:
            excluded.extend(
                _excluded(r, r.user_name, f"no complete snapshot of app {app_name}")
                for r in by_app[app_name]
            )
            continue
        safety.check_snapshot_age(cfg, app_name, snap.snapshot_id, snap.as_of, now=now)
        refs[app_name] = SnapshotRef(snap.snapshot_id, snap.as_of.astimezone(UTC).isoformat())
        facts = app_facts(con, snap.snapshot_id, [r.account_id for r in by_app[app_name]])
        for rev in by_app[app_name]:
            outcome = _draft_for(cfg, facts, rev)
            if isinstance(outcome, ExcludedRevocation):
                excluded.append(outcome)
                continue
            key = (outcome.app, outcome.action, outcome.resource_id, outcome.account_id)
            draft = drafts.setdefault(key, outcome)
            if rev.source not in draft.sources:
                draft.sources.append(rev.source)

    ordered = sorted(
        drafts.values(),
        key=lambda d: (
            d.app,
            _ACTION_ORDER[d.action],
            d.group_name or "",
            d.resource_id if d.action == "remove_member" else "",
            d.user_name or "",
            d.account_id,
        ),
    )
    operations = tuple(
        PlanOperation(
            seq=i,
            app=d.app,
            action=d.action,
            resource_type="Group" if d.resource_type == "Group" else "User",
            resource_id=d.resource_id,
            account_id=d.account_id,
            user_name=d.user_name,
            group_id=d.group_id,
            group_name=d.group_name,
            method="DELETE" if d.action == "delete" else "PATCH",
            path=scim_ops.resource_path(d.resource_type, d.resource_id),
            body=d.body,
            snapshot_id=d.snapshot_id,
            expected_etag=d.expected_etag,
            expected_last_modified=d.expected_last_modified,
            sources=tuple(d.sources),
        )
        for i, d in enumerate(ordered, start=1)
    )
    used_apps = sorted({op.app for op in operations})
    return Plan(
        created_at=now.astimezone(UTC).isoformat(timespec="microseconds"),
        created_by=actor,
        sources=sources,
        snapshots={app: refs[app] for app in used_apps},
        policy={app: cfg.app(app).remove_account for app in used_apps},
        operations=operations,
        excluded=tuple(sorted(excluded, key=lambda e: (e.app, e.user_name or "", e.why))),
    )


def make_plan(
    cfg: Config,
    *,
    campaign_id: int | None = None,
    finding_kinds: Sequence[str] = (),
    apps: Sequence[str] = (),
    actor: str | None = None,
    analysis_run_id: int | None = None,
    now: datetime | None = None,
) -> Plan:
    """Plan a campaign's final revoke decisions and/or open findings of ``finding_kinds``; store it.

    ``apps`` narrows the plan to those apps. Returns the stored :class:`Plan` (its ``plan_id`` and
    ``sha256`` are what ``apply`` needs).
    """
    if campaign_id is None and not finding_kinds:
        raise RemediationError("nothing to plan from: give a campaign id and/or finding kinds")
    notes = sorted(set(finding_kinds) & NOTE_KINDS)
    if notes:
        raise RemediationError(
            f"{', '.join(notes)}: a data-quality note about a current person's account, nothing"
            " to revoke; have the app owner update the id"
        )
    for name in apps:
        cfg.app(name)  # unknown app -> ConfigError naming the config file
    revocations: list[Revocation] = []
    pre_excluded: list[ExcludedRevocation] = []
    source_info: dict[str, Any] = {
        "campaign_id": campaign_id,
        "finding_kinds": sorted(set(finding_kinds)),
        "analysis_run_id": None,
        "apps": sorted(apps),
    }
    with connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds) as con:
        if campaign_id is not None:
            wanted, pending = campaign_revocations(con, campaign_id)
            revocations += wanted
            pre_excluded += pending
        if finding_kinds:
            found, run = finding_revocations(con, finding_kinds, run_id=analysis_run_id)
            revocations += found
            source_info["analysis_run_id"] = run
        if apps:
            revocations = [r for r in revocations if r.app in apps]
            pre_excluded = [e for e in pre_excluded if e.app in apps]
        plan = build_plan(
            con,
            cfg,
            revocations,
            actor=actor or default_actor(),
            sources=source_info,
            pre_excluded=pre_excluded,
            now=now,
        )
        con.execute("BEGIN TRANSACTION")
        try:
            save_plan(con, plan)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return plan
