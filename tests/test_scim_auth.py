"""Credentials and transport security: bearer, basic, OAuth2, http refusal, secrets kept out."""

from __future__ import annotations

import asyncio
import base64
import itertools
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
import pyarrow.parquet as pq
import pytest

from faults.harness import TOKEN_ENV, app_table, collect, make_config
from faults.mock_scim import LoopbackServer, MockScim, json_response, make_users
from scimaudit.collect.scim import collect_apps
from scimaudit.config import parse_config
from scimaudit.errors import ConfigError, InsecureTransportError, ScimAuthError
from scimaudit.scim.auth import OAuth2ClientCredentialsAuth
from scimaudit.scim.client import require_secure_url, tls_context

CLIENT_SECRET = "client-secret-7f3a9"


class TokenIssuer:
    """A tiny OAuth2 token endpoint (RFC 6749 §4.4) plus a SCIM server accepting its tokens."""

    def __init__(self, scim: MockScim, *, expires_in: int = 3600) -> None:
        self.scim = scim
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.counter = itertools.count(1)
        self.scopes: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            expected = base64.b64encode(f"scimaudit:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return json_response(401, {"error": "invalid_client"})
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["client_credentials"]
            self.scopes.append(form.get("scope", [""])[0])
            token = f"tok-{next(self.counter)}"
            self.issued.append(token)
            return json_response(
                200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
            )
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.issued or bearer in self.revoked:
            return json_response(401, {"detail": "token not valid"})
        self.scim.token = bearer
        return self.scim.handle(request)


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "test-token")
    monkeypatch.setenv("OAUTH_SECRET", CLIENT_SECRET)


def test_oauth2_token_is_cached_refreshed_on_expiry_and_after_a_401() -> None:
    issuer = TokenIssuer(MockScim(make_users(3)), expires_in=60)
    now = [1000.0]
    with LoopbackServer(issuer.handle) as server:
        auth = OAuth2ClientCredentialsAuth(
            f"{server.origin}/oauth/token",
            "scimaudit",
            lambda: CLIENT_SECRET,
            scope="scim.read",
            clock=lambda: now[0],
        )

        async def run() -> list[int]:
            async with httpx.AsyncClient(base_url=f"{server.origin}/scim/v2/", auth=auth) as c:
                codes = [(await c.get("Users")).status_code, (await c.get("Users")).status_code]
                now[0] += 61  # past expires_in: the next request gets a new token first
                codes.append((await c.get("Users")).status_code)
                issuer.revoked.add(issuer.issued[-1])  # revoked early: 401, refresh, retry
                codes.append((await c.get("Users")).status_code)
                return codes

        codes = asyncio.run(run())
    assert codes == [200, 200, 200, 200]
    assert issuer.issued == ["tok-1", "tok-2", "tok-3"]
    assert auth.token_requests == 3
    assert issuer.scopes == ["scim.read"] * 3


def test_oauth2_bad_client_secret_is_an_auth_error() -> None:
    issuer = TokenIssuer(MockScim(make_users(1)))
    with LoopbackServer(issuer.handle) as server:
        auth = OAuth2ClientCredentialsAuth(
            f"{server.origin}/oauth/token", "scimaudit", lambda: "wrong"
        )

        async def run() -> None:
            async with httpx.AsyncClient(base_url=f"{server.origin}/scim/v2/", auth=auth) as c:
                await c.get("Users")

        with pytest.raises(ScimAuthError, match=r"401 \(invalid_client\)") as info:
            asyncio.run(run())
    assert "wrong" not in str(info.value)


def test_oauth2_collect_end_to_end_keeps_secrets_out_of_the_store(tmp_path: Path) -> None:
    issuer = TokenIssuer(MockScim(make_users(25)))
    with LoopbackServer(issuer.handle) as server:
        oauth: dict[str, Any] = {
            "kind": "oauth2_client_credentials",
            "token_url": f"{server.origin}/oauth/token",
            "client_id": "scimaudit",
            "client_secret": {"env": "OAUTH_SECRET"},
            "scope": "scim.read",
        }
        table = app_table("oauth-app", url=f"{server.origin}/scim/v2", auth=oauth)
        del table["token"]
        config = make_config(tmp_path, table)
        [result] = collect_apps(config, progress=False)
    assert result.status == "complete", result.error
    assert result.counts["users"] == 25
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("store.duckdb*") if p.is_file())
    for secret in (CLIENT_SECRET, *issuer.issued):
        assert secret.encode() not in stored
    # the page archive (compressed Parquet) holds no secret either, in any column
    archive = sorted((tmp_path / "store.duckdb.raw").rglob("*.parquet"))
    assert archive
    stored = b"".join(orjson.dumps(pq.read_table(p).to_pylist(), default=str) for p in archive)
    for secret in (CLIENT_SECRET, *issuer.issued):
        assert secret.encode() not in stored


def test_basic_auth(tmp_path: Path) -> None:
    server = MockScim(make_users(4))
    server.token = "unused"
    good = "Basic " + base64.b64encode(b"auditor:pw-123").decode()
    server.faults.append(
        lambda r, s: (
            server.route(r.url.path.split("/scim/v2/", 1)[1], r)
            if r.headers.get("authorization") == good
            else json_response(401, {"detail": "basic required"})
        )
    )
    basic = {"kind": "basic", "username": "auditor", "password": {"env": TOKEN_ENV}}
    table = app_table("b", auth=basic)
    del table["token"]
    config = make_config(tmp_path, table)
    [failed] = collect(config, {"b": server})
    assert failed.status == "failed" and "basic required" in (failed.error or "")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(TOKEN_ENV, "pw-123")
        [ok] = collect(config, {"b": server})
    assert ok.status == "complete", ok.error


def test_bearer_token_value_never_reaches_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "bearer-s3cr3t-0d1c"
    monkeypatch.setenv(TOKEN_ENV, secret)
    server = MockScim(make_users(15), token=secret)
    config = make_config(tmp_path, app_table("a"))
    [result] = collect(config, {"a": server})
    assert result.status == "complete"
    assert server.state.seen_auth[-1] == f"Bearer {secret}"
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("store.duckdb*") if p.is_file())
    assert secret.encode() not in stored
    assert secret not in repr(config)


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(InsecureTransportError, match="only https"):
        require_secure_url("http://scim.example.com/scim/v2", what="app 'x'")
    require_secure_url("http://127.0.0.1:8080/scim/v2", what="app 'x'")
    require_secure_url("http://localhost/scim/v2", what="app 'x'")
    require_secure_url("https://scim.example.com/scim/v2", what="app 'x'")
    with pytest.raises(ConfigError, match="plain http is refused"):
        parse_config(
            {"apps": [{"name": "x", "url": "http://10.1.2.3/scim/v2", "token": {"env": "T"}}]},
            Path("c.toml"),
        )


def test_oauth2_token_url_over_plain_http_fails_the_app_with_exit_2(tmp_path: Path) -> None:
    oauth = {
        "kind": "oauth2_client_credentials",
        "token_url": "http://login.example.com/oauth/token",
        "client_id": "c",
        "client_secret": {"env": "OAUTH_SECRET"},
    }
    table = app_table("a", auth=oauth)
    del table["token"]
    config = make_config(tmp_path, table)
    [result] = collect(config, {"a": MockScim(make_users(1))})
    assert result.status == "failed"
    assert result.exit_code == 2
    assert "token_url" in (result.error or "") and "only https" in (result.error or "")


def test_missing_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ca_bundle .* does not exist"):
        tls_context(tmp_path / "nope.pem", app="a")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a PEM bundle"):
        tls_context(bad, app="a")
