"""The user shape: where the app's activity attribute lands in the json_transform structure, and
that the SQL it yields reads the right value from a real list page in DuckDB."""

from __future__ import annotations

from typing import Any

import duckdb
import orjson
import pytest

from scimaudit.collect.scim.user_shape import user_shape
from scimaudit.collect.scim.vendors import ENTERPRISE_USER, attribute_parts
from scimaudit.errors import ConfigError

VENDOR = "urn:example:params:scim:schemas:extension:acme:2.0:User"


def read_activity(attribute: str, resource: dict[str, Any]) -> Any:
    shape = user_shape(tuple(attribute_parts(attribute)))
    page = orjson.dumps({"Resources": [resource]}).decode()
    params: dict[str, Any] = {"page": page, "shape": shape.spec}
    if shape.activity_rest:
        params["activity_rest"] = shape.activity_rest
    row = duckdb.execute(
        f"SELECT {shape.activity_sql} FROM"
        " (SELECT unnest(json_transform($page, $shape).Resources) AS r)",
        params,
    ).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("attribute", "resource", "expected"),
    [
        # a new extension: its attribute becomes a leaf of its own
        (f"{VENDOR}:lastLogin", {VENDOR: {"lastLogin": "2025-01-02T03:04Z"}}, "2025-01-02T03:04Z"),
        # deeper inside a new extension: captured as JSON, the rest read by path
        (f"{VENDOR}:audit.lastLogin", {VENDOR: {"audit": {"lastLogin": "x1"}}}, "x1"),
        # an attribute the shape already reads as text
        ("meta.lastModified", {"meta": {"lastModified": "x2"}}, "x2"),
        # a new attribute inside a structure the shape already has
        ("meta.lastLogin", {"meta": {"lastLogin": "x3", "version": "v"}}, "x3"),
        (f"{ENTERPRISE_USER}:lastSeen", {ENTERPRISE_USER: {"lastSeen": "x4"}}, "x4"),
        # inside an attribute the shape captures as JSON (manager)
        (f"{ENTERPRISE_USER}:manager.seen", {ENTERPRISE_USER: {"manager": {"seen": "x5"}}}, "x5"),
        # a plain top-level attribute; a key with a double quote in it stays one identifier
        ("lastLogin", {"lastLogin": "x6"}, "x6"),
        ('odd"key', {'odd"key': "x7"}, "x7"),
        # absent: NULL, not an error
        (f"{VENDOR}:lastLogin", {"id": "1"}, None),
    ],
)  # fmt: skip
def test_activity_attribute_is_read_where_it_is(
    attribute: str, resource: dict[str, Any], expected: Any
) -> None:
    assert read_activity(attribute, resource) == expected


def test_base_fields_still_read_when_the_activity_shares_their_structure() -> None:
    shape = user_shape(tuple(attribute_parts("meta.lastLogin")))
    spec = orjson.loads(shape.spec)["Resources"][0]
    assert spec["meta"] == {
        "created": "VARCHAR",
        "lastModified": "VARCHAR",
        "version": "VARCHAR",
        "lastLogin": "VARCHAR",
    }
    assert "lastLogin" not in orjson.loads(user_shape(None).spec)["Resources"][0]["meta"]


def test_an_object_is_not_an_activity_timestamp() -> None:
    with pytest.raises(ConfigError, match="names an object"):
        user_shape(("meta",), "app-x")
