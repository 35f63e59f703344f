"""Manual correlation overrides: the CSV named by ``[correlation] overrides``.

Columns ``app,account,action,employee_id,owner,reason,expires`` (header required, order free):

- ``action = link``: ``account`` (account id or userName, any case) belongs to ``employee_id``.
- ``action = service``: ``account`` is a declared service/shared account; ``owner`` is the
  accountable person (employee id or work email), ``reason`` why it exists.

``reason`` is required for both (an override is an audit decision: say why). ``expires`` is an ISO
date, the last day the line applies; after it the account is judged by the rules again (the line
stays listed as ``expired``). The file is read whole before a run; any bad line stops the run
(:class:`~scimaudit.errors.OverridesError`, exit 3) with every problem named as
``file:line: column: message`` (the first 20 in the message, all in ``problems``), because a
silently skipped override would turn a known service account into an orphan or hide who an account
really belongs to.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scimaudit.errors import InputError, OverridesError, Problem

COLUMNS = ("app", "account", "action", "employee_id", "owner", "reason", "expires")
ACTIONS = ("link", "service")


@dataclass(frozen=True)
class Override:
    line_no: int
    app: str
    account: str
    action: str
    employee_id: str | None
    owner: str | None
    reason: str
    expires: date | None


def _text(row: dict[str, str | None], key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return value or None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` per CSV record; the line is the one a record starts on in an editor.

    ``csv.reader.line_num`` counts physical lines, so a quoted value with a line break still gives
    the later records their true line (counting records instead would drift by one per break).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    for cells in reader:
        yield previous_end + 1, cells
        previous_end = reader.line_num


def parse_overrides(text: str, source: str) -> list[Override]:
    """Validate the CSV text; :class:`OverridesError` names every bad ``file:line: column``."""
    records = _records(text)
    first = next(records, None)
    header = [h.strip() for h in (first[1] if first else [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        expected = ",".join(COLUMNS)
        raise OverridesError(
            source,
            [(1, c, f"column missing from the header (expected {expected})") for c in missing],
        )
    problems: list[Problem] = []
    found: list[Override] = []
    for line_no, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        row: dict[str, str | None] = dict(zip(header, cells, strict=False))
        app, account, action = _text(row, "app"), _text(row, "account"), _text(row, "action")
        employee_id, owner, reason = (
            _text(row, "employee_id"),
            _text(row, "owner"),
            _text(row, "reason"),
        )

        def bad(column: str, message: str, line: int = line_no) -> None:
            problems.append((line, column, message))

        if app is None:
            bad("app", "empty")
        if account is None:
            bad("account", "empty")
        if action not in ACTIONS:
            bad("action", f"{action!r} is not one of {', '.join(ACTIONS)}")
        if action == "link" and employee_id is None:
            bad("employee_id", "required for action=link")
        if action == "service" and owner is None:
            bad("owner", "required for action=service (who is accountable)")
        if reason is None:
            bad("reason", "required (say why this override exists)")
        expires_text = _text(row, "expires")
        expires: date | None = None
        if expires_text is not None:
            try:
                expires = date.fromisoformat(expires_text)
            except ValueError:
                bad("expires", f"{expires_text!r} is not an ISO date YYYY-MM-DD")
        if app and account and action in ACTIONS and reason:
            found.append(
                Override(line_no, app, account, action, employee_id, owner, reason, expires)
            )
    if problems:
        raise OverridesError(source, problems)
    return found


def load_overrides(path: Path | None) -> list[Override]:
    """Read the overrides file; no file configured means no overrides."""
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"{path}: overrides file not found ([correlation] overrides in the config)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read overrides file: {exc}") from None
    return parse_overrides(text, str(path))
