"""Header sign-in's proxy-address allowlist: only the proxy may connect when it is configured."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from review_support import TEAM_APPS, build_store, make_config, team_org
from scimaudit.config import Config
from scimaudit.review.campaigns import start_campaign
from scimaudit.webauth.proxy_peers import ProxyPeersOnly, peer_is_trusted, trusted_networks

PROXY = [ipaddress.ip_network("10.0.4.7"), ipaddress.ip_network("fd00::/64")]


def test_only_addresses_inside_the_allowlist_are_trusted() -> None:
    assert peer_is_trusted(PROXY, "10.0.4.7")
    assert peer_is_trusted(PROXY, "fd00::1")
    for peer in ("10.0.4.8", "127.0.0.1", "::1", "", None, "testclient", "10.0.4.7, 1.2.3.4"):
        assert not peer_is_trusted(PROXY, peer), peer
    assert peer_is_trusted([], "203.0.113.9")  # nothing configured: not this check's business


def _call(app: ProxyPeersOnly, kind: str, client: tuple[str, int] | None) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {"type": kind, "path": "/", "headers": [(b"x-forwarded-email", b"admin@x")]}
    if client is not None:
        scope["client"] = client
    asyncio.run(app(scope, receive, send))
    return sent


def test_the_middleware_refuses_other_peers_before_the_app_runs() -> None:
    reached: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["client"][0])

    app = ProxyPeersOnly(inner, PROXY)
    assert _call(app, "http", ("10.0.4.7", 5000)) == [] and reached == ["10.0.4.7"]
    refused = _call(app, "http", ("127.0.0.1", 5000))
    assert refused[0]["status"] == 403 and reached == ["10.0.4.7"]
    assert _call(app, "websocket", ("10.9.9.9", 5000)) == [
        {"type": "websocket.close", "code": 1008}
    ]
    assert _call(app, "http", None)[0]["status"] == 403  # no peer address: refused
    assert reached == ["10.0.4.7"]


def test_the_health_probe_answers_every_peer() -> None:
    reached: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    async def send(message: Any) -> None:
        raise AssertionError(message)

    async def receive() -> dict[str, Any]:
        return {}

    app = ProxyPeersOnly(inner, PROXY)
    scope = {"type": "http", "path": "/_stcore/health", "client": ("127.0.0.1", 1)}
    asyncio.run(app(scope, receive, send))
    assert reached == ["/_stcore/health"]


def header_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxies: list[str]) -> Config:
    monkeypatch.setenv("SCIMAUDIT_T_PROXY_SECRET", "proxy-secret-for-the-allowlist-test")
    return make_config(
        tmp_path,
        apps=TEAM_APPS,
        extra={
            "dashboard": {
                "auth": "header",
                "proxy_secret": {"env": "SCIMAUDIT_T_PROXY_SECRET"},
                "trusted_proxies": proxies,
            }
        },
    )


def test_the_setting_applies_to_header_sign_in_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = header_config(tmp_path, monkeypatch, ["10.0.4.7", "10.0.5.0/28"])
    assert [str(n) for n in trusted_networks(config)] == ["10.0.4.7/32", "10.0.5.0/28"]
    users = config.model_copy(
        update={"dashboard": config.dashboard.model_copy(update={"auth": "users"})}
    )
    assert trusted_networks(users) == []


@pytest.mark.slow
def test_a_running_dashboard_refuses_a_peer_outside_the_allowlist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real `scimaudit dashboard`: with the proxy at 10.0.4.7 only, a request from 127.0.0.1
    carrying the right secret and an admin's header is refused before any page runs; with
    127.0.0.1 listed the same request reaches the app."""
    from test_dashboard_e2e import serve, stop

    secret = {"X-Scimaudit-Proxy-Secret": "proxy-secret-for-the-allowlist-test"}
    headers = {**secret, "X-Forwarded-Email": "sasha.guard@example.com"}
    for proxies, status in ((["10.0.4.7"], 403), (["127.0.0.1"], 200)):
        run = tmp_path / proxies[0]
        run.mkdir()
        config = header_config(run, monkeypatch, proxies)
        build_store(config, *team_org(4))
        start_campaign(config, name="Q", due=date.today() + timedelta(days=7), actor="cli:test")
        proc, url = serve(config, run)
        try:
            got = httpx.get(url, headers=headers, timeout=30)
            assert got.status_code == status, (proxies, got.status_code)
            log = (run / "dashboard.log").read_text()
            assert ("connection refused: peer 127.0.0.1" in log) == (status == 403)
        finally:
            stop(proc)
