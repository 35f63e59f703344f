"""The cover's key figures and dates: computed once, printed from here and recorded in the manifest.

Why one place: ``scimaudit verify`` reads the figures back from page 1 and compares them with the
manifest, which is embedded (and signed) with the pack. A cover edited to say "0 open exceptions"
then disagrees with the manifest even when the sidecar was rewritten or deleted. The figures are
stored as the exact strings printed, so the comparison needs no formatting rules of its own.

The generation time must not precede the data it describes (a ``SOURCE_DATE_EPOCH`` of 2023 on data
as of 2026 would make a pack look older than its evidence): :func:`refuse_backdated` enforces it at
build time, and verify re-checks it from the manifest.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from scimaudit.errors import ReportError
from scimaudit.reporting.context import StoreFacts


def _num(value: int) -> str:
    return f"{value:,}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def cover_figures(facts: StoreFacts) -> list[dict[str, str]]:
    """The tiles on page 1, in print order: ``[{"label": ..., "value": ...}, ...]``."""
    return [
        {"label": "accounts tested", "value": _num(facts.population.rows)},
        {"label": "applications", "value": _num(len(facts.scope.apps))},
        {"label": "open exceptions", "value": _num(facts.exceptions.count(status="open"))},
        {"label": "privileged accounts", "value": _num(facts.population.privileged)},
        {"label": "accounts tied to a person", "value": _pct(facts.population.match_rate)},
    ]


def data_as_of(facts: StoreFacts, *also: datetime | None) -> datetime:
    """The latest moment the pack's data speaks for: run date, run end, every snapshot's end, and
    ``also`` (the last record of the review campaign section 8 prints)."""
    run = facts.scope.run
    moments = [datetime.combine(run.as_of, time(0), UTC), *(m for m in also if m is not None)]
    if run.finished_at is not None:
        moments.append(run.finished_at)
    moments += [s.finished_at or s.as_of for s in facts.lineage]
    return max(m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments)


def refuse_backdated(generated_at: datetime, facts: StoreFacts, *also: datetime | None) -> None:
    """A pack cannot be generated before the data it reports on was collected and analysed."""
    # the generation time has whole seconds (SOURCE_DATE_EPOCH, or now truncated): compare so
    latest = data_as_of(facts, *also).replace(microsecond=0)
    if generated_at < latest:
        raise ReportError(
            f"refusing to build the evidence pack: its generation time "
            f"{generated_at:%Y-%m-%d %H:%M:%S} UTC is before its data "
            f"({latest.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC); "
            "check SOURCE_DATE_EPOCH (it must not predate the collection and analysis)"
        )


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def read_printed_figures(page_text: str, figures: list[dict[str, Any]]) -> dict[str, str | None]:
    """``label → value printed just before that label`` on the cover (None when not found).

    Labels may be upper-cased by the stylesheet and wrapped over lines, so the match ignores case
    and treats any run of whitespace as one space.
    """
    flat = " ".join(page_text.split())
    found: dict[str, str | None] = {}
    for fig in figures:
        label = _text_of(fig.get("label", ""))
        words = r"\s+".join(re.escape(w) for w in label.split())
        match = re.search(rf"(?:^|\s)(\S+)\s+{words}(?:\s|$)", flat, re.IGNORECASE)
        found[label] = match.group(1) if match else None
    return found


def parse_manifest_time(value: str | None) -> datetime | None:
    """``2024-07-01T00:00:00Z`` / ``2024-06-30`` from a manifest, as an aware UTC datetime."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
