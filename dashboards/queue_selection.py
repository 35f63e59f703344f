"""Which review items a manager has ticked: a set of item ids, never row positions.

Streamlit's grid reports a selection as row positions. Positions only mean something against the
exact rows that were on screen when the boxes were ticked, so every distinct list of rows gets its
own grid (its widget key carries a digest of the item ids shown) and positions are turned into ids
through the ids that grid was drawn with. When the list changes (a filter, a new decision, a new
collection) the grid is a new widget with nothing ticked, and the page says the selection was
cleared: a tick can never slide onto another person's row. This module holds no Streamlit calls so
the rules can be tested on their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

VIEWS_KEY = "queue_views"
"""session_state: grid key → the item ids that grid was drawn with, in row order."""
MAX_VIEWS = 8


def view_key(campaign_id: int, item_ids: Sequence[int], version: int) -> str:
    """The grid's widget key: a different list of rows (or a new version) is a different grid."""
    digest = hashlib.blake2s(",".join(map(str, item_ids)).encode(), digest_size=8).hexdigest()
    return f"queue_{campaign_id}_{version}_{digest}"


def remember_view(state: MutableMapping[str, Any], key: str, item_ids: Sequence[int]) -> None:
    """Record which ids ``key``'s rows hold (the last few grids only)."""
    views: dict[str, list[int]] = state.setdefault(VIEWS_KEY, {})
    views.pop(key, None)
    views[key] = [int(i) for i in item_ids]
    while len(views) > MAX_VIEWS:
        views.pop(next(iter(views)))


def selected_ids(state: Mapping[str, Any], key: str) -> list[int]:
    """Item ids ticked in grid ``key``; positions that grid never showed are ignored."""
    shown: list[int] = (state.get(VIEWS_KEY) or {}).get(key, [])
    widget = state.get(key) or {}
    rows = (widget.get("selection") or {}).get("rows") or []
    return [shown[r] for r in rows if isinstance(r, int) and 0 <= r < len(shown)]


@dataclass(frozen=True)
class Pending:
    """A decision waiting for the reviewer to confirm the exact items listed to them."""

    campaign_id: int
    key: str
    item_ids: tuple[int, ...]
    choice: str
    reason: str
