"""Render lists of records as a terminal table, JSON or CSV.

CSV cells that a spreadsheet would run as a formula (leading ``= + - @``, tab or CR) are neutralised
with a leading apostrophe (OWASP CSV injection guidance), and table and CSV cells show control and
other non-printable characters as escapes (:func:`terminal_safe`): names and attributes come from
SCIM servers and HR exports we do not control. JSON escapes them by itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from scimaudit.textsafe import terminal_safe

__all__ = ["csv_safe", "print_rows", "terminal_safe", "to_csv", "to_json"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """One CSV cell as text, with formula-looking values defused."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, list | dict):
        text = orjson.dumps(value, default=str).decode()
    else:
        text = terminal_safe(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as CSV text (header first), every cell through :func:`csv_safe`.

    Columns default to the first row's keys; a row missing a column gets an empty cell.
    """
    cols = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([csv_safe(row.get(c)) for c in cols])
    return buf.getvalue()


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as indented JSON; dates and other non-JSON values as text, naive times as UTC."""
    return orjson.dumps(
        list(rows), default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NAIVE_UTC
    ).decode()


def print_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    width: int | None = None,
) -> None:
    """Print rows to stdout in ``fmt`` (table|json|csv)."""
    if fmt == "json":
        print(to_json(rows))
        return
    if fmt == "csv":
        print(to_csv(rows, columns), end="")
        return
    cols = list(columns or (rows[0].keys() if rows else []))
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in cols:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in cols])
    Console(width=width, soft_wrap=False).print(table)


def _cell(value: Any) -> str:
    """One table cell: numbers with separators, times to the minute, text terminal-safe.

    Square brackets are escaped so rich does not read text from a SCIM server as markup.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return terminal_safe(value).replace("[", r"\[")
