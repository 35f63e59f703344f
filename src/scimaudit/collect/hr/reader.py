"""Read a tabular export (CSV, XLSX or Parquet) into text columns with line numbers and a file hash.

Every format ends up the same shape, :class:`RawTable`: the header names, one text column per header
column (``None`` where a spreadsheet cell is empty), and for each row the line a person finds it on.
Line numbers follow the spreadsheet view in every format: the header is line 1 and the first data
row line 2 (CSV: physical lines; XLSX: sheet row numbers; Parquet: row index + 2, as if its column
names were line 1). Values are never type-inferred: what the export says is what the raw record
keeps, and the importers decide what a date or an id is. Rows in which every cell is empty are
skipped.

The SHA-256 is over the file's bytes exactly as read, so the snapshot proves which file it came
from.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from scimaudit.collect.hr.csv_text import read_csv_text
from scimaudit.errors import InputError

_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class RawTable:
    """An export as read: header, text columns, line numbers, hash, and how it was parsed."""

    path: Path
    file_format: str
    columns: list[str]
    table: pa.Table
    line_no: npt.NDArray[np.int64]
    sha256: str
    header_line: int
    details: dict[str, str] = field(default_factory=dict)
    ragged: list[tuple[int, str]] = field(default_factory=list)
    sheets: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Number of data rows read (header excluded)."""
        return int(self.table.num_rows)

    def frame(self) -> pd.DataFrame:
        """The text columns as a pandas frame (missing cells are NA)."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame


def detect_format(path: Path, data: bytes) -> str:
    """``csv``, ``xlsx`` or ``parquet``, from the file's magic bytes first and its suffix second."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(f"{path}: legacy .xls workbooks are not supported; save as .xlsx or CSV")
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_PARQUET_MAGIC):
        return "parquet"
    if suffix in (".xlsx", ".xlsm", ".parquet", ".pq"):
        raise InputError(f"{path}: does not look like a {suffix} file (wrong magic bytes)")
    return "csv"


