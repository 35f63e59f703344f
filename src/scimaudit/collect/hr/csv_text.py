"""CSV exports as columns of text with the exact line each record starts on.

HR and sign-in exports arrive as "CSV" in every dialect a spreadsheet can save: comma, semicolon (EU
locales), tab or pipe; UTF-8 with or without a byte-order mark, or UTF-16 ("Unicode text"). Values
are kept as text, never type-inferred, so ``00123`` stays ``00123`` and ``N/A`` stays ``N/A``.

Line numbers are what a person opens the file at: the header is line 1 and a record that holds a
quoted line break counts every physical line it spans (RFC 4180 section 2, rule 6). Two parsers
produce the same result: Arrow's vectorised reader (fast path) whenever the line arithmetic provably
holds (no blank lines between records, no ragged rows, no bare-CR line ends), otherwise Python's
``csv`` module, which tracks physical lines itself and reports ragged rows by line.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scimaudit.errors import InputError

DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CsvText:
    """A CSV file as a header and text columns; every value a string (empty stays ``""``)."""

    header: list[str]
    header_line: int
    columns: list[pa.Array]
    line_no: npt.NDArray[np.int64]
    delimiter: str
    encoding: str
    parser: str
    ragged: list[tuple[int, str]] = field(default_factory=list)


def decode(data: bytes, path: Path) -> tuple[bytes, str]:
    """Return the body as UTF-8 bytes (BOM removed) and the encoding found."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid UTF-16 text ({exc.reason})") from None
    return data, "utf-8"


def _strict_text(body: bytes, path: Path) -> str:
    """Decode UTF-8 strictly: a bad byte is an error at its line, never silently replaced."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}:{line}: not valid UTF-8 (byte {exc.start}); save the export as CSV UTF-8"
        ) from None


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample, from ``csv.Sniffer`` checked against the header line.

    The sniffer can be fooled by punctuation inside values, so its answer is only taken when the
    header line contains it; otherwise the candidate that splits the header most wins (a
    single-column file has none and reads as comma-separated).
    """
    header_line = sample.lstrip("\r\n").split("\n", 1)[0]
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in header_line:
        return found
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_text(data: bytes, path: Path, *, delimiter: str | None = None) -> CsvText:
    """CSV bytes as text columns with line numbers; :class:`InputError` if unreadable."""
    body, encoding = decode(data, path)
    sample = body[:_SNIFF_BYTES]
    if len(body) > _SNIFF_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n")]
    sep = delimiter or sniff_delimiter(sample.decode("utf-8", errors="replace"))
    fast = _parse_arrow(body, sample, sep)
    if fast is not None:
        header, header_line, columns, line_no = fast
        return CsvText(header, header_line, columns, line_no, sep, encoding, "arrow")
    return _parse_python(_strict_text(body, path), path, sep, encoding)


_Parsed = tuple[list[str], int, list[pa.Array], npt.NDArray[np.int64]]


def _parse_arrow(body: bytes, sample: bytes, sep: str) -> _Parsed | None:
    """Arrow's reader, or ``None`` when its row numbering could differ from physical lines."""
    if body.count(b"\r") != body.count(b"\r\n"):
        return None  # bare CR line ends: let the line-tracking parser count them
    first = next(
        csv.reader(io.StringIO(sample.decode("utf-8", "replace"), newline=""), delimiter=sep), []
    )
    if not first or not body.strip():
        return None
    names = [f"f{i}" for i in range(len(first))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # ragged rows, invalid UTF-8, ...: the careful parser reports them by line
    if table.num_columns != len(names) or table.num_rows == 0:
        return None
    embedded = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        embedded += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    physical_lines = body.rstrip(b"\r\n").count(b"\n") + 1
    if table.num_rows + int(embedded.sum()) != physical_lines:
        return None  # blank lines were skipped somewhere: numbering would drift
    starts = 1 + np.arange(table.num_rows, dtype=np.int64)
    starts[1:] += np.cumsum(embedded)[:-1]
    header = [str(column[0].as_py()) for column in table.columns]
    if not any(name.strip() for name in header):
        return None  # a leading row of bare delimiters: the careful parser skips it
    columns = [column.slice(1).combine_chunks() for column in table.columns]
    return header, int(starts[0]), columns, starts[1:]


def _parse_python(text: str, path: Path, sep: str, encoding: str) -> CsvText:
    """Python's csv reader: slower, but it knows the physical line of every record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    ragged: list[tuple[int, str]] = []
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not any(value.strip() for value in record):
                continue  # blank line, or only delimiters
            if header is None:
                header, header_line = record, start
                continue
            if len(record) != len(header):
                ragged.append((start, f"has {len(record)} fields, the header has {len(header)}"))
                record = (record + [""] * len(header))[: len(header)]
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
    if header is None:
        raise InputError(f"{path}: the file is empty (no header line)")
    columns = (
        [pa.array(values, type=pa.string()) for values in zip(*rows, strict=True)]
        if rows
        else [pa.array([], type=pa.string()) for _ in header]
    )
    return CsvText(
        header,
        header_line,
        columns,
        np.asarray(lines, dtype=np.int64),
        sep,
        encoding,
        "python",
        ragged,
    )
