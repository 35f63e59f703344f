"""Who is acting and what each role may do: the authorization model the review library enforces.

Every review read or write takes an :class:`Actor` and checks it here (never only by hiding
pages). How a person proves who they are (passwords, the proxy header, OIDC, browser sessions,
failed-sign-in throttling) is the dashboard sign-in package, a layer above: the review library
knows the actor, not how they signed in. The HR lookups live here because both layers need them:
the role checks know whose team a manager leads, and sign-in refuses people HR lists as
terminated.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

import duckdb

from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError
from scimaudit.review.db import fetch_one

Role = Literal["manager", "security", "auditor", "admin"]
AuthMethod = Literal["password", "header", "oidc", "cli"]

ROLES: tuple[Role, ...] = ("manager", "security", "auditor", "admin")
READ_ALL: frozenset[str] = frozenset({"security", "auditor", "admin"})
"""Roles that see every campaign, finding, account and snapshot."""
ADMINISTER: frozenset[str] = frozenset({"security", "admin"})
"""Roles that start, remind, close campaigns and reassign items."""


@dataclass(frozen=True)
class Actor:
    """An authenticated person (or the CLI operator) and what we know about them."""

    email: str
    role: Role
    method: AuthMethod
    employee_id: str | None = None
    name: str | None = None

    @property
    def read_only(self) -> bool:
        return self.role == "auditor"

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class HrPerson:
    employee_id: str
    email: str | None
    name: str | None
    status: str
    department: str | None
    title: str | None
    manager_id: str | None


def normalise_email(config: Config, email: str) -> str:
    """Lower-case, trimmed, alias domains folded to the HR domain (config correlation aliases)."""
    email = email.strip().lower()
    local, _, domain = email.rpartition("@")
    aliases = {k.lower(): v.lower() for k, v in config.correlation.domain_aliases.items()}
    if local and domain in aliases:
        return f"{local}@{aliases[domain]}"
    return email


def current_hr_snapshot_id(con: duckdb.DuckDBPyConnection) -> int | None:
    row = fetch_one(
        con,
        "SELECT snapshot_id FROM snapshot WHERE source_kind = 'hr' AND status = 'complete'"
        " ORDER BY as_of DESC, snapshot_id DESC LIMIT 1",
    )
    return int(row[0]) if row else None


def hr_person_by_email(
    con: duckdb.DuckDBPyConnection, config: Config, email: str
) -> HrPerson | None:
    """The person with this email in the current HR snapshot (active records first)."""
    snap = current_hr_snapshot_id(con)
    if snap is None:
        return None
    wanted = normalise_email(config, email)
    # only the spellings that normalise to ``wanted`` (its domain and the aliases folded into it):
    # this runs on every dashboard action, so it must not read the whole HR snapshot
    local, _, domain = wanted.rpartition("@")
    aliases = config.correlation.domain_aliases.items()
    domains = {domain} | {k.lower() for k, v in aliases if v.lower() == domain}
    candidates = sorted({f"{local}@{d}" for d in domains} if local else {wanted})
    rows = con.execute(
        "SELECT employee_id, email, concat_ws(' ', first_name, last_name), status, department,"
        " title, manager_id FROM employee WHERE snapshot_id = ? AND email IS NOT NULL"
        " AND lower(trim(email)) IN (SELECT unnest(?::VARCHAR[]))"
        " ORDER BY status = 'terminated', employee_id",
        [snap, candidates],
    ).fetchall()
    for row in rows:
        if normalise_email(config, str(row[1])) == wanted:
            return HrPerson(str(row[0]), row[1], row[2] or None, row[3], row[4], row[5], row[6])
    return None


def cli_actor() -> Actor:
    """Whoever runs the CLI with access to the store file: recorded as ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(email=f"cli:{user}", role="admin", method="cli")


def require_role(actor: Actor, roles: frozenset[str] | set[str], action: str) -> None:
    """Refuse ``action`` unless the actor holds one of ``roles``."""
    if actor.role not in roles:
        raise PermissionDeniedError(
            f"{actor.email} ({actor.role}) may not {action}; needs {' or '.join(sorted(roles))}"
        )


def require_writer(actor: Actor, action: str) -> None:
    """Refuse any write by a read-only role, whatever else it may be."""
    if actor.read_only:
        raise PermissionDeniedError(f"{actor.email} is an auditor (read-only) and may not {action}")
