"""Sign-in and roles: argon2 passwords, trusted header, OIDC identity, HR mapping."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from review_support import LEO, MIA, ORG, PASSWORD, SEC, A, build_store, make_config, password_hash
from scimaudit.config import Config
from scimaudit.errors import ConfigError, PermissionDeniedError
from scimaudit.review.actors import normalise_email
from scimaudit.webauth.passwords import hash_password, verify_password
from scimaudit.webauth.signin import (
    authenticate_header,
    authenticate_oidc,
    authenticate_password,
    require_proxy_proof_configured,
    still_valid,
)


def config_with(tmp_path: Path, auth: str = "users", **dashboard: object) -> Config:
    config = make_config(
        tmp_path,
        users=[(MIA.email, "manager"), ("Auditor@Example.com", "auditor"), (LEO.email, "manager")],
        extra={
            "dashboard": {
                "auth": auth,
                "users": [
                    {"email": MIA.email, "role": "manager", "password_hash": password_hash()},
                    {
                        "email": "Auditor@Example.com",
                        "role": "auditor",
                        "password_hash": password_hash(),
                    },
                    {"email": LEO.email, "role": "manager", "password_hash": password_hash()},
                ],
                **dashboard,
            },
            "correlation": {"domain_aliases": {"example-health.org": "example.com"}},
        },
    )
    build_store(config, ORG, [A("crm", "c1", "E4")])
    return config


def test_hashes_are_argon2id_and_verify(tmp_path: Path) -> None:
    hashed = hash_password("s3cret-enough")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "s3cret-enough")
    assert not verify_password(hashed, "s3cret-enougH")
    assert not verify_password("not-a-hash", "x")
    with pytest.raises(ConfigError, match="too short"):
        hash_password("short")


def test_password_sign_in_maps_to_hr(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    mia = authenticate_password(config, " Mia.Manager@EXAMPLE.com ", PASSWORD)
    assert (mia.email, mia.role, mia.employee_id, mia.name) == (
        MIA.email,
        "manager",
        "E2",
        "Mia Manager",
    )
    # an alias domain of the HR domain is the same person
    assert (
        authenticate_password(config, "mia.manager@example-health.org", PASSWORD).employee_id
        == "E2"
    )
    auditor = authenticate_password(config, "auditor@example.com", PASSWORD)
    assert (auditor.role, auditor.employee_id, auditor.read_only) == ("auditor", None, True)
    for email, pw in ((MIA.email, "wrong"), ("nobody@example.com", PASSWORD), (MIA.email, "")):
        with pytest.raises(PermissionDeniedError, match="wrong email or password"):
            authenticate_password(config, email, pw)
    with pytest.raises(PermissionDeniedError, match="terminated"):
        authenticate_password(config, LEO.email, PASSWORD)


def test_password_sessions_end_when_the_user_is_removed_or_changes_role(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    mia = authenticate_password(config, MIA.email, PASSWORD)
    assert still_valid(config, mia)
    assert not still_valid(config, replace(mia, role="admin"))
    fewer = config.model_copy(
        update={"dashboard": config.dashboard.model_copy(update={"users": []})}
    )
    assert not still_valid(fewer, mia)


PROXY = {"X-Scimaudit-Proxy-Secret": "proxy-shared-secret-1234"}


def header_config(tmp_path: Path, **dashboard: object) -> Config:
    secret = tmp_path / "proxy.secret"
    tmp_path.mkdir(parents=True, exist_ok=True)
    secret.write_text(PROXY["X-Scimaudit-Proxy-Secret"] + "\n")
    return config_with(tmp_path, "header", proxy_secret={"file": str(secret)}, **dashboard)


def test_trusted_header(tmp_path: Path) -> None:
    config = header_config(tmp_path)
    who = authenticate_header(config, {**PROXY, "x-forwarded-email": SEC.email})
    assert (who.role, who.employee_id, who.method) == ("manager", "E8", "header")  # unlisted
    assert (
        authenticate_header(config, {**PROXY, "X-Forwarded-Email": "auditor@example.com"}).role
        == "auditor"
    )
    with pytest.raises(PermissionDeniedError, match="X-Forwarded-Email"):
        authenticate_header(config, {**PROXY, "Host": "x"})
    with pytest.raises(PermissionDeniedError, match="not found in HR"):
        authenticate_header(config, {**PROXY, "X-Forwarded-Email": "stranger@elsewhere.org"})
    with pytest.raises(PermissionDeniedError, match="password sign-in is off"):
        authenticate_password(config, MIA.email, PASSWORD)
    closed = header_config(tmp_path / "c", unlisted_role="none")
    with pytest.raises(PermissionDeniedError, match="not a configured"):
        authenticate_header(closed, {**PROXY, "X-Forwarded-Email": SEC.email})


@pytest.mark.parametrize(
    "offered",
    [
        {},  # sent straight to the port
        {"X-Scimaudit-Proxy-Secret": ""},
        {"X-Scimaudit-Proxy-Secret": "proxy-shared-secret-123"},  # a prefix
        {"X-Scimaudit-Proxy-Secret": "proxy-shared-secret-12345"},
        {"X-Other": "proxy-shared-secret-1234"},
    ],
)
def test_a_forged_identity_header_without_the_proxy_secret_is_refused(
    tmp_path: Path, offered: dict[str, str]
) -> None:
    config = header_config(tmp_path)
    with pytest.raises(PermissionDeniedError, match="did not come through the sign-in proxy"):
        authenticate_header(config, {**offered, "X-Forwarded-Email": "auditor@example.com"})


def test_header_mode_without_proxy_proof_refuses_to_start(tmp_path: Path) -> None:
    config = config_with(tmp_path, "header")
    with pytest.raises(ConfigError, match="proxy_secret"):
        authenticate_header(config, {**PROXY, "X-Forwarded-Email": "auditor@example.com"})
    with pytest.raises(ConfigError, match="needs proof"):
        require_proxy_proof_configured(config)
    plain = make_config(tmp_path / "cli", extra={"dashboard": {"auth": "header"}})
    result = subprocess.run(
        [sys.executable, "-m", "scimaudit", "--config", str(plain.source), "dashboard"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "proxy_secret" in result.stderr and "dashboard on" not in result.stdout
    assert "Traceback" not in result.stderr


def test_oidc_identity(tmp_path: Path) -> None:
    config = config_with(tmp_path, "oidc")
    who = authenticate_oidc(config, MIA.email, email_verified=True)
    assert (who.role, who.employee_id, who.method) == ("manager", "E2", "oidc")
    with pytest.raises(PermissionDeniedError, match="unverified"):
        authenticate_oidc(config, MIA.email, email_verified=False)
    with pytest.raises(PermissionDeniedError, match="email claim"):
        authenticate_oidc(config, None, email_verified=None)


def test_normalise_email(tmp_path: Path) -> None:
    config = config_with(tmp_path)
    assert normalise_email(config, " A.B@Example-Health.org") == "a.b@example.com"
    assert normalise_email(config, "x@other.org") == "x@other.org"
