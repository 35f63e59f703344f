"""Rejected rows and problem lists, kept where a user looks: a reject file and the snapshot record.

A refused import must leave something to fix from. The reject file holds each refused data row
exactly as read (original columns) plus its ``line`` and every ``problem`` on it, so HR can correct
the export row by row; it is written whether the import then fails (the default) or goes on with
the good rows (``allow_errors``); see :func:`failed_import_reject_file` and
:func:`default_reject_file` for where. The snapshot's completeness record keeps the problems
themselves (the first :data:`RECORDED_PROBLEMS`, with the total), so
``scimaudit snapshots --format json`` still says why an import failed after the terminal is gone.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from scimaudit.collect.hr.reader import RawTable
from scimaudit.errors import InputError, Problem, RowProblemsError
from scimaudit.output import csv_safe

RECORDED_PROBLEMS = 1000
"""Problems kept in a snapshot record; the reject file has every rejected row whatever the count.
A bound, because an export whose every row is wrong would otherwise put megabytes of JSON in one
registry row."""


def default_reject_file(path: Path) -> Path:
    """Under ``allow_errors``: ``hr.csv`` -> ``hr.rejects.csv`` beside it."""
    return path.with_suffix(".rejects.csv")


def failed_import_reject_file(store: Path, snapshot_id: int, export: Path) -> Path:
    """For a refused import: ``<store>.rejects/<snapshot id>-<export stem>.csv``.

    Beside the store, not the export, because the user did not ask for a file here and an export
    often sits on a share scimaudit should not write to; one file per snapshot, so every failed
    snapshot's record keeps pointing at its own rows.
    """
    return store.with_name(store.name + ".rejects") / f"{snapshot_id}-{export.stem}.csv"


def problem_dicts(problems: list[Problem], path: str) -> list[dict[str, Any]]:
    """Problems as JSON objects: ``line``, ``column``, ``message`` and the printed ``text``."""
    return [
        {"line": line, "column": fld, "message": msg, "text": f"{path}:{line}: {fld}: {msg}"}
        for line, fld, msg in problems
    ]


def record_problems(record: dict[str, Any], exc: BaseException) -> None:
    """Put a refused import's problems (and its reject file) in the snapshot record."""
    if not isinstance(exc, RowProblemsError):
        return
    record["problems"] = len(exc.problems)
    record["problem_list"] = problem_dicts(exc.problems[:RECORDED_PROBLEMS], exc.path)
    if exc.context:
        record["problem_context"] = exc.context
    if exc.reject_file:
        record["reject_file"] = exc.reject_file


def rejected_mask(raw: RawTable, problems: list[Problem]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """The data rows a problem names (header problems name no data row)."""
    lines = np.array(sorted({line for line, _, _ in problems}), dtype=np.int64)
    return np.isin(raw.line_no, lines)


def write_rejects(target: Path, raw: RawTable, problems: list[Problem]) -> int:
    """Write the rejected rows: original values, ``line`` and ``problem``; returns the row count.

    Formula-looking cells are defused (``csv_safe``): the file is meant to be opened in a
    spreadsheet, and its values came from someone else's export.
    """
    by_line: dict[int, list[str]] = {}
    for line, where, message in problems:
        by_line.setdefault(line, []).append(f"{where}: {message}")
    mask = rejected_mask(raw, problems)
    extra = [_free_name("line", raw.columns), _free_name("problem", raw.columns)]
    rows = raw.table.filter(mask).to_pylist() if mask.any() else []
    lines = raw.line_no[mask] if rows else np.empty(0, dtype=np.int64)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([csv_safe(c) for c in [*raw.columns, *extra]])
            for row, line in zip(rows, lines, strict=True):
                cells = [row[c] for c in raw.columns]
                cells += [int(line), "; ".join(by_line.get(int(line), []))]
                writer.writerow([csv_safe(c) for c in cells])
    except OSError as exc:
        raise InputError(f"{target}: cannot write the reject file: {exc.strerror}") from None
    return len(rows)


def rejects_for_failure(
    target: Path, raw: RawTable, problems: list[Problem]
) -> tuple[str | None, str]:
    """Write the reject file for an import about to fail: ``(path or None, note)``.

    ``None`` when no data row was refused (header problems only). A reject file that cannot be
    written must not hide the import's own problems: that failure comes back as the note, to be
    shown beside them, instead of being raised.
    """
    if not rejected_mask(raw, problems).any():
        return None, ""
    try:
        write_rejects(target, raw, problems)
    except InputError as exc:
        return None, f"no reject file: {exc}"
    return str(target), ""


def _free_name(name: str, taken: list[str]) -> str:
    while name in taken:
        name = "_" + name
    return name
