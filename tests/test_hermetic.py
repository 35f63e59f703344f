"""tests/conftest.py keeps a developer's shell and working directory out of every result.

The attack: a developer exported ``SCIMAUDIT_CONFIG``, ``SCIMAUDIT_GENERATED_BY`` and
``SOURCE_DATE_EPOCH`` and runs pytest from a folder holding a valid ``scimaudit.toml``. Without the
conftest, scimaudit reads all of them (proved below by a plain subprocess); with it, a pytest run in
exactly that setting still sees none of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scimaudit.config import config_path, load_config
from scimaudit.errors import ConfigError
from scimaudit.reporting.provenance import generated_by, generation_time

HOSTILE_EPOCH = "946684800"  # 2000-01-01T00:00:00Z


def _hostile_setting(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A working directory with a valid ./scimaudit.toml, and an environment pointing at another."""
    cwd = tmp_path / "developer-folder"
    cwd.mkdir()
    (cwd / "scimaudit.toml").write_text('[store]\npath = "from-cwd.duckdb"\n', encoding="utf-8")
    exported = tmp_path / "exported.toml"
    exported.write_text('[store]\npath = "from-env.duckdb"\n', encoding="utf-8")
    env = {
        **os.environ,
        "SCIMAUDIT_CONFIG": str(exported),
        "SCIMAUDIT_GENERATED_BY": "mallory",
        "SOURCE_DATE_EPOCH": HOSTILE_EPOCH,
    }
    return cwd, env


def test_nothing_from_the_developer_reaches_a_test() -> None:
    """Run directly, and again by the test below inside the hostile setting."""
    assert not [n for n in os.environ if n.startswith("SCIMAUDIT_")]
    assert list(Path.cwd().iterdir()) == []
    assert config_path(None) == Path("scimaudit.toml")
    with pytest.raises(ConfigError, match=r"scimaudit\.toml: config file not found"):
        load_config(None)
    assert generated_by() != "mallory"
    assert generation_time().year > 2000


def test_a_stray_variable_or_config_file_cannot_change_a_result(tmp_path: Path) -> None:
    cwd, env = _hostile_setting(tmp_path)
    probe = (
        "from scimaudit.config import load_config;"
        "from scimaudit.reporting.provenance import generated_by, generation_time;"
        "print(load_config(None).store.path.name, generated_by(), generation_time().year)"
    )
    plain = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    assert plain.stdout.split() == ["from-env.duckdb", "mallory", "2000"]  # the attack is real
    without = {k: v for k, v in env.items() if k != "SCIMAUDIT_CONFIG"}
    plain = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=cwd,
        env=without,
        capture_output=True,
        text=True,
        check=True,
    )
    assert plain.stdout.split()[0] == "from-cwd.duckdb"

    inner = f"{Path(__file__).resolve()}::test_nothing_from_the_developer_reaches_a_test"
    under_pytest = subprocess.run(
        [sys.executable, "-m", "pytest", inner, "-q", "-p", "no:cacheprovider"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert under_pytest.returncode == 0, under_pytest.stdout + under_pytest.stderr
    assert "1 passed" in under_pytest.stdout
