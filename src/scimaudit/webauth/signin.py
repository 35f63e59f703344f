"""Sign-in: turning a password, a proxy header or an OIDC identity into a checked Actor.

Three ways to sign in, chosen by ``[dashboard] auth`` in the config:

- ``users``: a configured list of emails with argon2id password hashes (``scimaudit
  hash-password``), for local use. Unknown emails still cost one hash verification so timing does
  not reveal who exists. Failures are counted per account in the review store
  (:mod:`scimaudit.webauth.failed_signins`).
- ``header``: a reverse proxy that authenticates people sets a header (``X-Forwarded-Email`` by
  default) and proves it is the proxy with a shared secret in a second header
  (``[dashboard] proxy_secret``, compared in constant time). A header alone proves nothing: anyone
  who can reach the port (every local process, since ``scimaudit dashboard`` binds 127.0.0.1) could
  send it. A proxy-address allowlist cannot tell processes on loopback apart, so the secret is the
  proof required (without it header mode refuses to start); ``trusted_proxies`` adds the address
  check for dashboards reached from beyond loopback (:mod:`scimaudit.webauth.proxy_peers`).
- ``oidc``: Streamlit's ``st.login`` against the OpenID Connect provider in
  ``.streamlit/secrets.toml``.

In every mode the role comes from the configured ``users`` list (header/OIDC people who are not
listed get ``unlisted_role``, a manager by default, who only ever sees their own queue), and the
email is mapped to the current HR record so we know whose team a manager leads and which access is
their own. What each role may do is :mod:`scimaudit.review.actors`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from scimaudit.config import Config
from scimaudit.errors import ConfigError, PermissionDeniedError
from scimaudit.review.actors import Actor, AuthMethod, Role, hr_person_by_email, normalise_email
from scimaudit.review.db import open_store
from scimaudit.webauth.failed_signins import SignInThrottle, throttle_for
from scimaudit.webauth.passwords import DUMMY_HASH, verify_password


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
    config: Config, email: str, password: str, *, throttle: SignInThrottle | None = None
) -> Actor:
    """Check an email + password against ``[[dashboard.users]]``; raise on any mismatch.

    Failures are counted per account by the process-wide ``throttle`` (and logged); a locked
    account is refused before its password is looked at."""
    if config.dashboard.auth != "users":
        raise PermissionDeniedError(
            f"password sign-in is off (dashboard.auth = {config.dashboard.auth})"
        )
    wanted = normalise_email(config, email)
    throttle = throttle or throttle_for(config)
    wait = throttle.wait_seconds(wanted)
    if wait > 0:  # locked: no password is checked, right or wrong
        throttle.refused_while_locked(wanted, wait)
        raise PermissionDeniedError(
            f"too many failed sign-ins for this account: try again in {wait:.0f} s"
        )
    user = next(
        (u for u in config.dashboard.users if normalise_email(config, u.email) == wanted), None
    )
    stored = user.password_hash if user and user.password_hash else DUMMY_HASH
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
