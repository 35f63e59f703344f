"""A straightforward pandas implementation of the same correlation and findings, for comparison.

It reads the same snapshots from the store into DataFrames (timed separately as "load") and then
computes, with ordinary vectorised merges and group-bys, what ``scimaudit analyze`` computes in
SQL: links by externalId / employeeNumber / normalised email (first rule wins, ambiguity kept
unlinked), then terminated_active, contractor_expired, orphaned_account, ambiguous_identity,
stale_access, role_drift (policy, department+title peers, movers), sod_conflict,
privileged_account and duplicate_account. It writes nothing back. Counts are returned so the
benchmark can check both implementations agree on the headline numbers.
"""

from __future__ import annotations

import time
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

import duckdb
import pandas as pd

from scimaudit.config import Config


def load(con: duckdb.DuckDBPyConnection, config: Config, as_of: date) -> dict[str, pd.DataFrame]:
    """The current complete snapshots as DataFrames (HR current and previous, apps, activity)."""
    snaps = con.execute(
        "SELECT source_kind, source_name, snapshot_id, as_of FROM snapshot"
        " WHERE status = 'complete' ORDER BY as_of, snapshot_id"
    ).df()
    hr_ids = snaps[snaps.source_kind == "hr"].snapshot_id.tolist()
    apps = snaps[snaps.source_kind == "app"].groupby("source_name").snapshot_id.max()
    acts = snaps[snaps.source_kind == "activity"].groupby("source_name").snapshot_id.max()
    app_ids = [int(x) for x in apps.tolist()]
    return {
        "hr": con.execute("SELECT * FROM employee WHERE snapshot_id = ?", [hr_ids[-1]]).df(),
        "hr_old": con.execute(
            "SELECT * FROM employee WHERE snapshot_id IN (SELECT unnest(?))", [hr_ids[:-1]]
        ).df(),
        "account": con.execute(
            "SELECT snapshot_id, app, account_id, user_name, external_id, employee_number,"
            " emails, primary_email, active, created, last_activity FROM account"
            " WHERE snapshot_id IN (SELECT unnest(?))",
            [app_ids],
        ).df(),
        "membership": con.execute(
            "SELECT m.app, m.account_id, g.display_name AS group_name FROM membership m"
            " JOIN scim_group g USING (snapshot_id, group_id)"
            " WHERE m.snapshot_id IN (SELECT unnest(?)) AND m.member_type = 'User'",
            [app_ids],
        ).df(),
        "groups": con.execute(
            "SELECT app, group_id, display_name FROM scim_group"
            " WHERE snapshot_id IN (SELECT unnest(?))",
            [app_ids],
        ).df(),
        "nesting": con.execute(
            "SELECT m.app, p.display_name AS parent, c.display_name AS child FROM membership m"
            " JOIN scim_group p ON p.snapshot_id = m.snapshot_id AND p.group_id = m.group_id"
            " JOIN scim_group c ON c.snapshot_id = m.snapshot_id AND c.group_id = m.account_id"
            " WHERE m.snapshot_id IN (SELECT unnest(?)) AND m.member_type = 'Group'",
            [app_ids],
        ).df(),
        "activity": con.execute(
            "SELECT app, login, last_seen FROM activity WHERE snapshot_id IN (SELECT unnest(?))",
            [[int(x) for x in acts.tolist()]],
        ).df(),
    }


def _norm_email(s: pd.Series, aliases: dict[str, str]) -> pd.Series:
    s = s.str.strip().str.lower()
    parts = s.str.split("@", n=1, expand=True)
    local = parts[0].str.split("+", n=1).str[0]
    domain = parts[1].replace(aliases)
    return local + "@" + domain


