"""TLS against a real HTTPS SCIM server on 127.0.0.1 whose certificate comes from a private CA.

Issue 3 asks that certificates are always verified and that ``ca_bundle`` lets an app use a
private CA. The server is ``tests/faults/fast_scim_server.py --tls-cert/--tls-key``; the CA and
certificates are minted per module by :mod:`tls_certs`. A rejected certificate must fail the app's
snapshot with a one-line reason that says what to change, keep the previous complete snapshot
current, and never be retried (no retry can make a certificate trusted).

Plain ``http://`` to a non-loopback host is refused at config load; that is covered by
``test_config.py::test_plain_http_refused_except_loopback`` and
``test_scim_auth.py::test_plain_http_to_a_remote_host_is_refused``.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from faults.fast_scim_server import group_members, user_id
from scimaudit.cli import main
from scimaudit.collect.scim.collector import AppResult, collect_apps
from scimaudit.config import Config, parse_config
from scimaudit.remediation import apply_plan
from scimaudit.remediation.model import OperationSource, Revocation
from scimaudit.remediation.plan import build_plan
from scimaudit.remediation.plan_store import save_plan
from scimaudit.store import snapshots
from scimaudit.store.connect import connect
from tls_certs import TlsFiles, mint_tls_files

pytestmark = pytest.mark.slow

FAST_SERVER = Path(__file__).resolve().parent / "faults" / "fast_scim_server.py"
TOKEN = "tls-test-token"
TOKEN_ENV = "TLS_TEST_TOKEN"
USERS, GROUPS = 25, 3


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return mint_tls_files(tmp_path_factory.mktemp("tls"))


def _serve(cert: Path, key: Path) -> Iterator[str]:
    """Run the fast server over HTTPS with ``cert``/``key``; yield its https:// SCIM base URL."""
    server = subprocess.Popen(
        [sys.executable, str(FAST_SERVER), "--users", str(USERS), "--groups", str(GROUPS),
         "--token", TOKEN, "--tls-cert", str(cert), "--tls-key", str(key), "--watch-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # asyncio logs every handshake a test makes fail
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ready = orjson.loads(server.stdout.readline())
        assert ready["base_url"].startswith("https://127.0.0.1:")
        yield str(ready["base_url"])
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def trusted_server(tls: TlsFiles) -> Iterator[str]:
    """Serves the leaf for 127.0.0.1/localhost issued by the test CA."""
    yield from _serve(tls.server_cert, tls.server_key)


@pytest.fixture(scope="module")
def wrong_host_server(tls: TlsFiles) -> Iterator[str]:
    """Serves, on 127.0.0.1, a leaf from the same CA that names only other.example."""
    yield from _serve(tls.wrong_host_cert, tls.wrong_host_key)


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def plain_http_origin() -> Iterator[str]:
    """A plain HTTP server: it answers a TLS ClientHello with an HTTP 400 and closes."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def app_config(tmp_path: Path, url: str, ca_bundle: Path | None) -> Config:
    app: dict[str, Any] = {
        "name": "secure",
        "url": url,
        "token": {"env": TOKEN_ENV},
        "page_size": 10,
        "max_retries": 2,
        "retry_base_seconds": 0.001,
        "timeout_seconds": 10,
    }
    if ca_bundle is not None:
        app["ca_bundle"] = str(ca_bundle)
    return parse_config(
        {"store": {"path": str(tmp_path / "store.duckdb")}, "apps": [app]},
        tmp_path / "scimaudit.toml",
    )


def collect_one(config: Config) -> AppResult:
    [result] = collect_apps(config, progress=False)
    return result


def current_id(config: Config) -> int | None:
    with connect(config.store.path) as con:
        snap = snapshots.current(con, "app", "secure")
    return snap.snapshot_id if snap else None


def baseline(tmp_path: Path, url: str, tls: TlsFiles) -> int:
    """A complete snapshot taken with the test CA trusted; returns its id."""
    result = collect_one(app_config(tmp_path, url, tls.ca_cert))
    assert result.status == "complete", result.error
    assert result.snapshot_id is not None
    return result.snapshot_id


def assert_rejected_without_retry(result: AppResult, *phrases: str) -> str:
    """Failed with exit 5, one line naming the app and every phrase, and no retry spent on it."""
    assert result.status == "failed"
    assert result.exit_code == 5
    error = result.error or ""
    assert "\n" not in error and "app 'secure'" in error, error
    for phrase in phrases:
        assert phrase in error, error
    # stopped at the first request (discovery), said once, no retry spent on any resource
    assert "more)" not in error, error
    for record in result.completeness.get("resources", {}).values():
        assert record["retries"] == 0, record["retry_reasons"]
    return error


def test_private_ca_in_ca_bundle_gives_a_complete_snapshot(
    tmp_path: Path, tls: TlsFiles, trusted_server: str
) -> None:
    config = app_config(tmp_path, trusted_server, tls.ca_cert)
    result = collect_one(config)
    assert result.status == "complete", result.error
    memberships = sum(len(group_members(g, USERS, GROUPS)) for g in range(GROUPS))
    assert result.counts == {"users": USERS, "groups": GROUPS, "memberships": memberships}
    assert current_id(config) == result.snapshot_id
    with connect(config.store.path) as con:
        [snap] = snapshots.list_snapshots(con)
    assert snap.location == trusted_server


def test_system_roots_do_not_trust_a_private_ca_and_the_cli_says_so(
    tmp_path: Path,
    tls: TlsFiles,
    trusted_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = baseline(tmp_path, trusted_server, tls)
    toml = tmp_path / "no-bundle.toml"
    toml.write_text(
        f'[store]\npath = "{tmp_path / "store.duckdb"}"\n'
        f'[[apps]]\nname = "secure"\nurl = "{trusted_server}"\n'
        f'token = {{ env = "{TOKEN_ENV}" }}\nmax_retries = 2\nretry_base_seconds = 0.001\n'
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(toml), "collect", "--source", "apps", "--no-progress"])
    _, err = capsys.readouterr()
    assert exit_info.value.code == 5
    assert "Traceback" not in err
    [line] = [ln for ln in err.splitlines() if "app secure:" in ln]
    origin = trusted_server.removesuffix("/scim/v2")
    assert f"TLS certificate of {origin} is not trusted (certificate verify failed:" in line
    assert "set ca_bundle for this app" in line
    config = app_config(tmp_path, trusted_server, None)
    assert current_id(config) == good
    with connect(config.store.path) as con:
        latest = max(snapshots.list_snapshots(con), key=lambda s: s.snapshot_id)
    assert latest.status == "failed" and "is not trusted" in (latest.error or "")


def test_an_unrelated_ca_in_ca_bundle_is_not_trusted(
    tmp_path: Path, tls: TlsFiles, trusted_server: str
) -> None:
    good = baseline(tmp_path, trusted_server, tls)
    config = app_config(tmp_path, trusted_server, tls.other_ca_cert)
    result = collect_one(config)
    assert_rejected_without_retry(result, "is not trusted", "ca_bundle")
    assert result.snapshot_id != good
    assert current_id(config) == good


def test_a_certificate_for_another_host_fails_the_host_name_check(
    tmp_path: Path, tls: TlsFiles, wrong_host_server: str
) -> None:
    config = app_config(tmp_path, wrong_host_server, tls.ca_cert)
    result = collect_one(config)
    error = assert_rejected_without_retry(result, "fails the host name check", "'127.0.0.1'")
    assert "not trusted" not in error
    assert current_id(config) is None


def test_https_to_a_plain_http_server_is_a_retried_handshake_failure(
    tmp_path: Path, plain_http_origin: str
) -> None:
    url = f"https://{plain_http_origin}/scim/v2"
    result = collect_one(app_config(tmp_path, url, None))
    assert result.status == "failed" and result.exit_code == 5
    origin = url.removesuffix("/scim/v2")
    assert f"last problem: TLS handshake with {origin} failed (" in (result.error or "")
    users = result.completeness["resources"]["User"]
    assert users["retries"] == 2  # max_retries: not a certificate verdict, so it may pass


def test_remediation_apply_refuses_an_untrusted_server_before_any_write(
    tmp_path: Path, tls: TlsFiles, trusted_server: str
) -> None:
    baseline(tmp_path, trusted_server, tls)
    cfg = app_config(tmp_path, trusted_server, None)  # same store, system roots only
    source = OperationSource("finding", finding_key="k", finding_kind="terminated_active")
    with connect(cfg.store.path) as con:
        plan = build_plan(
            con, cfg, [Revocation("secure", user_id(1), source)], actor="t", sources={}
        )
        save_plan(con, plan)
    summary = apply_plan(cfg, plan.plan_id, plan.sha256, execute=True)
    assert summary.not_attempted == [1]
    [result] = summary.results
    assert result.outcome == "not_attempted"
    detail = result.detail or ""
    assert "app 'secure'" in detail and "is not trusted" in detail
    assert summary.requests == 1  # the first read; no retry, no write
    with connect(cfg.store.path) as con:
        assert con.execute("SELECT count(*) FROM remediation_operation_log").fetchone() == (0,)
