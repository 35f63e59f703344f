"""The queue's selection rules on their own: ids, never positions, and one grid per row list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboards"))

import queue_selection as sel


def test_positions_map_through_the_ids_the_grid_was_drawn_with() -> None:
    state: dict[str, Any] = {}
    aisha = sel.view_key(1, [1200, 1201, 1202], 0)
    sel.remember_view(state, aisha, [1200, 1201, 1202])
    state[aisha] = {"selection": {"rows": [0, 1, 2, 7, -1]}}
    assert sel.selected_ids(state, aisha) == [1200, 1201, 1202]  # out-of-range rows ignored
    liam = sel.view_key(1, [1203, 1204, 1205], 0)
    assert liam != aisha  # another list of rows is another grid, with nothing ticked
    sel.remember_view(state, liam, [1203, 1204, 1205])
    assert sel.selected_ids(state, liam) == []


def test_a_new_version_or_campaign_is_a_new_grid_and_old_views_are_forgotten() -> None:
    ids = [5, 6]
    assert sel.view_key(1, ids, 0) != sel.view_key(1, ids, 1) != sel.view_key(2, ids, 1)
    state: dict[str, Any] = {}
    for n in range(sel.MAX_VIEWS + 3):
        sel.remember_view(state, f"k{n}", [n])
    assert len(state[sel.VIEWS_KEY]) == sel.MAX_VIEWS and "k0" not in state[sel.VIEWS_KEY]
    state["k0"] = {"selection": {"rows": [0]}}
    assert sel.selected_ids(state, "k0") == []  # a forgotten grid selects nothing
