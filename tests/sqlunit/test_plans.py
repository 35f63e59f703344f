"""Every analysis query's physical plan is free of nested-loop joins and cross products.

A nested-loop or blockwise join (DuckDB's plan for OR or inequality join conditions, and for some
scalar subqueries) turns minutes into hours at 2M accounts; this test EXPLAINs each SQL file, on a
tiny world that exercises every branch, just before the runner executes it.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest

from scimaudit.analytics import sql_steps
from sqlunit import World, account, person

FORBIDDEN = {"NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "CROSS_PRODUCT", "PIECEWISE_MERGE_JOIN"}
OVERRIDES = (
    "app,account,action,employee_id,owner,reason,expires\n"
    "code,svc-build,service,,E2,CI,2030-01-01\n"
    "code,ghost,link,E3,,handle,\n"
)


def operators(plan_json: str) -> set[str]:
    return set(re.findall(r'"name":\s*"([A-Z_ ]+)"', plan_json))


def rich_world() -> World:
    w = World()
    w.hr(
        [person("E1", "Jo", "Lee", department="Finance"), person("E2", "Al", "Kim")],
        as_of="2026-03-01",
    )
    w.hr(
        [
            person("E1", "Jo", "Lee", department="Sales"),
            person("E2", "Al", "Kim"),
            person("E3", "Gi", "Ro", status="terminated", termination_date="2026-01-01"),
            person("E4", "Re", "Hire", status="terminated", termination_date="2025-01-01"),
            person("E5", "Re", "Hire", hire_date="2026-02-01", previous_employee_id="E4"),
            person("E6", "Pe", "Nding", status="terminated", termination_date="2026-05-31"),
        ]
    )
    w.app(
        "erp",
        [
            account("a1", "JLEE", employee_number="E1", groups=["AP", "VM"]),
            account("a2", "x", given_name="Al", family_name="Kim", groups=["inner"]),
        ],
        nested={"AP": ["inner"]},
        privileged_groups=["A*"],
    )
    w.app(
        "code",
        [
            account("b1", "jo.lee+x@example-alias.org", groups=["maintainers"]),
            account("b2", "svc-build"),
            account("b3", "ghost"),
            account("b4", "rehire", employee_number="E4"),
            account("b5", "pe.nding@example.com"),
        ],
    )
    w.activity([("code", "JO.LEE+X@example-alias.org", "2026-01-01T00:00:00")])
    return w


def test_no_nested_loop_joins_in_any_analysis_query(monkeypatch: pytest.MonkeyPatch) -> None:
    plans: dict[str, set[str]] = {}

    def record(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> None:
        plans[name] = operators(sql_steps.explain(con, name, params))

    for fn in ("create_temp", "insert_into"):
        original = getattr(sql_steps, fn)

        def wrapped(
            con: Any, table: str, name: str, params: dict[str, Any], _original: Any = original
        ) -> None:
            record(con, name, params)
            _original(con, table, name, params)

        monkeypatch.setattr(sql_steps, fn, wrapped)
    original_execute = sql_steps.execute

    def wrapped_execute(con: Any, name: str, params: dict[str, Any]) -> None:
        record(con, name, params)
        original_execute(con, name, params)

    monkeypatch.setattr(sql_steps, "execute", wrapped_execute)
    w = rich_world()
    w.analyze(
        overrides=OVERRIDES,
        correlation={"domain_aliases": {"example-alias.org": "example.com"}},
        policy={
            "role_policy": [{"department": "Sales", "app": "erp", "groups": ["VM"]}],
            "sod": [
                {"app": "erp", "groups": ["AP", "VM"]},
                {
                    "left": {"app": "erp", "group": "AP"},
                    "right": {"app": "code", "group": "maintainers"},
                },
            ],
            "exemptions": [
                {
                    "kind": "privileged_account",
                    "app": "erp",
                    "account": "JLEE",
                    "owner": "o",
                    "reason": "r",
                    "expires": "2030-01-01",
                }
            ],
        },
    )
    # the access query runs on the temp tables the analysis left on this connection
    plans["access/access"] = operators(
        sql_steps.explain(
            w.con,
            "access/access",
            {"person": "E1", "app": "erp", "group": "ap"},
        )
    )
    expected = {
        name
        for stage in (
            "correlation",
            "assess",
            "findings",
            "populations",
            "finalize",
            "history",
            "access",
            "pending",
        )
        for name in sql_steps.sql_names(stage)
    }
    assert set(plans) == expected
    offending = {name: ops & FORBIDDEN for name, ops in plans.items() if ops & FORBIDDEN}
    assert offending == {}
    assert any("HASH_JOIN" in ops for ops in plans.values())
    assert len(w.findings()) > 5
