"""Read the few facts a response body must yield in Python, without building the body.

A 1000-user list page is ~850 KB of JSON. Building it as Python objects (``orjson.loads``) cost
~7.5 ms of the event loop per page plus the cyclic GC's walks over the 30k objects it makes, and
the collector needs none of them: the bytes go to the store untouched and DuckDB parses them there.
What Python needs is only what drives paging and error handling:

* that the body is well-formed JSON and UTF-8 (a truncated or garbled page is retried, not landed);
* that it is an object, and not a SCIM error envelope (RFC 7644 §3.12: ``schemas``, ``detail``);
* ``totalResults`` and ``nextCursor`` (RFC 7644 §3.4.2, RFC 9865 §2) and, for each element of
  ``Resources``, whether it is an object and its ``id`` (counting, dedupe, loop detection).

:func:`read_head` decodes into a msgspec schema that names just those members; msgspec checks the
syntax of everything else while skipping it without allocating (~1.5 ms per page). Bodies of an
unexpected shape (a top-level array, ``Resources`` that is not a list) are read whole with orjson
so that the caller can report exactly what is wrong.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson


class ResourceHead(msgspec.Struct, gc=False):
    """One element of ``Resources`` that is a JSON object: only its ``id`` is read."""

    id: Any = None


ResourceItem = ResourceHead | list[Any] | str | int | float | bool | None
"""An element of ``Resources``: an object (the normal case) or a malformed non-object."""


class BodyHead(msgspec.Struct, gc=False):
    """The members of a response body that the collector reads in Python (raw JSON values)."""

    schemas: Any = None
    detail: Any = None
    totalResults: Any = None
    nextCursor: Any = None
    Resources: Any = None


class _ListBodyHead(msgspec.Struct, gc=False):
    """:class:`BodyHead` with ``Resources`` typed, so that its elements are not built."""

    schemas: Any = None
    detail: Any = None
    totalResults: Any = None
    nextCursor: Any = None
    Resources: list[ResourceItem] | None = None


_DECODER = msgspec.json.Decoder(_ListBodyHead)


class NotJson(ValueError):
    """The body is not well-formed UTF-8 JSON (truncated, an HTML page, garbled bytes)."""


class NotAnObject(ValueError):
    """The body is JSON, but not a JSON object."""


def read_head(content: bytes) -> BodyHead:
    """The head of a body; raises :class:`NotJson` or :class:`NotAnObject`.

    msgspec does not check the UTF-8 of strings it skips, so a body that is not pure ASCII is
    decoded once to prove it is UTF-8 (the exact bytes are stored as text later).
    """
    try:
        fast = _DECODER.decode(content)
    except msgspec.ValidationError:
        return _read_whole(content)
    except msgspec.DecodeError as exc:
        raise NotJson(str(exc)) from None
    if not content.isascii():
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotJson(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return BodyHead(
        schemas=fast.schemas,
        detail=fast.detail,
        totalResults=fast.totalResults,
        nextCursor=fast.nextCursor,
        Resources=fast.Resources,
    )


def _read_whole(content: bytes) -> BodyHead:
    """Valid JSON of an unexpected shape: read it whole (rare) to say what is wrong with it."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise NotJson(str(exc)) from None
    if not isinstance(body, dict):
        raise NotAnObject(type(body).__name__)
    return BodyHead(
        schemas=body.get("schemas"),
        detail=body.get("detail"),
        totalResults=body.get("totalResults"),
        nextCursor=body.get("nextCursor"),
        Resources=body.get("Resources"),
    )


def resource_id(item: object) -> str | None:
    """The id of one ``Resources`` element as text: a non-empty string or an integer, else None."""
    if isinstance(item, ResourceHead):
        value = item.id
    elif isinstance(item, dict):
        value = item.get("id")
    else:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
