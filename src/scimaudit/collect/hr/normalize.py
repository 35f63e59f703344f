"""HR rows through the config's column map: validated column-wise, normalised to the employee grain.

Every check is a vectorised mask over the whole column; Python only touches the rows that fail, to
word their problem. A row is rejected for: a missing employee id, an id that appears on more than
one row (all of them are rejected: which one is right is a question for HR, not a guess for us), a
missing or unmapped status, a date no configured format reads, or a wrong number of fields. Values
are trimmed of surrounding whitespace; e-mail case is kept as given (correlation folds case itself).

Status and worker-type values match the ``[hr.status]`` / ``[hr.worker_type]`` lists ignoring case
and surrounding whitespace. A worker type outside the contractor list is an employee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from scimaudit.collect.hr.dates import describe_formats, parse_dates
from scimaudit.collect.hr.reader import RawTable, sheets_with_columns
from scimaudit.config import HR_FIELDS, HrConfig
from scimaudit.errors import HrImportError, Problem

DATE_FIELDS = ("hire_date", "termination_date", "contract_end_date")
TEXT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "department",
    "title",
    "manager_id",
    "previous_employee_id",
)
EMPLOYEE_COLUMNS = (
    "employee_id",
    "email",
    "first_name",
    "last_name",
    "status",
    "status_raw",
    "worker_type",
    "worker_type_raw",
    "hire_date",
    "termination_date",
    "contract_end_date",
    "department",
    "title",
    "manager_id",
    "line_no",
    "previous_employee_id",
)


@dataclass(frozen=True)
class NormalizedHr:
    """Good rows in the employee table's shape, every problem by line, and the rejected-row mask."""

    employees: pd.DataFrame
    problems: list[Problem]
    rejected: npt.NDArray[np.bool_]
    date_formats: dict[str, list[str]] = field(default_factory=dict)


def header_has(raw: RawTable) -> str:
    """``the file has: A, B`` (``sheet 'X' has: …`` for a workbook): what a missing column is
    compared with, so the user sees at once whether the wrong file or sheet was read."""
    where = f"sheet {raw.details['sheet']!r}" if "sheet" in raw.details else "the file"
    return f"{where} has: {', '.join(raw.columns)}"


def with_sheet_hint(context: str, raw: RawTable, wanted: list[str]) -> str:
    """``context`` plus, for a workbook, the other sheets that have every configured column."""
    fits = sheets_with_columns(raw, wanted)
    if not fits:
        return context
    hint = ", ".join(repr(name) for name in fits)
    return f'{context}; sheet {hint} has every configured column: set sheet = "{fits[0]}"'


def check_header(raw: RawTable, hr: HrConfig, *, context: str = "") -> None:
    """Every configured column must be in the header; name what is missing and what the file has.

    ``context`` (which XLSX sheet was read, and the others) goes into the error's message.
    """
    problems: list[Problem] = []
    have = header_has(raw)
    folded = {c.casefold(): c for c in raw.columns}
    for fld in HR_FIELDS:
        column = getattr(hr.columns, fld)
        if column is None or column in raw.columns:
            continue
        hint = folded.get(column.strip().casefold())
        extra = f" (did you mean {hint!r}?)" if hint else ""
        problems.append(
            (
                raw.header_line,
                f"hr.columns.{fld}",
                f"column {column!r} is not in the header{extra}; {have}",
            )
        )
    if problems:
        wanted = [c for c in (getattr(hr.columns, f) for f in HR_FIELDS) if c is not None]
        raise HrImportError(str(raw.path), problems, context=with_sheet_hint(context, raw, wanted))


def clean_text(values: pd.Series) -> pd.Series:
    """Trimmed text with empty cells as NA."""
    text = values.astype("str").str.strip()
    return text.mask(text == "")


