"""Activity (sign-in) export import: timestamps to UTC, latest per login, errors by line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scimaudit.collect.activity import ActivityImportError, import_activity
from scimaudit.config import ActivityConfig, Config, parse_config
from scimaudit.errors import ConfigError
from scimaudit.store import connect
from scimaudit.store import snapshots as snap

DATA = Path(__file__).parent / "data" / "hr"


def make_config(tmp_path: Path, export: Path, **activity: Any) -> Config:
    entry: dict[str, Any] = {
        "path": str(export),
        "user_column": "login",
        "last_seen_column": "last_sign_in",
    }
    entry.update(activity or {"app_column": "application"})
    raw = {
        "store": {"path": str(tmp_path / "store.duckdb")},
        "apps": [{"name": "chat", "url": "http://127.0.0.1:1/scim/v2", "token": {"env": "T"}}],
        "activity": [entry],
    }
    return parse_config(raw, tmp_path / "scimaudit.toml")


def activity_rows(cfg: Config) -> list[tuple[Any, ...]]:
    with connect(cfg.store.path) as con:
        return con.execute(
            "SELECT app, login, last_seen, line_no FROM activity ORDER BY app, login"
        ).fetchall()


def only_snapshot(cfg: Config) -> snap.Snapshot:
    with connect(cfg.store.path) as con:
        found = snap.list_snapshots(con)
    assert len(found) == 1
    return found[0]


def test_timestamps_parse_to_utc_and_the_latest_sign_in_wins(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, DATA / "signins.csv")
    result = import_activity(cfg, cfg.activity[0])
    assert (result.rows_read, result.imported, result.rejected) == (6, 6, 0)
    assert activity_rows(cfg) == [
        # 09:30Z on the 1st loses to 08:00+02:00 on the 3rd (06:00Z)
        ("chat", "alice.ng@example.com", datetime(2024, 5, 3, 6, 0, tzinfo=UTC), 3),
        ("chat", "bob.stone@example.com", None, 4),  # empty: never signed in
        ("code", "alice.ng@example.com", datetime(2024, 4, 30, 17, 45, tzinfo=UTC), 5),  # naive=UTC
        ("erp", "carol.diaz@example.com", datetime(2024, 6, 15, 13, 5, tzinfo=UTC), 6),  # US format
        ("erp", "dan.ito@example.com", datetime(2024, 6, 1, tzinfo=UTC), 7),  # a date alone
    ]
    record = only_snapshot(cfg)
    assert (record.source_kind, record.source_name, record.status) == (
        "activity",
        "signins",
        "complete",
    )
    assert record.counts == {"rows": 6, "logins": 5, "apps": 3, "never": 1}
    assert record.completeness["apps_not_configured"] == ["code", "erp"]
    with connect(cfg.store.path) as con:
        assert con.execute("SELECT count(*) FROM raw_activity_row").fetchone() == (6,)
        raw = con.execute(
            "SELECT record->>'last_sign_in' FROM raw_activity_row WHERE line_no = 3"
        ).fetchone()
    assert raw == ("2024-05-03T08:00:00+02:00",)


def test_fixed_app_when_the_export_has_no_app_column(tmp_path: Path) -> None:
    export = tmp_path / "chat_logins.csv"
    export.write_text("login;last_sign_in\nalice;2024-05-01\nbob;\n", encoding="utf-8")
    cfg = make_config(tmp_path, export, app="chat")
    import_activity(cfg, cfg.activity[0], as_of=datetime(2024, 6, 1, tzinfo=UTC))
    assert activity_rows(cfg) == [
        ("chat", "alice", datetime(2024, 5, 1, tzinfo=UTC), 2),
        ("chat", "bob", None, 3),
    ]
    record = only_snapshot(cfg)
    assert record.source_name == "chat_logins"
    assert record.as_of == datetime(2024, 6, 1, tzinfo=UTC)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, DATA / "signins_errors.csv")
    with pytest.raises(ActivityImportError) as caught:
        import_activity(cfg, cfg.activity[0])
    problems = caught.value.problems
    assert [(line, fld) for line, fld, _ in problems] == [
        (3, "login"),
        (4, "last_sign_in"),
        (5, "application"),
    ]
    assert problems[0][2] == "missing login"
    assert problems[1][2].startswith("unparseable timestamp 'yesterday' (formats tried: ISO 8601")
    assert problems[2][2] == "missing app name"
    assert "3 problem(s); nothing was imported" in str(caught.value)
    assert activity_rows(cfg) == []
    failed = only_snapshot(cfg)
    assert failed.status == "failed"
    assert failed.error is not None and "signins_errors.csv" in failed.error
    with connect(cfg.store.path) as con:
        assert con.execute("SELECT count(*) FROM raw_activity_row").fetchone() == (0,)


def test_missing_column_names_the_config_key(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, DATA / "signins.csv", app_column="app")
    with pytest.raises(ActivityImportError) as caught:
        import_activity(cfg, cfg.activity[0])
    assert caught.value.problems == [
        (
            1,
            "activity.app_column",
            "column 'app' is not in the header; the file has: application, login, last_sign_in",
        )
    ]


def test_configured_timestamp_format(tmp_path: Path) -> None:
    export = tmp_path / "s.csv"
    export.write_text("application,login,last_sign_in\nchat,a,01-05-2024 07h15\n", "utf-8")
    cfg = make_config(
        tmp_path, export, app_column="application", timestamp_formats=["%d-%m-%Y %Hh%M"]
    )
    import_activity(cfg, cfg.activity[0])
    assert activity_rows(cfg) == [("chat", "a", datetime(2024, 5, 1, 7, 15, tzinfo=UTC), 2)]


def test_activity_config_accepts_only_one_of_app_or_app_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exactly one of app_column or app"):
        make_config(tmp_path, DATA / "signins.csv", app="chat", app_column="application")
    assert ActivityConfig(path=Path("x"), app="chat", user_column="u", last_seen_column="t")
