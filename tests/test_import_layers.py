"""The import contract (pyproject [tool.importlinter], run by `make lint`), and the checker tested.

The contract is only worth something if it fails when the rule is broken, so the checker is run on
a copy of the package with an upward import, and with a cycle, added the way a careless change
would add them; then on the tree as it is, where every package dependency must point down.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

import scimaudit

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(scimaudit.__file__).resolve().parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's own contract, importing ``scimaudit`` from ``src``."""
    shutil.copy(ROOT / "pyproject.toml", cwd / "pyproject.toml")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "scimaudit", ignore=shutil.ignore_patterns("__pycache__"))
    return src


def test_the_tree_keeps_the_contract(tmp_path: Path) -> None:
    done = _lint(PACKAGE.parent, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def test_an_upward_import_fails_lint_and_names_the_line(package_copy: Path, tmp_path: Path) -> None:
    bad = package_copy / "scimaudit" / "store" / "careless.py"
    bad.write_text('"""Reads a pack."""\n\nfrom scimaudit.reporting import build  # noqa\n')
    done = _lint(package_copy, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "scimaudit.store is not allowed to import scimaudit.reporting" in done.stdout
    assert "scimaudit.store.careless -> scimaudit.reporting.build (l.3)" in done.stdout


def test_collection_and_remediation_may_not_import_each_other(
    package_copy: Path, tmp_path: Path
) -> None:
    bad = package_copy / "scimaudit" / "remediation" / "careless.py"
    bad.write_text('"""Re-collects."""\n\nfrom scimaudit.collect.scim import collector  # noqa\n')
    done = _lint(package_copy, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "scimaudit.remediation is not allowed to import scimaudit.collect" in done.stdout
    assert "scimaudit.remediation.careless -> scimaudit.collect.scim.collector" in done.stdout


def test_a_cycle_between_sibling_modules_fails_lint(package_copy: Path, tmp_path: Path) -> None:
    folder = package_copy / "scimaudit" / "analytics"
    (folder / "cycle_a.py").write_text(
        '"""A."""\n\nfrom scimaudit.analytics import cycle_b  # noqa\n'
    )
    (folder / "cycle_b.py").write_text(
        '"""B."""\n\nfrom scimaudit.analytics import cycle_a  # noqa\n'
    )
    done = _lint(package_copy, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "No cycles are allowed in scimaudit.analytics" in done.stdout


def test_a_new_top_level_package_must_be_placed_in_the_layers(
    package_copy: Path, tmp_path: Path
) -> None:
    (package_copy / "scimaudit" / "misc").mkdir()
    (package_copy / "scimaudit" / "misc" / "__init__.py").write_text('"""Unplaced."""\n')
    done = _lint(package_copy, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "scimaudit.misc" in done.stdout


def _layer_index() -> dict[str, int]:
    contract = next(c for c in CONFIG["contracts"] if c["id"] == "layers")
    index = {}
    for depth, line in enumerate(contract["layers"]):
        for name in line.split("|"):
            index[f"scimaudit.{name.strip().strip('()')}"] = depth
    return index


def test_every_package_dependency_points_down_the_layers() -> None:
    """An independent reading of the graph (grimp directly), so a mis-set checker is caught too."""
    graph = grimp.build_graph("scimaudit")
    index = _layer_index()

    def layer(module: str) -> str | None:
        top = ".".join(module.split(".")[:2])
        return top if top in index else None

    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = layer(module), layer(imported)
            if a and b and a != b:
                edges.add((a, b))
    assert edges, "no package dependencies found: the graph was not built"
    upward_or_sideways = sorted((a, b) for a, b in edges if index[a] >= index[b])
    assert upward_or_sideways == []
