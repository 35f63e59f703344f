"""Manual correlation overrides: the CSV named by ``[correlation] overrides``.

Columns ``app,account,action,employee_id,owner,reason,expires`` (header required, order free):

- ``action = link``: ``account`` (account id or userName, any case) belongs to ``employee_id``.
- ``action = service``: ``account`` is a declared service/shared account; ``owner`` is the
  accountable person (employee id or work email), ``reason`` why it exists.

``reason`` is required for both (an override is an audit decision: say why). ``expires`` is an ISO
date, the last day the line applies; after it the account is judged by the rules again (the line
stays listed as ``expired``). The file is read whole before a run; any bad line stops the run
with every problem named by line and column, because a silently skipped override would turn a known
service account into an orphan or hide who an account really belongs to.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scimaudit.errors import InputError

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


def parse_overrides(text: str, source: str) -> list[Override]:
    """Validate the CSV text; raise :class:`InputError` naming every bad ``file:line: column``."""
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{source}:1: overrides header lacks column(s) {', '.join(missing)} "
            f"(expected {','.join(COLUMNS)})"
        )
    reader.fieldnames = header
    problems: list[str] = []
    found: list[Override] = []
    for line_no, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        app, account, action = _text(row, "app"), _text(row, "account"), _text(row, "action")
        employee_id, owner, reason = (
            _text(row, "employee_id"),
            _text(row, "owner"),
            _text(row, "reason"),
        )
        where = f"{source}:{line_no}"
        if app is None:
            problems.append(f"{where}: app: empty")
        if account is None:
            problems.append(f"{where}: account: empty")
        if action not in ACTIONS:
            problems.append(f"{where}: action: {action!r} is not one of link, service")
        if action == "link" and employee_id is None:
            problems.append(f"{where}: employee_id: required for action=link")
        if action == "service" and owner is None:
            problems.append(f"{where}: owner: required for action=service (who is accountable)")
        if reason is None:
            problems.append(f"{where}: reason: required (say why this override exists)")
        expires_text = _text(row, "expires")
        expires: date | None = None
        if expires_text is not None:
            try:
                expires = date.fromisoformat(expires_text)
            except ValueError:
                problems.append(f"{where}: expires: {expires_text!r} is not an ISO date YYYY-MM-DD")
        if app and account and action in ACTIONS and reason:
            found.append(
                Override(line_no, app, account, action, employee_id, owner, reason, expires)
            )
    if problems:
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InputError(
            f"overrides file {source} has {len(problems)} problem(s); nothing was analysed\n"
            + "\n".join(shown)
            + more
        )
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
