"""Load users and groups into any SCIM 2.0 service provider: by Bulk when it can, else one by one.

The demo seeds scim2-server from the generated sample organisation with
:func:`seed_from_sample_dir`; the tests seed both peers (scim2-server and SCIMMY) the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

from scimaudit.demo.loopback import PeerError

__all__ = ["SeedError", "seed", "seed_from_sample_dir"]

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SCIM_JSON = "application/scim+json"


class SeedError(PeerError):
    """A peer refused some of the resources :func:`seed` sent, or the input was inconsistent."""


def _chunks(
    operations: Sequence[dict[str, Any]], max_operations: int, max_payload: int
) -> Iterator[list[dict[str, Any]]]:
    """Split bulk operations so each request stays within maxOperations and maxPayloadSize.

    RFC 7644 §3.7.4: a request over either limit is refused whole with 413. The envelope and
    separators are counted with a margin, so the check holds whatever the server counts.
    """
    envelope = 256
    chunk: list[dict[str, Any]] = []
    size = envelope
    for operation in operations:
        op_size = len(orjson.dumps(operation)) + 1
        if op_size + envelope > max_payload:
            raise SeedError(
                f"one resource is {op_size} bytes, over the server's bulk maxPayloadSize "
                f"({max_payload}); bulkId {operation.get('bulkId')}"
            )
        if chunk and (len(chunk) >= max_operations or size + op_size > max_payload):
            yield chunk
            chunk, size = [], envelope
        chunk.append(operation)
        size += op_size
    if chunk:
        yield chunk


def _id_from_location(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def _error_detail(response: httpx.Response) -> str:
    text = response.text
    return text if len(text) < 1000 else text[:1000] + "…"


class _Seeder:
    """Posts resources to one service provider, by Bulk when it can, one by one otherwise."""

    def __init__(
        self, client: httpx.Client, use_bulk: bool | None, max_bulk_operations: int
    ) -> None:
        self.client = client
        config = self._get_json("ServiceProviderConfig")
        bulk = config.get("bulk") or {}
        supported = bool(bulk.get("supported"))
        if use_bulk and not supported:
            raise SeedError("bulk was asked for, but the server does not support it")
        self.use_bulk = supported if use_bulk is None else use_bulk
        # A missing or zero limit is taken as 1000: servers that omit it rarely mean "unbounded".
        self.max_operations = min(int(bulk.get("maxOperations") or 1000), max_bulk_operations)
        self.max_payload = int(bulk.get("maxPayloadSize") or 1_048_576)

    def _get_json(self, path: str) -> dict[str, Any]:
        response = self.client.get(path)
        if response.status_code != 200:
            raise SeedError(f"GET {path}: {response.status_code} {_error_detail(response)}")
        body: dict[str, Any] = orjson.loads(response.content)
        return body

    def create(self, endpoint: str, resources: Sequence[dict[str, Any]]) -> list[str]:
        """Create ``resources`` at ``endpoint`` (Users or Groups); return their ids, in order."""
        if not resources:
            return []
        if self.use_bulk:
            return self._create_by_bulk(endpoint, resources)
        return [self._create_one(endpoint, resource) for resource in resources]

    def _create_one(self, endpoint: str, resource: dict[str, Any]) -> str:
        """POST one resource (RFC 7644 §3.3) and return the id the server gave it."""
        response = self.client.post(
            endpoint, content=orjson.dumps(resource), headers={"Content-Type": SCIM_JSON}
        )
        if response.status_code != 201:
            raise SeedError(
                f"POST /{endpoint} {_describe(resource)}: {response.status_code} "
                f"{_error_detail(response)}"
            )
        created: dict[str, Any] = orjson.loads(response.content)
        return str(created["id"])

    def _create_by_bulk(self, endpoint: str, resources: Sequence[dict[str, Any]]) -> list[str]:
        """POST /Bulk (RFC 7644 §3.7) in chunks; map each bulkId back to the created id.

        RFC 7644 §3.7.3: each operation's response carries its bulkId, status and the
        ``location`` of the created resource, whose last segment is the new id.
        """
        operations: list[dict[str, Any]] = [
            {"method": "POST", "path": f"/{endpoint}", "bulkId": f"r{i}", "data": resource}
            for i, resource in enumerate(resources)
        ]
        ids: dict[str, str] = {}
        failures: list[str] = []
        for chunk in _chunks(operations, self.max_operations, self.max_payload):
            body = {"schemas": [BULK_REQUEST_SCHEMA], "Operations": chunk}
            response = self.client.post(
                "Bulk", content=orjson.dumps(body), headers={"Content-Type": SCIM_JSON}
            )
            if response.status_code != 200:
                raise SeedError(
                    f"POST /Bulk ({len(chunk)} operations): {response.status_code} "
                    f"{_error_detail(response)}"
                )
            result: dict[str, Any] = orjson.loads(response.content)
            for outcome in result.get("Operations") or []:
                bulk_id = str(outcome.get("bulkId"))
                status = int(str(outcome.get("status", "0")).split()[0] or 0)
                location = outcome.get("location")
                if status == 201 and isinstance(location, str):
                    ids[bulk_id] = _id_from_location(location)
                else:
                    index = int(bulk_id[1:]) if bulk_id[1:].isdigit() else -1
                    what = _describe(resources[index]) if index >= 0 else bulk_id
                    failures.append(f"{what}: {status} {orjson.dumps(outcome.get('response'))!r}")
        if failures:
            raise SeedError(
                f"the server refused {len(failures)} of {len(resources)} {endpoint}: "
                + "; ".join(failures[:5])
            )
        missing = [op["bulkId"] for op in operations if op["bulkId"] not in ids]
        if missing:
            raise SeedError(f"no bulk result for {len(missing)} {endpoint}, e.g. {missing[:5]}")
        return [ids[op["bulkId"]] for op in operations]


def _describe(resource: Mapping[str, Any]) -> str:
    for key in ("userName", "displayName", "externalId"):
        if key in resource:
            return f"{key}={resource[key]!r}"
    return "resource"


def _with_schema(resource: Mapping[str, Any], schema: str) -> dict[str, Any]:
    """Copy a resource for creation: default ``schemas``, drop ``id``/``meta`` (server-assigned)."""
    data = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    data.setdefault("schemas", [schema])
    return data


def _translate_members(
    groups: Sequence[Mapping[str, Any]], user_ids: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Replace each member's userName by the id the server gave that user (RFC 7643 §4.2).

    ``members[].value`` must be the member's ``id``; the input names members by userName because
    ids exist only once the server has created the users.
    """
    translated = []
    unknown: list[str] = []
    for group in groups:
        data = _with_schema(group, GROUP_SCHEMA)
        members = []
        for member in group.get("members") or []:
            user_name = member.get("value")
            if member.get("type", "User") != "User":
                raise SeedError(
                    f"group {_describe(group)}: only User members are supported, got {member!r}"
                )
            if user_name not in user_ids:
                unknown.append(f"{user_name!r} in {_describe(group)}")
                continue
            entry = {k: v for k, v in member.items() if k != "$ref"}
            entry["value"] = user_ids[user_name]
            members.append(entry)
        if "members" in group:
            data["members"] = members
        translated.append(data)
    if unknown:
        raise SeedError(f"group members name unknown users: {', '.join(unknown[:10])}")
    return translated