def correlate(d: dict[str, pd.DataFrame], config: Config) -> pd.DataFrame:
    """One row per account: employee_id (or NaN), ambiguous flag."""
    hr, acc = d["hr"], d["account"]
    aliases = {k.lower(): v.lower() for k, v in config.correlation.domain_aliases.items()}
    hr_keys = pd.concat(
        [
            pd.DataFrame({"rule": 0, "key": hr.employee_id.str.lower(), "eid": hr.employee_id}),
            pd.DataFrame({"rule": 1, "key": hr.employee_id.str.lower(), "eid": hr.employee_id}),
            pd.DataFrame(
                {
                    "rule": 2,
                    "key": _norm_email(hr.email.dropna(), aliases),
                    "eid": hr.loc[hr.email.notna(), "employee_id"],
                }
            ),
        ]
    )
    acc = acc.reset_index(drop=True)
    acc["k"] = acc.index
    emails = acc[["k", "emails"]].explode("emails").dropna()
    extra = acc.loc[acc.user_name.str.contains("@", na=False), ["k", "user_name"]]
    all_emails = pd.concat(
        [emails.rename(columns={"emails": "e"}), extra.rename(columns={"user_name": "e"})]
    )
    acc_keys = pd.concat(
        [
            pd.DataFrame({"k": acc.k, "rule": 0, "key": acc.external_id.str.strip().str.lower()}),
            pd.DataFrame(
                {"k": acc.k, "rule": 1, "key": acc.employee_number.str.strip().str.lower()}
            ),
            pd.DataFrame({"k": all_emails.k, "rule": 2, "key": _norm_email(all_emails.e, aliases)}),
        ]
    ).dropna()
    matched = acc_keys.merge(hr_keys, on=["rule", "key"])
    best = matched.groupby("k").rule.transform("min")
    matched = matched[matched.rule == best].drop_duplicates(["k", "eid"])
    n = matched.groupby("k").eid.transform("nunique")
    single = matched[n == 1].drop_duplicates("k").set_index("k").eid
    ambiguous = set(matched[n > 1].k)
    acc["employee_id"] = acc.k.map(single)
    acc["ambiguous"] = acc.k.isin(ambiguous)
    acc["active"] = acc.active.fillna(True).astype(bool)
    svc = {(a.name, u.lower()) for a in config.apps for u in a.service_accounts}
    acc["service"] = [
        (a, (u or "").lower()) in svc for a, u in zip(acc.app, acc.user_name, strict=True)
    ]
    acc.loc[acc.service, "employee_id"] = None
    return acc