def status_map(hr: HrConfig) -> dict[str, str]:
    """Case-folded export value -> ``active`` | ``leave`` | ``terminated``."""
    mapping: dict[str, str] = {}
    for category in ("active", "leave", "terminated"):
        for value in getattr(hr.status, category):
            mapping[value.strip().casefold()] = category
    return mapping


def _unparseable(text: pd.Series, tried: str) -> Callable[[int], str]:
    def message(position: int) -> str:
        """The problem text for one row: the raw value and the formats that were tried."""
        return f"unparseable date {text.iat[position]!r} (formats tried: {tried})"

    return message


def normalize(raw: RawTable, hr: HrConfig) -> NormalizedHr:
    """Validate and map every row; the caller decides whether problems abort or reject."""
    frame = raw.frame()
    lines = raw.line_no
    count = len(frame)
    problems: list[Problem] = []
    rejected = np.zeros(count, dtype=bool)

    def column(fld: str) -> pd.Series:
        """The mapped export column, cleaned; an unmapped optional field reads as all-missing."""
        name = getattr(hr.columns, fld)
        if name is None:
            return pd.Series([None] * count, dtype="str")
        return clean_text(frame[name])

    def flag(mask: pd.Series, where: str, message: Callable[[int], str]) -> None:
        """Reject every row where ``mask`` holds and record why, at the row's line in the export."""
        positions = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        rejected[positions] = True
        problems.extend((int(lines[p]), where, message(int(p))) for p in positions)

    for line, message in raw.ragged:
        positions = np.flatnonzero(lines == line)
        rejected[positions] = True
        problems.append((line, "(row)", message))

    id_column = hr.columns.employee_id
    ids = column("employee_id")
    flag(ids.isna(), id_column, lambda p: "missing employee id")
    repeated = ids.notna() & ids.duplicated(keep=False)
    if repeated.any():
        where = pd.Series(lines[repeated.to_numpy()], index=ids[repeated].to_numpy())
        seen_on = {str(k): ", ".join(map(str, group)) for k, group in where.groupby(level=0)}
        flag(
            repeated,
            id_column,
            lambda p: f"duplicate employee id {ids.iat[p]!r} (lines {seen_on[str(ids.iat[p])]})",
        )

    status_column = hr.columns.status
    status_raw = column("status")
    mapping = status_map(hr)
    status = status_raw.str.casefold().map(mapping)
    flag(status_raw.isna(), status_column, lambda p: "missing status")
    configured = "; ".join(
        f"{cat} = {getattr(hr.status, cat)}" for cat in ("active", "leave", "terminated")
    )
    flag(
        status_raw.notna() & status.isna(),
        status_column,
        lambda p: f"unknown status {status_raw.iat[p]!r}; [hr.status] has {configured}",
    )

    worker_raw = column("worker_type")
    contractor = {v.strip().casefold() for v in hr.worker_type.contractor}
    is_contractor = worker_raw.str.casefold().isin(contractor).to_numpy(dtype=bool, na_value=False)

    dates: dict[str, pd.Series] = {}
    formats_used: dict[str, list[str]] = {}
    tried = describe_formats(hr.date_formats)
    for fld in DATE_FIELDS:
        text = column(fld)
        parsed = parse_dates(text, hr.date_formats)
        dates[fld] = parsed.values
        name = getattr(hr.columns, fld)
        if name is not None:
            formats_used[fld] = parsed.formats_used
            flag(parsed.invalid, name, _unparseable(text, tried))

    employees = pd.DataFrame(
        {
            "employee_id": ids,
            **{fld: column(fld) for fld in TEXT_FIELDS},
            "status": status.astype("str"),
            "status_raw": status_raw,
            "worker_type": np.where(is_contractor, "contractor", "employee"),
            "worker_type_raw": worker_raw,
            **dates,
            "line_no": lines,
        }
    )[list(EMPLOYEE_COLUMNS)]
    problems.sort(key=lambda item: item[0])
    return NormalizedHr(employees[~rejected], problems, rejected, formats_used)
