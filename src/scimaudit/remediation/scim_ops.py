"""SCIM write requests that remove access, and how to tell from a resource whether it is gone.

Only targeted PATCH operations and DELETE are used, never PUT: a PUT replaces the whole resource
and would clobber any change made since the snapshot, while a PATCH ``remove`` of one member
touches only that member (RFC 7644 §3.5.2: the operations of one PATCH request are applied
atomically).

* remove a member: ``PATCH /Groups/{id}`` with
  ``{"op": "remove", "path": "members[value eq \"ID\"]"}`` (RFC 7644 §3.5.2.2, the example
  "remove a single member from a group");
* deactivate: ``PATCH /Users/{id}`` with ``{"op": "replace", "path": "active", "value": false}``
  (RFC 7644 §3.5.2.3; RFC 7643 §4.1.1 ``active``);
* delete: ``DELETE /Users/{id}`` (RFC 7644 §3.6).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from scimaudit.remediation.model import Action

PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def resource_path(resource_type: str, resource_id: str) -> str:
    """``/Users/{id}`` or ``/Groups/{id}``, the id percent-encoded (opaque ids, RFC 7643 §3.1)."""
    endpoint = {"User": "Users", "Group": "Groups"}[resource_type]
    return f"/{endpoint}/{quote(resource_id, safe='')}"


def member_filter_path(account_id: str) -> str:
    """``members[value eq "ID"]``; the id as a JSON-escaped SCIM string (RFC 7644 §3.4.2.2)."""
    return f"members[value eq {orjson.dumps(account_id).decode()}]"


def remove_member_body(account_id: str) -> dict[str, Any]:
    """PatchOp removing one member from a group (RFC 7644 §3.5.2.2)."""
    return {
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [{"op": "remove", "path": member_filter_path(account_id)}],
    }


def deactivate_body(*, active_as_string: bool = False) -> dict[str, Any]:
    """PatchOp setting ``active`` to false (RFC 7644 §3.5.2.3).

    Some vendors encode the boolean as a string (an app option, ``active_as_string``); they get the
    string ``"false"``.
    """
    value: bool | str = "false" if active_as_string else False
    return {
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": value}],
    }


def merge_patch_bodies(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """One PatchOp carrying the operations of several, applied atomically (RFC 7644 §3.5.2)."""
    operations: list[dict[str, Any]] = []
    for body in bodies:
        operations.extend(body["Operations"])
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}


def has_member(group: dict[str, Any], account_id: str) -> bool:
    """Whether a Group resource lists ``account_id`` among its members (RFC 7643 §4.2)."""
    members = group.get("members") or []
    return any(isinstance(m, dict) and str(m.get("value")) == account_id for m in members)


def is_active(user: dict[str, Any]) -> bool:
    """A User's ``active``; absent counts as active (RFC 7643 §4.1.1 gives no default).

    String encodings (``"False"``, ``"false"``) are read too.
    """
    value = user.get("active", True)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no")
    return bool(value)


def access_gone(action: Action, resource: dict[str, Any] | None, account_id: str) -> bool:
    """Whether the resource as read now already shows the effect of ``action``.

    ``resource`` None means the server answered 404: the group or account no longer exists, so the
    access is gone whatever the action.
    """
    if resource is None:
        return True
    if action == "remove_member":
        return not has_member(resource, account_id)
    if action == "deactivate":
        return not is_active(resource)
    return False  # delete: the resource still exists


def resource_version(resource: dict[str, Any] | None) -> str | None:
    """``meta.version``: the resource's ETag (RFC 7644 §3.14), if the server gives one."""
    meta = (resource or {}).get("meta") or {}
    version = meta.get("version")
    return str(version) if version else None


def resource_last_modified(resource: dict[str, Any] | None) -> str | None:
    """``meta.lastModified``: the fallback change check when the server has no ETags."""
    meta = (resource or {}).get("meta") or {}
    value = meta.get("lastModified")
    return str(value) if value else None


def is_no_target(status: int, body: bytes) -> bool:
    """400 ``noTarget``: the member filter matched nothing, i.e. the member is already gone.

    RFC 7644 §3.12 Table 9: "The specified path did not yield an attribute or attribute value that
    could be operated on. This occurs when the specified path value contains a filter that yields no
    match." (Other servers, scim2-server and SCIMMY among them, answer 204 instead.)
    """
    if status != 400:
        return False
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(parsed, dict) and parsed.get("scimType") == "noTarget"