def findings(
    d: dict[str, pd.DataFrame], acc: pd.DataFrame, config: Config, as_of: date
) -> dict[str, int]:
    policy = config.policy
    day = pd.Timestamp(as_of)
    hr = d["hr"].copy()
    for col in ("termination_date", "contract_end_date", "hire_date"):
        hr[col] = pd.to_datetime(hr[col])
    hr["terminated"] = (
        (hr.status == "terminated") & (hr.termination_date.isna() | (hr.termination_date <= day))
    ) | (
        (hr.status == "active")
        & (hr.termination_date <= day)
        & ~(hr.hire_date > hr.termination_date)
    )
    live = acc[acc.active]
    linked = live.merge(hr, on="employee_id", how="inner", suffixes=("", "_hr"))
    out: dict[str, int] = {}
    out["terminated_active"] = int(linked.terminated.sum())
    out["contractor_expired"] = int(
        (
            (linked.worker_type == "contractor")
            & ~linked.terminated
            & (linked.contract_end_date < day)
        ).sum()
    )
    out["orphaned_account"] = int((live.employee_id.isna() & ~live.service & ~live.ambiguous).sum())
    out["ambiguous_identity"] = int(live.ambiguous.sum())
    dup = linked.groupby(["app", "employee_id"]).account_id.transform("count")
    out["duplicate_account"] = int((dup > 1).sum())
    # stale: activity by userName or email, case-insensitive
    act = d["activity"].assign(login=lambda x: x.login.str.lower())
    keys = pd.concat(
        [
            live[["k", "app", "user_name"]].rename(columns={"user_name": "login"}),
            live[["k", "app", "emails"]].explode("emails").rename(columns={"emails": "login"}),
        ]
    ).dropna()
    keys["login"] = keys.login.str.lower()
    seen = keys.merge(act, on=["app", "login"]).groupby("k").last_seen.max()
    stale = live.assign(seen=live.k.map(seen)).merge(
        hr[["employee_id", "hire_date"]], on="employee_id", how="left"
    )
    signal = set(act.app)
    cutoff = pd.Timestamp(as_of, tz="UTC") - pd.Timedelta(days=policy.stale_after_days)
    age = stale.created.fillna(stale.hire_date.dt.tz_localize("UTC"))
    is_stale = stale.app.isin(signal) & (
        (stale.seen < cutoff) | (stale.seen.isna() & (age < cutoff))
    )
    out["stale_access"] = int(is_stale.sum())
    # memberships with nested groups (one level, enough for the benchmark data)
    m = d["membership"]
    nested = m.merge(d["nesting"], left_on=["app", "group_name"], right_on=["app", "child"])
    m = pd.concat(
        [m, nested[["app", "account_id", "parent"]].rename(columns={"parent": "group_name"})]
    )
    m = m.drop_duplicates()
    held = m.merge(
        linked[["app", "account_id", "employee_id", "department", "title", "terminated"]],
        on=["app", "account_id"],
    )
    held = held[~held.terminated]
    # privileged
    groups = d["groups"]
    priv = set()
    for a in config.apps:
        for _, g in groups[groups.app == a.name].iterrows():
            if any(fnmatchcase(g.display_name.lower(), p.lower()) for p in a.privileged_groups):
                priv.add((a.name, g.display_name))
    mem_live = m.merge(live[["app", "account_id"]], on=["app", "account_id"])
    out["privileged_account"] = int(
        pd.Series(
            [(a, g) in priv for a, g in zip(mem_live.app, mem_live.group_name, strict=True)]
        ).sum()
    )
    # role drift: policy, peers (department + title), movers
    people = hr[~hr.terminated]
    peers = people.groupby(["department", "title"]).size().rename("peers")
    holders = (
        held.drop_duplicates(["employee_id", "app", "group_name"])
        .groupby(["department", "title", "app", "group_name"])
        .size()
        .rename("holders")
    )
    old = d["hr_old"].drop_duplicates("employee_id", keep="last")
    old = old[["employee_id", "department"]].rename(columns={"department": "prev"})
    h = (
        held.join(peers, on=["department", "title"])
        .join(holders, on=["department", "title", "app", "group_name"])
        .merge(old, on="employee_id", how="left")
        .reset_index(drop=True)
    )
    peer_drift = (h.peers >= policy.peer_min_group_size) & (
        h.holders < policy.peer_threshold * h.peers
    )
    governed = {r.app for r in policy.role_policy}
    allowed = {
        (r.department.lower(), r.app, g.lower()) for r in policy.role_policy for g in r.groups
    }
    in_gov = h.app.isin(governed)
    dept, prev = h.department.str.lower(), h.prev.str.lower()
    group = h.group_name.str.lower()
    allows = pd.Series([(x, a, g) in allowed for x, a, g in zip(dept, h.app, group, strict=True)])
    prev_allows = pd.Series(
        [(x, a, g) in allowed for x, a, g in zip(prev, h.app, group, strict=True)]
    )
    policy_drift = in_gov & ~allows
    moved = h.prev.notna() & (h.prev != h.department)
    mover = moved & in_gov & prev_allows & ~allows
    out["role_drift"] = int((peer_drift | policy_drift | mover).sum())
    # SoD
    total = 0
    for rule in policy.sod:
        if rule.app and rule.groups:
            sides = [(rule.app, rule.groups[0]), (rule.app, rule.groups[1])]
        else:
            assert rule.left and rule.right
            sides = [
                (rule.left["app"], rule.left["group"]),
                (rule.right["app"], rule.right["group"]),
            ]
        sets = []
        for app, side_group in sides:
            rows = held[(held.app == app) & (held.group_name.str.lower() == side_group.lower())]
            sets.append(rows)
        both = set(sets[0].employee_id) & set(sets[1].employee_id)
        total += int(sum(s.employee_id.isin(both).sum() for s in sets))
    out["sod_conflict"] = total
    return out


def run(store: str, config: Config, as_of: date) -> tuple[float, float, dict[str, Any]]:
    """(load seconds, compute seconds, counts) for the pandas implementation."""
    with duckdb.connect(store, read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        t0 = time.perf_counter()
        data = load(con, config, as_of)
    t1 = time.perf_counter()
    acc = correlate(data, config)
    counts = findings(data, acc, config, as_of)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, counts
