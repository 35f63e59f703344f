"""scimaudit.resources: one place finds the shipped folders, in a checkout as in a wheel.

The installed-wheel side is tests/test_wheel.py (slow); these check the checkout side, the error
a missing part gives, and that pyproject's package data and the resolver name the same folders.
"""

from __future__ import annotations

import importlib.util
import subprocess
import tomllib
from pathlib import Path

import pytest

from scimaudit import resources
from scimaudit.errors import InstallationError
from scimaudit.reporting.provenance import git_commit

REPO = Path(__file__).resolve().parents[1]


def test_a_checkout_reads_the_top_level_folders_in_place() -> None:
    assert resources.checkout_dir() == REPO
    assert resources.reports_dir() == REPO / "reports"
    assert resources.report_templates_dir("campaign.html") == REPO / "reports" / "templates"
    assert resources.dashboard_app() == REPO / "dashboards" / "app.py"
    assert resources.sample_data_dir() == REPO / "sample_data"


def test_a_missing_part_names_the_file_and_every_place_looked() -> None:
    with pytest.raises(InstallationError) as err:
        resources.report_templates_dir("no-such-template.html")
    message = str(err.value)
    assert "reports/templates/no-such-template.html is missing" in message
    assert str(resources.package_dir() / "_reports" / "templates" / "no-such-template.html") in (
        message
    )
    assert str(REPO / "reports" / "templates" / "no-such-template.html") in message
    assert err.value.exit_code == 1


def test_the_wheel_packages_exactly_the_folders_the_resolver_reads() -> None:
    """pyproject's force-include and ``resources.PACKAGED`` cannot drift apart unnoticed."""
    build = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]
    targets = build["build"]["targets"]["wheel"]["force-include"]
    for folder, packaged in resources.PACKAGED.items():
        shipped = {
            src: dst for src, dst in targets.items() if dst.startswith(f"scimaudit/{packaged}")
        }
        assert shipped, f"{folder}/ is not in the wheel"
        for src, dst in shipped.items():
            assert src.split("/")[0] == folder and (REPO / src).exists()
            assert dst == f"scimaudit/{packaged}" + src.removeprefix(folder)


def test_test_peers_are_not_in_the_runtime_package() -> None:
    assert importlib.util.find_spec("scimaudit.peers") is None
    package = resources.package_dir()
    assert not [
        p for p in package.rglob("*.py") if "ScimmyProcess" in p.read_text(encoding="utf-8")
    ]


def test_packs_name_the_checkout_commit_they_were_made_from() -> None:
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git_commit() == head