def read_table(path: Path, *, delimiter: str | None = None, sheet: str | None = None) -> RawTable:
    """Read ``path`` whatever its format; any problem is an :class:`InputError` naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    fmt = detect_format(path, data)
    sheets: tuple[str, ...] = ()
    if fmt == "csv":
        parsed = read_csv_text(data, path, delimiter=delimiter)
        header, header_line = parsed.header, parsed.header_line
        columns, line_no, ragged = parsed.columns, parsed.line_no, parsed.ragged
        details = {"delimiter": parsed.delimiter, "encoding": parsed.encoding}
        details["parser"] = parsed.parser
    elif fmt == "xlsx":
        header, header_line, columns, line_no, ragged, sheets = _read_xlsx(data, path, sheet)
        details = {"sheet": sheets[0]}
        sheets = sheets[1:]
    else:
        header, header_line, columns, line_no = _read_parquet(data, path)
        ragged, details = [], {}
    names = _header_names(header, path, header_line)
    table = pa.Table.from_arrays(columns, names=names)
    keep = _non_blank(table)
    if keep is not None:
        table, line_no = table.filter(pa.array(keep)), line_no[keep]
    return RawTable(path, fmt, names, table, line_no, digest, header_line, details, ragged, sheets)


def sheet_context(raw: RawTable) -> str:
    """For a workbook: which sheet was read and which others exist (``""`` for CSV/Parquet).

    A workbook whose data sits on its second sheet otherwise fails with "column not in the header"
    problems that never mention sheets; this line says where to look and which key picks another.
    """
    if raw.file_format != "xlsx":
        return ""
    return describe_sheets(raw.details.get("sheet", ""), list(raw.sheets))


def sheets_with_columns(raw: RawTable, wanted: list[str]) -> list[str]:
    """The workbook's other sheets whose header row holds every ``wanted`` column.

    Read only when a header check has already failed: it turns "column not in the header" on a
    cover sheet into the one fix that works (``sheet = "Workers"``). Each sheet is read up to its
    first filled row, so a large data sheet costs little.
    """
    if raw.file_format != "xlsx" or len(raw.sheets) < 2:
        return []
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw.path.read_bytes()))
    except (OSError, CalamineError):
        return []
    fits = []
    for name in raw.sheets:
        if name == raw.details.get("sheet"):
            continue
        try:
            rows = book.get_sheet_by_name(name).iter_rows()
            header = next((row for row in rows if any(_filled(v) for v in row)), [])
        except CalamineError:
            continue
        names = {(_cell_text(v) or "").strip() for v in header}
        if set(wanted) <= names:
            fits.append(name)
    return fits


def describe_sheets(read: str, sheets: list[str]) -> str:
    """``sheet 'Cover' read (the first); other sheets: 'Workers' (choose one with sheet = ...)``."""
    first = " (the first)" if sheets and sheets[0] == read else ""
    others = [repr(s) for s in sheets if s != read]
    if not others:
        return f"sheet {read!r} read{first}; the workbook has no other sheet"
    return (
        f"sheet {read!r} read{first}; other sheets: {', '.join(others)} "
        '(choose one with sheet = "NAME" in the config)'
    )


def _header_names(header: list[str], path: Path, line: int) -> list[str]:
    """Trimmed header names; blanks become ``column_N``; a repeated name is refused (ambiguous)."""
    names = [name.strip() or f"column_{i}" for i, name in enumerate(header, start=1)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"{path}:{line}: column {name!r} appears more than once in the header")
        seen.add(name)
    return names


def _non_blank(table: pa.Table) -> npt.NDArray[np.bool_] | None:
    """Mask of rows with at least one non-blank cell, or ``None`` when every row has one."""
    if table.num_rows == 0:
        return None
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        empty = pc.fill_null(pc.equal(trimmed, ""), True)
        blank &= empty.to_numpy(zero_copy_only=False)
    return None if not blank.any() else ~blank


def _cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text a person sees (integral numbers without ``.0``, ISO dates)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(
    data: bytes, path: Path, sheet: str | None
) -> tuple[
    list[str], int, list[pa.Array], npt.NDArray[np.int64], list[tuple[int, str]], tuple[str, ...]
]:
    """First (or named) sheet via calamine (Rust; ~30x faster than openpyxl on large sheets).

    The last item returned is the sheet read followed by every sheet of the workbook, in order.

    ``skip_empty_area=False`` keeps the grid anchored at A1, so list index + 1 is the sheet row.
    """
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise InputError(
            f"{path}: the workbook is password-protected; save a copy without one"
        ) from None
    except CalamineError as exc:
        raise InputError(f"{path}: not a readable XLSX workbook ({exc})") from None
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        listed = ", ".join(repr(n) for n in names)
        raise InputError(f"{path}: no sheet named {sheet!r} (the workbook has: {listed})")
    title = sheet if sheet is not None else names[0]
    try:
        grid = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise InputError(f"{path}: cannot read sheet {title!r} ({exc})") from None
    start = next((i for i, row in enumerate(grid) if any(_filled(v) for v in row)), None)
    if start is None:
        where = describe_sheets(title, names)
        raise InputError(f"{path}: sheet {title!r} is empty (no header row); {where}")
    header = [_cell_text(v) or "" for v in grid[start]]
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    body = grid[start + 1 :]
    line_no = np.arange(start + 2, start + 2 + len(body), dtype=np.int64)
    transposed = list(zip(*body, strict=True)) or [() for _ in range(width)]
    columns = [_text_column(list(values)) for values in transposed[:width]]
    overflow = np.zeros(len(body), dtype=bool)
    for values in transposed[width:]:
        overflow |= np.fromiter((_filled(v) for v in values), dtype=bool, count=len(body))
    message = f"has values beyond the last header column ({width})"
    ragged = [(int(line), message) for line in line_no[overflow]]
    return header, start + 1, columns, line_no, ragged, (title, *names)


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _text_column(values: list[Any]) -> pa.Array:
    """A sheet column as text: all-text columns convert in C, mixed ones cell by cell."""
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_cell_text(v) for v in values], type=pa.string())


def _read_parquet(
    data: bytes, path: Path
) -> tuple[list[str], int, list[pa.Array], npt.NDArray[np.int64]]:
    """Read Parquet with every column cast to text, so all formats go through one validation.

    A column that cannot be cast is refused by name. The header counts as line 1, so rows are
    numbered from 2 like CSV.
    """
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    columns: list[pa.Array] = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns.append(pc.cast(column, pa.string()).combine_chunks())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InputError(
                f"{path}: column {name!r} has type {column.type}, which cannot be read as text"
            ) from None
    line_no = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return [str(n) for n in table.column_names], 1, columns, line_no