def seed(
    base_url: str,
    token: str,
    users: Sequence[Mapping[str, Any]],
    groups: Sequence[Mapping[str, Any]] = (),
    *,
    use_bulk: bool | None = None,
    max_bulk_operations: int = 100,
    timeout: float = 120.0,
) -> dict[str, str]:
    """Create ``users`` then ``groups`` on a SCIM service provider; return userName → id.

    Bulk (RFC 7644 §3.7) is used when ``/ServiceProviderConfig`` says it is supported, in chunks
    within its ``maxOperations`` and ``maxPayloadSize``; otherwise each resource is POSTed
    (RFC 7644 §3.3). ``use_bulk`` forces either way. Groups name their members by userName
    (``{"value": "<userName>"}``); they are sent with the ids the users were given.

    ``max_bulk_operations`` caps the operations per Bulk request below the server's own
    maxOperations. 100 is near the best for both peers: scim2-server gains ~5% from 1000, while
    SCIMMY's BulkRequest makes every operation wait on all earlier ones (quadratic), so 1000 per
    request is ~3x slower there than 100 (5000 users: 3.0 s at 100, 8.5 s at 1000).

    :raises SeedError: when an input is inconsistent (duplicate userName, unknown member) or the
        server refuses any resource; the message names the resources and the server's answer.
    """
    if max_bulk_operations < 1:
        raise ValueError("max_bulk_operations must be at least 1")
    user_names: list[str] = []
    for user in users:
        name = user.get("userName")
        if not isinstance(name, str) or not name:
            raise SeedError(f"every user needs a userName (RFC 7643 §4.1.1), got {user!r:.200}")
        user_names.append(name)
    duplicates = [name for name, n in Counter(user_names).items() if n > 1]
    if duplicates:
        raise SeedError(f"duplicate userNames in the input: {sorted(duplicates)[:10]}")

    # Check the members before creating anything, so bad input leaves the server untouched.
    _translate_members(groups, {name: name for name in user_names})

    with httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {token}", "Accept": SCIM_JSON},
        timeout=timeout,
    ) as client:
        seeder = _Seeder(client, use_bulk, max_bulk_operations)
        user_ids = seeder.create("Users", [_with_schema(u, USER_SCHEMA) for u in users])
        mapping = dict(zip(user_names, user_ids, strict=True))
        seeder.create("Groups", _translate_members(groups, mapping))
    return mapping


def seed_from_sample_dir(
    base_url: str,
    token: str,
    app_dir: Path,
    *,
    use_bulk: bool | None = None,
    max_bulk_operations: int = 100,
) -> dict[str, str]:
    """Seed a peer from ``app_dir/users.json`` and, if present, ``app_dir/groups.json``.

    Both files hold JSON arrays of SCIM resources without ``id``/``meta``, as in
    ``sample_data/apps/<app>/``; group members name users by userName. See :func:`seed`.
    """
    users_path = app_dir / "users.json"
    if not users_path.is_file():
        raise SeedError(f"{users_path} is missing")
    users = orjson.loads(users_path.read_bytes())
    groups_path = app_dir / "groups.json"
    groups = orjson.loads(groups_path.read_bytes()) if groups_path.is_file() else []
    if not isinstance(users, list) or not isinstance(groups, list):
        raise SeedError(f"{app_dir}: users.json and groups.json must hold JSON arrays")
    return seed(
        base_url, token, users, groups, use_bulk=use_bulk, max_bulk_operations=max_bulk_operations
    )
