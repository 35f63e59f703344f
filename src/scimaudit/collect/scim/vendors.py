"""Vendor differences as data: one :class:`Quirks` value per app, read from its ``[[apps]]`` table.

SCIM servers differ in ways a collector must know but should not hard-code: page-size ceilings,
index vs cursor paging, whether group members come inline, ``active`` sent as the string "True",
where (if anywhere) a last-activity timestamp lives, whether a Group member ``value`` is the
User's id (RFC 7643 §4.2) or, as some vendors send it, its userName or email (``member_ref``).
Every such difference is a field here, set in the config, and the collector and the staging SQL
read the field; there is no ``if vendor == ...``.

Behaviours every server gets without configuration (the collector never trusts them):
``itemsPerPage`` is ignored, ``count`` may be lowered or ignored, ``totalResults`` is checked
against what arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scimaudit.config import AppConfig
from scimaudit.errors import ConfigError

ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass(frozen=True)
class Quirks:
    """What the collector and the staging SQL need to know about one app's server."""

    pagination: Literal["auto", "index", "cursor"]
    page_size: int
    group_members: Literal["inline", "per_group"]
    active_as_string: bool
    activity_attribute: tuple[str, ...] | None  # keys leading to it (attribute_parts)
    member_ref: Literal["id", "userName", "email"] = "id"  # what a Group member value names
    collapse_share: float = 0.5  # a fall in users beyond this share holds the snapshot suspect

    @classmethod
    def from_app(cls, app: AppConfig) -> Quirks:
        """The quirks of one ``[[apps]]`` entry; ``activity_attribute`` is split into keys here."""
        return cls(
            pagination=app.pagination,
            page_size=app.page_size,
            group_members=app.group_members,
            active_as_string=app.active_as_string,
            activity_attribute=(
                tuple(attribute_parts(app.activity_attribute, app=app.name))
                if app.activity_attribute
                else None
            ),
            member_ref=app.member_ref,
            collapse_share=app.collapse_share,
        )


def attribute_json_path(attribute: str, *, app: str = "") -> str:
    """Turn a SCIM attribute path into a DuckDB JSON path (see :func:`attribute_parts`)."""
    return json_path(attribute_parts(attribute, app=app))


def attribute_parts(attribute: str, *, app: str = "") -> list[str]:
    """Split a SCIM attribute path into the keys leading to it in a resource.

    RFC 7644 §3.10: an attribute of an extension is named by its schema URN, a colon, then the
    attribute (``urn:…:enterprise:2.0:User:manager.value``); core attributes are dotted
    (``meta.lastModified``). Vendors also publish plain dotted paths into their extension object,
    which work as written.
    """
    text = attribute.strip()
    if not text:
        raise ConfigError(f"app {app!r}: activity_attribute is empty")
    if text.startswith("urn:"):
        urn, sep, rest = text.rpartition(":")
        if not sep or not rest or not urn.startswith("urn:"):
            raise ConfigError(
                f"app {app!r}: activity_attribute {attribute!r}: expected URN:attribute[.sub]"
            )
        parts = [urn, *rest.split(".")]
    else:
        parts = text.split(".")
    if any(not p for p in parts):
        raise ConfigError(f"app {app!r}: activity_attribute {attribute!r} has an empty segment")
    return parts


def json_path(parts: list[str]) -> str:
    """A DuckDB JSON path to the keys ``parts`` (quoted where they are not plain names)."""
    return "$" + "".join(f'."{p}"' if not p.isidentifier() else f".{p}" for p in parts)
