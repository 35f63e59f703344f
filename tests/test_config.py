"""Config validation: every bad value is named by file and key path; secrets only by reference."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scimaudit.cmd.init import starter_config
from scimaudit.config import SecretRef, load_config, parse_config
from scimaudit.errors import ConfigError, SecretError

APP = {"name": "chat", "url": "https://chat.example.com/scim/v2", "token": {"env": "T"}}


def _parse(raw: dict, tmp_path: Path) -> object:
    return parse_config(raw, tmp_path / "scimaudit.toml")


def test_starter_config_is_valid(tmp_path: Path) -> None:
    cfg = parse_config(tomllib.loads(starter_config()), tmp_path / "scimaudit.toml")
    assert cfg.apps[0].name == "chat"
    assert cfg.hr is not None and cfg.hr.columns.employee_id == "Employee_ID"
    # relative paths resolve against the config file's folder
    assert cfg.hr.path == tmp_path / "hr.csv"


def test_error_names_file_and_key_path(tmp_path: Path) -> None:
    raw = {
        "apps": [APP, {**APP, "name": "code", "page_size": 0}],
        "policy": {"stale_after_days": 0},
    }
    with pytest.raises(ConfigError) as err:
        _parse(raw, tmp_path)
    text = str(err.value)
    assert f"{tmp_path / 'scimaudit.toml'}: apps[1].page_size" in text
    assert "policy.stale_after_days" in text


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"apps\[0\]\.stale_days: Extra inputs"):
        _parse({"apps": [{**APP, "stale_days": 3}]}, tmp_path)


def test_plain_http_refused_except_loopback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="plain http is refused"):
        _parse({"apps": [{**APP, "url": "http://chat.example.com/scim/v2"}]}, tmp_path)
    cfg = _parse({"apps": [{**APP, "url": "http://127.0.0.1:8080/scim/v2/"}]}, tmp_path)
    assert cfg.apps[0].url == "http://127.0.0.1:8080/scim/v2"  # type: ignore[attr-defined]


def test_duplicate_app_names_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="repeated: chat"):
        _parse({"apps": [APP, APP]}, tmp_path)


def test_credentials_required_and_exclusive(tmp_path: Path) -> None:
    no_auth = {k: v for k, v in APP.items() if k != "token"}
    with pytest.raises(ConfigError, match="missing credentials"):
        _parse({"apps": [no_auth]}, tmp_path)
    both = {**APP, "auth": {"kind": "basic", "username": "u", "password": {"env": "P"}}}
    with pytest.raises(ConfigError, match="either token or auth"):
        _parse({"apps": [both]}, tmp_path)


def test_secret_ref_reads_env_and_file_and_never_shows_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIMAUDIT_TEST_TOKEN", "s3cr3t-value")
    ref = SecretRef(env="SCIMAUDIT_TEST_TOKEN")
    assert ref.reveal() == "s3cr3t-value"
    assert "s3cr3t" not in repr(ref)
    secret_file = tmp_path / "tok"
    secret_file.write_text("from-file\n")
    assert SecretRef(file=secret_file).reveal() == "from-file"
    monkeypatch.delenv("SCIMAUDIT_TEST_TOKEN")
    with pytest.raises(SecretError, match="SCIMAUDIT_TEST_TOKEN is not set"):
        ref.reveal()
    with pytest.raises(SecretError, match="cannot read secret file"):
        SecretRef(file=tmp_path / "missing").reveal()


def test_secret_ref_needs_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"apps\[0\]\.token"):
        _parse({"apps": [{**APP, "token": {"env": "A", "file": "b"}}]}, tmp_path)


def test_load_config_missing_and_bad_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[store\npath = 1")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_config(bad)
    good = tmp_path / "good.toml"
    good.write_text('[store]\npath = "x.duckdb"\n')
    monkeypatch.setenv("SCIMAUDIT_CONFIG", str(good))
    assert load_config(None).store.path == tmp_path / "x.duckdb"


def test_sod_rule_shapes(tmp_path: Path) -> None:
    ok = {"policy": {"sod": [{"app": "erp", "groups": ["A", "B"]}]}}
    assert _parse(ok, tmp_path)
    across = {"left": {"app": "erp", "group": "A"}, "right": {"app": "code", "group": "B"}}
    assert _parse({"policy": {"sod": [across]}}, tmp_path)
    with pytest.raises(ConfigError, match=r"policy\.sod\[0\]"):
        _parse({"policy": {"sod": [{"app": "erp", "groups": ["A"]}]}}, tmp_path)
