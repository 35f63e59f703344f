"""Who is acting: sign-in, the HR record behind a signed-in email, and what each role may do.

Three ways to sign in, chosen by ``[dashboard] auth`` in the config:

- ``users``: a configured list of emails with argon2id password hashes (``scimaudit
  hash-password``), for local use. Unknown emails still cost one hash verification so timing does
  not reveal who exists.
- ``header``: a reverse proxy that authenticates people sets a header (``X-Forwarded-Email`` by
  default) and proves it is the proxy with a shared secret in a second header
  (``[dashboard] proxy_secret``, compared in constant time). A header alone proves nothing: anyone
  who can reach the port (every local process, since ``scimaudit dashboard`` binds 127.0.0.1) could
  send it. A proxy-address allowlist would not help on loopback for the same reason, so the secret
  is the one proof accepted; without it header mode refuses to start.
- ``oidc``: Streamlit's ``st.login`` against the OpenID Connect provider in
  ``.streamlit/secrets.toml``.

In every mode the role comes from the configured ``users`` list (header/OIDC people who are not
listed get ``unlisted_role``, a manager by default, who only ever sees their own queue), and the
email is mapped to the current HR record so we know whose team a manager leads and which access is
their own. Authorization is enforced here and in the review library, never only by hiding pages:
every read or write takes an :class:`Actor` and checks it.
"""

from __future__ import annotations

import getpass
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from scimaudit.config import Config
from scimaudit.errors import ConfigError, PermissionDeniedError
from scimaudit.review.db import fetch_one, open_store
from scimaudit.review.signin_throttle import THROTTLE, SignInThrottle

Role = Literal["manager", "security", "auditor", "admin"]
AuthMethod = Literal["password", "header", "oidc", "cli"]

ROLES: tuple[Role, ...] = ("manager", "security", "auditor", "admin")
READ_ALL: frozenset[str] = frozenset({"security", "auditor", "admin"})
"""Roles that see every campaign, finding, account and snapshot."""
ADMINISTER: frozenset[str] = frozenset({"security", "admin"})
"""Roles that start, remind, close campaigns and reassign items."""

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("timing-equaliser-not-a-password")


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


def hash_password(password: str) -> str:
    """An argon2id hash for ``[[dashboard.users]] password_hash``."""
    if len(password) < 8:
        raise ConfigError("password too short: use at least 8 characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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


def _actor_for(config: Config, email: str, method: AuthMethod) -> Actor:
    wanted = normalise_email(config, email)
    listed = next(
        (u for u in config.dashboard.users if normalise_email(config, u.email) == wanted), None
    )
    with open_store(config) as con:
        person = hr_person_by_email(con, config, wanted)
    if person is not None and person.status == "terminated":
        raise PermissionDeniedError(f"{email}: HR lists this person as terminated; sign-in refused")
    if listed is not None:
        role: Role = listed.role
    elif method in ("header", "oidc") and config.dashboard.unlisted_role == "manager":
        if person is None:
            raise PermissionDeniedError(f"{email}: not a configured user and not found in HR")
        role = "manager"
    else:
        raise PermissionDeniedError(f"{email}: not a configured dashboard user")
    return Actor(
        email=wanted,
        role=role,
        method=method,
        employee_id=person.employee_id if person else None,
        name=person.name if person else None,
    )


def authenticate_password(
    config: Config, email: str, password: str, *, throttle: SignInThrottle = THROTTLE
) -> Actor:
    """Check an email + password against ``[[dashboard.users]]``; raise on any mismatch.

    Failures are counted per account by the process-wide ``throttle`` (and logged); a locked
    account is refused before its password is looked at."""
    if config.dashboard.auth != "users":
        raise PermissionDeniedError(
            f"password sign-in is off (dashboard.auth = {config.dashboard.auth})"
        )
    wanted = normalise_email(config, email)
    wait = throttle.wait_seconds(wanted)
    if wait > 0:  # locked: no password is checked, right or wrong
        throttle.refused_while_locked(wanted, wait)
        raise PermissionDeniedError(
            f"too many failed sign-ins for this account: try again in {wait:.0f} s"
        )
    user = next(
        (u for u in config.dashboard.users if normalise_email(config, u.email) == wanted), None
    )
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    ok = verify_password(stored, password)
    if user is None or not user.password_hash or not ok:
        throttle.failed(wanted)
        raise PermissionDeniedError("wrong email or password")
    throttle.succeeded(wanted)
    return _actor_for(config, wanted, "password")


def require_proxy_proof_configured(config: Config) -> None:
    """Header sign-in without a proxy secret would trust anyone who can reach the port: refuse."""
    if config.dashboard.auth == "header" and config.dashboard.proxy_secret is None:
        raise ConfigError(
            'dashboard.auth = "header" needs proof that requests come from the sign-in proxy:'
            ' set [dashboard] proxy_secret = { env = "NAME" } (or file = "path") and make the'
            f" proxy send it in {config.dashboard.proxy_secret_header} (see README, Sign-in)"
        )


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


def authenticate_header(config: Config, headers: Mapping[str, str]) -> Actor:
    """The person named by the trusted proxy header, once the request proved it came through the
    proxy (the shared secret, compared in constant time). Header names are case-insensitive."""
    if config.dashboard.auth != "header":
        raise PermissionDeniedError("header sign-in is off")
    require_proxy_proof_configured(config)
    assert config.dashboard.proxy_secret is not None
    expected = config.dashboard.proxy_secret.reveal().encode()
    offered = _header(headers, config.dashboard.proxy_secret_header).encode()
    if not hmac.compare_digest(offered, expected):
        raise PermissionDeniedError(
            "this request did not come through the sign-in proxy: open the dashboard through it"
        )
    value = _header(headers, config.dashboard.trusted_header)
    if not value.strip() or "@" not in value:
        raise PermissionDeniedError(
            f"no {config.dashboard.trusted_header} header: open the dashboard through the"
            " sign-in proxy"
        )
    return _actor_for(config, value, "header")


def authenticate_oidc(config: Config, email: str | None, *, email_verified: bool | None) -> Actor:
    """The person the OIDC provider signed in (``st.user``); an unverified email is refused."""
    if config.dashboard.auth != "oidc":
        raise PermissionDeniedError("OIDC sign-in is off")
    if not email:
        raise PermissionDeniedError("the identity provider did not return an email claim")
    if email_verified is False:
        raise PermissionDeniedError(f"{email}: the identity provider says this email is unverified")
    return _actor_for(config, email, "oidc")


def still_valid(config: Config, actor: Actor) -> bool:
    """A password session stays valid while its user is still configured with the same role."""
    if actor.method != "password":
        return True
    wanted = normalise_email(config, actor.email)
    return any(
        normalise_email(config, u.email) == wanted and u.role == actor.role and u.password_hash
        for u in config.dashboard.users
    )


def recheck(config: Config, actor: Actor) -> Actor:
    """The signed-in person as of now, for every dashboard action: a password user still
    configured with the same role, not terminated in the current HR snapshot, and the role the
    config gives today. Raises :class:`PermissionDeniedError` when that no longer holds."""
    if actor.method == "cli":
        return actor
    if not still_valid(config, actor):
        raise PermissionDeniedError(f"{actor.email}: dashboard access changed")
    return _actor_for(config, actor.email, actor.method)


def resume_password_session(config: Config, email: str) -> Actor:
    """The person behind a password session resumed from its cookie, checked as at sign-in
    (still a configured user, not terminated in HR) without asking for the password again."""
    if config.dashboard.auth != "users":
        raise PermissionDeniedError("password sign-in is off")
    return recheck(config, _actor_for(config, email, "password"))


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
