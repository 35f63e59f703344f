"""Charts as deterministic SVG (matplotlib): exceptions by app and rule, leaver removal lag.

Byte-reproducible output needs three things: a fixed ``svg.hashsalt`` (element ids are otherwise
random), ``metadata={"Date": None}`` (otherwise the SVG carries the current time), and text kept as
text (``svg.fonttype = "none"``) so the PDF engine draws it with the document's embedded font.
Charts go into the PDF as ``data:`` URIs, so nothing from SCIM or HR is parsed as HTML.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from scimaudit.reporting.leavers import LeaverCase

PALETTE = ("#1f3a5f", "#c0392b", "#d68910", "#2e86c1", "#7d3c98", "#17a589", "#7f8c8d", "#a04000")
_RC: Any = {  # matplotlib types rc keys as a Literal union
    "svg.hashsalt": "scimaudit",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.titlesize": 9,
}


def _svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def exceptions_by_app(counts: Sequence[tuple[str, str, int]]) -> bytes | None:
    """Stacked bars: one bar per app, one colour per rule; ``None`` when there are no exceptions."""
    if not counts:
        return None
    apps = sorted({a for _, a, _ in counts})
    kinds = sorted({k for k, _, _ in counts})
    table = {(k, a): n for k, a, n in counts}
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.8, 0.32 * len(apps) + 1.0))
        left = [0] * len(apps)
        for i, kind in enumerate(kinds):
            values = [table.get((kind, a), 0) for a in apps]
            ax.barh(
                apps, values, left=left, color=PALETTE[i % len(PALETTE)], label=kind, height=0.6
            )
            left = [x + y for x, y in zip(left, values, strict=True)]
        for y, total in enumerate(left):
            ax.text(total, y, f" {total:,}", va="center", fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("exceptions")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0, max(left) * 1.12)
        ax.legend(
            fontsize=7,
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18 - 0.6 / max(len(apps), 1)),
            ncols=min(len(kinds), 4),
        )
        ax.set_title("Exceptions by application and rule", loc="left")
        return _svg(fig)


LAG_BUCKETS = (
    ("before event", None, 0.0),
    ("0-24 h", 0.0, 24.0),
    ("1-3 d", 24.0, 72.0),
    ("3-7 d", 72.0, 168.0),
    ("7-30 d", 168.0, 720.0),
    ("> 30 d", 720.0, None),
)


def _bucket(hours: float) -> str:
    """The first bucket (ascending) whose upper bound holds ``hours``."""
    for label, _low, high in LAG_BUCKETS:
        if high is None or hours <= high:
            return label
    return LAG_BUCKETS[-1][0]


def leaver_lag(cases: Sequence[LeaverCase], sla_hours: int) -> bytes | None:
    """Distribution of worst-case removal lag (snapshot or lastModified upper bound), plus still
    active."""
    if not cases:
        return None
    labels = [b[0] for b in LAG_BUCKETS] + ["still active"]
    narrowed = dict.fromkeys(labels, 0)
    bracketed = dict.fromkeys(labels, 0)
    for case in cases:
        if case.lag_max_hours is None:
            bracketed["still active"] += 1
            continue
        target = narrowed if case.removed_no_later_than else bracketed
        target[_bucket(case.lag_max_hours)] += 1
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.8, 2.6))
        ax.bar(
            labels,
            [bracketed[x] for x in labels],
            color=PALETTE[0],
            label="by snapshot (upper bound)",
        )
        ax.bar(
            labels,
            [narrowed[x] for x in labels],
            bottom=[bracketed[x] for x in labels],
            color=PALETTE[3],
            label="by lastModified (upper bound)",
        )
        ax.set_ylabel("accounts")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"Leaver access removal lag (worst case), SLA {sla_hours} h", loc="left")
        ax.legend(fontsize=7, frameon=False)
        ax.tick_params(axis="x", labelsize=7)
        return _svg(fig)
