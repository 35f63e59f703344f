"""The one SQL loader and its one binding rule (scimaudit.sqlfiles)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

import scimaudit
from scimaudit.sqlfiles import SqlFolder, bind, params_used

PACKAGE = Path(scimaudit.__file__).parent


def test_parameters_in_comments_strings_and_quoted_names_are_not_parameters() -> None:
    sql = """-- grain: one row; $not_this
    SELECT json_extract(x, '$.a') AS "$ref", $kept -- $nor_this
    FROM t WHERE y = 'it''s $also_not' AND z = $other"""
    assert params_used(sql) == {"kept", "other"}


def test_bind_gives_exactly_the_named_parameters_and_refuses_a_missing_one() -> None:
    sql = "SELECT $a + $b AS s"
    assert bind(sql, {"a": 1, "b": 2, "unused": 3}) == {"a": 1, "b": 2}
    with pytest.raises(KeyError, match="b"):
        bind(sql, {"a": 1})
    con = duckdb.connect()
    assert con.execute(sql, bind(sql, {"a": 1, "b": 2, "c": 0})).fetchone() == (3,)


def test_every_stage_folder_loads_and_every_file_binds(tmp_path: Path) -> None:
    folders = {
        "scimaudit.analytics": "findings/orphaned_account",
        "scimaudit.collect.scim": "stage_group",
        "scimaudit.reporting": "macros",
        "scimaudit.remediation": "operation_status",
        "scimaudit.review": "campaign_items",
    }
    for package, one in folders.items():
        folder = SqlFolder(package)
        files = dict(folder.files())
        assert f"{one}.sql" in files, package
        text = folder.text(one)
        assert text == files[f"{one}.sql"].read_text("utf-8")
        # the file's own parameters are all it asks for
        assert set(bind(text, dict.fromkeys(params_used(text), None))) == params_used(text)


def test_no_module_reads_sql_files_but_the_loader() -> None:
    """One loader: a second ``read_text`` of a ``.sql`` file elsewhere would bring a second rule."""
    offenders = []
    pattern = re.compile(r"""["'](?:sql/)?[\w/{}]*\.sql["']|f["'][^"']*\.sql["']""")
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in {"sqlfiles.py", "store/migrations.py", "store/review_state.py"}:
            continue  # the loader; schema migrations are scripts applied once, not queries
        text = path.read_text("utf-8")
        code = "\n".join(
            line for line in text.splitlines() if "read_text" in line or "joinpath" in line
        )
        if pattern.search(code):
            offenders.append(rel)
    assert offenders == []
