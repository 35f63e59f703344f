"""What the server says about itself: ``/ServiceProviderConfig``, ``/ResourceTypes``, ``/Schemas``.

RFC 7644 §4 makes these endpoints mandatory, but real servers omit, protect or misreport them, so
discovery is advice, never a requirement: a failure here is recorded and the pull goes on with the
app's configured settings. What we read (RFC 7643 §5, RFC 9865 §4):

* ``filter.maxResults``: the largest page the server will serve; our page size is lowered to it;
* ``pagination.cursor`` / ``pagination.index`` / ``defaultPaginationMethod`` / ``maxPageSize``
  (RFC 9865): which paging to use when the app's ``pagination`` is ``auto``;
* ``etag.supported``: recorded in the completeness record.

Each response is landed with the snapshot like any page (it is part of the evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from scimaudit.errors import CollectionError, ScimAuthError, TlsCertificateError
from scimaudit.scim.fetch import Fetched, FetchStats, ScimFetcher

DISCOVERY_ENDPOINTS = ("ServiceProviderConfig", "ResourceTypes", "Schemas")


@dataclass
class Capabilities:
    """What discovery learned; every field is None when the server did not say."""

    max_results: int | None = None
    cursor: bool | None = None
    index: bool | None = None
    default_pagination: str | None = None
    etag: bool | None = None
    resource_types: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    def choose_pagination(self, configured: str) -> Literal["index", "cursor"]:
        """The app's setting when explicit; for ``auto``: index unless only cursor is offered.

        Index paging is preferred because its pages can be fetched concurrently once
        ``totalResults`` is known; cursor paging (RFC 9865) is strictly sequential.
        """
        if configured == "index":
            return "index"
        if configured == "cursor":
            return "cursor"
        if self.cursor and self.index is False:
            return "cursor"
        return "index"

    def page_size(self, configured: int) -> int:
        """The configured page size, lowered to the server's announced maximum."""
        if self.max_results and 0 < self.max_results < configured:
            return self.max_results
        return configured

    def as_dict(self) -> dict[str, Any]:
        """The capabilities as plain JSON, for the completeness record's ``discovery``."""
        return {
            "max_results": self.max_results,
            "cursor": self.cursor,
            "index": self.index,
            "default_pagination": self.default_pagination,
            "etag": self.etag,
            "resource_types": self.resource_types,
            "notes": self.notes,
        }


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def read_service_provider_config(body: dict[str, Any], caps: Capabilities) -> None:
    """Fill ``caps`` from a ServiceProviderConfig body (RFC 7643 §5, RFC 9865 §4)."""
    filt = body.get("filter")
    if isinstance(filt, dict):
        caps.max_results = _as_int(filt.get("maxResults"))
    pagination = body.get("pagination")
    if isinstance(pagination, dict):
        caps.cursor = _as_bool(pagination.get("cursor"))
        caps.index = _as_bool(pagination.get("index"))
        method = pagination.get("defaultPaginationMethod")
        caps.default_pagination = method if isinstance(method, str) else None
        max_page = _as_int(pagination.get("maxPageSize"))
        if max_page and (caps.max_results is None or max_page < caps.max_results):
            caps.max_results = max_page
    etag = body.get("etag")
    if isinstance(etag, dict):
        caps.etag = _as_bool(etag.get("supported"))


async def discover(
    fetcher: ScimFetcher, stats: FetchStats
) -> tuple[Capabilities, list[tuple[str, Fetched]]]:
    """Read the three discovery endpoints; return what was learned and the responses to land.

    Only an authentication failure stops the pull here (it would fail every later request too).
    """
    caps = Capabilities()
    landed: list[tuple[str, Fetched]] = []
    for endpoint in DISCOVERY_ENDPOINTS:
        try:
            fetched = await fetcher.get(endpoint, {}, stats)
        except (ScimAuthError, TlsCertificateError):
            raise  # the same for every endpoint: stop here, say it once
        except CollectionError as exc:
            caps.notes.append(f"{endpoint}: not available ({_short(exc)})")
            continue
        landed.append((endpoint, fetched))
        if endpoint == "ServiceProviderConfig":
            read_service_provider_config(fetched.body, caps)
        elif endpoint == "ResourceTypes":
            found = fetched.body.get("Resources")
            if isinstance(found, list):
                caps.resource_types = sorted(
                    str(r.get("name")) for r in found if isinstance(r, dict) and r.get("name")
                )
    return caps, landed


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"
